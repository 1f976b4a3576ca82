//! Reading a capture in chunks (`capture::Loader`, as the browser and the CLI read files)
//! gives exactly what reading it whole gives, wherever the chunks are cut: for every fixture,
//! every prefix of one (truncated files), and files with broken records or blocks.

use spop_codec::capture::{load, Capture, LoadError, LoadOptions, Loader};

fn chunked(bytes: &[u8], cuts: &[usize]) -> Result<Capture, LoadError> {
    let mut loader = Loader::new(LoadOptions::default()).with_total(bytes.len());
    let mut at = 0;
    for &cut in cuts {
        let cut = cut.clamp(at, bytes.len());
        loader.feed(&bytes[at..cut], &mut |_| {});
        at = cut;
    }
    loader.feed(&bytes[at..], &mut |_| {});
    loader.finish(&mut |_| {})
}

/// Cut positions every `n` bytes.
fn every(n: usize, len: usize) -> Vec<usize> {
    (1..).map(|i| i * n).take_while(|&c| c < len).collect()
}

/// Reproducible pseudo-random cuts (xorshift), small and large gaps mixed.
fn random_cuts(seed: u64, len: usize) -> Vec<usize> {
    let mut x = seed | 1;
    let mut cuts = Vec::new();
    let mut at = 0usize;
    while at < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        at += 1 + (x % if x.is_multiple_of(3) { 70_000 } else { 300 }) as usize;
        cuts.push(at);
    }
    cuts
}

#[test]
fn any_chunking_gives_the_same_capture() {
    for (name, bytes) in spop_tests::fixtures() {
        let whole = load(&bytes, &LoadOptions::default());
        assert!(whole.is_ok(), "{name}");
        for n in [1, 2, 3, 7, 16, 24, 100, 4096, 65_536, 70_001] {
            assert_eq!(
                chunked(&bytes, &every(n, bytes.len())),
                whole,
                "{name}, chunks of {n}"
            );
        }
        for seed in 1..20 {
            assert_eq!(
                chunked(&bytes, &random_cuts(seed, bytes.len())),
                whole,
                "{name}, seed {seed}"
            );
        }
    }
}

#[test]
fn truncated_files_fail_alike() {
    for (name, bytes) in spop_tests::fixtures() {
        // Every prefix of the first 2 KiB, then a sample of longer ones.
        let lens = (0..bytes.len().min(2048)).chain((2048..bytes.len()).step_by(997));
        for len in lens {
            let cut = &bytes[..len];
            let whole = load(cut, &LoadOptions::default());
            assert_eq!(chunked(cut, &every(5, len)), whole, "{name} cut at {len}");
            assert_eq!(
                chunked(cut, &random_cuts(len as u64, len)),
                whole,
                "{name} cut at {len}"
            );
        }
    }
}

#[test]
fn broken_records_and_blocks_fail_alike() {
    for (name, bytes) in spop_tests::fixtures() {
        // Corrupt a length field at a few places: a record or block then claims gigabytes,
        // or too little.
        for pos in [28usize, 40, 200, 1000, bytes.len() / 2] {
            for value in [0xFFFF_FFF0u32, 0, 13] {
                let mut broken = bytes.clone();
                if let Some(b) = broken.get_mut(pos..pos + 4) {
                    b.copy_from_slice(&value.to_le_bytes());
                }
                let whole = load(&broken, &LoadOptions::default());
                for n in [1, 64, 4096] {
                    assert_eq!(
                        chunked(&broken, &every(n, broken.len())),
                        whole,
                        "{name} broken at {pos} = {value:#x}, chunks of {n}"
                    );
                }
            }
        }
    }
}

/// Files larger than the loader's bridge (64 KiB), so a whole-file feed takes the path that
/// tells the format from the first bytes and reads the rest in place: the same capture as any
/// chunking, for every hostile shape, whole and with a record cut in the middle of the file.
#[test]
fn large_files_read_in_place_give_the_same_capture() {
    let mut large = 0;
    for (name, make) in spop_tests::shapes::SHAPES {
        let bytes = make(12_000);
        large += usize::from(bytes.len() > 100_000);
        let mut broken = bytes.clone();
        let mid = bytes.len() / 2;
        broken[mid..mid + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        for (what, bytes) in [("whole", bytes), ("broken", broken)] {
            let whole = load(&bytes, &LoadOptions::default());
            let mut cuts = vec![every(4096, bytes.len()), random_cuts(7, bytes.len())];
            cuts.extend([65_535, 65_536, 65_537, 200_000].map(|c| vec![c]));
            for cut in cuts {
                assert_eq!(
                    chunked(&bytes, &cut),
                    whole,
                    "{name}, {what}, cuts {:?}",
                    &cut[..1]
                );
            }
        }
    }
    assert!(large >= 5, "only {large} shapes above 100 KB");
}

/// A pcapng file whose first block (the section header, with a 100 KB comment) is larger than
/// the bridge: the format is told once the block is whole, however the file is fed.
#[test]
fn a_section_header_larger_than_the_bridge_is_read_alike() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let small = std::fs::read(format!("{dir}/haproxy34-clean.pcapng")).unwrap();
    let shb_len = u32::from_le_bytes(small[4..8].try_into().unwrap()) as usize;
    let comment = vec![b'x'; 100_000];
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes()); // opt_comment
    shb.extend_from_slice(&(comment.len() as u16).to_le_bytes());
    shb.extend_from_slice(&comment);
    shb.extend_from_slice(&[0; 4]); // opt_endofopt
    let total = (shb.len() + 12) as u32;
    let mut big = 0x0A0D_0D0Au32.to_le_bytes().to_vec();
    big.extend_from_slice(&total.to_le_bytes());
    big.extend_from_slice(&shb);
    big.extend_from_slice(&total.to_le_bytes());
    big.extend_from_slice(&small[shb_len..]);

    let whole = load(&big, &LoadOptions::default()).unwrap();
    assert_eq!(
        whole.connections,
        load(&small, &LoadOptions::default()).unwrap().connections
    );
    for n in [1000, 65_536, 70_001, 150_000] {
        assert_eq!(
            chunked(&big, &every(n, big.len())),
            Ok(whole.clone()),
            "chunks of {n}"
        );
    }
}

//! Loading and analysing on several threads gives exactly what one thread gives: the same
//! connections (reassembled by worker threads), timeline, connection summaries and findings in
//! the same order. Threads are forced (the automatic choice keeps small captures on one
//! thread), so the parts' boundaries fall everywhere in the fixtures and the hostile captures.

use spop_codec::analysis::{analyze, load_and_analyze, Analysis, AnalysisOptions};
use spop_codec::capture::{load, Capture, LoadError, LoadOptions, Loader};

fn load_options(threads: usize) -> LoadOptions {
    LoadOptions {
        threads,
        ..LoadOptions::default()
    }
}

fn analysis(bytes: &[u8], threads: usize) -> Option<Analysis> {
    let capture = load(bytes, &load_options(threads)).ok()?;
    Some(analyze(
        capture,
        &AnalysisOptions {
            threads,
            ..AnalysisOptions::default()
        },
    ))
}

/// The findings of one thread (none for input that does not load).
fn same(bytes: &[u8], what: &str) -> usize {
    let Some(one) = analysis(bytes, 1) else {
        return 0;
    };
    for threads in [2, 3, 7, 0] {
        let many = analysis(bytes, threads).unwrap();
        assert_eq!(many.capture, one.capture, "{what}, {threads} threads");
        assert_eq!(many.frames, one.frames, "{what}, {threads} threads");
        assert_eq!(
            many.connections, one.connections,
            "{what}, {threads} threads"
        );
        assert_eq!(many.findings, one.findings, "{what}, {threads} threads");
        // Loading and analysing as one pipeline (analysis::load_and_analyze).
        let piped = pipeline(bytes, threads);
        assert_eq!(
            piped.capture, one.capture,
            "{what}, {threads} threads, piped"
        );
        assert_eq!(piped.frames, one.frames, "{what}, {threads} threads, piped");
        assert_eq!(
            piped.connections, one.connections,
            "{what}, {threads} threads, piped"
        );
        assert_eq!(
            piped.findings, one.findings,
            "{what}, {threads} threads, piped"
        );
    }
    one.findings.len()
}

/// [`load_and_analyze`] on `threads` threads.
fn pipeline(bytes: &[u8], threads: usize) -> Analysis {
    let options = AnalysisOptions {
        threads,
        ..AnalysisOptions::default()
    };
    load_and_analyze(bytes, &load_options(threads), &options).unwrap()
}

#[test]
fn fixtures_analyse_the_same_on_any_number_of_threads() {
    let findings: usize = spop_tests::fixtures()
        .iter()
        .map(|(name, bytes)| same(bytes, name))
        .sum();
    assert!(findings >= 10, "findings: {findings}");
}

#[test]
fn hostile_captures_analyse_the_same_on_any_number_of_threads() {
    let mut findings = 0;
    for (name, make) in spop_tests::shapes::SHAPES {
        findings += same(&make(2_000), name);
    }
    assert!(findings >= 1_000, "findings: {findings}");
}

/// The fixture's pcap without packet `skip`: TCP gaps and resynchronisations (events placed
/// after a frame) in every connection in turn.
fn without_packet(pcap: &[u8], skip: usize) -> Vec<u8> {
    let mut out = pcap[..24].to_vec();
    let mut at = 24;
    let mut n = 0;
    while at + 16 <= pcap.len() {
        let len = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        if n != skip {
            out.extend_from_slice(&pcap[at..at + 16 + len]);
        }
        at += 16 + len;
        n += 1;
    }
    out
}

#[test]
fn gaps_analyse_the_same_on_any_number_of_threads() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let pcap = std::fs::read(format!("{dir}/haproxy26-interleaved-disconnect.pcap")).unwrap();
    assert_eq!(&pcap[..4], [0xd4, 0xc3, 0xb2, 0xa1], "a little-endian pcap");
    let mut later_gaps = 0;
    for skip in 0..49 {
        let bytes = without_packet(&pcap, skip);
        same(&bytes, &format!("without packet {skip}"));
        let one = analysis(&bytes, 1).unwrap();
        later_gaps += one
            .findings
            .iter()
            .filter(|f| f.code() == "SPOP-C002" && f.connection > Some(0) && !f.frames.is_empty())
            .count();
    }
    assert!(
        later_gaps > 0,
        "no gap after a frame past the first connection"
    );
}

/// `bytes` fed to a [`Loader`] in pieces of `size` bytes, reassembled on `threads` threads.
fn chunked(bytes: &[u8], size: usize, threads: usize) -> Result<Capture, LoadError> {
    let mut loader = Loader::new(load_options(threads)).with_total(bytes.len());
    for chunk in bytes.chunks(size) {
        loader.feed(chunk, &mut |_| {});
    }
    loader.finish(&mut |_| {})
}

#[test]
fn chunked_files_reassemble_the_same_on_any_number_of_threads() {
    let mut connections = 0;
    let shapes = spop_tests::shapes::SHAPES
        .iter()
        .map(|(name, make)| (name.to_string(), make(500)));
    for (name, bytes) in spop_tests::fixtures().into_iter().chain(shapes) {
        let Ok(one) = load(&bytes, &load_options(1)) else {
            continue;
        };
        connections += one.connections.len() + one.other_connections + one.attempts.len();
        for (size, threads) in [(7, 2), (1000, 3), (64 << 10, 0)] {
            let many = chunked(&bytes, size, threads).unwrap();
            assert_eq!(many, one, "{name}, {size}-byte chunks, {threads} threads");
        }
    }
    assert!(connections >= 50, "connections: {connections}");
}

#[test]
fn the_pipeline_says_what_load_says_of_unusable_input() {
    for input in [
        &b""[..],
        b"not a capture \x00\x01",
        b"\xd4\xc3\xb2\xa1\x02\x00",
    ] {
        let expected = load(input, &load_options(2)).map(|c| c.connections.len());
        let got = load_and_analyze(input, &load_options(2), &AnalysisOptions::default())
            .map(|a| a.capture.connections.len());
        assert_eq!(got, expected, "{input:?}");
    }
    assert_eq!(
        load_and_analyze(b"", &load_options(2), &AnalysisOptions::default()).err(),
        Some(LoadError::Empty)
    );
}

//! Share bundles of the real corpus: a capture → bundle → capture round trip gives the same
//! frames and the same findings, in a fraction of the capture's size.

use spop_codec::analysis::{analyze, AnalysisOptions, FrameKey};
use spop_codec::capture::bundle::{Bundle, ShareError};
use spop_codec::capture::{load, Container, LoadError, LoadOptions};

const CORPUS: [&str; 5] = [
    "haproxy26-clean.pcap",
    "haproxy26-interleaved-disconnect.pcap",
    "haproxy26-pyagent.pcap",
    "haproxy34-clean.pcap",
    "haproxy34-clean.pcapng",
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn corpus_round_trips_through_a_bundle() {
    for name in CORPUS {
        let bytes = fixture(name);
        let capture = load(&bytes, &LoadOptions::default()).unwrap();
        let mut bundle = Bundle::from_capture(&capture);
        bundle.state.push(("selected".into(), "3".into()));
        let packed = bundle.to_bytes();
        assert!(
            packed.len() * 2 < bytes.len(),
            "{name}: {} bytes of bundle for {} of capture",
            packed.len(),
            bytes.len()
        );
        let text = bundle.to_text();
        assert_eq!(Bundle::from_text(&text).unwrap(), bundle, "{name}");

        let reloaded = load(&packed, &LoadOptions::default()).unwrap();
        assert_eq!(reloaded.input.container, Container::Bundle);
        let before = analyze(capture, &AnalysisOptions::default());
        let after = analyze(reloaded, &AnalysisOptions::default());
        assert_eq!(after.frames, before.frames, "{name}");
        assert_eq!(after.connections, before.connections, "{name}");
        let messages = |a: &spop_codec::analysis::Analysis| {
            a.findings
                .iter()
                .map(|f| (f.code(), f.frames.clone(), f.message.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(messages(&after), messages(&before), "{name}");
    }
}

#[test]
fn broken_bundles_are_load_errors_with_clear_messages() {
    let capture = load(&fixture("haproxy34-clean.pcapng"), &LoadOptions::default()).unwrap();
    let packed = Bundle::from_capture(&capture).to_bytes();
    let cut = &packed[..packed.len() / 2];
    match load(cut, &LoadOptions::default()) {
        Err(LoadError::Bundle(ShareError::Damaged)) => {}
        other => panic!("{other:?}"),
    }
    let e = load(cut, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("damaged or cut short"), "{e}");
    let mut future = packed.clone();
    future[5] = 9;
    let e = load(&future, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("version 9"), "{e}");
}

#[test]
fn frame_keys_survive_cutting_a_capture_down_to_one_connection() {
    for name in CORPUS {
        let capture = load(&fixture(name), &LoadOptions::default()).unwrap();
        let bundle = Bundle::from_capture(&capture);
        let full = analyze(capture, &AnalysisOptions::default());
        for f in &full.frames {
            let key = full.key_of(f.index).unwrap();
            assert_eq!(key.to_string().parse::<FrameKey>(), Ok(key));
            assert_eq!(full.frame_by_key(key), Some(f.index), "{name} {key}");
        }
        let last = full.connections.len() - 1;
        let one = analyze(
            bundle.subset(&[last]).to_capture(),
            &AnalysisOptions::default(),
        );
        assert_eq!(one.connections.len(), 1);
        let theirs: Vec<_> = full.frames_of(last).collect();
        assert_eq!(one.frames.len(), theirs.len(), "{name}");
        for (f, g) in theirs.iter().zip(&one.frames) {
            let mut key = full.key_of(f.index).unwrap();
            key.connection = 0;
            assert_eq!(one.frame_by_key(key), Some(g.index), "{name}");
            assert_eq!(
                (f.frame_type, f.stream_id, f.frame_id),
                (g.frame_type, g.stream_id, g.frame_id)
            );
        }
    }
    assert!("".parse::<FrameKey>().is_err());
    assert!("3x5".parse::<FrameKey>().is_err());
    assert!("3h".parse::<FrameKey>().is_err());
    assert!("h5".parse::<FrameKey>().is_err());
    assert!("99999999999999999999999h1".parse::<FrameKey>().is_err());
}

#[test]
fn links_and_bundle_text_load_like_any_capture() {
    let bytes = fixture("haproxy26-interleaved-disconnect.pcap");
    let capture = load(&bytes, &LoadOptions::default()).unwrap();
    let mut bundle = Bundle::from_capture(&capture);
    bundle.state.push(("note:0h0".into(), "HELLO".into()));
    let link = spop_codec::share::link("https://example.org/inspector/", &bundle);
    for input in [link.clone(), format!("  {link}\n"), bundle.to_text()] {
        let c = load(input.as_bytes(), &LoadOptions::default()).unwrap();
        assert_eq!(c.input.container, Container::Bundle);
        assert_eq!(c.connections, capture.connections);
        assert_eq!(c.shared, bundle.state);
    }
    // Cut short by a chat tool: a clear message, whatever the cut.
    let text = bundle.to_text();
    for n in [10, text.len() / 2, text.len() - 1] {
        let e = load(&text.as_bytes()[..n], &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("damaged or cut short"), "cut at {n}: {e}");
    }
}

/// "Hostile input, round two", point 6: a bundle may claim gaps of any size. Two gaps of 2^63
/// bytes in the agent's stream: the missing bytes were summed in a u64, which panicked in a
/// debug build (as fuzzers run) and wrapped to 0 in a release build, where "no byte missing"
/// made the unanswered NOTIFY an error instead of an info.
#[test]
fn gap_sizes_near_u64_max_saturate() {
    use spop_codec::analysis::Severity;
    use spop_codec::capture::spop::{Detection, SpopConnection};
    use spop_codec::capture::tcp::{Gap, PacketRef, SegmentRecord, Stream, StreamStart};
    use spop_codec::wire::FrameRepr;

    let packet = |number| PacketRef {
        number,
        timestamp: 1_700_000_000_000_000_000 + u64::from(number),
    };
    let stream = |frames: Vec<Vec<u8>>, gaps: Vec<Gap>| {
        let mut s = Stream {
            start: StreamStart::Syn,
            gaps,
            ..Stream::default()
        };
        for (i, f) in frames.into_iter().enumerate() {
            s.segments.push(SegmentRecord {
                offset: s.data.len(),
                len: f.len(),
                packet: packet(i as u32 * 2 + 1),
            });
            s.data.extend(f);
        }
        s
    };
    let bytes = |f: FrameRepr<'_>| f.to_bytes().unwrap();
    let haproxy = stream(
        vec![
            bytes(FrameRepr::haproxy_hello(16380, "pipelining", None, false)),
            bytes(FrameRepr::notify(1, 1, Vec::new())),
        ],
        Vec::new(),
    );
    let hello = bytes(FrameRepr::agent_hello("2.0", 16380, "pipelining"));
    let end = hello.len();
    let gap = Gap {
        at: end,
        missing: 1 << 63,
        resumed_by: packet(4),
    };
    let agent = stream(vec![hello], vec![gap, gap]);
    let bundle = Bundle {
        origin: "pcap file".into(),
        packets: 4,
        other_connections: 0,
        connections: vec![SpopConnection {
            id: 0,
            haproxy: None,
            agent: None,
            detection: Detection::Port(12345),
            streams: [haproxy, agent],
            first: packet(1),
            last: packet(4),
        }],
        attempts: Vec::new(),
        first_packet: None,
        text_warnings: Vec::new(),
        state: Vec::new(),
    };
    let capture = load(&bundle.to_bytes(), &LoadOptions::default()).unwrap();
    let a = analyze(capture, &AnalysisOptions::default());
    let x004: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code() == "SPOP-X004")
        .collect();
    assert_eq!(x004.len(), 1, "{:?}", a.findings);
    assert_eq!(x004[0].severity, Severity::Info, "{}", x004[0].message);
    assert!(
        x004[0].message.contains(&format!("{} byte(s)", u64::MAX)),
        "{}",
        x004[0].message
    );
}

/// One rule for a bundle's TCP connection count natively and in the browser: at most
/// `u32::MAX` (2^63 was accepted by the CLI and refused by the page, where `usize` has 32
/// bits).
#[test]
fn other_connections_beyond_u32_are_refused_everywhere() {
    let capture = load(&fixture("haproxy34-clean.pcap"), &LoadOptions::default()).unwrap();
    let mut bundle = Bundle::from_capture(&capture);
    for (n, ok) in [
        (u32::MAX as usize, true),
        (1usize << 32, false),
        (1usize << 63, false),
    ] {
        bundle.other_connections = n;
        match Bundle::from_bytes(&bundle.to_bytes()) {
            Ok(b) => assert!(ok && b.other_connections == n, "{n} accepted"),
            Err(e) => assert!(
                !ok && matches!(
                    e,
                    ShareError::Malformed {
                        what: "other connections",
                        ..
                    }
                ),
                "{n}: {e}"
            ),
        }
    }
}

/// A bundle of the first two connections of `incidents/tcp-events.pcap` (zero window, window
/// open, retransmission, SYN, FIN, RST), written by spop-inspect before TCP events had a
/// window-full kind (the commit before it, 4adf3cf): format 2 as it was.
const FORMAT_2_BEFORE_WINDOW_FULL: [&str; 10] = [
    "U1BPUEICzVTPaxNBFJ6d7ea3iW3ViL9aITn0sGV3mzamJw_5L3ra7E7i4GazZFMVPQQFhSIeeujBgrUaivQkKlJBSk",
    "SpIXoTWigYMBQRFOujKFSs4G42RhJ_EMGDs-yw75u335vvzcd4DUU2BtNUIwMIZm5dmf36oPYQ4aAoDNuPOB4TrPE9",
    "lMZFaSQ2yjCoD6bLzwIfMULoHGNN1ttnThpGLl8gKn-K5E2a000PKw0Lwax8hk_n5SzhTXqWsDvgClhF5RTVaIES0-",
    "MzqEE0qlM94yV6huqEp6onMqrE42pCVHlhJDHGx-",
    "KyxKfkeIInYkpMpyUpPhY7ZlUeZO3yDBNSThDlJK9olOgFnhoMpobrEcK-Vg7bRQ73x5wodqT6zYJcmDR5JacSFrmz",
    "xDTlDPG49Fw-K2scKvZAbclXjLjg_uLRUsQD9Q8bqBLZBXe2N_3vhkKwcKkcsDbdC-_XngYsToQt2mZ41wqPE6eQu9",
    "nJv26k9Xt_xmkMw2K3rGm500TtbcHsr2GuE46mu1Oc5OD8fDAZ9sG1rRI3EQ5A_cVNfz4chNVXW_6pod1Q3XxsS3aM",
    "Y1NyCMPMG9zjhvXpKOeFz1PzHOuH5bdz_mZWuwulTheG4Wr9njAAK3M7QuV_MaK7C5N5f5_DouIBuDhbFoqRQ1C7vC",
    "aUIkdg_TUItrCGPEf1xD81ibvt2DFKHoTFC0-EZPgwLLys2bUZp80Np-6H5eqSgB2k7aoQf7oq-",
    "uHGl0poD6xsPA85u23MDuwEPxax89nOKHYw7oXV69W-ffBp-7bQYsTIgdkW3hyMvf4N",
];

/// Bundles written before the window-full kind still read, with the same TCP events as the
/// capture they came from, read today.
#[test]
fn a_format_2_bundle_from_before_window_full_reads_the_same() {
    use spop_codec::capture::tcp::TcpEventKind;
    let bundle = Bundle::from_text(&FORMAT_2_BEFORE_WINDOW_FULL.concat()).unwrap();
    let old = bundle.to_capture();
    let bytes = fixture("incidents/tcp-events.pcap");
    let now = load(&bytes, &LoadOptions::default()).unwrap();
    assert_eq!(old.connections.len(), 2);
    let events = |c: &spop_codec::capture::spop::SpopConnection| {
        c.tcp_events()
            .map(|(d, e)| (d, e.kind, e.packet))
            .collect::<Vec<_>>()
    };
    for (o, n) in old.connections.iter().zip(&now.connections) {
        assert_eq!(events(o), events(n));
    }
    let kinds: Vec<TcpEventKind> = old
        .connections
        .iter()
        .flat_map(|c| c.tcp_events().map(|(_, e)| e.kind))
        .collect();
    assert!(
        kinds.contains(&TcpEventKind::ZeroWindow) && kinds.contains(&TcpEventKind::Retransmission)
    );
}

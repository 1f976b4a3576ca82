//! The analysis of the real corpus: clean and pyagent captures give no error and no warning;
//! the interleaved capture gives SPOP-F010 on the right frame with the right embedded frames,
//! and the rest of each connection still decodes.

use spop_codec::analysis::{analyze, Analysis, AnalysisOptions, EndReason, Generation, Severity};
use spop_codec::capture::{load, LoadOptions};
use spop_codec::wire::{Capability, Direction, FrameType};

fn analysis(name: &str) -> Analysis {
    let bytes = std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    analyze(
        load(&bytes, &LoadOptions::default()).unwrap(),
        &AnalysisOptions::default(),
    )
}

fn codes(a: &Analysis, severity: Severity) -> Vec<&'static str> {
    a.findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.code())
        .collect()
}

#[test]
fn clean_captures_have_no_error_and_no_warning() {
    for name in [
        "haproxy26-clean.pcap",
        "haproxy26-pyagent.pcap",
        "haproxy34-clean.pcap",
        "haproxy34-clean.pcapng",
    ] {
        let a = analysis(name);
        assert_eq!(
            codes(&a, Severity::Error),
            Vec::<&str>::new(),
            "{name}: errors {:#?}",
            a.findings
        );
        assert_eq!(
            codes(&a, Severity::Warning),
            Vec::<&str>::new(),
            "{name}: warnings {:#?}",
            a.findings
        );
        for c in &a.connections {
            assert!(
                c.pairs.iter().all(|p| p.ack.is_some()),
                "{name}: every NOTIFY paired"
            );
            assert!(c.pairs.iter().all(|p| p.latency.is_some()));
            assert_eq!(c.negotiated_max_frame_size, Some(16380));
        }
    }
}

#[test]
fn generations_and_evidence() {
    let legacy = analysis("haproxy26-clean.pcap");
    assert!(legacy
        .connections
        .iter()
        .all(|c| c.generation == Generation::Legacy && !c.generation_evidence.is_empty()));
    assert_eq!(
        legacy.connections[0].agreed_capabilities,
        [Capability::Pipelining]
    );
    let modern = analysis("haproxy34-clean.pcapng");
    assert_eq!(modern.connections[0].generation, Generation::Modern);
    assert_eq!(modern.connections[0].pairs.len(), 5);
    assert!(matches!(
        modern.connections[0].end_reason,
        EndReason::Fin {
            by: Direction::HaproxyToAgent
        }
    ));
    // The timeline is ordered by time across connections.
    let a = analysis("haproxy26-clean.pcap");
    assert!(a
        .frames
        .windows(2)
        .all(|w| (w[0].time, w[0].packet) <= (w[1].time, w[1].packet)));
    assert!(
        a.frames.iter().any(|f| f.connection == 1) && a.frames.first().unwrap().connection == 0
    );
}

#[test]
fn pyagent_typed_var_name_is_info_only() {
    let a = analysis("haproxy26-pyagent.pcap");
    assert_eq!(codes(&a, Severity::Info), ["SPOP-X010"; 5]);
}

#[test]
fn interleaved_disconnect_is_explained() {
    let a = analysis("haproxy26-interleaved-disconnect.pcap");
    let f010: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code() == "SPOP-F010")
        .collect();
    assert_eq!(f010.len(), 2, "two of the three connections");
    let f = f010[0];
    assert_eq!(
        f.message,
        "AGENT-DISCONNECT (57 bytes, offset 0x56) contains 2 complete ACK frames (stream 4/frame 1 at +9, stream 4/frame 1 at +27); the DISCONNECT's own bytes resume at +45 — two writers interleaved their output"
    );
    // Under the DISCONNECT; pointing at the embedded ACKs.
    let outer = &a.frames[f.frames[0]];
    assert_eq!(outer.frame_type, FrameType::AgentDisconnect);
    assert_eq!(outer.offset(), 0x56);
    for &i in &f.frames[1..] {
        assert_eq!(a.frames[i].frame_type, FrameType::Ack);
        assert_eq!(a.frames[i].outer(), Some(outer.index));
    }
    // Highlights: the DISCONNECT's head (9 bytes) and tail, and both ACKs (18 bytes each).
    let spans: Vec<(usize, usize)> = f
        .locations
        .iter()
        .map(|l| (l.span.start, l.span.len()))
        .collect();
    assert_eq!(
        spans,
        [
            (0x56, 9),
            (0x56 + 45, 16 + 36),
            (0x56 + 9, 18),
            (0x56 + 27, 18)
        ]
    );
    // The rest of each connection decodes: HAProxy's frames and the agent's earlier ones.
    for c in &a.connections[..2] {
        assert_eq!(c.frames_to_agent, 3);
        assert_eq!(c.frames_to_haproxy, 5);
        assert!(matches!(
            c.end_reason,
            EndReason::Disconnect {
                by: Direction::AgentToHaproxy,
                status: Some(0),
                ..
            }
        ));
    }
    assert_eq!(a.connections[2].errors, 0);
    // Also: ACKs after the agent's DISCONNECT (the seed incident) and the duplicate ACK.
    let all: Vec<&str> = a.findings.iter().map(|f| f.code()).collect();
    assert!(all.contains(&"SPOP-T001") && all.contains(&"SPOP-X002"));
}

/// Progress reports go through every stage in order, end at the rules, and the observed load
/// gives exactly what the plain one does.
#[test]
fn progress_is_reported_in_order_and_changes_nothing() {
    use spop_codec::analysis::analyze_with_progress;
    use spop_codec::capture::load_with_progress;
    use spop_codec::Progress;
    for name in [
        "haproxy26-interleaved-disconnect.pcap",
        "haproxy34-clean.pcapng",
    ] {
        let bytes =
            std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut seen = Vec::new();
        let capture =
            load_with_progress(&bytes, &LoadOptions::default(), &mut |p| seen.push(p)).unwrap();
        let observed =
            analyze_with_progress(capture, &AnalysisOptions::default(), &mut |p| seen.push(p));
        let fractions: Vec<f64> = seen.iter().map(Progress::fraction).collect();
        assert!(
            fractions.windows(2).all(|w| w[0] <= w[1]),
            "{name}: {seen:?}"
        );
        assert!(seen.contains(&Progress::Packets {
            done: bytes.len(),
            total: bytes.len()
        }));
        assert!(seen
            .iter()
            .any(|p| matches!(p, Progress::Connections { .. })));
        assert!(seen.iter().any(|p| matches!(p, Progress::Timeline { .. })));
        assert!(matches!(seen.last(), Some(&Progress::Rules { done, total }) if done == total));
        let plain = analysis(name);
        assert_eq!(observed.frames, plain.frames);
        assert_eq!(observed.findings, plain.findings);
    }
}

#[test]
fn frame_types_and_latencies_match_the_frames() {
    for name in [
        "haproxy26-clean.pcap",
        "haproxy26-pyagent.pcap",
        "haproxy34-clean.pcap",
        "haproxy34-clean.pcapng",
        "haproxy26-interleaved-disconnect.pcap",
    ] {
        let a = analysis(name);
        // The set noted while building the timeline is the set the frames have.
        let mut want: Vec<u8> = a.frames.iter().map(|e| e.frame_type.as_u8()).collect();
        want.sort_unstable();
        want.dedup();
        let got: Vec<u8> = a.frame_types().map(|t| t.as_u8()).collect();
        assert_eq!(got, want, "{name}");
        assert!(got.contains(&FrameType::Notify.as_u8()), "{name}");
        // Median and maximum by the definition (sorting; an even count takes the mean of the
        // two middle values), against the selection.
        for c in &a.connections {
            let mut l: Vec<u64> = c.pairs.iter().filter_map(|p| p.latency).collect();
            l.sort_unstable();
            let n = l.len();
            let median = match n {
                0 => None,
                _ if n % 2 == 1 => Some(l[n / 2]),
                _ => Some((l[n / 2 - 1] + l[n / 2]) / 2),
            };
            let want = median.zip(l.last().copied());
            assert_eq!(c.latency(), want, "{name} connection {}", c.id);
        }
    }
}

#[test]
fn captures_have_times_and_pasted_streams_do_not() {
    for name in [
        "haproxy26-clean.pcap",
        "haproxy34-clean.pcapng",
        "incidents/reload.pcap",
    ] {
        assert!(analysis(name).has_times(), "{name}");
    }
    // Text without timestamps: a raw stream, and a tshark Follow dump of two streams.
    for name in [
        "text/xxd.haproxy34-clean.c2s.txt",
        "text/tshark-follow-raw.haproxy34-clean.txt",
    ] {
        let a = analysis(name);
        assert!(!a.frames.is_empty(), "{name}");
        assert!(!a.has_times(), "{name}");
    }
    // A text dump with timestamps has them.
    assert!(analysis("text/tcpdump-XX-tttt.haproxy26-clean.txt").has_times());
}

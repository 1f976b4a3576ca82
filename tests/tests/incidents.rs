//! The incident captures of `tests/fixtures/incidents` (real HAProxy 2.6 with a faulty or
//! slow agent, recorded by its `record.sh`; see its README) load, and the capture-level facts
//! the engine exposes agree with `expected.json`, which `facts.py` measured with tshark and
//! its own frame parser, independently of the engine.

use std::path::Path;

use serde_json::Value;
use spop_codec::analysis::{analyze, Analysis, AnalysisOptions, Finding};
use spop_codec::capture::{load, AttemptOutcome, Capture, LoadOptions};
use spop_codec::wire::{decode_frame, Direction, Limits, Status};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/incidents");

/// Captures of the folder made by a generator rather than recorded.
const GENERATED: &[&str] = &["tcp-events.pcap"];

fn expected() -> serde_json::Map<String, Value> {
    let path = Path::new(DIR).join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("expected.json is JSON");
    doc["captures"].as_object().expect("captures").clone()
}

fn num(facts: &Value, key: &str) -> u64 {
    facts[key]
        .as_u64()
        .unwrap_or_else(|| panic!("expected.json: {key} is not a number"))
}

fn capture(name: &str) -> (Vec<u8>, Capture) {
    let bytes = std::fs::read(Path::new(DIR).join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let cap = load(&bytes, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    (bytes, cap)
}

/// Every capture in the folder has its facts, and every capture with facts is there.
#[test]
fn expected_json_covers_every_capture() {
    let mut on_disk: Vec<String> = std::fs::read_dir(DIR)
        .expect("tests/fixtures/incidents")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        // Written by a generator, not recorded (`gen-tcp-events`): no measured facts.
        .filter(|n| !GENERATED.contains(&n.as_str()))
        .collect();
    on_disk.sort();
    let mut described: Vec<String> = expected().keys().cloned().collect();
    described.sort();
    assert_eq!(on_disk, described);
    assert!(on_disk.len() >= 7, "incident captures: {on_disk:?}");
}

/// Each capture loads whole (no file error, no unusable packet) with the packet count and the
/// split between SPOP connections and other TCP connections (refused attempts, connections
/// that never carried SPOP) that tshark measured.
#[test]
fn every_incident_capture_loads_with_its_measured_connections() {
    for (name, facts) in expected() {
        let (bytes, cap) = capture(&name);
        assert_eq!(
            bytes.len() as u64,
            num(&facts, "file_bytes"),
            "{name}: file size"
        );
        assert!(cap.file_error.is_none(), "{name}: {:?}", cap.file_error);
        assert_eq!(cap.note_count, 0, "{name}: {:?}", cap.notes);
        assert_eq!(cap.non_tcp_packets, 0, "{name}");
        assert_eq!(
            u64::from(cap.packets),
            num(&facts, "packets"),
            "{name}: packets"
        );
        assert_eq!(
            cap.connections.len() as u64,
            num(&facts, "spop_connections"),
            "{name}: SPOP connections"
        );
        // Connections to the agent without SPOP are its attempts, not other traffic.
        assert_eq!(cap.other_connections, 0, "{name}: other connections");
        assert_eq!(
            cap.attempts.len() as u64,
            num(&facts, "connections_without_spop"),
            "{name}: attempts"
        );
        assert_eq!(
            (cap.connections.len() + cap.attempts.len()) as u64,
            num(&facts, "tcp_connections"),
            "{name}: TCP connections"
        );
        let refused: Vec<_> = cap
            .attempts
            .iter()
            .filter(|t| t.outcome() == AttemptOutcome::Refused)
            .collect();
        assert_eq!(
            refused.len() as u64,
            num(&facts["refused"], "count"),
            "{name}: refused attempts"
        );
    }
}

/// The frames the engine cuts from the streams: as many of each type, and the same largest
/// LENGTH per direction, as facts.py's parser found; frames above the negotiated
/// max-frame-size (the oversized-ack capture) included, since their bytes are all there.
#[test]
fn every_incident_capture_has_its_measured_frames() {
    for (name, facts) in expected() {
        let (_, cap) = capture(&name);
        let mut counts = std::collections::BTreeMap::<String, u64>::new();
        let mut max = [0u64; 2];
        for c in &cap.connections {
            for (i, dir) in [Direction::HaproxyToAgent, Direction::AgentToHaproxy]
                .into_iter()
                .enumerate()
            {
                let data = &c.stream(dir).data;
                for item in c.items(dir) {
                    let Some(bytes) = item.frame_bytes(data) else {
                        continue;
                    };
                    let Ok(Status::Complete(f)) =
                        decode_frame(&bytes, item.offset(), Limits::default())
                    else {
                        panic!("{name}: a frame item that does not decode: {item}")
                    };
                    // The frame type's name as HAProxy's source spells it, as facts.py does.
                    let ty = f.frame_type().to_string();
                    *counts.entry(ty).or_default() += 1;
                    max[i] = max[i].max(bytes.len() as u64 - 4);
                }
            }
        }
        let mut want: std::collections::BTreeMap<String, u64> = facts["frames"]
            .as_object()
            .expect("frames")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        want.retain(|_, n| *n > 0);
        assert_eq!(counts, want, "{name}: frames by type");
        let lengths = &facts["max_length"];
        for (i, key) in ["haproxy_to_agent", "agent_to_haproxy"]
            .into_iter()
            .enumerate()
        {
            assert_eq!(max[i], num(lengths, key), "{name}: largest LENGTH {key}");
        }
    }
}

/// `name` analysed, with HAProxy's `timeout processing` of its recording as the threshold.
fn analysis(name: &str, facts: &Value) -> Analysis {
    let (_, cap) = capture(name);
    let slow_ack = facts["timeout_processing_s"]
        .as_f64()
        .map(|s| (s * 1e9) as u64);
    analyze(
        cap,
        &AnalysisOptions {
            slow_ack,
            ..AnalysisOptions::default()
        },
    )
}

fn fired<'a>(a: &'a Analysis, code: &str) -> Vec<&'a Finding> {
    a.findings.iter().filter(|f| f.code() == code).collect()
}

/// What happened around the frames, as the engine tells it, agrees with what tshark and the
/// logs measured: refused connects (count and time range in the message), NOTIFYs never
/// answered, ACKs after HAProxy's FIN or DISCONNECT, ACKs later than `timeout processing`.
#[test]
fn every_incident_is_told_as_measured() {
    for (name, facts) in expected() {
        let a = analysis(&name, &facts);
        let refused = num(&facts["refused"], "count");
        let n001 = fired(&a, "SPOP-N001");
        if refused == 0 {
            assert!(n001.is_empty(), "{name}: {n001:?}");
        } else {
            assert_eq!(n001.len(), 1, "{name}: one N001 per agent");
            let r = &facts["refused"];
            let want = format!(
                "{refused} connection attempts to 127.0.0.1:12345 were refused (RST to SYN) between {:.3} s and {:.3} s",
                r["first_syn_s"].as_f64().unwrap(),
                r["last_syn_s"].as_f64().unwrap()
            );
            assert!(
                n001[0].message.contains(&want),
                "{name}: {}\nwant {want}",
                n001[0].message
            );
            assert!(a
                .findings
                .iter()
                .any(|f| f.severity == spop_codec::analysis::Severity::Error));
        }
        // NOTIFYs never answered: the same ids.
        let want: Vec<(u64, u64)> = facts["unanswered_notifies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["stream_id"].as_u64().unwrap(),
                    u["frame_id"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut got: Vec<(u64, u64)> = fired(&a, "SPOP-X004")
            .iter()
            .map(|f| {
                let e = &a.frames[f.frames[0]];
                (e.stream_id, e.frame_id)
            })
            .collect();
        got.sort();
        let mut want_sorted = want.clone();
        want_sorted.sort();
        assert_eq!(got, want_sorted, "{name}: unanswered NOTIFYs");
        // ACKs HAProxy never read: after its FIN (N002) or its DISCONNECT (T002).
        for late in facts["acks_after_haproxy_close"].as_array().unwrap() {
            let ids = (
                late["stream_id"].as_u64().unwrap(),
                late["frame_id"].as_u64().unwrap(),
            );
            let after_fin = late["after"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == "haproxy FIN");
            let code = if after_fin { "SPOP-N002" } else { "SPOP-T002" };
            assert!(
                fired(&a, code).iter().any(|f| {
                    let e = &a.frames[f.frames[0]];
                    (e.stream_id, e.frame_id) == ids
                }),
                "{name}: {code} for the ACK {ids:?}"
            );
        }
        // ACKs later than `timeout processing`.
        if let Some(n) = facts["acks_later_than_timeout_processing"].as_u64() {
            assert_eq!(fired(&a, "SPOP-X008").len() as u64, n, "{name}: slow ACKs");
        }
    }
}

/// The agent-down capture's verdict starts with the agent being unreachable.
#[test]
fn the_agent_down_verdict_says_so_first() {
    let facts = expected()["agent-down.pcap"].clone();
    let mut a = analysis("agent-down.pcap", &facts);
    a.check(&mut |_| {});
    let v = spop_codec::analysis::verdict(&a);
    assert!(
        v[0].text.starts_with("The agent at 127.0.0.1:12345 could not be reached: 44 connection attempts failed from 2.5 s to 8.4 s"),
        "{v:#?}"
    );
    assert_eq!(a.findings[v[0].findings[0]].code(), "SPOP-N001");
}

/// The generated capture is what `gen-tcp-events` writes (so the file tested here and in the
/// browser tests is the generator's), and read from that file, the engine finds its one full
/// window where HAProxy's second NOTIFY on the window-scaled connection reaches the edge of the
/// agent's window (the agent's raw window × 4), and the zero window right after it, whose
/// finding names the full window. tshark's `tcp.analysis.window_full` flags that packet alone.
#[test]
fn the_generated_capture_has_its_full_window_before_the_zero_window() {
    use spop_codec::capture::tcp::TcpEventKind;
    let (bytes, cap) = capture("tcp-events.pcap");
    let out = std::env::temp_dir().join(format!("gen-tcp-events-{}.pcap", std::process::id()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_gen-tcp-events"))
        .arg(&out)
        .status()
        .expect("gen-tcp-events runs");
    assert!(status.success());
    let written = std::fs::read(&out).expect("gen-tcp-events wrote its capture");
    let _ = std::fs::remove_file(&out);
    assert!(
        written == bytes,
        "tests/fixtures/incidents/tcp-events.pcap is not what gen-tcp-events writes: regenerate it"
    );
    let a = analyze(cap, &AnalysisOptions::default());
    let full: Vec<(usize, Direction, u32)> = a
        .capture
        .connections
        .iter()
        .flat_map(|c| {
            c.tcp_events()
                .filter(|(_, e)| e.kind == TcpEventKind::WindowFull)
                .map(move |(d, e)| (c.id, d, e.packet.number))
        })
        .collect();
    assert_eq!(full, [(2, Direction::HaproxyToAgent, 39)]);
    // The packet completes HAProxy's NOTIFY 13, which ends exactly at the window's edge.
    let notify = a
        .frames
        .iter()
        .find(|e| e.packet == 39)
        .expect("a frame completed by packet 39");
    assert_eq!((notify.connection, notify.stream_id), (2, 13));
    let zero: Vec<&Finding> = fired(&a, "SPOP-N007")
        .into_iter()
        .filter(|f| f.connection == Some(2))
        .collect();
    assert_eq!(zero.len(), 1);
    assert!(
        zero[0]
            .message
            .ends_with("after HAProxy had filled its window (window full, packet #39)"),
        "{}",
        zero[0].message
    );
    // The first connection's zero window came without a full window.
    let first = fired(&a, "SPOP-N007");
    assert!(first
        .iter()
        .filter(|f| f.connection == Some(0))
        .all(|f| !f.message.contains("window full")));
}

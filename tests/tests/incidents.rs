//! The incident captures of `tests/fixtures/incidents` (real HAProxy 2.6 with a faulty or
//! slow agent, recorded by its `record.sh`; see its README) load, and the capture-level facts
//! the engine exposes agree with `expected.json`, which `facts.py` measured with tshark and
//! its own frame parser, independently of the engine.

use std::path::Path;

use serde_json::Value;
use spop_codec::capture::{load, Capture, LoadOptions};
use spop_codec::wire::{decode_frame, Direction, FrameType, Limits, Status};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/incidents");

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
        assert_eq!(
            cap.other_connections as u64,
            num(&facts, "connections_without_spop"),
            "{name}: other connections"
        );
        assert_eq!(
            (cap.connections.len() + cap.other_connections) as u64,
            num(&facts, "tcp_connections"),
            "{name}: TCP connections"
        );
    }
}

/// The frames the engine cuts from the streams: as many of each type, and the same largest
/// LENGTH per direction, as facts.py's parser found. Frames above the negotiated
/// max-frame-size (`frames_above_max_frame_size`, the oversized-ack capture) are left out of
/// the comparison: today's engine reports their bytes as skipped, not as a frame.
#[test]
fn every_incident_capture_has_its_measured_frames() {
    for (name, facts) in expected() {
        let (_, cap) = capture(&name);
        let oversized = facts["frames_above_max_frame_size"]
            .as_array()
            .expect("frames_above_max_frame_size");
        let mut counts = std::collections::BTreeMap::<&str, u64>::new();
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
                    let ty = match f.frame_type() {
                        FrameType::HaproxyHello => "HAPROXY-HELLO",
                        FrameType::HaproxyDisconnect => "HAPROXY-DISCONNECT",
                        FrameType::Notify => "NOTIFY",
                        FrameType::AgentHello => "AGENT-HELLO",
                        FrameType::AgentDisconnect => "AGENT-DISCONNECT",
                        FrameType::Ack => "ACK",
                        other => panic!("{name}: unexpected frame type {other:?}"),
                    };
                    *counts.entry(ty).or_default() += 1;
                    max[i] = max[i].max(bytes.len() as u64 - 4);
                }
            }
        }
        let mut want: std::collections::BTreeMap<&str, u64> = facts["frames"]
            .as_object()
            .expect("frames")
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_u64().unwrap()))
            .collect();
        for o in oversized {
            *want.get_mut(o["frame"].as_str().unwrap()).unwrap() -= 1;
        }
        want.retain(|_, n| *n > 0);
        assert_eq!(counts, want, "{name}: frames by type");
        let lengths = &facts["max_length"];
        for (i, key) in ["haproxy_to_agent", "agent_to_haproxy"]
            .into_iter()
            .enumerate()
        {
            if oversized.iter().any(|o| o["direction"] == key) {
                assert!(max[i] < num(lengths, key), "{name}: {key}");
            } else {
                assert_eq!(max[i], num(lengths, key), "{name}: largest LENGTH {key}");
            }
        }
    }
}

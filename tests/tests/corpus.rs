//! Every real capture of the shared corpus (tests/fixtures, see its README) decodes
//! completely: the frame counts per connection and direction the README describes, no gaps,
//! no undecoded bytes, every NOTIFY paired with its ACK.

use spop_codec::capture::spop::{SpopConnection, StreamItem};
use spop_codec::capture::{load, Capture, LoadOptions};
use spop_codec::wire::{decode_frame, Direction, FrameType, Limits, Payload, Status};

const H2A: Direction = Direction::HaproxyToAgent;
const A2H: Direction = Direction::AgentToHaproxy;

fn fixture(name: &str) -> Capture {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    load(&bytes, &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct F {
    ty: FrameType,
    sid: u64,
    fid: u64,
    split: bool,
    time: u64,
    segments: u32,
}

/// The frames of one direction; asserts every byte of the stream belongs to a frame.
fn frames(c: &SpopConnection, dir: Direction) -> Vec<F> {
    let data = &c.stream(dir).data;
    let mut covered = 0;
    let mut out = Vec::new();
    for item in c.items(dir) {
        let bytes = item
            .frame_bytes(data)
            .unwrap_or_else(|| panic!("not a frame: {item}"));
        let Ok(Status::Complete(f)) = decode_frame(&bytes, item.offset(), Limits::default()) else {
            panic!("frame does not decode: {item}")
        };
        assert!(
            f.payload_error().is_none() || f.frame_type() == FrameType::Ack,
            "{:?}",
            f.payload_error()
        );
        let (split, time, segments) = match item {
            StreamItem::Frame(r) => (false, r.completed_by.timestamp, r.segments),
            StreamItem::Split(r) => (true, r.completed_by.timestamp, 0),
            _ => unreachable!(),
        };
        covered += bytes.len();
        out.push(F {
            ty: f.frame_type(),
            sid: f.stream_id(),
            fid: f.frame_id(),
            split,
            time,
            segments,
        });
    }
    assert_eq!(
        covered,
        data.len(),
        "every byte of the stream is in a frame"
    );
    assert!(c.stream(dir).gaps.is_empty());
    out
}

fn types(fs: &[F]) -> Vec<FrameType> {
    fs.iter().map(|f| f.ty).collect()
}

fn ids(fs: &[F], ty: FrameType) -> Vec<(u64, u64)> {
    fs.iter()
        .filter(|f| f.ty == ty)
        .map(|f| (f.sid, f.fid))
        .collect()
}

/// Every NOTIFY has exactly one ACK with its ids on the same connection, after it.
fn assert_paired(c: &SpopConnection) {
    let h = frames(c, H2A);
    let a = frames(c, A2H);
    for n in h.iter().filter(|f| f.ty == FrameType::Notify) {
        let acks: Vec<_> = a
            .iter()
            .filter(|f| f.ty == FrameType::Ack && (f.sid, f.fid) == (n.sid, n.fid))
            .collect();
        assert_eq!(
            acks.len(),
            1,
            "NOTIFY {}/{} on connection {}",
            n.sid,
            n.fid,
            c.id
        );
        assert!(acks[0].time >= n.time);
    }
}

use FrameType::*;

#[test]
fn haproxy26_clean() {
    let cap = fixture("haproxy26-clean.pcap");
    assert_eq!(
        (cap.packets, cap.connections.len(), cap.other_connections),
        (34, 2, 0)
    );
    // 6 requests over 2 connections; stream-ids from HAProxy ≤3.0's global counter.
    let expected = [[(0, 1), (4, 1), (6, 1)], [(2, 1), (5, 1), (7, 1)]];
    for (c, want) in cap.connections.iter().zip(expected) {
        assert_eq!(
            types(&frames(c, H2A)),
            [HaproxyHello, Notify, Notify, Notify]
        );
        assert_eq!(types(&frames(c, A2H)), [AgentHello, Ack, Ack, Ack]);
        assert_eq!(ids(&frames(c, H2A), Notify), want);
        assert_paired(c);
    }
}

#[test]
fn haproxy26_pyagent() {
    let cap = fixture("haproxy26-pyagent.pcap");
    assert_eq!((cap.packets, cap.connections.len()), (54, 2));
    let [c0, c1] = &cap.connections[..] else {
        panic!()
    };
    assert_eq!(
        types(&frames(c0, H2A)),
        [HaproxyHello, Notify, Notify, Notify]
    );
    assert_eq!(types(&frames(c0, A2H)), [AgentHello, Ack, Ack, Ack]);
    assert_eq!(types(&frames(c1, H2A)), [HaproxyHello, Notify, Notify]);
    assert_eq!(types(&frames(c1, A2H)), [AgentHello, Ack, Ack]);
    for c in [c0, c1] {
        assert_paired(c);
        // The agent writes length, header and payload separately: every agent frame spans 3
        // TCP segments.
        assert!(frames(c, A2H).iter().all(|f| f.segments == 3));
        // Each NOTIFY carries check-client-ip (8 arguments) and check-headers (4 arguments).
        let data = &c.stream(H2A).data;
        for item in c.items(H2A).into_iter().skip(1) {
            let bytes = item.frame_bytes(data).unwrap();
            let Ok(Status::Complete(f)) = decode_frame(&bytes, item.offset(), Limits::default())
            else {
                panic!()
            };
            let Payload::Messages(m) = f.payload() else {
                panic!()
            };
            let shape: Vec<(String, usize)> = m
                .iter()
                .map(|m| {
                    let m = m.unwrap();
                    (
                        String::from_utf8_lossy(m.name.bytes).into_owned(),
                        m.args().count(),
                    )
                })
                .collect();
            assert_eq!(
                shape,
                [
                    ("check-client-ip".to_string(), 8),
                    ("check-headers".to_string(), 4)
                ]
            );
        }
    }
}

#[test]
fn haproxy34_clean_pcap_and_pcapng() {
    let pcap = fixture("haproxy34-clean.pcap");
    let pcapng = fixture("haproxy34-clean.pcapng");
    for cap in [&pcap, &pcapng] {
        assert_eq!((cap.packets, cap.connections.len()), (21, 1));
        let c = &cap.connections[0];
        assert_eq!(
            types(&frames(c, H2A)),
            [HaproxyHello, Notify, Notify, Notify, Notify, Notify]
        );
        assert_eq!(
            types(&frames(c, A2H)),
            [AgentHello, Ack, Ack, Ack, Ack, Ack]
        );
        // HAProxy 3.1+ ids: odd stream-ids, frame-id 1.
        assert_eq!(
            ids(&frames(c, H2A), Notify),
            [(1, 1), (3, 1), (5, 1), (7, 1), (9, 1)]
        );
        assert_paired(c);
    }
    // The same capture in both formats: identical frames and timestamps.
    for dir in [H2A, A2H] {
        assert_eq!(
            frames(&pcap.connections[0], dir),
            frames(&pcapng.connections[0], dir)
        );
    }
    assert_eq!(
        pcap.connections[0].stream(H2A).data,
        pcapng.connections[0].stream(H2A).data
    );
}

#[test]
fn haproxy26_interleaved_disconnect() {
    let cap = fixture("haproxy26-interleaved-disconnect.pcap");
    assert_eq!((cap.packets, cap.connections.len()), (49, 3));
    for c in &cap.connections[..2] {
        assert_eq!(types(&frames(c, H2A)), [HaproxyHello, Notify, Notify]);
        // The second NOTIFY's answer: two ACKs written into the AGENT-DISCONNECT's bytes.
        let a = frames(c, A2H);
        assert_eq!(types(&a), [AgentHello, Ack, AgentDisconnect, Ack, Ack]);
        assert!(a[2].split && !a[3].split && !a[4].split);
        let notify = ids(&frames(c, H2A), Notify)[1];
        assert_eq!((a[3].sid, a[3].fid), notify);
        assert_eq!((a[4].sid, a[4].fid), notify);
        match c.items(A2H)[2] {
            StreamItem::Split(r) => {
                assert_eq!(
                    (r.head.start, r.head.len()),
                    (0x56, 9),
                    "length, type and flags"
                );
                assert_eq!((r.tail.start, r.head.len() + r.tail.len()), (0x56 + 45, 61));
                assert_eq!(r.embedded, 2);
            }
            ref other => panic!("{other:?}"),
        }
        assert_eq!(c.stream(A2H).fin, None);
        assert!(c.stream(H2A).rst.is_some(), "HAProxy closes the connection");
    }
    let c = &cap.connections[2];
    assert_eq!(types(&frames(c, H2A)), [HaproxyHello, Notify]);
    assert_eq!(types(&frames(c, A2H)), [AgentHello, Ack]);
    assert_paired(c);
}

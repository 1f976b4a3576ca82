//! Writes a small capture with every kind of TCP event the engine reports, for the web
//! inspector's end-to-end tests (tests/fixtures/incidents/tcp-events.pcap):
//! `gen-tcp-events OUT.pcap`.
//!
//! One SPOP connection (handshake, HELLOs, NOTIFY/ACK pairs): the agent stops reading (zero
//! window) for 200 ms and reads again, sends an ACK twice (a retransmission), HAProxy
//! disconnects and both close with FIN; then an attempt refused (RST to the SYN) and one never
//! answered (its SYN sent twice); then a second connection the agent resets; then a third whose
//! SYNs offer window scaling, where HAProxy fills the agent's small window (window full), the
//! agent stops reading (zero window) and reads again.

use std::process::ExitCode;

use spop_codec::capture::LinkType;
use spop_codec::wire::{ActionRepr, FrameRepr, FrameType, MessageRepr, Scope, Value};
use spop_tests::pcapgen::{PcapWriter, TcpConversation, TcpPacket};

/// 2023-11-14T22:13:20Z, in nanoseconds.
const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;
const HAPROXY: &str = "10.0.0.1";
const AGENT: &str = "10.0.0.2:12345";

fn frame(repr: FrameRepr<'_>) -> Vec<u8> {
    repr.to_bytes().unwrap_or_default()
}

fn notify(sid: u64) -> Vec<u8> {
    frame(FrameRepr::notify(
        sid,
        1,
        vec![MessageRepr::new(
            "check-client-ip",
            [("ip", Value::Ipv4([192, 0, 2, 10]))],
        )],
    ))
}

fn ack(sid: u64) -> Vec<u8> {
    frame(FrameRepr::ack(
        sid,
        1,
        vec![ActionRepr::set_var(
            Scope::Txn,
            "allowed",
            Value::Bool(true),
        )],
    ))
}

/// The capture's bytes.
fn capture() -> Vec<u8> {
    let mut w = PcapWriter::new(LinkType::ETHERNET).nanos();
    let mut now = T0;
    let mut put = |w: &mut PcapWriter, p: TcpPacket, after_ms: u64| {
        now += after_ms * MS;
        w.packet(now, &p.ethernet());
    };
    let mut c = TcpConversation::new(format!("{HAPROXY}:40000").as_str(), AGENT);
    for p in c.handshake() {
        put(&mut w, p, 1);
    }
    put(
        &mut w,
        c.client(frame(FrameRepr::haproxy_hello(
            16380,
            "pipelining",
            Some("5c77d91d-0396-47a2-ba79-e1b1ff227648"),
            false,
        ))),
        1,
    );
    put(
        &mut w,
        c.server(frame(FrameRepr::agent_hello("2.0", 16380, "pipelining"))),
        1,
    );
    put(&mut w, c.client(notify(1)), 5);
    // The agent stops reading, then reads again.
    put(&mut w, c.server_ack().window(0), 1);
    put(&mut w, c.client(notify(3)), 50);
    put(&mut w, c.server_ack().window(65_535), 150);
    let late = c.server(ack(1));
    put(&mut w, late.clone(), 1);
    // The same ACK again: a retransmission.
    put(&mut w, late, 200);
    put(&mut w, c.server(ack(3)), 1);
    put(&mut w, c.client(notify(5)), 20);
    put(&mut w, c.server(ack(5)), 1);
    put(
        &mut w,
        c.client(frame(FrameRepr::disconnect(
            FrameType::HaproxyDisconnect,
            0,
            "normal",
        ))),
        20,
    );
    put(
        &mut w,
        c.server(frame(FrameRepr::disconnect(
            FrameType::AgentDisconnect,
            0,
            "normal",
        ))),
        1,
    );
    put(&mut w, c.client_fin(), 1);
    put(&mut w, c.server_fin(), 1);
    // The agent is down: refused, then unanswered (the SYN sent again a second later).
    let mut refused = TcpConversation::new(format!("{HAPROXY}:40100").as_str(), AGENT);
    put(&mut w, refused.syn(), 100);
    put(&mut w, refused.server_rst(), 1);
    let mut lost = TcpConversation::new(format!("{HAPROXY}:40101").as_str(), AGENT);
    let syn = lost.syn();
    put(&mut w, syn.clone(), 100);
    put(&mut w, syn, 1000);
    // Back: a connection the agent resets after one exchange.
    let mut d = TcpConversation::new(format!("{HAPROXY}:40002").as_str(), AGENT);
    for p in d.handshake() {
        put(&mut w, p, 1);
    }
    put(
        &mut w,
        d.client(frame(FrameRepr::haproxy_hello(
            16380,
            "pipelining",
            Some("5c77d91d-0396-47a2-ba79-e1b1ff227648"),
            false,
        ))),
        1,
    );
    put(
        &mut w,
        d.server(frame(FrameRepr::agent_hello("2.0", 16380, "pipelining"))),
        1,
    );
    put(&mut w, d.client(notify(7)), 5);
    put(&mut w, d.server(ack(7)), 2);
    put(&mut w, d.client(notify(9)), 5);
    put(&mut w, d.server_rst(), 3);
    // Window scaling offered both ways (shift 7 by HAProxy, 2 by the agent): the agent's
    // windows count in units of 4 bytes after the SYNs.
    let mut e = TcpConversation::new(format!("{HAPROXY}:40003").as_str(), AGENT);
    let mut syn = e.syn();
    syn.tcp_options.extend_from_slice(&[1, 3, 3, 7]);
    put(&mut w, syn, 100);
    let mut syn_ack = e.syn_ack();
    syn_ack.tcp_options.extend_from_slice(&[1, 3, 3, 2]);
    put(&mut w, syn_ack, 1);
    put(&mut w, e.client_ack(), 1);
    put(
        &mut w,
        e.client(frame(FrameRepr::haproxy_hello(
            16380,
            "pipelining",
            Some("5c77d91d-0396-47a2-ba79-e1b1ff227648"),
            false,
        ))),
        1,
    );
    put(
        &mut w,
        e.server(frame(FrameRepr::agent_hello("2.0", 16380, "pipelining"))),
        1,
    );
    // Room for two NOTIFYs exactly: the second fills the window.
    let (first, second) = (padded_notify(11), padded_notify(13));
    let room = u16::try_from((first.len() + second.len()) / 4).unwrap_or(u16::MAX);
    put(&mut w, e.server_ack().window(room), 5);
    put(&mut w, e.client(first), 1);
    put(&mut w, e.client(second), 1);
    // The agent read nothing: its window closes, then opens 300 ms later.
    put(&mut w, e.server_ack().window(0), 1);
    put(&mut w, e.server_ack().window(4096), 300);
    put(&mut w, e.server(ack(11)), 1);
    put(&mut w, e.server(ack(13)), 1);
    put(
        &mut w,
        e.client(frame(FrameRepr::disconnect(
            FrameType::HaproxyDisconnect,
            0,
            "normal",
        ))),
        20,
    );
    put(
        &mut w,
        e.server(frame(FrameRepr::disconnect(
            FrameType::AgentDisconnect,
            0,
            "normal",
        ))),
        1,
    );
    put(&mut w, e.client_fin(), 1);
    put(&mut w, e.server_fin(), 1);
    w.finish()
}

/// A NOTIFY whose size is a multiple of 4 bytes (a padding argument of 0 to 3 bytes), so two
/// of them fill a window counted in units of 4.
fn padded_notify(sid: u64) -> Vec<u8> {
    let pad = [b'-'; 3];
    (0..4)
        .map(|n| {
            frame(FrameRepr::notify(
                sid,
                1,
                vec![MessageRepr::new(
                    "check-client-ip",
                    [
                        ("ip", Value::Ipv4([192, 0, 2, 10])),
                        ("pad", Value::String(&pad[..n])),
                    ],
                )],
            ))
        })
        .find(|f| f.len() % 4 == 0)
        .unwrap_or_default()
}

fn main() -> ExitCode {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: gen-tcp-events OUT.pcap");
        return ExitCode::from(2);
    };
    match std::fs::write(&out, capture()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-tcp-events: {out}: {e}");
            ExitCode::from(1)
        }
    }
}

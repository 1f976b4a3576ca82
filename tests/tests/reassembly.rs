//! TCP reassembly and SPOP detection through the capture layer's entry point, on synthetic
//! captures: every TCP situation a real capture throws at the decoder.

use spop_codec::capture::spop::{Detection, SkipReason, StreamItem};
use spop_codec::capture::tcp::StreamStart;
use spop_codec::capture::{load, Capture, LinkType, LoadOptions};
use spop_codec::wire::{decode_frame, Direction, FrameRepr, FrameType, Limits, Status};
use spop_tests::pcapgen::{
    Endian, InterfaceDescription, Ipv6Ext, PcapWriter, PcapngWriter, TcpConversation, TcpPacket,
    VlanTag,
};

const H2A: Direction = Direction::HaproxyToAgent;
const A2H: Direction = Direction::AgentToHaproxy;

fn hello() -> Vec<u8> {
    FrameRepr::haproxy_hello(
        16380,
        "pipelining",
        Some("5c77d91d-0396-47a2-ba79-e1b1ff227648"),
        false,
    )
    .to_bytes()
    .unwrap()
}
fn agent_hello() -> Vec<u8> {
    FrameRepr::agent_hello("2.0", 16380, "pipelining")
        .to_bytes()
        .unwrap()
}
fn ack(sid: u64) -> Vec<u8> {
    FrameRepr::ack(sid, 1, vec![]).to_bytes().unwrap()
}
fn notify(sid: u64) -> Vec<u8> {
    use spop_codec::wire::{MessageRepr, Value};
    FrameRepr::notify(
        sid,
        1,
        vec![MessageRepr::new(
            "check",
            [("ip", Value::Ipv4([10, 0, 0, 1]))],
        )],
    )
    .to_bytes()
    .unwrap()
}

/// Writes packets (1 ms apart) as an Ethernet pcap and loads it.
fn capture(packets: &[TcpPacket]) -> Capture {
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    for (i, p) in packets.iter().enumerate() {
        w.packet(
            1_700_000_000_000_000_000 + i as u64 * 1_000_000,
            &p.ethernet(),
        );
    }
    load(&w.finish(), &LoadOptions::default()).expect("loads")
}

/// (type, stream-id, packet that completed it, segments spanned) of each frame of a direction;
/// panics on anything that is not a frame.
fn frames(cap: &Capture, conn: usize, dir: Direction) -> Vec<(FrameType, u64, u32, u32)> {
    let c = &cap.connections[conn];
    let data = &c.stream(dir).data;
    c.items(dir)
        .into_iter()
        .map(|it| match it {
            StreamItem::Frame(r) => {
                let Ok(Status::Complete(f)) =
                    decode_frame(&data[r.span.range()], r.span.start, Limits::default())
                else {
                    panic!("frame record that does not decode")
                };
                (
                    f.frame_type(),
                    f.stream_id(),
                    r.completed_by.number,
                    r.segments,
                )
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn simple_conversation(c: &mut TcpConversation) -> Vec<TcpPacket> {
    let [syn, syn_ack, ack0] = c.handshake();
    vec![
        syn,
        syn_ack,
        ack0,
        c.client(hello()),
        c.server(agent_hello()),
        c.client(notify(1)),
        c.server(ack(1)),
    ]
}

#[test]
fn in_order_conversation_on_any_port() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:9999");
    let mut p = simple_conversation(&mut c);
    p.push(c.client_fin());
    p.push(c.server_fin());
    let cap = capture(&p);
    assert_eq!(cap.connections.len(), 1);
    let conn = &cap.connections[0];
    assert_eq!(
        conn.detection,
        Detection::Hello,
        "found by its HAPROXY-HELLO on port 9999"
    );
    assert_eq!(conn.haproxy.unwrap().to_string(), "10.0.0.1:40000");
    assert_eq!(conn.agent.unwrap().to_string(), "10.0.0.2:9999");
    assert_eq!(
        frames(&cap, 0, H2A),
        vec![
            (FrameType::HaproxyHello, 0, 4, 1),
            (FrameType::Notify, 1, 6, 1)
        ]
    );
    assert_eq!(
        frames(&cap, 0, A2H),
        vec![(FrameType::AgentHello, 0, 5, 1), (FrameType::Ack, 1, 7, 1)]
    );
    assert_eq!(conn.stream(H2A).fin.map(|p| p.number), Some(8));
    assert_eq!(conn.stream(A2H).fin.map(|p| p.number), Some(9));
    assert_eq!(conn.stream(H2A).start, StreamStart::Syn);
    // Timestamps come from the packet that completed each frame (1 ms apart).
    let rec = match conn.items(A2H)[1] {
        StreamItem::Frame(r) => r,
        _ => unreachable!(),
    };
    assert_eq!(
        rec.completed_by.timestamp,
        1_700_000_000_000_000_000 + 6_000_000
    );
}

#[test]
fn ports_option_names_the_agent() {
    // The agent (port 12345) is the TCP client here, HAProxy's HELLO is missing: the named
    // port decides.
    let mut c = TcpConversation::new("10.0.0.2:12345", "10.0.0.1:40000");
    let [syn, syn_ack, ack0] = c.handshake();
    let p = [syn, syn_ack, ack0, c.server(notify(1)), c.client(ack(1))];
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    for (i, p) in p.iter().enumerate() {
        w.packet(i as u64, &p.ethernet());
    }
    let bytes = w.finish();
    let auto = load(&bytes, &LoadOptions::default()).unwrap();
    assert_eq!(auto.connections[0].detection, Detection::Frames);
    let on_ports = |ports| {
        let options = LoadOptions {
            ports,
            ..LoadOptions::default()
        };
        load(&bytes, &options).unwrap()
    };
    let cap = on_ports(vec![12345]);
    let conn = &cap.connections[0];
    assert_eq!(conn.detection, Detection::Port(12345));
    assert_eq!(conn.agent.unwrap().port(), 12345);
    assert_eq!(frames(&cap, 0, H2A), vec![(FrameType::Notify, 1, 4, 1)]);
    // A port that is not in the capture: nothing is SPOP.
    let none = on_ports(vec![1]);
    assert_eq!((none.connections.len(), none.other_connections), (0, 1));
}

#[test]
fn non_spop_traffic_is_not_spop() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:80");
    let [syn, syn_ack, ack0] = c.handshake();
    let cap = capture(&[
        syn,
        syn_ack,
        ack0,
        c.client(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        c.server(b"HTTP/1.1 200 OK\r\n\r\n"),
    ]);
    assert_eq!((cap.connections.len(), cap.other_connections), (0, 1));
}

#[test]
fn out_of_order_retransmission_and_overlap() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345");
    let [syn, syn_ack, ack0] = c.handshake();
    let h = hello();
    let n1 = notify(1);
    let n3 = notify(3);
    // HELLO in two segments, sent out of order; NOTIFY 1 retransmitted; NOTIFY 3 sent as an
    // overlapping pair (the second repeats 5 bytes of the first).
    let first = c.client(&h[..50]);
    let second = c.client(&h[50..]);
    let n1p = c.client(&n1);
    let n3a = c.client(&n3[..20]);
    let n3b = TcpPacket::new(c.client, c.server)
        .seq(n3a.seq.wrapping_add(15))
        .ack(0)
        .psh()
        .payload(&n3[15..]);
    let cap = capture(&[
        syn,
        syn_ack,
        ack0,
        second,
        first.clone(),
        first,
        n1p.clone(),
        n1p,
        n3a,
        n3b,
    ]);
    let conn = &cap.connections[0];
    let s = conn.stream(H2A);
    assert_eq!(s.data, [h.clone(), n1.clone(), n3.clone()].concat());
    assert_eq!(s.retransmissions, 2);
    assert_eq!(s.conflicting_overlaps, 0);
    assert!(s.gaps.is_empty());
    // HELLO completed by packet 5 (the late first half), spanning 2 segments.
    assert_eq!(
        frames(&cap, 0, H2A),
        vec![
            (FrameType::HaproxyHello, 0, 5, 2),
            (FrameType::Notify, 1, 7, 1),
            (FrameType::Notify, 3, 10, 2),
        ]
    );
}

#[test]
fn conflicting_overlap_keeps_the_first_copy() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345");
    let [syn, syn_ack, ack0] = c.handshake();
    let h = hello();
    let seg = c.client(&h);
    let mut forged = h.clone();
    forged[20] ^= 0xFF;
    let dup = TcpPacket::new(c.client, c.server)
        .seq(seg.seq)
        .psh()
        .payload(&forged);
    let cap = capture(&[syn, syn_ack, ack0, seg, dup]);
    let s = cap.connections[0].stream(H2A);
    assert_eq!(s.data, h);
    assert_eq!((s.retransmissions, s.conflicting_overlaps), (1, 1));
}

#[test]
fn gap_is_reported_and_decoding_resumes() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345");
    let mut p = simple_conversation(&mut c);
    let lost = c.client(notify(3)); // never captured
    let n5 = c.client(notify(5));
    p.push(n5);
    let _ = lost;
    let cap = capture(&p);
    let conn = &cap.connections[0];
    let s = conn.stream(H2A);
    assert_eq!(s.gaps.len(), 1);
    assert_eq!(s.gaps[0].missing, notify(3).len() as u64);
    let items = conn.items(H2A);
    assert!(
        matches!(items[2], StreamItem::Gap { missing, .. } if missing == notify(3).len() as u64),
        "{items:?}"
    );
    match items[3] {
        StreamItem::Frame(r) => assert_eq!(r.completed_by.number, 8),
        ref other => panic!("decoding did not resume after the gap: {other:?}"),
    }
    assert_eq!(items.len(), 4);
}

#[test]
fn gap_inside_a_frame_resyncs_at_the_next_frame() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345");
    let [syn, syn_ack, ack0] = c.handshake();
    let h = hello();
    let n1 = notify(1);
    let n3 = notify(3);
    let a = c.client(&h);
    let b = c.client(&n1[..10]);
    let _lost = c.client(&n1[10..]);
    let d = c.client(&n3);
    let cap = capture(&[syn, syn_ack, ack0, a, b, d]);
    let items = cap.connections[0].items(H2A);
    assert!(
        matches!(items[1], StreamItem::Skipped { reason: SkipReason::CutByGap, span } if span.len() == 10),
        "{items:?}"
    );
    assert!(matches!(items[2], StreamItem::Gap { .. }));
    assert!(matches!(items[3], StreamItem::Frame(_)));
    assert_eq!(items.len(), 4);
}

#[test]
fn mid_stream_start_finds_the_first_frame_boundary() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345");
    let all = simple_conversation(&mut c);
    let n3 = notify(3);
    let n5 = notify(5);
    // The capture starts in the middle of NOTIFY 3 (no SYN, no HELLO).
    let tail = c.client(&n3);
    let cut = TcpPacket::new(c.client, c.server)
        .seq(tail.seq.wrapping_add(7))
        .psh()
        .payload(&n3[7..]);
    let p = vec![cut, c.client(&n5), c.server(ack(3)), c.server(ack(5))];
    drop(all);
    let cap = capture(&p);
    assert_eq!(cap.connections.len(), 1);
    let conn = &cap.connections[0];
    assert_eq!(conn.detection, Detection::Frames);
    assert_eq!(conn.stream(H2A).start, StreamStart::MidStream);
    let items = conn.items(H2A);
    assert!(
        matches!(items[0], StreamItem::Skipped { reason: SkipReason::MidStreamStart, span } if span.len() == n3.len() - 7),
        "{items:?}"
    );
    assert!(matches!(items[1], StreamItem::Frame(_)));
    assert_eq!(frames_after_skip(&cap, A2H), vec![3, 5]);
}

fn frames_after_skip(cap: &Capture, dir: Direction) -> Vec<u64> {
    let c = &cap.connections[0];
    c.items(dir)
        .iter()
        .filter_map(|it| match it {
            StreamItem::Frame(r) => {
                let data = &c.stream(dir).data;
                match decode_frame(&data[r.span.range()], 0, Limits::default()) {
                    Ok(Status::Complete(f)) => Some(f.stream_id()),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

#[test]
fn port_reuse_makes_a_new_connection() {
    let mut c1 = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345").isn(100, 200);
    let mut p = simple_conversation(&mut c1);
    p.push(c1.client_fin());
    p.push(c1.server_fin());
    let mut c2 = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345").isn(900_000, 700_000);
    p.extend(simple_conversation(&mut c2));
    let cap = capture(&p);
    assert_eq!(cap.connections.len(), 2);
    for i in 0..2 {
        assert_eq!(frames(&cap, i, H2A).len(), 2);
        assert_eq!(frames(&cap, i, A2H).len(), 2);
    }
    assert_eq!(cap.connections[1].first.number, 10);
}

/// Connections spread over threads by address pair still come out in order of their first
/// packet, numbered as one thread numbers them: here 24 connections on 5 address pairs, each
/// pair reused after a FIN, two of them overlapping in time.
#[test]
fn connections_on_reused_ports_load_the_same_on_any_number_of_threads() {
    let mut packets = Vec::new();
    for k in 0..12u32 {
        let port = |n: u32| format!("10.0.0.1:{}", 40000 + n % 5);
        let mut a =
            TcpConversation::new(port(2 * k).as_str(), "10.0.0.2:12345").isn(1000 * k, 7 * k);
        let mut b =
            TcpConversation::new(port(2 * k + 1).as_str(), "10.0.0.2:12345").isn(3 * k, 9 * k);
        let (mut pa, mut pb) = (simple_conversation(&mut a), simple_conversation(&mut b));
        pa.push(a.client_fin());
        pa.push(a.server_fin());
        pb.push(b.client_fin());
        pb.push(b.server_fin());
        // Interleaved: a's packets, then b's, one by one.
        let mut pb = pb.into_iter();
        for p in pa {
            packets.push(p);
            packets.extend(pb.next());
        }
        packets.extend(pb);
    }
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    for (i, p) in packets.iter().enumerate() {
        w.packet(1_700_000_000_000_000_000 + i as u64 * 1_000, &p.ethernet());
    }
    let bytes = w.finish();
    let load_on = |threads| {
        let options = LoadOptions {
            threads,
            ..LoadOptions::default()
        };
        load(&bytes, &options).expect("loads")
    };
    let one = load_on(1);
    assert_eq!(one.connections.len(), 24);
    assert!(one
        .connections
        .windows(2)
        .all(|w| w[0].first.number < w[1].first.number));
    for threads in [2, 3, 5] {
        assert_eq!(load_on(threads), one, "{threads} threads");
    }
}

#[test]
fn sequence_numbers_wrap_around() {
    let mut c =
        TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345").isn(u32::MAX - 60, u32::MAX - 3);
    let p = simple_conversation(&mut c);
    let cap = capture(&p);
    assert_eq!(frames(&cap, 0, H2A).len(), 2);
    assert_eq!(frames(&cap, 0, A2H).len(), 2);
    assert!(cap.connections[0].stream(H2A).gaps.is_empty());
}

#[test]
fn rst_is_recorded() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345");
    let mut p = simple_conversation(&mut c);
    p.push(c.client_rst());
    let cap = capture(&p);
    assert_eq!(
        cap.connections[0].stream(H2A).rst.map(|p| p.number),
        Some(8)
    );
}

#[test]
fn snaplen_truncation_is_a_gap_and_reported() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345");
    let p = simple_conversation(&mut c);
    let mut w = PcapWriter::new(LinkType::ETHERNET).snaplen(100);
    for (i, p) in p.iter().enumerate() {
        w.packet(i as u64 * 1000, &p.ethernet());
    }
    let cap = load(&w.finish(), &LoadOptions::default()).unwrap();
    assert!(cap.note_count >= 1, "truncated packets are reported");
    let conn = &cap.connections[0];
    let s = conn.stream(H2A);
    // The HELLO (127 bytes) was cut to 100 - 54 = 46 bytes: the rest is a gap.
    assert_eq!(
        s.truncated_bytes,
        (hello().len() - 46) as u64 + (notify(1).len().saturating_sub(46)) as u64
    );
    assert_eq!(s.gaps[0].at, 46);
    assert_eq!(s.gaps[0].missing, (hello().len() - 46) as u64);
}

/// Every link type, VLAN, IPv6 with extension headers, pcapng with nanosecond timestamps:
/// the same conversation decodes the same.
#[test]
fn link_types_ipv6_vlan_and_pcapng() {
    let conversation = |client: &str, server: &str| {
        let mut c = TcpConversation::new(client, server);
        simple_conversation(&mut c)
    };
    let v4 = conversation("192.0.2.1:40000", "192.0.2.2:12345");
    let v6: Vec<TcpPacket> = conversation("[2001:db8::1]:40000", "[2001:db8::2]:12345")
        .into_iter()
        .map(|p| p.ipv6_ext(Ipv6Ext::DestinationOptions(vec![1, 4, 0, 0, 0, 0])))
        .collect();
    let vlan: Vec<TcpPacket> = v4
        .iter()
        .cloned()
        .map(|p| p.vlan(VlanTag::dot1q(10)).vlan(VlanTag::dot1q(20)))
        .collect();
    let cases: Vec<(&str, LinkType, Vec<Vec<u8>>)> = vec![
        (
            "ethernet",
            LinkType::ETHERNET,
            v4.iter().map(TcpPacket::ethernet).collect(),
        ),
        (
            "qinq",
            LinkType::ETHERNET,
            vlan.iter().map(TcpPacket::ethernet).collect(),
        ),
        (
            "sll",
            LinkType::LINUX_SLL,
            v4.iter().map(TcpPacket::sll).collect(),
        ),
        (
            "sll2",
            LinkType::LINUX_SLL2,
            v6.iter().map(TcpPacket::sll2).collect(),
        ),
        (
            "null",
            LinkType::NULL,
            v4.iter().map(|p| p.null(Endian::Little)).collect(),
        ),
        (
            "loop",
            LinkType::LOOP,
            v6.iter().map(TcpPacket::openbsd_loop).collect(),
        ),
        ("raw", LinkType::RAW, v6.iter().map(TcpPacket::ip).collect()),
    ];
    for (name, lt, packets) in cases {
        let mut w = PcapngWriter::new(Endian::Big);
        let iface = w.interface(InterfaceDescription::new(lt).tsresol(9));
        for (i, p) in packets.iter().enumerate() {
            w.epb(iface, 1_700_000_000_123_456_789 + i as u64, p);
        }
        let cap =
            load(&w.finish(), &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(cap.connections.len(), 1, "{name}");
        assert_eq!(frames(&cap, 0, H2A).len(), 2, "{name}");
        assert_eq!(frames(&cap, 0, A2H).len(), 2, "{name}");
        let StreamItem::Frame(r) = cap.connections[0].items(A2H)[1] else {
            panic!()
        };
        assert_eq!(
            r.completed_by.timestamp,
            1_700_000_000_123_456_789 + 6,
            "{name}: nanosecond timestamps"
        );
    }
}

#[test]
fn frames_split_byte_by_byte_across_segments() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345");
    let [syn, syn_ack, ack0] = c.handshake();
    let mut p = vec![syn, syn_ack, ack0, c.client(hello())];
    // The agent writes its HELLO one byte per segment (the haproxy#3478 trigger, taken to the
    // extreme).
    for b in agent_hello() {
        p.push(c.server([b]));
    }
    let cap = capture(&p);
    assert_eq!(
        frames(&cap, 0, A2H),
        vec![(
            FrameType::AgentHello,
            0,
            p.len() as u32,
            agent_hello().len() as u32
        )]
    );
}

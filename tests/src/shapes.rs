//! Inputs shaped to exhaust the pipeline (issue 8): lengths claiming gigabytes, the densest
//! frames there are, connections by the million, pathological id reuse. Each is made at any
//! scale `n`, so tests (tests/tests/bounded.rs: memory) and the benchmark (`bench`: time per
//! MB at two scales) can show that cost grows with the input and with nothing it claims.

use spop_codec::capture::LinkType;

use crate::pcapgen::{Endian, InterfaceDescription, PcapWriter, PcapngWriter, TcpConversation};

/// The SPOP frame `ty` (flags FIN, stream `sid`, frame `fid`) with `payload`.
pub fn frame(ty: u8, sid: u8, fid: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![ty, 0, 0, 0, 1, sid, fid];
    body.extend_from_slice(payload);
    let mut f = (body.len() as u32).to_be_bytes().to_vec();
    f.extend(body);
    f
}

/// A pcap of one TCP connection carrying `to_agent` then `to_haproxy` bytes.
pub fn pcap_of(to_agent: &[u8], to_haproxy: &[u8]) -> Vec<u8> {
    let mut c = TcpConversation::new("10.1.0.1:40000", "10.1.0.2:12345");
    let mut packets: Vec<_> = c.handshake().into();
    for chunk in to_agent.chunks(1400) {
        packets.push(c.client(chunk));
    }
    for chunk in to_haproxy.chunks(1400) {
        packets.push(c.server(chunk));
    }
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    for (i, p) in packets.iter().enumerate() {
        w.packet(i as u64 * 1000, &p.ethernet());
    }
    w.finish()
}

/// A pcap record header claiming 4 GB, then `n` bytes.
pub fn pcap_record_of_4gb(n: usize) -> Vec<u8> {
    let mut pcap = PcapWriter::new(LinkType::ETHERNET).finish();
    pcap.extend_from_slice(&[0; 8]);
    pcap.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    pcap.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    pcap.resize(pcap.len() + n * 100, 0xAB);
    pcap
}

/// A pcapng block claiming 4 GB, then `n` bytes.
pub fn pcapng_block_of_4gb(n: usize) -> Vec<u8> {
    let mut w = PcapngWriter::new(Endian::Little);
    w.interface(InterfaceDescription::new(LinkType::ETHERNET));
    let mut ng = w.finish();
    ng.extend_from_slice(&6u32.to_le_bytes());
    ng.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    ng.resize(ng.len() + n * 100, 0xCD);
    ng
}

/// An SPOP LENGTH claiming 4 GB after a HELLO, then `n` bytes of zeros.
pub fn spop_length_of_4gb(n: usize) -> Vec<u8> {
    let mut s = frame(1, 0, 0, &[]);
    s.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xF0, 3, 0, 0, 0, 1, 1, 1]);
    s.resize(s.len() + n * 20, 0);
    pcap_of(&s, &frame(101, 0, 0, &[]))
}

/// `n` NOTIFYs whose message name is a STRING claiming 2^60 bytes.
pub fn string_of_2_60(n: usize) -> Vec<u8> {
    let varint_2_60 = [0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
    let mut s = frame(1, 0, 0, &[]);
    s.extend(frame(3, 1, 1, &varint_2_60).repeat(n));
    pcap_of(&s, &frame(101, 0, 0, &[]))
}

/// `n` NOTIFY/ACK pairs of minimal frames, pasted raw (the densest input there is).
pub fn minimal_frames(n: usize) -> Vec<u8> {
    [frame(3, 1, 1, &[]), frame(103, 1, 1, &[])]
        .concat()
        .repeat(n)
}

/// `n` connections that never say anything (a SYN each).
pub fn silent_connections(n: usize) -> Vec<u8> {
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    for i in 0..n as u32 {
        let client = format!(
            "10.{}.{}.{}:{}",
            2 + i / 62_500,
            (i / 250) % 250,
            i % 250 + 1,
            1024 + i % 60_000
        );
        let mut c = TcpConversation::new(client.as_str(), "10.9.9.9:12345");
        w.packet(u64::from(i) * 1000, &c.syn().ethernet());
    }
    w.finish()
}

/// `n` NOTIFYs then `n` DISCONNECTs (every DISCONNECT with every NOTIFY outstanding).
pub fn disconnects_after_notifies(n: usize) -> Vec<u8> {
    [
        frame(3, 1, 1, &[1, b'm', 0]).repeat(n),
        frame(102, 0, 0, &[]).repeat(n),
    ]
    .concat()
}

/// `n` NOTIFYs and `n` ACKs, all with the same ids.
pub fn one_id_for_all(n: usize) -> Vec<u8> {
    [
        frame(3, 1, 1, &[1, b'm', 0]).repeat(n),
        frame(103, 1, 1, &[]).repeat(n),
    ]
    .concat()
}

/// A hostile input's name and how to make it at a given scale.
pub type HostileShape = (&'static str, fn(usize) -> Vec<u8>);

/// Every hostile shape, by name.
pub const SHAPES: [HostileShape; 8] = [
    ("a pcap record claiming 4 GB", pcap_record_of_4gb),
    ("a pcapng block claiming 4 GB", pcapng_block_of_4gb),
    ("an SPOP LENGTH claiming 4 GB", spop_length_of_4gb),
    ("STRING lengths claiming 2^60 bytes", string_of_2_60),
    ("minimal frames", minimal_frames),
    ("silent connections", silent_connections),
    ("DISCONNECTs after NOTIFYs", disconnects_after_notifies),
    ("one id for every NOTIFY and ACK", one_id_for_all),
];

// -------------------------------------------------------------------------------------------
// "Hostile input, round two": small inputs that expand (a dump's `*`, a share link's deflate)
// into the most work or memory the caps allow.
// -------------------------------------------------------------------------------------------

/// The 63-byte period of point 1 (CPU): a NOTIFY header claiming `length` whose payload is
/// valid tiny messages running through every following period (30 bytes of empty messages,
/// then a message whose name covers the next period's two headers) and stopping mid-message,
/// then (at 44) a NOTIFY header claiming `length` with an undecodable STREAM-ID (ten `ff`).
/// With `length` + 4 a multiple of 63, each header's next frame is its twin in a later
/// period. A search restarted after each undecodable header validated the other one's
/// payload afresh: `length` bytes of work per 63 bytes.
pub fn resync_period(length: u32) -> Vec<u8> {
    let mut p = length.to_be_bytes().to_vec();
    p.extend_from_slice(&[3, 0, 0, 0, 1, 1, 1]);
    p.extend_from_slice(&[0; 30]);
    p.extend_from_slice(&[33, 0, 0]);
    p.extend_from_slice(&length.to_be_bytes());
    p.extend_from_slice(&[3, 0, 0, 0, 1]);
    p.extend_from_slice(&[0xff; 10]);
    assert_eq!(p.len(), 63);
    p
}

/// An `xxd` dump line: offset, 2-byte groups, the ASCII column.
fn xxd_line(offset: usize, bytes: &[u8]) -> String {
    let groups: Vec<String> = bytes
        .chunks(2)
        .map(|g| g.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    format!("{offset:08x}: {}  {}\n", groups.join(" "), ascii(bytes))
}

/// A `hexdump -C` line of up to 16 bytes.
fn hexdump_c_line(offset: usize, bytes: &[u8]) -> String {
    let hex = |b: &[u8]| {
        b.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (a, b) = bytes.split_at(bytes.len().min(8));
    format!(
        "{offset:08x}  {:<48}  |{}|\n",
        format!("{}  {}", hex(a), hex(b)),
        ascii(bytes)
    )
}

fn ascii(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

/// Point 1 as pasted: one `xxd` line of [`resync_period`] (LENGTH 1 MiB − 4), `*`, and the
/// offset where `size` bytes end (about 250 bytes of text).
pub fn resync_paste(size: usize) -> String {
    let periods = size / 63;
    format!(
        "{}*\n{:08x}:\n",
        xxd_line(0, &resync_period(1_048_568)),
        periods * 63
    )
}

/// A 16-byte NOTIFY that is a frame but broken four ways: no FIN (SPOP-F004), a reserved flag
/// (SPOP-F005), frame-id 0 (SPOP-F008), never answered (SPOP-X004).
pub const BROKEN_NOTIFY: [u8; 16] = [0, 0, 0, 12, 3, 0, 0, 0, 6, 0, 0, 5, b'x', b'y', b'z', 0];

/// Point 2 as pasted: a `hexdump -C` dump (169 bytes of text) of a valid NOTIFY (so the
/// stream's direction is known) then [`BROKEN_NOTIFY`] repeated with `*` up to `size` bytes:
/// `size / 16` frames of four findings each.
pub fn broken_frames_dump(size: usize) -> String {
    let good = frame(3, 1, 1, &[3, b'a', b'b', b'c', 0]);
    format!(
        "{}{}*\n{:08x}\n",
        hexdump_c_line(0, &good),
        hexdump_c_line(16, &BROKEN_NOTIFY),
        size / 16 * 16
    )
}

/// A share bundle of one connection (addresses and handshake unknown) whose streams are
/// these bytes, from their start, each in one segment.
pub fn bundle_of(to_agent: Vec<u8>, to_haproxy: Vec<u8>) -> spop_codec::capture::bundle::Bundle {
    use spop_codec::capture::spop::{Detection, SpopConnection};
    use spop_codec::capture::tcp::{PacketRef, SegmentRecord, Stream, StreamStart};
    let packet = PacketRef {
        number: 1,
        timestamp: 1_700_000_000_000_000_000,
    };
    let stream = |data: Vec<u8>| Stream {
        segments: if data.is_empty() {
            Vec::new()
        } else {
            vec![SegmentRecord {
                offset: 0,
                len: data.len(),
                packet,
            }]
        },
        start: StreamStart::Syn,
        data,
        ..Stream::default()
    };
    spop_codec::capture::bundle::Bundle {
        origin: "pcap file".into(),
        packets: 1,
        other_connections: 0,
        connections: vec![SpopConnection {
            id: 0,
            haproxy: None,
            agent: None,
            detection: Detection::Given,
            streams: [stream(to_agent), stream(to_haproxy)],
            first: packet,
            last: packet,
        }],
        attempts: Vec::new(),
        first_packet: None,
        text_warnings: Vec::new(),
        state: Vec::new(),
    }
}

/// Point 2 as a share bundle: `frames` 12-byte NOTIFYs broken three ways (no FIN, a
/// reserved flag, frame-id 0), one after the other.
pub fn broken_frames_bundle(frames: usize) -> spop_codec::capture::bundle::Bundle {
    let broken = [0, 0, 0, 8, 3, 0, 0, 0, 6, 0, 0, 5];
    bundle_of(broken.repeat(frames), Vec::new())
}

/// [`broken_frames_bundle`] as a share link: 5.5 M frames (the 64 MiB a bundle may inflate
/// to) fit a link of about 170 KB.
pub fn broken_frames_link(frames: usize) -> String {
    spop_codec::share::link(
        "https://spop-inspector.example/",
        &broken_frames_bundle(frames),
    )
}

/// A share bundle whose HAProxy stream is `bytes / 2` bytes of 13-byte NOTIFYs and whose
/// agent stream as many 13-byte ACKs, every one with its own two-byte ids and none answering
/// another: millions of unpaired frames with distinct ids, and unmatched ACKs on stream-ids of
/// thousands of NOTIFYs each.
pub fn unpaired_ids_bundle(bytes: usize) -> spop_codec::capture::bundle::Bundle {
    // Two-byte varints: 240..2288.
    let id = |x: usize| [0xf0 | (x & 0xf) as u8, ((x - 240) >> 4) as u8];
    let frames = |ty: u8, shift: usize| {
        let mut out = Vec::with_capacity(bytes / 2);
        for i in 0..bytes / 2 / 13 {
            out.extend_from_slice(&[0, 0, 0, 9, ty, 0, 0, 0, 1]);
            out.extend_from_slice(&id(240 + i % 2048));
            out.extend_from_slice(&id(240 + (i / 2048 + shift) % 2048));
        }
        out
    };
    bundle_of(frames(3, 0), frames(0x67, 1000))
}

/// [`unpaired_ids_bundle`] as a share link.
pub fn unpaired_ids_link(bytes: usize) -> String {
    spop_codec::share::link(
        "https://spop-inspector.example/",
        &unpaired_ids_bundle(bytes),
    )
}

/// Point 6: a bundle whose agent stream claims two gaps of 2^63 bytes after its HELLO, while
/// HAProxy's NOTIFY waits for an ACK: their sum overflowed a u64.
pub fn huge_gaps_bundle() -> spop_codec::capture::bundle::Bundle {
    use spop_codec::capture::tcp::Gap;
    use spop_codec::wire::FrameRepr;
    let bytes = |f: FrameRepr<'_>| f.to_bytes().expect("encodes");
    let mut to_agent = bytes(FrameRepr::haproxy_hello(16380, "pipelining", None, false));
    to_agent.extend(bytes(FrameRepr::notify(1, 1, Vec::new())));
    let hello = bytes(FrameRepr::agent_hello("2.0", 16380, "pipelining"));
    let at = hello.len();
    let mut b = bundle_of(to_agent, hello);
    let [_, agent] = &mut b.connections[0].streams;
    let gap = Gap {
        at,
        missing: 1 << 63,
        resumed_by: agent.segments[0].packet,
    };
    agent.gaps = vec![gap, gap];
    b
}

/// Point 4': a pcap of one connection (HELLOs with max-frame-size 16380) where the agent
/// answers NOTIFY 3 with a complete ACK of LENGTH 16,505, between ordinary exchanges.
pub fn oversized_ack_pcap() -> Vec<u8> {
    use spop_codec::wire::{ActionRepr, FrameRepr, Scope, Value};
    let bytes = |f: FrameRepr<'_>| f.to_bytes().expect("encodes");
    let ack = |sid: u64, value: &[u8]| {
        bytes(FrameRepr::ack(
            sid,
            1,
            vec![ActionRepr::set_var(
                Scope::Txn,
                "body",
                Value::String(value),
            )],
        ))
    };
    let big = (16_000..16_505)
        .map(|n| ack(3, &vec![b'z'; n]))
        .find(|a| a.len() == 4 + 16_505)
        .expect("a value length for LENGTH 16,505");
    let mut c = TcpConversation::new("10.1.0.1:40000", "10.1.0.2:12345");
    let mut packets: Vec<_> = c.handshake().into();
    let hello = bytes(FrameRepr::haproxy_hello(16380, "pipelining", None, false));
    packets.push(c.client(&hello));
    packets.push(c.server(bytes(FrameRepr::agent_hello("2.0", 16380, "pipelining"))));
    for sid in [1, 3, 5] {
        packets.push(c.client(bytes(FrameRepr::notify(sid, 1, Vec::new()))));
        let answer = if sid == 3 {
            big.clone()
        } else {
            ack(sid, b"ok")
        };
        for chunk in answer.chunks(1400) {
            packets.push(c.server(chunk));
        }
    }
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    for (i, p) in packets.iter().enumerate() {
        w.packet(1_700_000_000_000_000_000 + i as u64 * 1000, &p.ethernet());
    }
    w.finish()
}

/// A share bundle of `n` SPOP connections with nothing in them (25 bytes of body each, about
/// a kilobyte once analysed; a bundle may describe at most `share::MAX_CONNECTIONS`).
pub fn empty_connections_bundle(n: usize) -> spop_codec::capture::bundle::Bundle {
    let mut b = bundle_of(Vec::new(), Vec::new());
    let one = b.connections[0].clone();
    b.connections = (0..n)
        .map(|id| spop_codec::capture::spop::SpopConnection { id, ..one.clone() })
        .collect();
    b
}

/// A share bundle whose HAProxy stream is one byte after `n` gaps of one byte each, all at
/// its start (4 bytes of body each): a gap finding and a stream event each.
pub fn stacked_gaps_bundle(n: usize) -> spop_codec::capture::bundle::Bundle {
    use spop_codec::capture::tcp::Gap;
    let mut b = bundle_of(vec![0], Vec::new());
    let [haproxy, _] = &mut b.connections[0].streams;
    let gap = Gap {
        at: 0,
        missing: 1,
        resumed_by: haproxy.segments[0].packet,
    };
    haproxy.gaps = vec![gap; n];
    b
}

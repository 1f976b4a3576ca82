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

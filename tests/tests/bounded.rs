//! Bounded resources on hostile input (issue 8): whatever lengths a capture claims and however
//! it is shaped, the pipeline (load + analysis) allocates in proportion to the input: each
//! hostile shape is run at two sizes, four times apart, and must take at most 4.4 times the
//! memory at the larger one, and at most `MULTIPLE` times its input plus 1 MiB (the README
//! documents the figure). The worst shapes are inputs where every small frame is broken: each
//! finding costs a few hundred bytes. Real traffic takes about 4 times its size here (2 times
//! resident, README, Performance): this counts bytes requested, spare capacity included.

use peak_alloc::PeakAlloc;
use spop_codec::analysis::{analyze, AnalysisOptions};
use spop_codec::capture::{load, LinkType, LoadOptions};
use spop_codec::synth::{conversation_shaped, Generation, Rng, Shape};
use spop_tests::pcapgen::{
    Endian, InterfaceDescription, PcapWriter, PcapngWriter, TcpConversation,
};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// The documented bound: at most `MULTIPLE` × input + `SLACK` bytes.
const MULTIPLE: usize = 80;
const SLACK: usize = 1 << 20;

/// Peak bytes the pipeline allocates above what was allocated before it.
fn pipeline_peak(input: &[u8]) -> usize {
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    if let Ok(c) = load(input, &LoadOptions::default()) {
        drop(analyze(c, &AnalysisOptions::default()));
    }
    ALLOC.peak_usage().saturating_sub(base)
}

fn frame(ty: u8, sid: u8, fid: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![ty, 0, 0, 0, 1, sid, fid];
    body.extend_from_slice(payload);
    let mut f = (body.len() as u32).to_be_bytes().to_vec();
    f.extend(body);
    f
}

/// A pcap of one TCP connection carrying `to_agent` then `to_haproxy` bytes.
fn pcap_of(to_agent: &[u8], to_haproxy: &[u8]) -> Vec<u8> {
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
fn pcap_record_of_4gb(n: usize) -> Vec<u8> {
    let mut pcap = PcapWriter::new(LinkType::ETHERNET).finish();
    pcap.extend_from_slice(&[0; 8]);
    pcap.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    pcap.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    pcap.resize(pcap.len() + n * 100, 0xAB);
    pcap
}

/// A pcapng block claiming 4 GB, then `n` bytes.
fn pcapng_block_of_4gb(n: usize) -> Vec<u8> {
    let mut w = PcapngWriter::new(Endian::Little);
    w.interface(InterfaceDescription::new(LinkType::ETHERNET));
    let mut ng = w.finish();
    ng.extend_from_slice(&6u32.to_le_bytes());
    ng.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    ng.resize(ng.len() + n * 100, 0xCD);
    ng
}

/// An SPOP LENGTH claiming 4 GB after a HELLO, then `n` bytes of zeros.
fn spop_length_of_4gb(n: usize) -> Vec<u8> {
    let mut s = frame(1, 0, 0, &[]);
    s.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xF0, 3, 0, 0, 0, 1, 1, 1]);
    s.resize(s.len() + n * 20, 0);
    pcap_of(&s, &frame(101, 0, 0, &[]))
}

/// `n` NOTIFYs whose message name is a STRING claiming 2^60 bytes.
fn string_of_2_60(n: usize) -> Vec<u8> {
    let varint_2_60 = [0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
    let mut s = frame(1, 0, 0, &[]);
    s.extend(frame(3, 1, 1, &varint_2_60).repeat(n));
    pcap_of(&s, &frame(101, 0, 0, &[]))
}

/// `n` NOTIFY/ACK pairs of minimal frames, pasted raw (the densest input there is).
fn minimal_frames(n: usize) -> Vec<u8> {
    [frame(3, 1, 1, &[]), frame(103, 1, 1, &[])]
        .concat()
        .repeat(n)
}

/// `n` connections that never say anything (a SYN each).
fn silent_connections(n: usize) -> Vec<u8> {
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
fn disconnects_after_notifies(n: usize) -> Vec<u8> {
    [
        frame(3, 1, 1, &[1, b'm', 0]).repeat(n),
        frame(102, 0, 0, &[]).repeat(n),
    ]
    .concat()
}

/// `n` NOTIFYs and `n` ACKs, all with the same ids.
fn one_id_for_all(n: usize) -> Vec<u8> {
    [
        frame(3, 1, 1, &[1, b'm', 0]).repeat(n),
        frame(103, 1, 1, &[]).repeat(n),
    ]
    .concat()
}

/// A hostile input's name and how to make it at a given scale.
type HostileShape = (&'static str, fn(usize) -> Vec<u8>);

/// One test, so no other test's allocations run alongside (the counter is process-wide).
#[test]
fn hostile_shapes_take_memory_in_proportion_to_the_input() {
    let shapes: [HostileShape; 8] = [
        ("a pcap record claiming 4 GB", pcap_record_of_4gb),
        ("a pcapng block claiming 4 GB", pcapng_block_of_4gb),
        ("an SPOP LENGTH claiming 4 GB", spop_length_of_4gb),
        ("STRING lengths claiming 2^60 bytes", string_of_2_60),
        ("minimal frames", minimal_frames),
        ("silent connections", silent_connections),
        ("DISCONNECTs after NOTIFYs", disconnects_after_notifies),
        ("one id for every NOTIFY and ACK", one_id_for_all),
    ];
    for (what, shape) in shapes {
        let (small, large) = (shape(2_500), shape(10_000));
        let (p_small, p_large) = (pipeline_peak(&small), pipeline_peak(&large));
        assert!(
            p_large <= p_small * 44 / 10 + SLACK,
            "{what}: {p_small} bytes for {} bytes of input, but {p_large} for {}: not linear",
            small.len(),
            large.len()
        );
        assert!(
            p_large <= MULTIPLE * large.len() + SLACK,
            "{what}: {p_large} bytes for {} bytes of input ({:.1}×)",
            large.len(),
            p_large as f64 / large.len() as f64
        );
    }

    // Real traffic, for scale: resident about 2× (README, Performance); allocated, counting
    // the spare capacity of growing vectors, about 4×.
    let mut rng = Rng::new(3);
    let conv = conversation_shaped(&mut rng, Generation::Legacy, 0, 3_000, Shape::Rich);
    let real = pcap_of(&conv.haproxy, &conv.agent);
    let peak = pipeline_peak(&real);
    assert!(
        peak <= 5 * real.len() + SLACK,
        "{peak} bytes for {} bytes of capture ({:.1}×)",
        real.len(),
        peak as f64 / real.len() as f64
    );
}

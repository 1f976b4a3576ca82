//! Pasted-text formats against the real tools' output of the real captures.
//!
//! Every sample in `tests/fixtures/text/` was printed by the real tool (tcpdump, tshark, xxd,
//! hexdump, od, base64) from a capture in `tests/fixtures/`, or — for the formats no tool here
//! prints (gdb, VTest, agent debug logs, comma-separated hex) — written by `generate.sh` from
//! the captures' real payload. For each sample the test checks the detected format and
//! compares the parsed bytes with ground truth taken from the capture itself by a small
//! independent reader below (little-endian pcap, Ethernet, IPv4, TCP: what these fixtures
//! are).
//!
//! A second test re-runs `generate.sh` into a temporary directory when the tools are installed
//! and checks the fresh output parses to the same result as the committed samples.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use spop_codec::capture::text::{self, TextCapture, TextConnection, TextContent, TextFormat};
use spop_codec::capture::LinkType;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn samples_dir() -> PathBuf {
    fixtures().join("text")
}

// ---------------------------------------------------------------------------------------------
// Ground truth: a minimal pcap + Ethernet + IPv4 + TCP reader.

struct Record {
    timestamp_ns: u64,
    data: Vec<u8>,
}

fn u16be(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

fn u32le(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Records of a little-endian, microsecond pcap file.
fn pcap_records(name: &str) -> Vec<Record> {
    let file = std::fs::read(fixtures().join(name)).unwrap();
    assert_eq!(
        &file[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "{name}: not a LE µs pcap"
    );
    assert_eq!(u32le(&file, 20), 1, "{name}: not Ethernet");
    let mut records = Vec::new();
    let mut i = 24;
    while i + 16 <= file.len() {
        let secs = u64::from(u32le(&file, i));
        let micros = u64::from(u32le(&file, i + 4));
        let caplen = u32le(&file, i + 8) as usize;
        let data = file[i + 16..i + 16 + caplen].to_vec();
        records.push(Record {
            timestamp_ns: secs * 1_000_000_000 + micros * 1_000,
            data,
        });
        i += 16 + caplen;
    }
    records
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Endpoint([u8; 4], u16);

impl Endpoint {
    fn text(self) -> String {
        let [a, b, c, d] = self.0;
        format!("{a}.{b}.{c}.{d}:{}", self.1)
    }
}

/// (source, destination, TCP payload) of an Ethernet/IPv4/TCP frame.
fn tcp_payload(frame: &[u8]) -> Option<(Endpoint, Endpoint, Vec<u8>)> {
    if u16be(frame, 12) != 0x0800 {
        return None;
    }
    let ip = &frame[14..];
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16be(ip, 2));
    if ip[9] != 6 {
        return None;
    }
    let tcp = &ip[ihl..total];
    let data_offset = usize::from(tcp[12] >> 4) * 4;
    let src = Endpoint([ip[12], ip[13], ip[14], ip[15]], u16be(tcp, 0));
    let dst = Endpoint([ip[16], ip[17], ip[18], ip[19]], u16be(tcp, 2));
    Some((src, dst, tcp[data_offset..].to_vec()))
}

/// One TCP connection of a capture, numbered like tshark's `tcp.stream` (order of first
/// packet); peer 0 is the side that sent the first packet (the SYN).
#[derive(Debug, Default)]
struct Connection {
    peers: Vec<Endpoint>,
    /// Non-empty payloads in capture order: (peer, bytes).
    segments: Vec<(u8, Vec<u8>)>,
    /// Capture time of each segment.
    times: Vec<u64>,
    /// Packet number (1-based record index) of each segment.
    numbers: Vec<u32>,
}

impl Connection {
    fn bytes(&self, peer: u8) -> Vec<u8> {
        self.segments
            .iter()
            .filter(|(p, _)| *p == peer)
            .flat_map(|(_, b)| b.clone())
            .collect()
    }

    /// The first `n` complete SPOP frames one peer sent (LENGTH included).
    fn frames(&self, peer: u8, n: usize) -> Vec<Vec<u8>> {
        let stream = self.bytes(peer);
        let mut frames = Vec::new();
        let mut i = 0;
        while frames.len() < n {
            let len = u32::from_be_bytes(stream[i..i + 4].try_into().unwrap()) as usize + 4;
            frames.push(stream[i..i + len].to_vec());
            i += len;
        }
        frames
    }
}

fn tcp_connections(name: &str) -> Vec<Connection> {
    let mut conns: Vec<Connection> = Vec::new();
    for (number, record) in pcap_records(name).into_iter().enumerate() {
        let Some((src, dst, payload)) = tcp_payload(&record.data) else {
            continue;
        };
        let index = conns
            .iter()
            .position(|c| c.peers.contains(&src) && c.peers.contains(&dst))
            .unwrap_or_else(|| {
                conns.push(Connection {
                    peers: vec![src, dst],
                    ..Connection::default()
                });
                conns.len() - 1
            });
        let conn = &mut conns[index];
        if !payload.is_empty() {
            let peer = u8::from(conn.peers[0] != src);
            conn.segments.push((peer, payload));
            conn.times.push(record.timestamp_ns);
            conn.numbers.push(number as u32 + 1);
        }
    }
    conns
}

// ---------------------------------------------------------------------------------------------
// Expectations per sample.

const DAY_NS: u64 = 86_400 * 1_000_000_000;

#[derive(Debug, Clone, Copy)]
enum Stamps {
    /// Date and time: equal to the capture's (UTC).
    Exact,
    /// Time of day only: equal modulo one day.
    TimeOfDay,
    /// No time in the text: 0.
    Zero,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segments {
    /// Each chunk is one TCP segment, in capture order (raw, YAML).
    Exact,
    /// Each chunk is one TCP segment, in capture order per peer (VTest lists one block, then
    /// the other).
    PerPeer,
    /// tshark/Wireshark hex: a segment filling whole lines runs into the next of its peer.
    HexLines,
    /// Chunks are frames, not segments (agent debug logs).
    Frames,
}

#[derive(Debug, Clone, Copy)]
enum Truth {
    /// Bytes: what one peer of a connection sent.
    Stream {
        pcap: &'static str,
        conn: usize,
        peer: u8,
    },
    /// Bytes: the capture file itself.
    File(&'static str),
    /// Bytes: the first HAProxy frame of connection 0, zero-padded to 256 bytes.
    HelloBuffer(&'static str),
    /// Bytes: HAPROXY-HELLO, AGENT-HELLO, first NOTIFY, first ACK of connection 0.
    GdbFrames(&'static str),
    /// Connections: these connections of the capture, in this order.
    Connections {
        pcap: &'static str,
        conns: &'static [usize],
        /// The text names the peers' addresses (tshark).
        addresses: bool,
        /// How chunks relate to TCP segments.
        segments: Segments,
    },
    /// Packets: the first `count` records, from the IP header (`strip` = 14) or the link
    /// header (`strip` = 0).
    Packets {
        pcap: &'static str,
        count: usize,
        strip: usize,
        link_type: LinkType,
        stamps: Stamps,
    },
}

const SAMPLES: &[(&str, TextFormat, Truth)] = &[
    (
        "tcpdump-X.haproxy34-clean.txt",
        TextFormat::Tcpdump,
        Truth::Packets {
            pcap: "haproxy34-clean.pcap",
            count: 8,
            strip: 14,
            link_type: LinkType::RAW,
            stamps: Stamps::TimeOfDay,
        },
    ),
    (
        "tcpdump-XX-tttt.haproxy26-clean.txt",
        TextFormat::Tcpdump,
        Truth::Packets {
            pcap: "haproxy26-clean.pcap",
            count: 8,
            strip: 0,
            link_type: LinkType::ETHERNET,
            stamps: Stamps::Exact,
        },
    ),
    (
        // No `link-type` line (stderr dropped): Ethernet inferred from the bytes.
        "tcpdump-xx-tt.haproxy26-pyagent.txt",
        TextFormat::Tcpdump,
        Truth::Packets {
            pcap: "haproxy26-pyagent.pcap",
            count: 8,
            strip: 0,
            link_type: LinkType::ETHERNET,
            stamps: Stamps::Exact,
        },
    ),
    (
        "tcpdump-x-v-numbered.haproxy34-clean.txt",
        TextFormat::Tcpdump,
        Truth::Packets {
            pcap: "haproxy34-clean.pcap",
            count: 6,
            strip: 14,
            link_type: LinkType::RAW,
            stamps: Stamps::TimeOfDay,
        },
    ),
    (
        "tshark-x.haproxy34-clean.txt",
        TextFormat::PacketHexDump,
        Truth::Packets {
            pcap: "haproxy34-clean.pcap",
            count: 6,
            strip: 0,
            link_type: LinkType::ETHERNET,
            stamps: Stamps::Zero,
        },
    ),
    (
        "tshark-x-P-t-ad.haproxy26-clean.txt",
        TextFormat::PacketHexDump,
        Truth::Packets {
            pcap: "haproxy26-clean.pcap",
            count: 6,
            strip: 0,
            link_type: LinkType::ETHERNET,
            stamps: Stamps::Exact,
        },
    ),
    (
        "wireshark-follow-c-arrays.haproxy34-clean.txt",
        TextFormat::WiresharkFollowCArrays,
        Truth::Connections {
            pcap: "haproxy34-clean.pcap",
            conns: &[0],
            addresses: false,
            segments: Segments::Exact,
        },
    ),
    (
        "tshark-follow-hex.haproxy26-pyagent.txt",
        TextFormat::TsharkFollowHex,
        Truth::Connections {
            pcap: "haproxy26-pyagent.pcap",
            conns: &[0],
            addresses: true,
            segments: Segments::HexLines,
        },
    ),
    (
        // tshark prints the second `-z follow` first.
        "tshark-follow-hex-two-streams.haproxy26-clean.txt",
        TextFormat::TsharkFollowHex,
        Truth::Connections {
            pcap: "haproxy26-clean.pcap",
            conns: &[1, 0],
            addresses: true,
            segments: Segments::HexLines,
        },
    ),
    (
        "tshark-follow-raw.haproxy34-clean.txt",
        TextFormat::TsharkFollowRaw,
        Truth::Connections {
            pcap: "haproxy34-clean.pcap",
            conns: &[0],
            addresses: true,
            segments: Segments::Exact,
        },
    ),
    (
        "tshark-follow-yaml.haproxy34-clean.txt",
        TextFormat::TsharkFollowYaml,
        Truth::Connections {
            pcap: "haproxy34-clean.pcap",
            conns: &[0],
            addresses: true,
            segments: Segments::Exact,
        },
    ),
    (
        "wireshark-follow-hex.haproxy34-clean.txt",
        TextFormat::WiresharkFollowHex,
        Truth::Connections {
            pcap: "haproxy34-clean.pcap",
            conns: &[0],
            addresses: false,
            segments: Segments::HexLines,
        },
    ),
    (
        "vtest-sendhex.haproxy34-clean.vtc",
        TextFormat::VtestSendhex,
        Truth::Connections {
            pcap: "haproxy34-clean.pcap",
            conns: &[0],
            addresses: false,
            segments: Segments::PerPeer,
        },
    ),
    (
        "agent-debug.haproxy26-pyagent.log",
        TextFormat::AgentDebug,
        Truth::Connections {
            pcap: "haproxy26-pyagent.pcap",
            conns: &[0],
            addresses: false,
            segments: Segments::Frames,
        },
    ),
    (
        "xxd.haproxy34-clean.c2s.txt",
        TextFormat::Xxd,
        Truth::Stream {
            pcap: "haproxy34-clean.pcap",
            conn: 0,
            peer: 0,
        },
    ),
    (
        "xxd-g1-c8.haproxy34-clean.s2c.txt",
        TextFormat::Xxd,
        Truth::Stream {
            pcap: "haproxy34-clean.pcap",
            conn: 0,
            peer: 1,
        },
    ),
    (
        "xxd-p.haproxy34-clean.s2c.txt",
        TextFormat::PlainHex,
        Truth::Stream {
            pcap: "haproxy34-clean.pcap",
            conn: 0,
            peer: 1,
        },
    ),
    (
        "xxd-i.haproxy34-clean.s2c.txt",
        TextFormat::XxdInclude,
        Truth::Stream {
            pcap: "haproxy34-clean.pcap",
            conn: 0,
            peer: 1,
        },
    ),
    (
        "hexdump-C-crlf.haproxy34-clean.c2s.txt",
        TextFormat::HexdumpC,
        Truth::Stream {
            pcap: "haproxy34-clean.pcap",
            conn: 0,
            peer: 0,
        },
    ),
    (
        "od-Ax-tx1.haproxy34-clean.s2c.txt",
        TextFormat::Od,
        Truth::Stream {
            pcap: "haproxy34-clean.pcap",
            conn: 0,
            peer: 1,
        },
    ),
    (
        "od-tx1-octal.haproxy34-clean.s2c.txt",
        TextFormat::Od,
        Truth::Stream {
            pcap: "haproxy34-clean.pcap",
            conn: 0,
            peer: 1,
        },
    ),
    (
        "plain-hex-0x-commas.haproxy34-clean.s2c.txt",
        TextFormat::PlainHex,
        Truth::Stream {
            pcap: "haproxy34-clean.pcap",
            conn: 0,
            peer: 1,
        },
    ),
    (
        "xxd-a.haproxy34-clean.hello-buffer256.txt",
        TextFormat::Xxd,
        Truth::HelloBuffer("haproxy34-clean.pcap"),
    ),
    (
        "hexdump-C.haproxy34-clean.hello-buffer256.txt",
        TextFormat::HexdumpC,
        Truth::HelloBuffer("haproxy34-clean.pcap"),
    ),
    (
        "od-Ax-tx1z.haproxy34-clean.hello-buffer256.txt",
        TextFormat::Od,
        Truth::HelloBuffer("haproxy34-clean.pcap"),
    ),
    (
        "xxd.haproxy34-clean.pcap.txt",
        TextFormat::Xxd,
        Truth::File("haproxy34-clean.pcap"),
    ),
    (
        "base64.haproxy34-clean.pcapng.txt",
        TextFormat::Base64,
        Truth::File("haproxy34-clean.pcapng"),
    ),
    (
        "base64url-nopad.haproxy26-clean.pcap.txt",
        TextFormat::Base64,
        Truth::File("haproxy26-clean.pcap"),
    ),
    (
        "gdb.haproxy34-clean.frames.txt",
        TextFormat::Gdb,
        Truth::GdbFrames("haproxy34-clean.pcap"),
    ),
];

fn parse_sample(dir: &Path, name: &str) -> TextCapture {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    assert!(
        text::looks_like_text(text.as_bytes()),
        "{name}: not recognised as text"
    );
    text::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn expect_bytes<'a>(name: &str, capture: &'a TextCapture) -> &'a [u8] {
    match &capture.content {
        TextContent::Bytes(b) => b,
        other => panic!("{name}: expected bytes, got {other:?}"),
    }
}

/// The chunk lengths tshark's hex Follow output can show for these segments: a segment that
/// fills whole 16-byte lines runs on into the next segment of the same peer.
fn hex_follow_chunks(segments: &[(u8, Vec<u8>)]) -> Vec<(u8, usize)> {
    let mut out: Vec<(u8, usize)> = Vec::new();
    let mut open = false;
    for (peer, data) in segments {
        match out.last_mut() {
            Some((p, len)) if open && p == peer => *len += data.len(),
            _ => out.push((*peer, data.len())),
        }
        open = data.len() % 16 == 0;
    }
    out
}

fn check_connections(
    name: &str,
    parsed: &[TextConnection],
    pcap: &str,
    conns: &[usize],
    addresses: bool,
    segments: Segments,
    format: TextFormat,
) {
    let truth = tcp_connections(pcap);
    assert_eq!(parsed.len(), conns.len(), "{name}: connection count");
    for (conn, &index) in parsed.iter().zip(conns) {
        let expected = &truth[index];
        for peer in 0..2u8 {
            assert_eq!(
                conn.peer_bytes(peer),
                expected.bytes(peer),
                "{name}: connection {index}, peer {peer}"
            );
        }
        assert!(conn.chunks.iter().all(|c| c.peer.is_some()), "{name}");
        if addresses {
            for peer in 0..2 {
                let info = conn.peers[peer].as_ref().unwrap();
                assert_eq!(
                    info.address.as_deref(),
                    Some(expected.peers[peer].text().as_str()),
                    "{name}: peer {peer} address"
                );
                assert!(info.socket_addr().is_some(), "{name}");
            }
        }
        let shape: Vec<(u8, usize)> = conn
            .chunks
            .iter()
            .map(|c| (c.peer.unwrap(), c.data.len()))
            .collect();
        let want: Vec<(u8, usize)> = expected
            .segments
            .iter()
            .map(|(p, d)| (*p, d.len()))
            .collect();
        match segments {
            Segments::Exact => assert_eq!(shape, want, "{name}: one chunk per TCP segment"),
            Segments::PerPeer => {
                for peer in 0..2 {
                    let of = |v: &[(u8, usize)]| -> Vec<(u8, usize)> {
                        v.iter().copied().filter(|(p, _)| *p == peer).collect()
                    };
                    assert_eq!(of(&shape), of(&want), "{name}: peer {peer} segments");
                }
            }
            Segments::HexLines => {
                assert_eq!(
                    shape,
                    hex_follow_chunks(&expected.segments),
                    "{name}: chunks"
                )
            }
            Segments::Frames => {
                for chunk in &conn.chunks {
                    let len = u32::from_be_bytes(chunk.data[..4].try_into().unwrap());
                    assert_eq!(
                        len as usize + 4,
                        chunk.data.len(),
                        "{name}: one frame per chunk"
                    );
                }
            }
        }
        if matches!(
            format,
            TextFormat::TsharkFollowYaml | TextFormat::WiresharkFollowCArrays
        ) {
            let numbers: Vec<Option<u32>> = conn.chunks.iter().map(|c| c.packet).collect();
            let want: Vec<Option<u32>> = expected.numbers.iter().map(|&n| Some(n)).collect();
            assert_eq!(numbers, want, "{name}: packet numbers");
        }
        if format == TextFormat::TsharkFollowYaml {
            for (chunk, time) in conn.chunks.iter().zip(&expected.times) {
                // tshark prints nanoseconds computed through a double: within 1 µs.
                let ts = chunk.timestamp.unwrap();
                assert!(ts.abs_diff(*time) < 1_000, "{name}: {ts} vs {time}");
                assert!(chunk.packet.is_some());
            }
        }
        if format == TextFormat::VtestSendhex {
            assert_eq!(conn.peers[0].as_ref().unwrap().name.as_deref(), Some("c1"));
            assert_eq!(conn.peers[1].as_ref().unwrap().name.as_deref(), Some("s1"));
        }
    }
}

fn check_sample(dir: &Path, name: &str, format: TextFormat, truth: Truth) {
    let capture = parse_sample(dir, name);
    assert_eq!(capture.format, format, "{name}: detected format");
    assert_eq!(
        text::detect(&std::fs::read_to_string(dir.join(name)).unwrap()),
        Some(format)
    );
    match truth {
        Truth::Stream { pcap, conn, peer } => {
            let expected = tcp_connections(pcap)[conn].bytes(peer);
            assert!(!expected.is_empty());
            assert_eq!(expect_bytes(name, &capture), expected, "{name}");
        }
        Truth::File(file) => {
            let expected = std::fs::read(fixtures().join(file)).unwrap();
            assert_eq!(expect_bytes(name, &capture), expected, "{name}");
        }
        Truth::HelloBuffer(pcap) => {
            let mut expected = tcp_connections(pcap)[0].frames(0, 1).remove(0);
            expected.resize(256, 0);
            assert_eq!(expect_bytes(name, &capture), expected, "{name}");
        }
        Truth::GdbFrames(pcap) => {
            let conn = &tcp_connections(pcap)[0];
            let (haproxy, agent) = (conn.frames(0, 2), conn.frames(1, 2));
            let expected = [&haproxy[0][..], &agent[0], &haproxy[1], &agent[1]].concat();
            assert_eq!(expect_bytes(name, &capture), expected, "{name}");
        }
        Truth::Connections {
            pcap,
            conns,
            addresses,
            segments,
        } => {
            let TextContent::Connections(parsed) = &capture.content else {
                panic!("{name}: expected connections, got {:?}", capture.content);
            };
            check_connections(name, parsed, pcap, conns, addresses, segments, format);
        }
        Truth::Packets {
            pcap,
            count,
            strip,
            link_type,
            stamps,
        } => {
            let TextContent::Packets(packets) = &capture.content else {
                panic!("{name}: expected packets, got {:?}", capture.content);
            };
            let records = pcap_records(pcap);
            assert_eq!(packets.len(), count, "{name}: packet count");
            for (n, (packet, record)) in packets.iter().zip(&records).enumerate() {
                assert_eq!(packet.number as usize, n + 1, "{name}");
                assert_eq!(packet.link_type, link_type, "{name}: packet {}", n + 1);
                assert_eq!(
                    packet.data,
                    record.data[strip..],
                    "{name}: packet {}",
                    n + 1
                );
                match stamps {
                    Stamps::Exact => assert_eq!(packet.timestamp, record.timestamp_ns, "{name}"),
                    Stamps::TimeOfDay => {
                        assert_eq!(packet.timestamp, record.timestamp_ns % DAY_NS, "{name}")
                    }
                    Stamps::Zero => assert_eq!(packet.timestamp, 0, "{name}"),
                }
            }
        }
    }
    // Real tool output parses cleanly: the only warnings allowed are about dates.
    for warning in &capture.warnings {
        assert!(
            matches!(
                warning.kind,
                text::TextWarningKind::TimeOfDayOnly
                    | text::TextWarningKind::RelativeTimestamps
                    | text::TextWarningKind::NoTimestamps
            ),
            "{name}: {warning}"
        );
    }
}

#[test]
fn every_sample_matches_its_capture() {
    let dir = samples_dir();
    for &(name, format, truth) in SAMPLES {
        check_sample(&dir, name, format, truth);
    }
}

/// Every committed sample has an expectation above (a new sample cannot go unchecked).
#[test]
fn every_sample_is_listed() {
    let on_disk = sample_names(&samples_dir());
    let listed: BTreeSet<String> = SAMPLES.iter().map(|(n, _, _)| n.to_string()).collect();
    assert_eq!(on_disk, listed);
}

fn sample_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "generate.sh" && n != "README.md")
        .collect()
}

/// The format reported for every format name round-trips, and the labels are distinct.
#[test]
fn format_names_are_stable() {
    let names: BTreeSet<&str> = TextFormat::ALL.iter().map(|f| f.name()).collect();
    let labels: BTreeSet<&str> = TextFormat::ALL.iter().map(|f| f.label()).collect();
    assert_eq!(names.len(), TextFormat::ALL.len());
    assert_eq!(labels.len(), TextFormat::ALL.len());
    for (name, format, _) in SAMPLES {
        assert_eq!(
            TextFormat::from_name(format.name()),
            Some(*format),
            "{name}"
        );
    }
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Regenerates the samples with the installed tools and checks they parse like the committed
/// ones (same format, same bytes, same warnings), so the samples stay reproducible.
#[test]
fn generator_reproduces_the_samples() {
    let tools = [
        "bash", "tcpdump", "tshark", "xxd", "hexdump", "od", "base64", "python3",
    ];
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if !missing.is_empty() {
        println!("skipped: generate.sh needs {} on PATH", missing.join(", "));
        return;
    }
    let out = std::env::temp_dir().join(format!("spop-text-samples-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new("bash")
        .arg(samples_dir().join("generate.sh"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "generate.sh failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(sample_names(&out), sample_names(&samples_dir()));
    for &(name, format, truth) in SAMPLES {
        let fresh = parse_sample(&out, name);
        let committed = parse_sample(&samples_dir(), name);
        assert_eq!(fresh, committed, "{name}: fresh output parses differently");
        check_sample(&out, name, format, truth);
    }
    std::fs::remove_dir_all(&out).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Damaged dumps: real samples with lines swapped, left out or with an offset that does not
// read. Bytes go where the offsets say (never spliced silently), and every damage is reported
// with the bytes it concerns: a warning, a note for people, and rule SPOP-C007 on the streams.

fn sample_lines(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(samples_dir().join(name)).unwrap();
    text.split('\n').map(String::from).collect()
}

fn analysed(text: &str) -> spop_codec::analysis::Analysis {
    use spop_codec::analysis::{analyze, AnalysisOptions};
    use spop_codec::capture::{load, LoadOptions};
    let capture = load(text.as_bytes(), &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    analyze(capture, &AnalysisOptions::default())
}

fn damage(capture: &TextCapture) -> Vec<(usize, std::ops::Range<usize>)> {
    capture
        .warnings
        .iter()
        .filter(|w| w.kind.is_damage())
        .map(|w| (w.line, w.bytes.expect("damage has bytes").span.range()))
        .collect()
}

fn c007(a: &spop_codec::analysis::Analysis) -> Vec<&spop_codec::analysis::Finding> {
    a.findings
        .iter()
        .filter(|f| f.code() == "SPOP-C007")
        .collect()
}

#[test]
fn swapped_dump_lines_are_put_back_and_reported() {
    for name in [
        "xxd.haproxy34-clean.c2s.txt",
        "hexdump-C-crlf.haproxy34-clean.c2s.txt",
        "od-Ax-tx1.haproxy34-clean.s2c.txt",
    ] {
        let lines = sample_lines(name);
        let clean = text::parse(&lines.join("\n")).unwrap();
        let mut swapped = lines.clone();
        swapped.swap(2, 3);
        let text = swapped.join("\n");
        let parsed = text::parse(&text).unwrap();
        assert_eq!(
            parsed.content, clean.content,
            "{name}: the offsets put them back"
        );
        // Line 3 (offset 0x30) jumps ahead of 0x20, line 4 goes back to it.
        let n = 16;
        assert_eq!(
            damage(&parsed),
            [(3, 2 * n..4 * n), (4, 2 * n..3 * n)],
            "{name}: {:?}",
            parsed.warnings
        );
        let (a, b) = (analysed(&lines.join("\n")), analysed(&text));
        assert!(c007(&a).is_empty(), "{name}");
        let found = c007(&b);
        assert_eq!(found.len(), 2, "{name}");
        assert_eq!(
            found[1].locations[0].span.range(),
            2 * n..3 * n,
            "{name}: the stream's bytes (a raw stream: the dump's own offsets)"
        );
        assert!(!found[1].frames.is_empty(), "{name}: under the frame");
        assert_eq!(a.frames.len(), b.frames.len(), "{name}");
        assert!(
            b.capture.notes().iter().any(|n| n.contains("damaged")),
            "{name}"
        );
    }
}

#[test]
fn a_dump_line_with_a_bad_offset_is_not_spliced() {
    let name = "xxd.haproxy34-clean.c2s.txt";
    let lines = sample_lines(name);
    let clean = text::parse(&lines.join("\n")).unwrap();
    let clean = expect_bytes(name, &clean).to_vec();
    let mut typo = lines.clone();
    assert!(typo[3].starts_with("00000030:"));
    typo[3] = typo[3].replacen("00000030", "0000003g", 1);
    let text = typo.join("\n");
    let parsed = text::parse(&text).unwrap();
    let bytes = expect_bytes(name, &parsed);
    assert_eq!(bytes.len(), clean.len(), "the next line keeps its place");
    assert_eq!(bytes[..0x30], clean[..0x30]);
    assert_eq!(
        bytes[0x30..0x40],
        [0; 16],
        "the skipped line's bytes are zeros"
    );
    assert_eq!(bytes[0x40..], clean[0x40..]);
    assert_eq!(parsed.warnings[0].kind, text::TextWarningKind::IgnoredLine);
    assert_eq!(damage(&parsed), [(5, 0x30..0x50)]);
    let a = analysed(&text);
    let found = c007(&a);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].locations[0].span.range(), 0x30..0x50);
    assert!(
        found[0].message.contains("16 byte(s) skipped"),
        "{}",
        found[0].message
    );
    let notes = a.capture.notes();
    assert!(
        notes.iter().any(|n| n.contains("line 4: line skipped")),
        "{notes:?}"
    );
}

#[test]
fn swapped_tcpdump_lines_are_put_back_and_reported() {
    let name = "tcpdump-X.haproxy34-clean.txt";
    let lines = sample_lines(name);
    // The first packet with five hex lines or more: swap its lines 0x0020 and 0x0030.
    let first = lines
        .iter()
        .position(|l| l.trim_start().starts_with("0x0040:"))
        .expect("a long packet")
        - 4;
    assert!(lines[first + 2].trim_start().starts_with("0x0020:"));
    let mut swapped = lines.clone();
    swapped.swap(first + 2, first + 3);
    let text = swapped.join("\n");
    let clean = text::parse(&lines.join("\n")).unwrap();
    let parsed = text::parse(&text).unwrap();
    assert_eq!(parsed.content, clean.content);
    let damaged: Vec<_> = parsed
        .warnings
        .iter()
        .filter(|w| w.kind.is_damage())
        .collect();
    assert_eq!(damaged.len(), 2, "{:?}", parsed.warnings);
    let part = damaged[0].bytes.unwrap().part;
    let TextContent::Packets(packets) = &parsed.content else {
        panic!("packets")
    };
    assert_eq!(packets[part].line, first, "the packet of the swapped lines");
    // On the streams: the TCP payload that packet carried.
    let a = analysed(&text);
    let found = c007(&a);
    assert_eq!(found.len(), 2);
    for f in found {
        assert_eq!(f.locations.len(), 1, "{}", f.message);
        let l = f.locations[0];
        let stream = a.capture.connections[l.connection].stream(l.direction);
        assert_eq!(
            stream.packet_at(l.span.start).map(|p| p.number),
            Some(packets[part].number)
        );
    }
}

#[test]
fn a_follow_dump_with_a_line_left_out_is_reported() {
    let name = "tshark-follow-hex.haproxy26-pyagent.txt";
    let lines = sample_lines(name);
    let gone = lines
        .iter()
        .position(|l| l.starts_with("00000020  "))
        .unwrap();
    let mut cut = lines.clone();
    cut.remove(gone);
    let text = cut.join("\n");
    let parsed = text::parse(&text).unwrap();
    // Follow keeps the bytes in the order printed: the next line's bytes follow at 0x20.
    let d = damage(&parsed);
    assert_eq!(d, [(gone + 1, 0x20..0x30)], "{:?}", parsed.warnings);
    let w = parsed.warnings.iter().find(|w| w.kind.is_damage()).unwrap();
    assert_eq!(w.bytes.unwrap().peer, Some(0));
    let a = analysed(&text);
    let found = c007(&a);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].connection, Some(0));
    assert_eq!(
        found[0].locations[0].direction,
        spop_codec::wire::Direction::HaproxyToAgent
    );
    assert_eq!(found[0].locations[0].span.range(), 0x20..0x30);
}

/// The hostile shapes seeded into the fuzz corpus (fuzz/seeds) go through the whole pipeline:
/// loaded or refused with a message, never a panic; every finding's bytes are in its stream;
/// no message or note quotes a control or bidi character raw.
#[test]
fn fuzz_seeds_load_and_report_cleanly() {
    use spop_codec::analysis::{analyze, AnalysisOptions};
    use spop_codec::capture::{load, LoadOptions};
    use spop_codec::display::needs_escape;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let mut seen = 0;
    // The seeds, and those made for one fuzz target (fuzz/seeds/TARGET/).
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            paths.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            paths.push(path);
        }
    }
    for path in paths {
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        seen += 1;
        let capture = match load(&bytes, &LoadOptions::default()) {
            Ok(c) => c,
            Err(e) => {
                let message = e.to_string();
                assert!(!message.chars().any(needs_escape), "{name}: {message:?}");
                continue;
            }
        };
        let a = analyze(capture, &AnalysisOptions::default());
        for note in a.capture.notes() {
            assert!(!note.chars().any(needs_escape), "{name}: {note:?}");
        }
        for f in &a.findings {
            assert!(
                !f.message.chars().any(needs_escape),
                "{name}: {}",
                f.message
            );
            for l in &f.locations {
                let len = a
                    .stream_data(l.connection, l.direction)
                    .map_or(0, <[u8]>::len);
                assert!(
                    l.span.end <= len,
                    "{name}: {} at {l:?} beyond {len}",
                    f.code()
                );
            }
        }
    }
    assert!(seen >= 10, "{seen} seeds");
}

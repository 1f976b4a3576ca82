//! Input that cannot be inspected gets a clear message on standard error and exit status 2,
//! never a panic: an empty file, a JPEG, a truncated pcap header, a pcapng whose only interface
//! has a link type the decoder does not read, and a pcap of other TCP traffic.

use std::path::PathBuf;
use std::process::Command;

use spop_codec::capture::LinkType;
use spop_tests::pcapgen::{
    Endian, InterfaceDescription, PcapWriter, PcapngWriter, TcpConversation,
};

fn run(name: &str, bytes: &[u8]) -> (i32, String, String) {
    let path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
        .arg(&path)
        .output()
        .expect("spawn spop-inspect");
    (
        out.status.code().expect("exited, not killed by a signal"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_unreadable(name: &str, bytes: &[u8], says: &str) {
    let (code, stdout, stderr) = run(name, bytes);
    assert_eq!(code, 2, "{name}: {stderr}");
    assert!(
        stdout.is_empty(),
        "{name}: nothing on standard output: {stdout}"
    );
    assert!(stderr.starts_with("spop-inspect: "), "{name}: {stderr}");
    assert!(
        stderr.contains(says),
        "{name}: {stderr:?} should say {says:?}"
    );
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
}

#[test]
fn empty_file() {
    assert_unreadable("empty", b"", "the input is empty");
}

#[test]
fn a_jpeg() {
    let jpeg =
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00\x43\x00";
    assert_unreadable(
        "photo.jpg",
        jpeg,
        "a JPEG image, not a capture: a picture of traffic cannot be decoded: open the .pcap or .pcapng file itself",
    );
}

#[test]
fn truncated_pcap_header() {
    let pcap = PcapWriter::new(LinkType::ETHERNET).finish();
    assert_unreadable(
        "cut.pcap",
        &pcap[..10],
        "pcap file header at offset 0x0: needs 24 bytes, only 10 in the file",
    );
}

#[test]
fn pcapng_with_an_unknown_link_type() {
    let mut w = PcapngWriter::new(Endian::Little);
    let iface = w.interface(InterfaceDescription::new(LinkType(999)));
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:12345");
    for (i, p) in c.handshake().iter().enumerate() {
        w.epb(iface, i as u64 * 1000, &p.ethernet());
    }
    assert_unreadable("odd-link.pcapng", &w.finish(), "no SPOP connection found (3 packet(s), 0 other TCP connection(s), 0 not TCP); 3 packet(s) could not be used fully; packet 1: link type 999 is not supported");
}

#[test]
fn other_tcp_traffic() {
    let mut c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:80");
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    let [syn, syn_ack, ack] = c.handshake();
    let get = c.client(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    for (i, p) in [syn, syn_ack, ack, get].iter().enumerate() {
        w.packet(i as u64 * 1000, &p.ethernet());
    }
    assert_unreadable(
        "http.pcap",
        &w.finish(),
        "no SPOP connection found (4 packet(s), 1 other TCP connection(s), 0 not TCP)",
    );
}

/// A capture cut short is read up to the cut, and every output says so: its findings alone
/// would look like a clean capture.
#[test]
fn a_capture_cut_short_says_so_in_every_format() {
    let file = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/haproxy26-clean.pcap"
    ))
    .unwrap();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-cut-short.pcap", std::process::id()));
    std::fs::write(&path, &file[..2000]).unwrap();
    let says = "the file ends badly, so what follows is missing: pcap record 17";
    for format in ["text", "markdown", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
            .args(["--format", format])
            .arg(&path)
            .output()
            .expect("spawn spop-inspect");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: no finding to fail on"
        );
        assert!(stdout.contains(says), "{format}: {stdout}");
    }
    let json = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
        .args(["--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["input"]["notes"].as_array().map(Vec::len), Some(1));
    let whole = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
        .args([
            "--format",
            "json",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tests/fixtures/haproxy26-clean.pcap"
            ),
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert_eq!(report["input"]["notes"], serde_json::json!([]));
}

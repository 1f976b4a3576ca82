//! The `spop-inspect` binary end to end: input forms, output, exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spop-inspect");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const DISCONNECT_THEN_ACK: &str = "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564000000156700000001F3BC780101030207616C6C6F77656411";

#[test]
fn decodes_hex_from_stdin() {
    let out = run(&["-"], DISCONNECT_THEN_ACK.as_bytes());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for expected in [
        "input: raw SPOP byte stream (pasted as plain hex); 0 packet(s), 1 SPOP connection(s)",
        "← AGENT-DISCONNECT   sid=0      fid=0   status-code=99 (an unknown error occurred) message=\"an unknown error occurred\"",
        "← ACK                sid=249011 fid=1   set-var(txn.allowed=true)",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in\n{stdout}");
    }
}

#[test]
fn decodes_a_raw_binary_file() {
    let dir = std::env::temp_dir().join(format!("spop-inspect-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stream.bin");
    std::fs::write(&path, hex(DISCONNECT_THEN_ACK)).unwrap();
    let out = run(&[path.to_str().unwrap()], b"");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("input: raw SPOP byte stream;"), "{stdout}");
    assert_eq!(stdout.matches(" sid=").count(), 2, "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn decodes_a_real_capture() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/haproxy34-clean.pcapng"
    );
    let out = run(&[path], b"");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("input: pcapng file; 21 packet(s), 1 SPOP connection(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("connection 1 (HAProxy 127.0.0.1:51484 → agent 127.0.0.1:12345)"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("→ NOTIFY").count(), 5, "{stdout}");
    assert_eq!(stdout.matches("← ACK").count(), 5, "{stdout}");
}

#[test]
fn malformed_input_exits_1_and_unreadable_exits_2() {
    // An ACK, then a runt frame (LENGTH 0).
    let out = run(&["-"], b"0000000767000000010101 00000000");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("LENGTH 0 is below the 7-byte minimum"),
        "{stdout}"
    );

    let out = run(&["-"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the input is empty"));

    // A JPEG is not a capture.
    let out = run(
        &["-"],
        &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a pcap or pcapng file"));

    let out = run(&["/nonexistent/capture.pcap"], b"");
    assert_eq!(out.status.code(), Some(2));
}

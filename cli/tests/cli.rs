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
    assert!(stdout.contains("input: plain hex, 1 stream(s)"), "{stdout}");
    assert!(stdout.contains(
        "AGENT-DISCONNECT   sid=0      fid=0   len=56    status-code=99 (an unknown error occurred) message=\"an unknown error occurred\""
    ), "{stdout}");
    assert!(
        stdout
            .contains("ACK                sid=249011 fid=1   len=21    set-var(txn.allowed=true)"),
        "{stdout}"
    );
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
    assert!(stdout.contains("input: raw SPOP byte stream"), "{stdout}");
    assert_eq!(stdout.matches(" len=").count(), 2, "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_input_exits_1_and_unreadable_exits_2() {
    // A runt frame (LENGTH 0).
    let out = run(&["-"], b"00000000");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("LENGTH 0 is below the 7-byte minimum"));

    let out = run(&["-"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty input"));

    let out = run(&["/nonexistent/capture.pcap"], b"");
    assert_eq!(out.status.code(), Some(2));
}

//! The `spop-inspect` binary end to end: inputs, formats, exit codes, the rule catalogue.

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
    // A child that refuses its arguments exits without reading: a closed pipe is its answer.
    match child.stdin.take().unwrap().write_all(stdin) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("stdin: {e}"),
        _ => {}
    }
    child.wait_with_output().unwrap()
}

fn fixture(name: &str) -> String {
    format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

const DISCONNECT_THEN_ACK: &str = "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564000000156700000001F3BC780101030207616C6C6F77656411";

#[test]
fn text_timeline_with_findings_under_frames() {
    let out = run(
        &[
            &fixture("haproxy26-interleaved-disconnect.pcap"),
            "--color",
            "never",
        ],
        b"",
    );
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "errors exist: exit 1\n{s}");
    for expected in [
        "input: pcap file; 49 packet(s), 3 SPOP connection(s), 0 other TCP connection(s), 20 frame(s)",
        "findings: 4 errors, 2 warnings, 2 info",
        "connection 1  HAProxy 127.0.0.1:51342 → agent 127.0.0.1:12345  HAProxy <=3.0",
        "  ended      AGENT-DISCONNECT status 0 \"normal\"",
        "← ↳ ACK              4/1         set-var(txn.n=2)",
        "error SPOP-F010 interleaved-frames: AGENT-DISCONNECT (57 bytes, offset 0x56) contains 2 complete ACK frames",
    ] {
        assert!(s.contains(expected), "missing {expected:?} in\n{s}");
    }
    // The finding is printed right under its frame.
    let disc = s.find("← AGENT-DISCONNECT").unwrap();
    let f010 = s.find("error SPOP-F010").unwrap();
    assert!(f010 > disc && !s[disc..f010].contains(" → "));
    assert!(!s.contains("\x1b["), "no colour with --color never");
}

#[test]
fn clean_capture_exits_0_and_colour_is_optional() {
    let out = run(
        &[&fixture("haproxy34-clean.pcapng"), "--color", "always"],
        b"",
    );
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(s.contains("\x1b[1m"), "colour with --color always");
    assert!(s.contains("0 errors, 0 warnings, 0 info"));
}

#[test]
fn fail_on_levels() {
    // pyagent: info findings only.
    let f = fixture("haproxy26-pyagent.pcap");
    assert_eq!(
        run(&[&f, "--fail-on", "warning"], b"").status.code(),
        Some(0)
    );
    let interleaved = fixture("haproxy26-interleaved-disconnect.pcap");
    assert_eq!(
        run(&[&interleaved, "--fail-on", "never"], b"")
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&[&interleaved, "--fail-on", "error"], b"")
            .status
            .code(),
        Some(1)
    );
    // A warning-only input: a NOTIFY the agent disconnects without answering (X004, T003).
    // (The NOTIFY alone is info: the agent's side would not be in the input.)
    let notify_only = "0000002B030000000103010669702D72657003026970060A00000104706F727404FB0C0004FFF0FEFEFEFEFEFEFE0E\
        00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564";
    assert_eq!(
        run(&["-", "--fail-on", "error"], notify_only.as_bytes())
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["-", "--fail-on", "warning"], notify_only.as_bytes())
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn json_report_shape() {
    let out = run(
        &[
            "--format",
            "json",
            &fixture("haproxy26-interleaved-disconnect.pcap"),
        ],
        b"",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["input"]["format"], "pcap");
    assert_eq!(v["connections"][0]["haproxy"], "127.0.0.1:51342");
    assert_eq!(v["connections"][0]["agent"], "127.0.0.1:12345");
    assert_eq!(v["connections"][0]["generation"], "<=3.0");
    let frames = v["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 20);
    let f = &frames[0];
    for key in [
        "index",
        "connection",
        "direction",
        "type",
        "stream_id",
        "frame_id",
        "length",
        "time",
        "payload",
    ] {
        assert!(f.get(key).is_some(), "frame has {key}");
    }
    assert_eq!(f["type"], "HAPROXY-HELLO");
    assert_eq!(f["direction"], "haproxy-to-agent");
    assert!(f["time"].as_f64().unwrap() > 1.7e9);
    assert_eq!(f["payload"]["kind"], "kv");
    assert_eq!(f["payload"]["items"][1]["name"], "max-frame-size");
    assert_eq!(f["payload"]["items"][1]["value"], 16380);
    let f010 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "SPOP-F010")
        .unwrap();
    assert_eq!(f010["severity"], "error");
    let outer = f010["frames"][0].as_u64().unwrap() as usize;
    assert_eq!(frames[outer]["type"], "AGENT-DISCONNECT");
    assert!(f010["message"]
        .as_str()
        .unwrap()
        .contains("contains 2 complete ACK frames"));
    // Deterministic: byte-identical across runs.
    let again = run(
        &[
            "--format",
            "json",
            &fixture("haproxy26-interleaved-disconnect.pcap"),
        ],
        b"",
    );
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn markdown_report() {
    let out = run(
        &[
            "--format",
            "markdown",
            &fixture("haproxy26-interleaved-disconnect.pcap"),
        ],
        b"",
    );
    let s = stdout(&out);
    assert!(s.starts_with("## SPOP capture report"));
    assert!(s.contains("| 1 | 127.0.0.1:51342 | 127.0.0.1:12345 | <=3.0 | 16380 |"));
    assert!(s.contains("#### 🛑 `SPOP-F010` interleaved-frames (error, 2×)"));
    assert!(s.contains("> The bytes of one frame contain other complete frames"));
    assert!(
        s.contains("```text\n"),
        "a timeline excerpt around each error"
    );
    assert!(s.contains(">    0.028470 ← AGENT-DISCONNECT"));
}

#[test]
fn zoom_on_a_connection_and_limit() {
    let f = fixture("haproxy26-clean.pcap");
    let s = stdout(&run(&[&f, "--connection", "2"], b""));
    assert!(
        s.contains("connection 2 ") && !s.contains("connection 1 "),
        "{s}"
    );
    let s = stdout(&run(&[&f, "--connection", "1", "--limit", "2"], b""));
    let frame_lines = s
        .lines()
        .filter(|l| {
            l.trim_start()
                .split(' ')
                .next()
                .is_some_and(|t| t.contains('.') && t.parse::<f64>().is_ok())
        })
        .count();
    assert_eq!(frame_lines, 2, "{s}");
    assert!(s.contains("… 6 more frame(s) without findings"), "{s}");
    let out = run(&[&f, "--connection", "9"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the capture has 2 SPOP connection(s)"));
}

#[test]
fn slow_ack_threshold() {
    let f = fixture("haproxy34-clean.pcap");
    let s = stdout(&run(&[&f, "--slow-ack", "0.3"], b""));
    assert!(s.contains("SPOP-X008 slow-ack: ACK stream"), "{s}");
    assert!(!stdout(&run(&[&f], b"")).contains("SPOP-X008"));
}

/// `--timeout-processing` reads HAProxy's time syntax (a bare number is milliseconds), and
/// `--slow-ack` is the same option: the same threshold gives the same report; the Markdown
/// report says which timeout it used.
#[test]
fn timeout_processing_in_haproxy_time_syntax() {
    let f = fixture("haproxy34-clean.pcap");
    let json = |args: &[&str]| {
        stdout(&run(
            &[&[f.as_str(), "--format", "json"][..], args].concat(),
            b"",
        ))
    };
    let slow = json(&["--slow-ack", "0.3"]);
    assert!(slow.contains("\"SPOP-X008\""));
    for same in [
        &["--timeout-processing", "300us"][..],
        &["--timeout-processing=0.3"],
        &["--timeout-processing", "0.3ms"],
        &["--slow-ack", "300us"],
    ] {
        assert_eq!(json(same), slow, "{same:?}");
    }
    assert!(!json(&["--timeout-processing", "1s"]).contains("SPOP-X008"));
    let md = stdout(&run(
        &[&f, "--format", "markdown", "--timeout-processing", "2s"],
        b"",
    ));
    assert!(md.contains("- **timeout processing:** 2s ("), "{md}");
    let out = run(&[&f, "--timeout-processing", "5 sec"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown unit \"sec\"; write a time as HAProxy does: 500ms, 2s, 1m"),
        "{err}"
    );
    let help = stdout(&run(&["--help"], b""));
    assert!(
        help.contains("--timeout-processing <TIME>") && help.contains("--slow-ack"),
        "{help}"
    );
    // A link carries it, as the web inspector's do.
    let link = stdout(&run(
        &[
            &f,
            "--link",
            "https://x.example/",
            "--timeout-processing",
            "0.3",
        ],
        b"",
    ));
    let text = spop_codec::capture::bundle::fragment_bundle(link.trim().split_once('#').unwrap().1)
        .unwrap();
    let bundle = spop_codec::capture::bundle::Bundle::from_text(text).unwrap();
    assert_eq!(bundle.get("timeout.processing"), Some("300us"));
}

#[test]
fn threads_do_not_change_the_report() {
    let f = fixture("haproxy26-interleaved-disconnect.pcap");
    let one = run(&[&f, "--format", "json", "--threads", "1"], b"");
    for n in ["3", "0"] {
        let other = run(&[&f, "--format", "json", "--threads", n], b"");
        assert_eq!(other.status.code(), one.status.code());
        assert_eq!(stdout(&other), stdout(&one), "--threads {n}");
    }
    assert!(stdout(&one).contains("SPOP-F010"));
}

#[test]
fn rules_catalogue() {
    let s = stdout(&run(&["rules"], b""));
    assert!(s.lines().count() >= 48);
    assert!(s.contains("SPOP-F010  error    interleaved-frames"));
    let v: serde_json::Value =
        serde_json::from_slice(&run(&["rules", "--format", "json"], b"").stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), s.lines().count() - 1);
    assert!(v[0]["explanation"].as_str().unwrap().len() > 50);
}

#[test]
fn stdin_hex_and_raw_binary() {
    let out = run(&["-"], DISCONNECT_THEN_ACK.as_bytes());
    let s = stdout(&out);
    assert!(
        s.contains("input: raw SPOP byte stream (pasted as plain hex)"),
        "{s}"
    );
    assert!(
        s.contains("SPOP-T001"),
        "an ACK after the AGENT-DISCONNECT: {s}"
    );
    assert_eq!(out.status.code(), Some(1));
    let bin: Vec<u8> = (0..DISCONNECT_THEN_ACK.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&DISCONNECT_THEN_ACK[i..i + 2], 16).unwrap())
        .collect();
    let s = stdout(&run(&["-"], &bin));
    assert!(s.contains("input: raw SPOP byte stream;"), "{s}");
}

#[test]
fn unreadable_input_exits_2_with_a_message() {
    for (input, message) in [
        (&b""[..], "the input is empty"),
        (
            &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0][..],
            "a JPEG image, not a capture",
        ),
        (
            &[0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09][..],
            "not a pcap or pcapng file",
        ),
        (&[0xD4, 0xC3, 0xB2, 0xA1, 2, 0][..], "pcap"),
    ] {
        let out = run(&["-"], input);
        assert_eq!(out.status.code(), Some(2), "{message}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{err}");
        assert!(!err.contains("panicked"));
    }
    let out = run(&["/nonexistent/capture.pcap"], b"");
    assert_eq!(out.status.code(), Some(2));
}

/// A `.pcap.gz` opens as the capture it holds; a gzip bomb exits 2 with a message.
#[test]
fn gzip_compressed_capture() {
    let dir = std::env::temp_dir().join(format!("spop-cli-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = fixture("haproxy26-interleaved-disconnect.pcap");
    let bytes = std::fs::read(&plain).unwrap();
    let gz = dir.join("capture.pcap.gz");
    std::fs::write(&gz, spop_tests::gzip::gzip(&bytes, "capture.pcap")).unwrap();
    let a = run(&[&plain], b"");
    let b = run(&[gz.to_str().unwrap()], b"");
    assert_eq!(a.status.code(), b.status.code());
    let (a, b) = (stdout(&a), stdout(&b));
    assert!(b.contains("SPOP-F010"), "{b}");
    // The same report but for the name.
    assert_eq!(
        a.lines().skip(1).collect::<Vec<_>>(),
        b.lines().skip(1).collect::<Vec<_>>()
    );
    let out = run(&["-"], &spop_tests::gzip::bomb(300 << 20));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("inflates past 256 MiB"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_has_examples() {
    let s = stdout(&run(&["--help"], b""));
    assert!(s.contains("Examples:") && s.contains("--fail-on") && s.contains("spop-inspect rules"));
}

/// A reader that stops early (`| head`): no message, and the exit status of a complete run (the
/// findings decide it, not the pipe).
#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::io::Read;
    // 4,000 NOTIFYs whose message name cannot be read: errors, and megabytes of JSON and text
    // (far more than a pipe holds).
    let input = spop_tests::shapes::string_of_2_60(4_000);
    let path = std::env::temp_dir().join(format!("spop-closed-pipe-{}.bin", std::process::id()));
    std::fs::write(&path, &input).unwrap();
    for format in ["json", "text"] {
        let args = ["--format", format, "--limit", "0", path.to_str().unwrap()];
        let complete = run(&args, b"");
        assert_eq!(complete.status.code(), Some(1), "{format}: errors: exit 1");
        let len = complete.stdout.len();
        assert!(len > 1 << 20, "{format}: {len} bytes");
        let mut child = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn spop-inspect");
        let mut first = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The pipe closes here, with most of the output unwritten.
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "",
            "{format}: nothing to say"
        );
    }
    std::fs::remove_file(&path).unwrap();
}

/// An input without times (a VTest script) has no latency to report: null in JSON and no
/// "latency 0.000 ms" in the text, where a capture of the same exchange measures it.
#[test]
fn no_latency_is_made_up_for_an_input_without_times() {
    let script = fixture("text/vtest-sendhex.haproxy34-clean.vtc");
    let out = run(&["--format", "json", &script], b"");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &r["connections"][0];
    assert_eq!(c["answered"], 5, "{c}");
    assert!(
        c["median_latency_ms"].is_null() && c["max_latency_ms"].is_null(),
        "{c}"
    );
    let acks: Vec<&serde_json::Value> = r["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["type"] == "ACK")
        .collect();
    assert_eq!(acks.len(), 5);
    assert!(acks
        .iter()
        .all(|f| f["latency_ms"].is_null() && !f["pair"].is_null()));
    let text = stdout(&run(&["--color", "never", &script], b""));
    assert!(!text.contains("latency"), "{text}");

    let capture = fixture("haproxy34-clean.pcap");
    let out = run(&["--format", "json", &capture], b"");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["connections"][0]["median_latency_ms"].as_f64().unwrap() > 0.0);
}

/// Past `--limit`, what is folded away is counted honestly: info findings are named, and the
/// hint offers `--connection` only when the view is not already one connection.
#[test]
fn the_limit_says_what_it_hides() {
    let f = fixture("haproxy26-pyagent.pcap");
    let s = stdout(&run(&[&f, "--color", "never", "--limit", "1"], b""));
    assert!(
        s.contains("… 5 more frame(s) without errors or warnings, 2 info finding(s) among them (--limit 0 shows all, --connection 2 this one only)"),
        "{s}"
    );
    let s = stdout(&run(
        &[&f, "--color", "never", "--limit", "1", "--connection", "1"],
        b"",
    ));
    assert!(
        s.contains("3 info finding(s) among them (--limit 0 shows all)\n"),
        "{s}"
    );
}

/// Option values that cannot mean anything are refused (exit 2), not silently turned into
/// something else; a pasted hex dump too short to be anything says what it decoded to, and
/// standard input is called that.
#[test]
fn meaningless_values_are_refused() {
    for args in [
        &["--slow-ack", "NaN"][..],
        &["--slow-ack=-5"],
        &["--slow-ack", "inf"],
        &["--threads", "65"],
    ] {
        let out = run(&[args, &["-"]].concat(), DISCONNECT_THEN_ACK.as_bytes());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("invalid value"), "{args:?}: {err}");
    }
    assert_eq!(
        run(&["--threads", "64", "-"], DISCONNECT_THEN_ACK.as_bytes())
            .status
            .code(),
        Some(1)
    );
    let out = run(&["-"], b"aabb\n");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "spop-inspect: standard input: the plain hex decodes to 2 byte(s) (aa bb): too few for a capture file or an SPOP frame\n"
    );
}

/// Two file names: one report per run, said plainly (clap alone called the second name an
/// unknown subcommand).
#[test]
fn two_inputs_are_refused_with_a_way_out() {
    let (a, b) = (
        fixture("haproxy26-clean.pcap"),
        fixture("haproxy34-clean.pcap"),
    );
    let out = run(&[&a, &b], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("spop-inspect: one input per run, got 2: "),
        "{err}"
    );
    assert!(err.contains(&b) && err.contains("for f in"), "{err}");
    assert!(out.stdout.is_empty());
}

/// `rules --help` describes the catalogue's formats, not the report's.
#[test]
fn rules_help_speaks_of_rules() {
    let help = stdout(&run(&["rules", "--help"], b""));
    assert!(help.contains("One line per rule"), "{help}");
    assert!(!help.contains("timeline"), "{help}");
}

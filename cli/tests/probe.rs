//! `spop-inspect probe` against the project's test agent: clean, and in every faulty mode it
//! can be given, each named by the right rule; the errors for what cannot be probed; the
//! bundle; a unix socket; hostile agents that must not hang the probe; `--replay`.
//!
//! Every agent listens on 127.0.0.1 (or a unix socket in a temporary directory) and stops
//! when its test ends; every probe run is bounded by its `--timeout`.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use spop_tests::agent::{Agent, AgentConfig};
use spop_tests::procs::{output_within, Stopper, TempDir};

/// Runs `spop-inspect probe ADDR ARGS…` with short waits; its output and how long it took.
fn probe(addr: &str, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spop-inspect"));
    cmd.args(["probe", addr, "--idle", "0.2"])
        .args(if args.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "1"][..]
        })
        .args(args);
    let out = output_within(&mut cmd, Duration::from_secs(60));
    (out, start.elapsed())
}

/// The JSON report of a probe of `agent`, and its exit status.
fn report(agent: &Agent, args: &[&str]) -> (Json, i32) {
    let addr = agent.addr().to_string();
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (out, took) = probe(&addr, &all);
    assert!(took < Duration::from_secs(30), "the probe took {took:?}");
    let json: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (json, out.status.code().unwrap_or(-1))
}

/// (code, severity, message) of every finding.
fn findings(json: &Json) -> Vec<(String, String, String)> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Codes of the error and warning findings.
fn faults(json: &Json) -> BTreeSet<String> {
    findings(json)
        .into_iter()
        .filter(|(_, s, _)| s != "info")
        .map(|(c, _, _)| c)
        .collect()
}

fn start(config: AgentConfig) -> Agent {
    Agent::start_with(config).expect("the test agent listens")
}

#[test]
fn a_well_behaved_agent_probes_clean() {
    for (config, args, pipelining) in [
        (AgentConfig::default(), &[][..], true),
        (AgentConfig::default(), &["--haproxy", "3.0"][..], true),
        (AgentConfig::default().pipelining(false), &[][..], false),
    ] {
        let agent = start(config);
        let (json, code) = report(&agent, &[args, &["--fail-on", "warning"]].concat());
        assert_eq!(
            faults(&json),
            BTreeSet::new(),
            "{args:?}: {:#?}",
            findings(&json)
        );
        assert_eq!(code, 0, "{args:?}");
        // The conversation the issue asks for: a health check, edge cases, load on
        // parallel connections (dozens of NOTIFYs each), an idle connection.
        let conns = json["connections"].as_array().expect("connections");
        assert!(conns.len() >= 7, "{} connections", conns.len());
        assert!(conns.iter().any(|c| c["healthcheck"] == true));
        let busy = conns
            .iter()
            .filter(|c| c["notifies"].as_u64().unwrap_or(0) >= 24)
            .count();
        assert!(busy >= 4, "{busy} connections with dozens of NOTIFYs");
        assert!(
            agent.received() >= 4 * 60 + 14,
            "{} NOTIFYs",
            agent.received()
        );
        // Frames in small writes: a HELLO and a NOTIFY byte by byte (one segment per byte),
        // a NOTIFY in 7-byte writes, and a NOTIFY of exactly the negotiated max-frame-size.
        let frames = json["frames"].as_array().expect("frames");
        let sent = |t: &'static str| {
            frames
                .iter()
                .filter(move |f| f["direction"] == "haproxy-to-agent" && f["type"] == t)
        };
        let bytes = |f: &Json| f["length"].as_u64().unwrap_or(0) + 4;
        let segments = |f: &Json| f["segments"].as_u64().unwrap_or(0);
        assert!(
            sent("HAPROXY-HELLO").any(|f| segments(f) == bytes(f)),
            "{args:?}"
        );
        assert!(sent("NOTIFY").any(|f| segments(f) == bytes(f) && bytes(f) > 20));
        assert!(sent("NOTIFY").any(|f| segments(f) == bytes(f).div_ceil(7) && segments(f) > 1));
        assert!(
            sent("NOTIFY").any(|f| f["length"] == 16380),
            "a NOTIFY at max-frame-size"
        );
        let legacy = args.contains(&"3.0");
        let generation = if legacy { "<=3.0" } else { "3.1+" };
        let spoken = conns
            .iter()
            .filter(|c| c["notifies"].as_u64().unwrap_or(0) > 0)
            .all(|c| c["generation"] == generation);
        assert!(spoken, "{args:?}: every NOTIFY connection is {generation}");
        if !pipelining {
            // Without pipelining, one NOTIFY at a time, as HAProxy does.
            assert!(conns
                .iter()
                .all(|c| c["max_outstanding"].as_u64() <= Some(1)));
        } else {
            assert!(conns
                .iter()
                .any(|c| c["max_outstanding"].as_u64() >= Some(10)));
        }
    }
}

/// The probe-only finding `code`'s message (the first), asserting it exists.
fn message(json: &Json, code: &str) -> String {
    findings(json)
        .into_iter()
        .find(|(c, _, _)| c == code)
        .map(|(_, _, m)| m)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", findings(json)))
}

#[test]
fn each_faulty_agent_is_named_by_its_rule() {
    let ms = Duration::from_millis;
    let cases: Vec<(&str, AgentConfig, &[&str])> = vec![
        // Closes on the 3rd NOTIFY (probe-uint): no ACK, no DISCONNECT.
        (
            "close-after",
            AgentConfig::default().close_after(3),
            &["SPOP-P001"],
        ),
        (
            "crash-on-non-ascii",
            AgentConfig::default().crash_on_non_ascii(true),
            &["SPOP-P001"],
        ),
        (
            "wrong-ids",
            AgentConfig::default().wrong_ids_on(2),
            &["SPOP-X001", "SPOP-P002"],
        ),
        (
            "ack-after-disconnect",
            AgentConfig::default().ack_after_disconnect(true),
            &["SPOP-T001"],
        ),
        (
            "oversized-ack",
            AgentConfig::default().oversized_ack_on(1),
            &["SPOP-F002"],
        ),
        (
            "no-version",
            AgentConfig::default().version(None),
            &["SPOP-H003"],
        ),
        (
            "wrong-version",
            AgentConfig::default().version(Some("1.0")),
            &["SPOP-H004"],
        ),
        (
            "slow",
            AgentConfig::default()
                .delay(ms(1500), ms(1500))
                .delay_only_on(4),
            &["SPOP-P002"],
        ),
        (
            "interleaved-disconnect",
            AgentConfig::default()
                .delay(ms(20), ms(60))
                .interleave_disconnect(true),
            &["SPOP-F010"],
        ),
        (
            "accept-and-close",
            AgentConfig::default().accept_and_close(true),
            &["SPOP-P001"],
        ),
    ];
    for (name, config, expected) in cases {
        let agent = start(config);
        let (json, code) = report(&agent, &[]);
        let got = faults(&json);
        for e in expected {
            assert!(
                got.contains(*e),
                "{name}: {e} missing from {:#?}",
                findings(&json)
            );
        }
        assert_eq!(code, 1, "{name}: findings at error level exit 1");
        match name {
            "close-after" => {
                let m = message(&json, "SPOP-P001");
                assert!(
                    m.contains("probe-uint") && m.contains("uint64-max=UINT64"),
                    "{m}"
                );
            }
            "crash-on-non-ascii" => {
                let m = message(&json, "SPOP-P001");
                assert!(m.contains("probe-string-non-ascii"), "{m}");
            }
            "slow" => {
                let m = message(&json, "SPOP-P002");
                assert!(m.contains("probe-string-empty"), "{m}");
            }
            _ => {}
        }
    }
}

#[test]
fn what_cannot_be_probed_exits_2_with_one_line_naming_the_address() {
    // Refused: a port nothing listens on any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let refused = format!("127.0.0.1:{port}");
    // Not SPOP: an HTTP server answering 400 to anything.
    let http = TcpListener::bind("127.0.0.1:0").expect("listen");
    let http_addr = http.local_addr().expect("addr").to_string();
    http.set_nonblocking(true).expect("nonblocking");
    // Stopped and joined on drop, also when an assertion fails.
    let _server = Stopper::spawn(move |stop| {
        while !stop.load(Ordering::Relaxed) {
            if let Ok((mut s, _)) = http.accept() {
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = s.read(&mut [0u8; 512]);
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            } else {
                thread::sleep(Duration::from_millis(5));
            }
        }
    });
    // Unresolvable without asking a resolver: a port out of range, and no port at all (tests
    // talk to loopback only, and a slow resolver would make the time bound flaky).
    for (addr, says) in [
        (refused.as_str(), "refused"),
        ("127.0.0.1:99999", "cannot resolve"),
        ("127.0.0.1", "cannot resolve"),
        (http_addr.as_str(), "not an SPOP agent"),
    ] {
        let (out, took) = probe(addr, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{addr}: {err}");
        assert_eq!(err.lines().count(), 1, "{addr}: {err}");
        assert!(err.contains(addr) && err.contains(says), "{addr}: {err}");
        assert!(out.stdout.is_empty(), "{addr}");
        assert!(took < Duration::from_secs(10), "{addr}: {took:?}");
    }
    assert!(String::from_utf8_lossy(&probe(&http_addr, &[]).0.stderr).contains("HTTP/1.1 400"));
}

#[test]
fn a_wait_under_a_millisecond_is_refused() {
    // 1e-10 s would become a zero wait: every read would end at once.
    for (t, ok) in [
        ("1e-10", false),
        ("0.0009", false),
        ("0", false),
        ("0.001", true),
    ] {
        let out = output_within(
            Command::new(env!("CARGO_BIN_EXE_spop-inspect")).args([
                "probe",
                "127.0.0.1:99999",
                "--timeout",
                t,
            ]),
            Duration::from_secs(60),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{t}: {err}");
        // Refused by the option's check, or (when accepted) by the address after it.
        assert_eq!(err.contains("from 0.001 (1 ms)"), !ok, "{t}: {err}");
        assert_eq!(err.contains("cannot resolve"), ok, "{t}: {err}");
    }
}

#[test]
fn the_bundle_reopens_as_the_same_report_with_the_probe_rules() {
    let agent = start(AgentConfig::default().crash_on_non_ascii(true));
    let dir = TempDir::new("spop-probe-bundle");
    let file = dir.join("session.spop");
    let (out, _) = probe(
        &agent.addr().to_string(),
        &["--bundle", file.to_str().expect("utf-8 path")],
    );
    // With --bundle, as for a capture, no report on standard output: read it back.
    assert!(out.stdout.is_empty());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_spop-inspect")).args([
            file.to_str().expect("utf-8 path"),
            "--format",
            "json",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1));
    let reopened: Json = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        faults(&reopened).contains("SPOP-P001"),
        "{:#?}",
        findings(&reopened)
    );
    // Its Markdown report says what it is: a probe session, not a capture.
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_spop-inspect")).args([
            file.to_str().expect("utf-8 path"),
            "--format",
            "markdown",
        ]),
        Duration::from_secs(60),
    );
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("## SPOP probe report: "), "{md}");
    // The same findings as the live report.
    let (live, _) = report(&agent, &[]);
    assert_eq!(faults(&reopened), faults(&live));
    // A link opens it in the web inspector.
    let (out, _) = probe(
        &agent.addr().to_string(),
        &["--link", "https://example.org/spop/"],
    );
    let link = String::from_utf8_lossy(&out.stdout);
    assert!(
        link.starts_with("https://example.org/spop/#spop="),
        "{link}"
    );
}

#[test]
fn a_unix_socket_agent_is_probed() {
    let agent = start(AgentConfig::default());
    let dir = TempDir::new("spop-probe-unix");
    let path: PathBuf = dir.join("agent.sock");
    let listener = UnixListener::bind(&path).expect("unix listen");
    listener.set_nonblocking(true).expect("nonblocking");
    let tcp = agent.addr();
    // Forwards each unix connection to the TCP agent, both ways; stopped and joined on drop,
    // which shuts its sockets down so the pumps end even while the agent still runs.
    let _forwarder = {
        Stopper::spawn(move |stop| {
            let mut pumps = Vec::new();
            let mut socks = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let Ok((u, _)) = listener.accept() else {
                    thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let _ = u.set_nonblocking(false);
                let Ok(t) = TcpStream::connect(tcp) else {
                    continue;
                };
                let (mut u2, mut t2) =
                    (u.try_clone().expect("clone"), t.try_clone().expect("clone"));
                if let Ok(c) = t.try_clone() {
                    socks.push(c);
                }
                let (mut u, mut t) = (u, t);
                pumps.push(thread::spawn(move || {
                    let _ = std::io::copy(&mut u, &mut t);
                    let _ = t.shutdown(std::net::Shutdown::Write);
                }));
                pumps.push(thread::spawn(move || {
                    let _ = std::io::copy(&mut t2, &mut u2);
                    let _ = u2.shutdown(std::net::Shutdown::Write);
                }));
            }
            for s in socks {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            for p in pumps {
                let _ = p.join();
            }
        })
    };
    let (out, took) = probe(
        path.to_str().expect("utf-8 path"),
        &["--format", "json", "--fail-on", "warning"],
    );
    let json: Json = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(0), "{:#?}", findings(&json));
    assert!(agent.received() >= 4 * 60, "{}", agent.received());
    assert!(took < Duration::from_secs(30));
}

#[test]
fn an_agent_that_never_accepts_ends_the_probe_at_the_timeout() {
    let dir = TempDir::new("spop-probe-backlog");
    let path = dir.join("agent.sock");
    let listener = UnixListener::bind(&path).expect("unix listen");
    // Fill its listen queue: clients connect until a connect blocks (the queue is full).
    let queued = Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let (queued, path) = (queued.clone(), path.clone());
        // Ends when the listener closes: the blocked connect fails then.
        thread::spawn(move || {
            while let Ok(c) = std::os::unix::net::UnixStream::connect(&path) {
                if let Ok(mut q) = queued.lock() {
                    q.push(c);
                }
            }
        });
    }
    let count = || queued.lock().map(|q| q.len()).unwrap_or(0);
    let mut last = (0, Instant::now());
    while count() == 0 || last.1.elapsed() < Duration::from_millis(300) {
        if count() != last.0 {
            last = (count(), Instant::now());
        }
        assert!(
            last.1.elapsed() < Duration::from_secs(20),
            "the queue never fills"
        );
        thread::sleep(Duration::from_millis(10));
    }
    let (out, took) = probe(path.to_str().expect("utf-8 path"), &["--timeout", "0.5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no answer to the connection attempt within 0.5 s"),
        "{err}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    drop(listener);
}

#[test]
fn a_name_is_probed_at_whichever_of_its_addresses_the_agent_listens_on() {
    // `localhost` may resolve to ::1 before 127.0.0.1; the agent listens on 127.0.0.1 only.
    let agent = start(AgentConfig::default());
    let (out, _) = probe(
        &format!("localhost:{}", agent.addr().port()),
        &["--format", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(agent.received() > 0);
}

/// A hostile agent: `answer` is what it writes after reading the HELLO (then it keeps the
/// connection open until the test ends, reading nothing).
fn hostile(answer: &'static [u8], forever: bool) -> (String, Stopper) {
    let l = TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = l.local_addr().expect("addr").to_string();
    l.set_nonblocking(true).expect("nonblocking");
    let h = Stopper::spawn(move |s| {
        let mut held = Vec::new();
        while !s.load(Ordering::Relaxed) {
            if let Ok((mut c, _)) = l.accept() {
                let _ = c.set_nonblocking(false);
                let _ = c.set_read_timeout(Some(Duration::from_millis(100)));
                let _ = c.read(&mut [0u8; 4096]);
                let _ = c.set_write_timeout(Some(Duration::from_millis(100)));
                let _ = c.write_all(answer);
                if forever {
                    // A flood: the same bytes again and again until the probe stops reading.
                    let until = Instant::now() + Duration::from_secs(5);
                    while Instant::now() < until
                        && !s.load(Ordering::Relaxed)
                        && c.write_all(answer).is_ok()
                    {}
                }
                held.push(c);
            } else {
                thread::sleep(Duration::from_millis(5));
            }
        }
    });
    (addr, h)
}

#[test]
fn hostile_agents_end_the_run_with_a_report_never_a_hang() {
    // An AGENT-HELLO, then silence: every wait ends at the timeout.
    let mut hello = Vec::new();
    spop_codec::wire::FrameRepr::agent_hello("2.0", 16380, "pipelining")
        .emit(&mut hello)
        .expect("encodes");
    let hello: &'static [u8] = hello.leak();
    // A LENGTH of 4 GB: never read, never allocated.
    let huge: &'static [u8] = b"\xff\xff\xff\xf0\x02\x01\x00\x00";
    for (name, answer, flood, expect) in [
        ("silent after HELLO", hello, false, "SPOP-P002"),
        (
            "huge LENGTH after HELLO",
            [hello, huge].concat().leak() as &'static [u8],
            false,
            "SPOP-F012",
        ),
        ("a flood of HELLOs", hello, true, "SPOP-P005"),
    ] {
        let (addr, agent) = hostile(answer, flood);
        let (out, took) = probe(&addr, &["--format", "json", "--timeout", "0.5"]);
        drop(agent);
        assert!(took < Duration::from_secs(30), "{name}: {took:?}");
        assert_eq!(out.status.code(), Some(1), "{name}");
        {
            let json: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr))
            });
            assert!(
                faults(&json).contains(expect),
                "{name}: {:#?}",
                findings(&json)
            );
        }
    }
}

#[test]
fn replay_sends_hapoxys_notifies_of_a_capture() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");
    // The smallest real capture with NOTIFYs.
    let mut captures: Vec<PathBuf> = std::fs::read_dir(fixture)
        .expect("fixtures")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    captures.sort_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(u64::MAX));
    let (capture, notifies) = captures
        .iter()
        .find_map(|p| {
            let out = output_within(
                Command::new(env!("CARGO_BIN_EXE_spop-inspect")).args([
                    p.to_str()?,
                    "--format",
                    "json",
                ]),
                Duration::from_secs(60),
            );
            let json: Json = serde_json::from_slice(&out.stdout).ok()?;
            let n: u64 = json["connections"]
                .as_array()?
                .iter()
                .filter(|c| c["healthcheck"] != true)
                .map(|c| c["notifies"].as_u64().unwrap_or(0))
                .sum();
            (n > 0).then(|| (p.clone(), n))
        })
        .expect("a fixture with NOTIFYs");
    let agent = start(AgentConfig::default());
    let path = capture.to_str().expect("utf-8 path");
    let (json, code) = report(&agent, &["--replay", path]);
    assert_eq!(agent.received() as u64, notifies, "{}", capture.display());
    assert!(
        faults(&json).iter().all(|c| !c.starts_with("SPOP-P")),
        "{:#?}",
        findings(&json)
    );
    assert!(code == 0 || code == 1);
    // With --replay-timing, the NOTIFYs of each connection keep the capture's spacing; without
    // it they leave back to back.
    let spans = |j: &Json| -> Vec<f64> {
        let mut by_conn: std::collections::BTreeMap<u64, Vec<f64>> = Default::default();
        for f in j["frames"].as_array().expect("frames") {
            if f["type"] == "NOTIFY" && f["direction"] == "haproxy-to-agent" {
                let c = f["connection"].as_u64().unwrap_or(0);
                by_conn
                    .entry(c)
                    .or_default()
                    .push(f["time"].as_f64().unwrap_or(0.0));
            }
        }
        by_conn
            .values()
            .map(|t| {
                let max = t.iter().copied().fold(f64::MIN, f64::max);
                max - t.iter().copied().fold(f64::MAX, f64::min)
            })
            .collect()
    };
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_spop-inspect")).args([path, "--format", "json"]),
        Duration::from_secs(60),
    );
    let original: Json = serde_json::from_slice(&out.stdout).expect("JSON");
    let widest = spans(&original).into_iter().fold(0.0, f64::max);
    assert!(
        widest > 0.02,
        "{widest} s: the capture's NOTIFYs are spread out"
    );
    let (timed, _) = report(&agent, &["--replay", path, "--replay-timing"]);
    let kept = spans(&timed).into_iter().fold(0.0, f64::max);
    assert!(kept >= widest * 0.9, "with timing: {kept} s for {widest} s");
    let fast = spans(&json).into_iter().fold(0.0, f64::max);
    assert!(
        fast < widest * 0.5,
        "as fast as possible: {fast} s for {widest} s"
    );
}

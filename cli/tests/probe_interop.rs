//! The probe's conversation checked against real HAProxy behaviour: the same test agent, in
//! the same mode, probed (`probe --haproxy 3.0`, Debian's HAProxy being 2.6) and put behind
//! Debian's haproxy with tcpdump recording, gives the same verdict for the shared rules (every
//! rule but the probe-only SPOP-P family): the worst severity among them is the same (clean
//! for a well-behaved agent), and the rule that names each fault is in both reports.
//!
//! Installs `haproxy` and `tcpdump` with apt-get when missing (as root). Every process the
//! test starts is stopped when it ends, pass or fail.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use spop_tests::agent::{Agent, AgentConfig};
use spop_tests::procs::{ensure, free_port, output_within, wait_for_port, Proc, TempDir};

/// One HTTP request through HAProxy (its answer does not matter: a faulty agent may fail it).
fn get(port: u16, i: usize) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
        s,
        "GET /item/{i} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: interop-{i}\r\nConnection: close\r\n\r\n"
    );
    let _ = s.read_to_end(&mut Vec::new());
}

fn write_configs(dir: &Path, http_port: u16, agent_port: u16) -> PathBuf {
    let spoe = dir.join("spoe.cfg");
    std::fs::write(
        &spoe,
        "[iprep]\n\
         spoe-agent iprep-agent\n\
         \x20   messages check-client-ip\n\
         \x20   option var-prefix iprep\n\
         \x20   option pipelining\n\
         \x20   timeout hello 2s\n\
         \x20   timeout idle 30s\n\
         \x20   timeout processing 1s\n\
         \x20   use-backend spoe-agents\n\
         spoe-message check-client-ip\n\
         \x20   args ip=src port=src_port ua=req.fhdr(user-agent) method=method path=path ssl=ssl_fc\n\
         \x20   event on-frontend-http-request\n",
    )
    .expect("spoe.cfg");
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "global\n\
             \x20   nbthread 1\n\
             defaults\n\
             \x20   mode http\n\
             \x20   timeout connect 2s\n\
             \x20   timeout client 5s\n\
             \x20   timeout server 30s\n\
             frontend fe\n\
             \x20   bind 127.0.0.1:{http_port}\n\
             \x20   filter spoe engine iprep config {spoe}\n\
             \x20   http-request return status 200 content-type text/plain string \"ok\"\n\
             backend spoe-agents\n\
             \x20   mode tcp\n\
             \x20   server agent 127.0.0.1:{agent_port}\n",
            spoe = spoe.display()
        ),
    )
    .expect("haproxy.cfg");
    cfg
}

/// What HAProxy's side of a connection looks like: the generation the engine reads from it,
/// the capabilities and max-frame-size it offered (connections that carried NOTIFYs).
type Side = BTreeSet<(String, String, u64)>;

/// Error and warning codes of a JSON report without the probe-only family, its verdict on
/// them (the worst severity among them: 0 none, 1 warning, 2 error), and HAProxy's side.
fn shared(out: &std::process::Output) -> (BTreeSet<String>, u8, Side) {
    let json: Json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut worst = 0;
    let mut codes = BTreeSet::new();
    for f in json["findings"].as_array().expect("findings") {
        let code = f["code"].as_str().unwrap_or_default();
        let level = match f["severity"].as_str() {
            Some("error") => 2,
            Some("warning") => 1,
            _ => 0,
        };
        if level > 0 && !code.starts_with("SPOP-P") {
            worst = worst.max(level);
            codes.insert(code.to_string());
        }
    }
    let side = json["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .filter(|c| c["notifies"].as_u64().unwrap_or(0) > 0)
        .map(|c| {
            (
                c["generation"].as_str().unwrap_or_default().to_string(),
                c["capabilities_offered"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                c["announced_max_frame_size"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    (codes, worst, side)
}

/// The verdict of the agent `config` behind Debian's HAProxy: 6 requests, recorded by tcpdump.
fn behind_haproxy(config: AgentConfig, dir: &Path) -> (BTreeSet<String>, u8, Side) {
    let haproxy = ensure("haproxy", "haproxy");
    let tcpdump = ensure("tcpdump", "tcpdump");
    let agent = Agent::start_with(config).expect("the test agent listens");
    let agent_port = agent.addr().port();
    let http_port = free_port();
    let cfg = write_configs(dir, http_port, agent_port);
    let pcap = dir.join("spop.pcap");
    let _ = std::fs::remove_file(&pcap);
    let mut dump = Proc(
        Command::new(&tcpdump)
            .args(["-i", "lo", "--immediate-mode", "-U", "-n", "-s", "0", "-w"])
            .arg(&pcap)
            .args(["tcp", "port", &agent_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcpdump"),
    );
    let stderr = dump.0.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let ready = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(ready.contains("listening on"), "tcpdump: {ready}");
    std::thread::spawn(move || lines.for_each(drop));
    // The capture is live once a knock (a TCP connection without data) is in the file.
    let knock = || {
        let before = std::fs::metadata(&pcap).map_or(0, |m| m.len());
        let start = Instant::now();
        while std::fs::metadata(&pcap).map_or(0, |m| m.len()) <= before {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "tcpdump captured nothing"
            );
            drop(TcpStream::connect(agent.addr()));
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    knock();
    let mut proxy = Proc(
        Command::new(&haproxy)
            .args(["-db", "-f"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start haproxy"),
    );
    assert!(
        wait_for_port(http_port, Duration::from_secs(10)),
        "haproxy did not listen"
    );
    for i in 0..6 {
        get(http_port, i);
    }
    proxy.signal("-USR1");
    if !proxy.wait_exit(Duration::from_secs(5)) {
        proxy.signal("-TERM");
        proxy.wait_exit(Duration::from_secs(5));
    }
    knock();
    dump.signal("-INT");
    assert!(
        dump.wait_exit(Duration::from_secs(5)),
        "tcpdump did not stop"
    );
    drop(agent);
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
            .arg(&pcap)
            .args(["--format", "json", "--port", &agent_port.to_string()]),
        Duration::from_secs(60),
    );
    shared(&out)
}

/// The verdict of the agent `config` probed as HAProxy ≤3.0.
fn probed(config: AgentConfig) -> (BTreeSet<String>, u8, Side) {
    let agent = Agent::start_with(config).expect("the test agent listens");
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
            .args(["probe", &agent.addr().to_string(), "--haproxy", "3.0"])
            .args(["--format", "json", "--timeout", "1.5", "--idle", "0.2"]),
        Duration::from_secs(60),
    );
    shared(&out)
}

/// A mode of the test agent: its name, its configuration, the rules that must name it.
type Case = (&'static str, fn() -> AgentConfig, &'static [&'static str]);

#[test]
fn probe_and_real_haproxy_agree_on_the_shared_rules() {
    // Removed on drop, also when an assertion fails.
    let dir = TempDir::new("spop-probe-interop");
    let cases: Vec<Case> = vec![
        ("clean", AgentConfig::default, &[]),
        (
            "oversized-ack",
            || AgentConfig::default().oversized_ack_on(2),
            &["SPOP-F002"],
        ),
        // HAProxy 2.6 answers the agent's FIN with a HAPROXY-DISCONNECT (SPOP-T003 there),
        // the probe closes (SPOP-N004): both leave the NOTIFY unanswered.
        (
            "close-after",
            || AgentConfig::default().close_after(2),
            &["SPOP-X004"],
        ),
        (
            "wrong-ids",
            || AgentConfig::default().wrong_ids_on(2),
            &["SPOP-X001"],
        ),
    ];
    for (name, config, expected) in cases {
        let (probe_codes, probe_verdict, probe_side) = probed(config());
        let (real_codes, real_verdict, real_side) = behind_haproxy(config(), &dir.0);
        // The probe speaks as that HAProxy does: same generation read from its ids and
        // capabilities, same offer.
        assert_eq!(probe_side, real_side, "{name}: HAProxy's side");
        assert!(
            probe_side.iter().all(|(g, _, _)| g == "<=3.0"),
            "{name}: {probe_side:?}"
        );
        eprintln!("{name}: probe {probe_codes:?} (verdict {probe_verdict}); haproxy {real_codes:?} (verdict {real_verdict})");
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        if expected.is_empty() {
            assert_eq!(probe_codes, expected, "{name}: the probe");
            assert_eq!(real_codes, expected, "{name}: behind HAProxy");
        } else {
            assert!(
                probe_codes.is_superset(&expected),
                "{name}: probe {probe_codes:?}"
            );
            assert!(
                real_codes.is_superset(&expected),
                "{name}: haproxy {real_codes:?}"
            );
        }
        assert_eq!(
            probe_verdict, real_verdict,
            "{name}: the same verdict on the shared rules"
        );
    }
}

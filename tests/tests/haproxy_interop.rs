//! Interop with a real HAProxy (Debian's package): HAProxy with an SPOE filter talks to our
//! agent (built on the codec's encoder) while tcpdump records the SPOP traffic. The HTTP
//! responses carry the variables the agent set, so HAProxy accepted our frames; the capture,
//! decoded by the inspector, pairs every NOTIFY with its ACK.
//!
//! Installs `haproxy` and `tcpdump` with apt-get when missing (as root). Every process the
//! test starts is stopped when it ends, pass or fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use spop_codec::capture::spop::StreamItem;
use spop_codec::capture::{load, LoadOptions};
use spop_codec::wire::{decode_frame, Direction, FrameType, Limits, Payload, Status};
use spop_tests::agent::Agent;
use spop_tests::procs::{ensure, free_port, wait_for_port, Proc};

/// One HTTP/1.1 request; returns (status line, headers lower-cased) and the local port used.
fn get(port: u16, path: &str, ua: &str) -> (String, Vec<(String, String)>, u16) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let local = s.local_addr().unwrap().port();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {ua}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let mut lines = resp.split("\r\n");
    let status = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, local)
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
    h.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
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
         \x20   option force-set-var\n\
         \x20   timeout hello 2s\n\
         \x20   timeout idle 30s\n\
         \x20   timeout processing 2s\n\
         \x20   use-backend spoe-agents\n\
         spoe-message check-client-ip\n\
         \x20   args ip=src port=src_port ua=req.fhdr(user-agent) method=method path=path ssl=ssl_fc hdrs=req.hdrs_bin ip6=ipv6(::1) neg=int(-7) flag=bool(1)\n\
         \x20   event on-frontend-http-request\n",
    )
    .unwrap();
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
             \x20   http-request return status 200 content-type text/plain hdr x-score \"%[var(sess.iprep.score)]\" hdr x-tag \"%[var(txn.iprep.tag)]\" hdr x-types \"%[var(txn.iprep.types)]\" hdr x-flag \"%[var(txn.iprep.flag)]\" string \"ok\"\n\
             backend spoe-agents\n\
             \x20   mode tcp\n\
             \x20   server agent 127.0.0.1:{agent_port}\n",
            spoe = spoe.display()
        ),
    )
    .unwrap();
    cfg
}

#[test]
fn real_haproxy_accepts_our_agent_and_the_capture_decodes() {
    let haproxy = ensure("haproxy", "haproxy");
    let tcpdump = ensure("tcpdump", "tcpdump");
    let dir = std::env::temp_dir().join(format!("spop-interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("spop.pcap");

    let agent = Agent::start().unwrap();
    let agent_port = agent.addr().port();
    let http_port = free_port();
    let cfg = write_configs(&dir, http_port, agent_port);

    // tcpdump on loopback, packet-buffered; ready once it says "listening on".
    let mut dump = Proc(
        Command::new(&tcpdump)
            // --immediate-mode: hand every packet to tcpdump at once (the default ring buffer
            // delivers blocks on a timeout, and a block still pending at exit is lost).
            .args(["-i", "lo", "--immediate-mode", "-U", "-n", "-s", "0", "-w"])
            .arg(&pcap)
            .args(["tcp", "port", &agent_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcpdump"),
    );
    let stderr = dump.0.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let ready = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(
        ready.contains("listening on"),
        "tcpdump did not start: {ready}"
    );
    std::thread::spawn(move || lines.for_each(drop));
    // "listening on" can come before packets are really delivered to tcpdump (slowly so on a
    // loaded machine): knock on the agent's port until the capture file grows, which proves
    // the capture is live. Knocks are TCP connections without data, not SPOP.
    let knock = |what: &str| {
        let before = std::fs::metadata(&pcap).map_or(0, |m| m.len());
        let start = Instant::now();
        while std::fs::metadata(&pcap).map_or(0, |m| m.len()) <= before {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "tcpdump captured nothing {what}"
            );
            drop(TcpStream::connect(agent.addr()));
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    knock("at start");

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
        "haproxy did not listen on {http_port}"
    );

    const REQUESTS: usize = 6;
    for i in 0..REQUESTS {
        let ua = format!("interop-{i}");
        let (status, h, local_port) = get(http_port, &format!("/item/{i}"), &ua);
        assert_eq!(status, "HTTP/1.1 200 OK", "request {i}: {h:?}");
        assert_eq!(
            header(&h, "x-score"),
            (u64::from(local_port) % 100).to_string(),
            "request {i}"
        );
        assert_eq!(header(&h, "x-tag"), format!("ua={ua}"));
        assert_eq!(header(&h, "x-flag"), "1");
        assert_eq!(
            header(&h, "x-types"),
            "IPV4,INT64,STRING,STRING,STRING,BOOL,BINARY,IPV6,INT64,BOOL",
            "the agent decoded every argument type HAProxy sent"
        );
    }
    assert_eq!(agent.notifies(), REQUESTS);

    // Stop HAProxy gracefully (it closes its SPOP connections), then tcpdump.
    proxy.signal("-USR1");
    if !proxy.wait_exit(Duration::from_secs(5)) {
        proxy.signal("-TERM");
        proxy.wait_exit(Duration::from_secs(5));
    }
    // A last knock: once it is in the file, everything before it is too.
    knock("after the traffic");
    dump.signal("-INT");
    assert!(
        dump.wait_exit(Duration::from_secs(5)),
        "tcpdump did not stop"
    );
    drop(agent);

    let bytes = std::fs::read(&pcap).unwrap();
    let cap = load(&bytes, &LoadOptions::default()).unwrap();
    assert!(
        !cap.connections.is_empty(),
        "no SPOP connection in the capture"
    );
    let mut notifies = 0;
    for c in &cap.connections {
        let mut sent = Vec::new();
        let mut acked = Vec::new();
        for dir in [Direction::HaproxyToAgent, Direction::AgentToHaproxy] {
            let data = &c.stream(dir).data;
            for item in c.items(dir) {
                let StreamItem::Frame(r) = item else {
                    panic!("{item}")
                };
                let Ok(Status::Complete(f)) =
                    decode_frame(&data[r.span.range()], r.span.start, Limits::default())
                else {
                    panic!("undecodable frame")
                };
                assert!(f.payload_error().is_none(), "{:?}", f.payload_error());
                match f.frame_type() {
                    FrameType::Notify => {
                        let Payload::Messages(m) = f.payload() else {
                            unreachable!()
                        };
                        assert_eq!(m.iter().next().unwrap().unwrap().args().count(), 10);
                        sent.push((f.stream_id(), f.frame_id(), r.completed_by.timestamp));
                    }
                    FrameType::Ack => {
                        acked.push((f.stream_id(), f.frame_id(), r.completed_by.timestamp))
                    }
                    _ => {}
                }
            }
        }
        for (sid, fid, t) in &sent {
            let matching: Vec<_> = acked
                .iter()
                .filter(|a| (a.0, a.1) == (*sid, *fid))
                .collect();
            assert_eq!(matching.len(), 1, "NOTIFY {sid}/{fid} has exactly one ACK");
            assert!(matching[0].2 >= *t);
        }
        assert_eq!(sent.len(), acked.len());
        notifies += sent.len();
    }
    assert_eq!(
        notifies, REQUESTS,
        "every request's NOTIFY is in the capture"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

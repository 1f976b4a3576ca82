//! Runs the test SPOA agent (`spop_tests::agent`) on a fixed port, with its misbehaviour modes
//! chosen by flags, until it is killed or `--max-seconds` have passed. Every event is logged to
//! stderr, one line each, starting with the Unix time. Used by
//! `tests/fixtures/incidents/record.sh` to record incident captures with a real HAProxy.
//!
//! ```text
//! test-agent [--addr 127.0.0.1:12345] [--max-seconds 60]
//!            [--delay MS | --delay MIN-MAX] [--delay-on N]   # ACK delays (all, or the Nth NOTIFY)
//!            [--serial]            # wait the delays in the reader (a single-threaded agent)
//!            [--no-pipelining]                               # AGENT-HELLO without pipelining
//!            [--close-after N]     # close the connection at the Nth NOTIFY, no ACK, no DISCONNECT
//!            [--oversized-ack N] [--oversize-by B]  # Nth ACK's LENGTH = max-frame-size + B (125)
//!            [--accept-and-close]  # accept every connection and close it at once
//!            [--interleave-disconnect]  # AGENT-DISCONNECT in two writes, delayed ACKs between
//!            [--wrong-ids N]       # the Nth NOTIFY's ACK has frame-id + 1
//!            [--ack-after-disconnect]   # one more ACK after the AGENT-DISCONNECT
//!            [--version V | --no-version]  # the AGENT-HELLO's version (default 2.0)
//!            [--crash-on-non-ascii]     # close, no ACK, no DISCONNECT, on a non-ASCII STRING
//!            [--quiet]
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use spop_tests::agent::{Agent, AgentConfig};

fn parse_ms(s: &str) -> Result<Duration, String> {
    s.parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| format!("not a number of milliseconds: {s}"))
}

fn options() -> Result<(AgentConfig, Duration), String> {
    let mut cfg = AgentConfig::default()
        .addr(SocketAddr::from(([127, 0, 0, 1], 12345)))
        .log(true);
    let mut max = Duration::from_secs(60);
    let mut args = std::env::args().skip(1);
    let num = |v: Option<String>, flag: &str| -> Result<usize, String> {
        v.ok_or(format!("{flag} needs a value"))?
            .parse()
            .map_err(|_| format!("{flag} needs a number"))
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => {
                let v = args.next().ok_or("--addr needs a value")?;
                cfg = cfg.addr(v.parse().map_err(|_| format!("bad address: {v}"))?);
            }
            "--port" => {
                let p = num(args.next(), "--port")?;
                let p = u16::try_from(p).map_err(|_| "bad port")?;
                cfg.addr.set_port(p);
            }
            "--max-seconds" => max = Duration::from_secs(num(args.next(), "--max-seconds")? as u64),
            "--delay" => {
                let v = args.next().ok_or("--delay needs a value")?;
                let (lo, hi) = v.split_once('-').unwrap_or((&v, &v));
                cfg = cfg.delay(parse_ms(lo)?, parse_ms(hi)?);
            }
            "--delay-on" => cfg = cfg.delay_only_on(num(args.next(), "--delay-on")?),
            "--serial" => cfg = cfg.serial(true),
            "--no-pipelining" => cfg = cfg.pipelining(false),
            "--close-after" => cfg = cfg.close_after(num(args.next(), "--close-after")?),
            "--oversized-ack" => cfg = cfg.oversized_ack_on(num(args.next(), "--oversized-ack")?),
            "--oversize-by" => {
                cfg.oversize_by = u32::try_from(num(args.next(), "--oversize-by")?)
                    .map_err(|_| "--oversize-by too large")?
            }
            "--accept-and-close" => cfg = cfg.accept_and_close(true),
            "--interleave-disconnect" => cfg = cfg.interleave_disconnect(true),
            "--wrong-ids" => cfg = cfg.wrong_ids_on(num(args.next(), "--wrong-ids")?),
            "--ack-after-disconnect" => cfg = cfg.ack_after_disconnect(true),
            "--version" => {
                let v = args.next().ok_or("--version needs a value")?;
                cfg = cfg.version(Some(&v));
            }
            "--no-version" => cfg = cfg.version(None),
            "--crash-on-non-ascii" => cfg = cfg.crash_on_non_ascii(true),
            "--quiet" => cfg = cfg.log(false),
            "-h" | "--help" => {
                return Err(
                    "test-agent [--addr IP:PORT | --port P] [--max-seconds S] [--delay MS|MIN-MAX] \
                     [--delay-on N] [--serial] [--no-pipelining] [--close-after N] [--oversized-ack N] \
                     [--oversize-by B] [--accept-and-close] [--interleave-disconnect] [--wrong-ids N] \
                     [--ack-after-disconnect] [--version V | --no-version] [--crash-on-non-ascii] [--quiet]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok((cfg, max))
}

fn main() -> ExitCode {
    let (cfg, max) = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let agent = match Agent::start_with(cfg) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("test-agent: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    while start.elapsed() < max {
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "test-agent: --max-seconds reached; {} connections, {} NOTIFYs received, {} answered",
        agent.connections(),
        agent.received(),
        agent.notifies()
    );
    ExitCode::SUCCESS
}

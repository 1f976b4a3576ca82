//! `spop-inspect probe`: play HAProxy against an agent, record the session, and judge it like a
//! capture.
//!
//! The conversation (docs/probe.md): a health-check HELLO on its own connection; a connection
//! whose HELLO is written byte by byte, then one NOTIFY per edge case of the typed data (each
//! waits for its ACK, so a failure names its value), several messages per frame, a frame at
//! the negotiated max-frame-size, NOTIFYs in small writes and byte by byte, and a clean
//! DISCONNECT; several connections in parallel, each with many NOTIFYs in flight and a
//! HAPROXY-DISCONNECT sent while some still are; and an idle connection left for the agent to
//! close. With `--replay`, HAProxy's NOTIFYs of a capture instead of the scripted cases.

mod conn;
mod replay;
mod script;

use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use spop_codec::capture::PROBE_SESSION_KEY as SESSION_KEY;
use spop_codec::capture::{Capture, Container, InputKind};

pub use conn::Target;
use conn::{Clock, Conn};

/// The max-frame-size the probe announces: HAProxy's default (tune.bufsize 16384 minus 4).
pub const MAX_FRAME_SIZE: u32 = 16380;

/// Which HAProxy to speak as.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speak {
    /// HAProxy 3.1 and later: capabilities `pipelining`, odd stream-ids per connection,
    /// frame-id 1.
    #[value(name = "3.1")]
    Modern,
    /// HAProxy 3.0 and earlier: capabilities `pipelining,async`, stream-ids from one
    /// process-wide counter.
    #[value(name = "3.0")]
    Legacy,
}

impl Speak {
    /// The label the engine uses for the generation.
    pub fn label(self) -> &'static str {
        match self {
            Speak::Modern => "3.1+",
            Speak::Legacy => "<=3.0",
        }
    }
}

/// What the probe was asked for.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The address as given (for messages).
    pub address: String,
    /// Where to connect.
    pub target: Target,
    /// Which HAProxy to speak as.
    pub speak: Speak,
    /// The longest wait for any answer.
    pub timeout: Duration,
    /// Connections run in parallel in the load phase.
    pub connections: usize,
    /// NOTIFYs per connection in the load phase.
    pub notifies: usize,
    /// How long the idle connection waits for the agent to close it.
    pub idle: Duration,
    /// HAProxy's NOTIFYs to replay instead of the scripted cases, with the capture's timing
    /// or not.
    pub replay: Option<(PathBuf, bool)>,
}

/// Where `address` points: a unix socket (a path: it contains `/`, or starts with `unix:`) or
/// a TCP address (`HOST:PORT`, resolved). The message names the address.
pub fn target(address: &str) -> Result<Target, String> {
    if let Some(path) = address.strip_prefix("unix:") {
        return Ok(Target::Unix(PathBuf::from(path)));
    }
    if address.contains('/') {
        return Ok(Target::Unix(PathBuf::from(address)));
    }
    let addrs: Vec<_> = address
        .to_socket_addrs()
        .map_err(|e| {
            format!(
                "{address}: cannot resolve the address ({e}); give HOST:PORT or a unix socket path"
            )
        })?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{address}: the name resolves to no address"));
    }
    Ok(Target::Tcp(addrs))
}

/// Runs the probe; the recorded session as a capture. An agent that cannot be probed at all
/// (refused, not SPOP) is an error naming the address.
pub fn run(plan: &Plan) -> Result<Capture, String> {
    let clock = Clock::new();
    // Reachable at all? The first connection says it, as a clear error rather than a report.
    let first = Conn::open(&plan.target, &clock, plan.timeout, 0).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                String::from("connection refused (is the agent running?)")
            }
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => format!(
                "no answer to the connection attempt within {} s",
                plan.timeout.as_secs_f64()
            ),
            std::io::ErrorKind::NotFound => String::from("no such unix socket"),
            _ => e.to_string(),
        };
        format!("{}: cannot connect: {why}", plan.address)
    })?;
    let mut done = script::run(plan, &clock, first)?;
    done.sort_by_key(|c| c.first.number);
    for (i, c) in done.iter_mut().enumerate() {
        c.id = i;
    }
    let first_packet = done.first().map(|c| c.first);
    Ok(Capture {
        input: InputKind {
            container: Container::Probe,
            text: None,
        },
        packets: clock.packets(),
        connections: done,
        attempts: Vec::new(),
        first_packet,
        other_connections: 0,
        non_tcp_packets: 0,
        notes: Vec::new(),
        note_count: 0,
        file_error: None,
        shared: vec![(SESSION_KEY.to_string(), plan.speak.label().to_string())],
        text_warnings: Vec::new(),
    })
}

/// Opens another connection to the agent (after the first one worked), to send at most
/// `notifies` NOTIFYs.
fn open(plan: &Plan, clock: &Arc<Clock>, notifies: usize) -> Option<Conn> {
    Conn::open(&plan.target, clock, plan.timeout, notifies).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_unix_paths_or_tcp() {
        assert!(
            matches!(target("unix:agent.sock"), Ok(Target::Unix(p)) if p.as_os_str() == "agent.sock")
        );
        assert!(matches!(target("/run/agent.sock"), Ok(Target::Unix(_))));
        assert!(
            matches!(target("127.0.0.1:12345"), Ok(Target::Tcp(a)) if a.len() == 1 && a[0].port() == 12345)
        );
        assert!(matches!(target("[::1]:9"), Ok(Target::Tcp(a)) if a[0].is_ipv6()));
        let e = target("127.0.0.1").err().unwrap_or_default();
        assert!(e.starts_with("127.0.0.1: cannot resolve"), "{e}");
    }
}

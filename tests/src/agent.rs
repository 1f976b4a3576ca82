//! A small SPOA agent built on the codec: it decodes HAProxy's frames with `StreamDecoder` and
//! answers with frames built by `FrameRepr`. Every NOTIFY gets an ACK with set-var actions that
//! echo what the agent decoded, so a test can read them back from HAProxy's HTTP responses and
//! prove HAProxy accepted our encoding.
//!
//! Answers per NOTIFY (HAProxy stores them under `option var-prefix`):
//! * `sess.score` = INT64(source port % 100) (from the `port` argument)
//! * `txn.tag` = STRING("ua=" + the `ua` argument)
//! * `txn.types` = STRING(comma-separated data types of every argument, in order)
//! * `txn.flag` = BOOL(true)
//!
//! [`Agent::start`] runs that well-behaved agent. [`Agent::start_with`] takes an
//! [`AgentConfig`] that can make it misbehave the way agents seen in incidents do (slow ACKs,
//! no pipelining, a connection closed without AGENT-DISCONNECT, an ACK above the negotiated
//! max-frame-size, connections accepted and closed at once); `tests/src/bin/test-agent.rs`
//! exposes those modes as command-line flags for `tests/fixtures/incidents/record.sh`.
//!
//! NOTIFYs are numbered from 1 in the order the agent receives them, over all connections
//! ("the Nth NOTIFY"). With [`AgentConfig::log`] every event is written to stderr as one line
//! starting with the Unix time (seconds, microsecond precision), so it can be lined up with a
//! capture's timestamps.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spop_codec::wire::{
    ActionRepr, FrameRepr, FrameType, Payload, PayloadRepr, Scope, Status, StreamDecoder, Value,
};

/// How the agent behaves. The default is the well-behaved agent of [`Agent::start`].
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Where to listen (default 127.0.0.1, a free port).
    pub addr: SocketAddr,
    /// Delay before each ACK, drawn per NOTIFY in `[min, max]` (deterministic: a hash of the
    /// NOTIFY's number). Delayed ACKs are written by their own thread, so with pipelining the
    /// connection keeps reading NOTIFYs meanwhile and ACKs may leave out of order. An ACK whose
    /// delay ends after HAProxy closed the connection (FIN) is still written: a late ACK.
    pub delay: Option<(Duration, Duration)>,
    /// Apply [`Self::delay`] only to the Nth NOTIFY (others are answered at once).
    pub delay_only_on: Option<usize>,
    /// Wait the delay in the connection's reader instead of a thread of its own, as a
    /// single-threaded agent does: nothing is read from that connection meanwhile (neither
    /// the next NOTIFY nor a HAPROXY-DISCONNECT), and ACKs leave in NOTIFY order.
    pub serial: bool,
    /// Answer `pipelining` in AGENT-HELLO when HAProxy offers it (default true). False: the
    /// agent announces no capability.
    pub pipelining: bool,
    /// When the Nth NOTIFY arrives, close that connection (shutdown both ways, then close)
    /// without answering it and without AGENT-DISCONNECT; ACKs still pending on that
    /// connection are dropped. Other connections, and later ones, are served normally.
    pub close_after: Option<usize>,
    /// Answer the Nth NOTIFY with a complete, well-formed ACK whose LENGTH is the negotiated
    /// max-frame-size + [`Self::oversize_by`] (an extra set-var `txn.big` with a long string).
    pub oversized_ack_on: Option<usize>,
    /// How far above max-frame-size the oversized ACK's LENGTH is (default 125: 16505 for
    /// HAProxy's default 16380).
    pub oversize_by: u32,
    /// Accept every connection and close it at once, reading nothing.
    pub accept_and_close: bool,
    /// Write the AGENT-DISCONNECT in two parts with a pause between them, without holding the
    /// connection's writer in between: delayed ACKs still pending land inside it (the Go
    /// library of haproxy#2490). Use with [`Self::delay`].
    pub interleave_disconnect: bool,
    /// Answer the Nth NOTIFY with an ACK whose frame-id is one more than the NOTIFY's.
    pub wrong_ids_on: Option<usize>,
    /// After the AGENT-DISCONNECT, write one more ACK (for the connection's last NOTIFY).
    pub ack_after_disconnect: bool,
    /// The `version` of the AGENT-HELLO (default "2.0"); `None`: no version key at all.
    pub version: Option<String>,
    /// Close the connection (no ACK, no AGENT-DISCONNECT) on a NOTIFY carrying a STRING with a
    /// byte above 0x7F, as a library that crashes on non-ASCII text does.
    pub crash_on_non_ascii: bool,
    /// Log every event to stderr.
    pub log: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            delay: None,
            delay_only_on: None,
            serial: false,
            pipelining: true,
            close_after: None,
            oversized_ack_on: None,
            oversize_by: 125,
            accept_and_close: false,
            interleave_disconnect: false,
            wrong_ids_on: None,
            ack_after_disconnect: false,
            version: Some(String::from("2.0")),
            crash_on_non_ascii: false,
            log: false,
        }
    }
}

impl AgentConfig {
    /// Listen on `addr`.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Delay every ACK by a time in `[min, max]`.
    pub fn delay(mut self, min: Duration, max: Duration) -> Self {
        self.delay = Some((min, max.max(min)));
        self
    }

    /// Delay only the Nth NOTIFY's ACK (with the range of [`Self::delay`]).
    pub fn delay_only_on(mut self, n: usize) -> Self {
        self.delay_only_on = Some(n);
        self
    }

    /// Wait ACK delays in the connection's reader (see [`Self::serial`]).
    pub fn serial(mut self, on: bool) -> Self {
        self.serial = on;
        self
    }

    /// Whether to answer `pipelining` when HAProxy offers it.
    pub fn pipelining(mut self, on: bool) -> Self {
        self.pipelining = on;
        self
    }

    /// Close the connection (no ACK, no AGENT-DISCONNECT) when the Nth NOTIFY arrives.
    pub fn close_after(mut self, n: usize) -> Self {
        self.close_after = Some(n);
        self
    }

    /// Answer the Nth NOTIFY with an ACK above the negotiated max-frame-size.
    pub fn oversized_ack_on(mut self, n: usize) -> Self {
        self.oversized_ack_on = Some(n);
        self
    }

    /// Accept and close every connection.
    pub fn accept_and_close(mut self, on: bool) -> Self {
        self.accept_and_close = on;
        self
    }

    /// Write the AGENT-DISCONNECT in two parts, delayed ACKs in between.
    pub fn interleave_disconnect(mut self, on: bool) -> Self {
        self.interleave_disconnect = on;
        self
    }

    /// Answer the Nth NOTIFY with a wrong frame-id.
    pub fn wrong_ids_on(mut self, n: usize) -> Self {
        self.wrong_ids_on = Some(n);
        self
    }

    /// Write an ACK after the AGENT-DISCONNECT.
    pub fn ack_after_disconnect(mut self, on: bool) -> Self {
        self.ack_after_disconnect = on;
        self
    }

    /// The AGENT-HELLO's version (`None`: no version key).
    pub fn version(mut self, v: Option<&str>) -> Self {
        self.version = v.map(String::from);
        self
    }

    /// Close the connection on a non-ASCII STRING.
    pub fn crash_on_non_ascii(mut self, on: bool) -> Self {
        self.crash_on_non_ascii = on;
        self
    }

    /// Log events to stderr.
    pub fn log(mut self, on: bool) -> Self {
        self.log = on;
        self
    }

    /// The delay of the Nth NOTIFY's ACK, if any.
    fn delay_for(&self, n: usize) -> Option<Duration> {
        let (min, max) = self.delay?;
        if self.delay_only_on.is_some_and(|k| k != n) {
            return None;
        }
        let span = u64::try_from((max - min).as_millis()).unwrap_or(u64::MAX);
        let jitter = if span == 0 {
            0
        } else {
            splitmix64(n as u64) % (span + 1)
        };
        Some(min + Duration::from_millis(jitter))
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// State shared by the accept loop and the connections.
struct Shared {
    config: AgentConfig,
    stop: AtomicBool,
    /// NOTIFYs received (their numbering).
    received: AtomicUsize,
    /// NOTIFYs answered (ACK written).
    answered: AtomicUsize,
    connections: AtomicUsize,
}

impl Shared {
    fn log(&self, conn: usize, what: fmt::Arguments) {
        if self.config.log {
            let t = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            eprintln!(
                "{}.{:06} conn={conn} {what}",
                t.as_secs(),
                t.subsec_micros()
            );
        }
    }
}

/// A running agent; stopped on drop.
pub struct Agent {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Agent {
    /// Starts the well-behaved agent on a free loopback port.
    pub fn start() -> io::Result<Agent> {
        Agent::start_with(AgentConfig::default())
    }

    /// Starts an agent configured by `config`.
    pub fn start_with(config: AgentConfig) -> io::Result<Agent> {
        let listener = TcpListener::bind(config.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            stop: AtomicBool::new(false),
            received: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
        });
        shared.log(0, format_args!("listening on {addr}"));
        let s = shared.clone();
        let accept = thread::spawn(move || {
            while !s.stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, peer)) => {
                        let id = s.connections.fetch_add(1, Ordering::Relaxed) + 1;
                        s.log(id, format_args!("accepted from {peer}"));
                        let s = s.clone();
                        thread::spawn(move || {
                            if let Err(e) = serve(conn, &s, id) {
                                s.log(id, format_args!("ended on error: {e}"));
                            }
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(Agent {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// Where the agent listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// NOTIFY frames answered so far.
    pub fn notifies(&self) -> usize {
        self.shared.answered.load(Ordering::Relaxed)
    }

    /// NOTIFY frames received so far (answered or not).
    pub fn received(&self) -> usize {
        self.shared.received.load(Ordering::Relaxed)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// The ACK of one NOTIFY: the echo actions, plus `txn.big` when `pad_to` asks for a LENGTH.
fn ack_bytes(
    sid: u64,
    fid: u64,
    port: u64,
    tag: &[u8],
    types: &str,
    pad_to: Option<u32>,
) -> Vec<u8> {
    let build = |big: Option<&[u8]>| {
        let mut actions = vec![
            ActionRepr::set_var(Scope::Sess, "score", Value::Int64(port % 100)),
            ActionRepr::set_var(Scope::Txn, "tag", Value::String(tag)),
            ActionRepr::set_var(Scope::Txn, "types", Value::String(types.as_bytes())),
            ActionRepr::set_var(Scope::Txn, "flag", Value::Bool(true)),
        ];
        if let Some(b) = big {
            actions.push(ActionRepr::set_var(Scope::Txn, "big", Value::String(b)));
        }
        FrameRepr::ack(sid, fid, actions)
            .to_bytes()
            .expect("an ACK of a few actions encodes")
    };
    let Some(target) = pad_to else {
        return build(None);
    };
    // LENGTH = wire bytes − 4. The string's length varint grows with it, so adjust until exact.
    let target = target as usize;
    let mut n = target.saturating_sub(build(Some(b"")).len() - 4);
    for _ in 0..4 {
        let len = build(Some(&vec![b'x'; n])).len() - 4;
        if len == target {
            break;
        }
        n = (n + target).saturating_sub(len);
    }
    build(Some(&vec![b'x'; n]))
}

/// Writes a whole frame; the lock keeps frames of concurrent writers apart.
fn send(writer: &Mutex<TcpStream>, bytes: &[u8]) -> io::Result<()> {
    let mut w = writer.lock().unwrap_or_else(|e| e.into_inner());
    w.write_all(bytes)
}

/// One connection: read, decode, answer; ends on DISCONNECT, EOF, error or stop.
fn serve(mut conn: TcpStream, shared: &Arc<Shared>, id: usize) -> io::Result<()> {
    let cfg = &shared.config;
    if cfg.accept_and_close {
        shared.log(id, format_args!("closing at once (accept-and-close)"));
        return Ok(());
    }
    conn.set_read_timeout(Some(Duration::from_millis(50)))?;
    conn.set_nodelay(true)?;
    let writer = Arc::new(Mutex::new(conn.try_clone()?));
    // Set when this connection is closed on purpose: pending delayed ACKs are dropped.
    let closed = Arc::new(AtomicBool::new(false));
    // `buf` holds the unconsumed bytes; `base` is the stream offset of buf[0].
    let mut buf = Vec::new();
    let mut base = 0usize;
    let mut dec = StreamDecoder::new();
    let mut chunk = [0u8; 16 * 1024];
    let mut announced = 16380u32;
    // The last NOTIFY's ids (for an ACK after the DISCONNECT).
    let mut last: Option<(u64, u64)> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let n = match conn.read(&mut chunk) {
            Ok(0) => {
                shared.log(id, format_args!("EOF from haproxy"));
                return Ok(());
            }
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
        loop {
            let frame = match dec.decode(&buf[dec.offset() - base..]) {
                Ok(Status::Complete(f)) => f,
                Ok(Status::Partial { .. }) => break,
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            };
            match (frame.frame_type(), frame.payload()) {
                (FrameType::HaproxyHello, Payload::KvList(kv)) => {
                    if let Some(v) = kv
                        .get(b"max-frame-size")
                        .and_then(|p| p.value.value().as_u64())
                    {
                        announced = u32::try_from(v).unwrap_or(announced);
                    }
                    let offered = kv
                        .get(b"capabilities")
                        .and_then(|p| p.value.value().as_bytes().map(<[u8]>::to_vec))
                        .unwrap_or_default();
                    let pipelining = offered
                        .split(|&c| c == b',')
                        .any(|t| t.trim_ascii() == b"pipelining");
                    let caps = if pipelining && cfg.pipelining {
                        "pipelining"
                    } else {
                        ""
                    };
                    let healthcheck = kv.get(b"healthcheck").is_some();
                    shared.log(
                        id,
                        format_args!(
                            "HAPROXY-HELLO max-frame-size={announced} capabilities={:?}{}; AGENT-HELLO capabilities={caps:?}",
                            String::from_utf8_lossy(&offered),
                            if healthcheck { " healthcheck" } else { "" }
                        ),
                    );
                    let version = cfg.version.as_deref().unwrap_or("");
                    let mut hello = FrameRepr::agent_hello(version, announced, caps);
                    if let (None, PayloadRepr::KvList(kv)) = (&cfg.version, &mut hello.payload) {
                        kv.retain(|(k, _)| *k != b"version");
                    }
                    if let Ok(b) = hello.to_bytes() {
                        send(&writer, &b)?;
                    }
                }
                (FrameType::Notify, Payload::Messages(messages)) => {
                    let k = shared.received.fetch_add(1, Ordering::Relaxed) + 1;
                    let (sid, fid) = (frame.stream_id(), frame.frame_id());
                    shared.log(id, format_args!("NOTIFY #{k} sid={sid} fid={fid}"));
                    if cfg.close_after == Some(k) {
                        shared.log(
                            id,
                            format_args!(
                                "closing without ACK or AGENT-DISCONNECT (close-after {k})"
                            ),
                        );
                        closed.store(true, Ordering::Relaxed);
                        let _ = conn.shutdown(Shutdown::Both);
                        return Ok(());
                    }
                    last = Some((sid, fid));
                    let mut port = 0u64;
                    let mut ua = Vec::new();
                    let mut types = Vec::new();
                    let mut non_ascii = false;
                    for m in messages.iter().flatten() {
                        for a in m.args().flatten() {
                            types.push(a.value.data_type().name());
                            if let Value::String(s) = a.value.value() {
                                non_ascii |= !s.is_ascii();
                            }
                            match (a.name.bytes, a.value.value()) {
                                (b"port", v) => port = v.as_u64().unwrap_or(0),
                                (b"ua", Value::String(s)) => ua = s.to_vec(),
                                _ => {}
                            }
                        }
                    }
                    if cfg.crash_on_non_ascii && non_ascii {
                        shared.log(
                            id,
                            format_args!("closing without ACK or AGENT-DISCONNECT (non-ASCII STRING in NOTIFY #{k})"),
                        );
                        closed.store(true, Ordering::Relaxed);
                        let _ = conn.shutdown(Shutdown::Both);
                        return Ok(());
                    }
                    let fid = if cfg.wrong_ids_on == Some(k) {
                        fid.saturating_add(1)
                    } else {
                        fid
                    };
                    let tag = [b"ua=".as_slice(), &ua].concat();
                    let pad = (cfg.oversized_ack_on == Some(k))
                        .then(|| announced.saturating_add(cfg.oversize_by));
                    let bytes = ack_bytes(sid, fid, port, &tag, &types.join(","), pad);
                    let length = bytes.len() - 4;
                    match cfg.delay_for(k) {
                        None => {
                            send(&writer, &bytes)?;
                            shared.answered.fetch_add(1, Ordering::Relaxed);
                            shared.log(
                                id,
                                format_args!("ACK #{k} sid={sid} fid={fid} length={length}"),
                            );
                        }
                        Some(d) if cfg.serial => {
                            thread::sleep(d);
                            if let Err(e) = send(&writer, &bytes) {
                                shared.log(
                                    id,
                                    format_args!("ACK #{k} sid={sid} fid={fid} write failed: {e}"),
                                );
                                return Err(e);
                            }
                            shared.answered.fetch_add(1, Ordering::Relaxed);
                            shared.log(
                                id,
                                format_args!(
                                    "ACK #{k} sid={sid} fid={fid} length={length} after {} ms",
                                    d.as_millis()
                                ),
                            );
                        }
                        Some(d) => {
                            let (shared, writer, closed) =
                                (shared.clone(), writer.clone(), closed.clone());
                            thread::spawn(move || {
                                thread::sleep(d);
                                if closed.load(Ordering::Relaxed) {
                                    shared.log(
                                        id,
                                        format_args!("ACK #{k} dropped: connection closed"),
                                    );
                                    return;
                                }
                                match send(&writer, &bytes) {
                                    Ok(()) => {
                                        shared.answered.fetch_add(1, Ordering::Relaxed);
                                        shared.log(
                                            id,
                                            format_args!(
                                                "ACK #{k} sid={sid} fid={fid} length={length} after {} ms",
                                                d.as_millis()
                                            ),
                                        );
                                    }
                                    Err(e) => shared.log(
                                        id,
                                        format_args!(
                                            "ACK #{k} sid={sid} fid={fid} write failed: {e}"
                                        ),
                                    ),
                                }
                            });
                        }
                    }
                }
                (FrameType::HaproxyDisconnect, payload) => {
                    let status = match payload {
                        Payload::KvList(kv) => kv
                            .get(b"status-code")
                            .and_then(|p| p.value.value().as_u64()),
                        _ => None,
                    };
                    shared.log(
                        id,
                        format_args!(
                            "HAPROXY-DISCONNECT status-code={status:?}; AGENT-DISCONNECT 0"
                        ),
                    );
                    let bye =
                        FrameRepr::disconnect(FrameType::AgentDisconnect, 0, "normal").to_bytes();
                    if let Ok(b) = bye {
                        if cfg.interleave_disconnect {
                            // The bug: the frame's writer lets go of the connection midway.
                            let (head, tail) = b.split_at(b.len() / 2);
                            send(&writer, head)?;
                            thread::sleep(Duration::from_millis(150));
                            send(&writer, tail)?;
                        } else {
                            send(&writer, &b)?;
                        }
                    }
                    closed.store(true, Ordering::Relaxed);
                    if let (true, Some((sid, fid))) = (cfg.ack_after_disconnect, last) {
                        shared.log(
                            id,
                            format_args!("ACK sid={sid} fid={fid} after AGENT-DISCONNECT"),
                        );
                        send(&writer, &ack_bytes(sid, fid, 0, b"ua=", "", None))?;
                    }
                    return Ok(());
                }
                (t, _) => shared.log(id, format_args!("ignored {t:?}")),
            }
        }
        // Keep the buffer small: drop what was decoded.
        let used = dec.offset() - base;
        buf.drain(..used);
        base += used;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_ack_has_the_requested_length() {
        for target in [300u32, 2300, 16505, 70000] {
            let b = ack_bytes(5, 1, 80, b"ua=x", "IPV4,INT64", Some(target));
            assert_eq!(u32::from_be_bytes(b[..4].try_into().unwrap()), target);
            assert_eq!(b.len() - 4, target as usize);
        }
    }

    #[test]
    fn delays_stay_in_range_and_apply_where_asked() {
        let c =
            AgentConfig::default().delay(Duration::from_millis(800), Duration::from_millis(2000));
        for n in 1..100 {
            let d = c.delay_for(n).unwrap();
            assert!(d >= Duration::from_millis(800) && d <= Duration::from_millis(2000));
        }
        let c = c.delay_only_on(3);
        assert!(c.delay_for(2).is_none());
        assert!(c.delay_for(3).is_some());
        assert!(AgentConfig::default().delay_for(1).is_none());
    }
}

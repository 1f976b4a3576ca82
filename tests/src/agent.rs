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

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use spop_codec::wire::{
    ActionRepr, FrameRepr, FrameType, Payload, Scope, Status, StreamDecoder, Value,
};

/// A running agent; stopped on drop.
pub struct Agent {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    notifies: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl Agent {
    /// Starts an agent on a free loopback port.
    pub fn start() -> io::Result<Agent> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let notifies = Arc::new(AtomicUsize::new(0));
        let (s, n) = (stop.clone(), notifies.clone());
        let accept = thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (s, n) = (s.clone(), n.clone());
                        thread::spawn(move || {
                            let _ = serve(conn, &s, &n);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(Agent {
            addr,
            stop,
            notifies,
            accept: Some(accept),
        })
    }

    /// Where the agent listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// NOTIFY frames answered so far.
    pub fn notifies(&self) -> usize {
        self.notifies.load(Ordering::Relaxed)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// One connection: read, decode, answer; ends on DISCONNECT, EOF, error or stop.
fn serve(mut conn: TcpStream, stop: &AtomicBool, notifies: &AtomicUsize) -> io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_millis(50)))?;
    conn.set_nodelay(true)?;
    // `buf` holds the unconsumed bytes; `base` is the stream offset of buf[0].
    let mut buf = Vec::new();
    let mut base = 0usize;
    let mut dec = StreamDecoder::new();
    let mut chunk = [0u8; 16 * 1024];
    let mut announced = 16380u32;
    while !stop.load(Ordering::Relaxed) {
        let n = match conn.read(&mut chunk) {
            Ok(0) => return Ok(()),
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
            let reply = match (frame.frame_type(), frame.payload()) {
                (FrameType::HaproxyHello, Payload::KvList(kv)) => {
                    if let Some(v) = kv
                        .get(b"max-frame-size")
                        .and_then(|p| p.value.value().as_u64())
                    {
                        announced = u32::try_from(v).unwrap_or(announced);
                    }
                    let pipelining = kv
                        .get(b"capabilities")
                        .and_then(|p| {
                            p.value.value().as_bytes().map(|b| {
                                b.split(|&c| c == b',')
                                    .any(|t| t.trim_ascii() == b"pipelining")
                            })
                        })
                        .unwrap_or(false);
                    let caps = if pipelining { "pipelining" } else { "" };
                    Some(FrameRepr::agent_hello("2.0", announced, caps).to_bytes())
                }
                (FrameType::Notify, Payload::Messages(messages)) => {
                    let mut port = 0u64;
                    let mut ua = Vec::new();
                    let mut types = Vec::new();
                    for m in messages.iter().flatten() {
                        for a in m.args().flatten() {
                            types.push(a.value.data_type().name());
                            match (a.name.bytes, a.value.value()) {
                                (b"port", v) => port = v.as_u64().unwrap_or(0),
                                (b"ua", Value::String(s)) => ua = s.to_vec(),
                                _ => {}
                            }
                        }
                    }
                    let tag = [b"ua=".as_slice(), &ua].concat();
                    let types = types.join(",");
                    notifies.fetch_add(1, Ordering::Relaxed);
                    Some(
                        FrameRepr::ack(
                            frame.stream_id(),
                            frame.frame_id(),
                            vec![
                                ActionRepr::set_var(Scope::Sess, "score", Value::Int64(port % 100)),
                                ActionRepr::set_var(Scope::Txn, "tag", Value::String(&tag)),
                                ActionRepr::set_var(
                                    Scope::Txn,
                                    "types",
                                    Value::String(types.as_bytes()),
                                ),
                                ActionRepr::set_var(Scope::Txn, "flag", Value::Bool(true)),
                            ],
                        )
                        .to_bytes(),
                    )
                }
                (FrameType::HaproxyDisconnect, _) => {
                    let bye =
                        FrameRepr::disconnect(FrameType::AgentDisconnect, 0, "normal").to_bytes();
                    if let Ok(b) = bye {
                        conn.write_all(&b)?;
                    }
                    return Ok(());
                }
                _ => None,
            };
            if let Some(Ok(bytes)) = reply {
                conn.write_all(&bytes)?;
            }
        }
        // Keep the buffer small: drop what was decoded.
        let used = dec.offset() - base;
        buf.drain(..used);
        base += used;
    }
    Ok(())
}

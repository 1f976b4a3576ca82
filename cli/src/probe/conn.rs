//! One probe connection to the agent: writes and reads with timeouts, each recorded as a
//! "packet" (its bytes, a number and the time), so the session becomes a capture the engine
//! judges like any other.
//!
//! Never trusts the agent: a frame whose LENGTH is above the limit in force is not read (the
//! connection stops there), every wait ends at a deadline, and what one connection records of
//! the agent's bytes is capped.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use spop_codec::capture::spop::{Detection, SpopConnection};
use spop_codec::capture::tcp::{
    PacketRef, SegmentRecord, Stream, StreamStart, TcpEvent, TcpEventKind,
};
use spop_codec::wire::{decode_frame, peek_wire_len, Frame, FrameType, Limits, Status};

/// Bytes of the agent's kept per connection besides [`PER_NOTIFY`] per NOTIFY the probe may
/// send on it: an agent sending more is flooding.
const BASE_RECORDED: usize = 1 << 20;
/// What recording one read of the agent's costs besides its bytes.
const SEGMENT_COST: usize = std::mem::size_of::<SegmentRecord>();
/// Room per NOTIFY for its ACK (most are tens of bytes; a few may be large).
pub const PER_NOTIFY: usize = 1 << 10;

/// Slack over the limit in force before a LENGTH is refused, as HAProxy 3.1+ tolerates (it
/// compares only the payload with max-frame-size).
const LENGTH_SLACK: u32 = 25;

/// Numbers and times the session's packets, over all connections (one counter, so numbers
/// follow times as in a capture).
pub struct Clock {
    start: Instant,
    epoch: u64,
    next: Mutex<u32>,
    /// Set when an agent flooded a connection: no new connection is opened after it.
    flooded: AtomicBool,
}

impl Clock {
    /// A clock starting now.
    pub fn new() -> Arc<Clock> {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Arc::new(Clock {
            start: Instant::now(),
            epoch,
            next: Mutex::new(0),
            flooded: AtomicBool::new(false),
        })
    }

    /// The next packet: its number and the time now.
    pub fn stamp(&self) -> PacketRef {
        let mut n = self.next.lock().unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_add(1);
        let elapsed = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        PacketRef {
            number: *n,
            timestamp: self.epoch.saturating_add(elapsed),
        }
    }

    /// Packets numbered so far.
    pub fn packets(&self) -> u32 {
        *self.next.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where the agent listens.
#[derive(Debug, Clone)]
pub enum Target {
    /// A TCP address: every address the name resolved to, tried in turn (`localhost` may
    /// give ::1 before 127.0.0.1, and an agent listens on one of them).
    Tcp(Vec<SocketAddr>),
    /// A unix socket path.
    Unix(std::path::PathBuf),
}

enum Sock {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Sock {
    fn set_read_timeout(&self, t: Duration) -> io::Result<()> {
        // Zero means "block forever" to the OS: never ask for it.
        let t = Some(t.max(Duration::from_millis(1)));
        match self {
            Sock::Tcp(s) => s.set_read_timeout(t),
            Sock::Unix(s) => s.set_read_timeout(t),
        }
    }

    fn shutdown(&self, how: Shutdown) {
        let _ = match self {
            Sock::Tcp(s) => s.shutdown(how),
            Sock::Unix(s) => s.shutdown(how),
        };
    }
}

impl Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Sock::Tcp(s) => s.read(buf),
            Sock::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Sock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sock::Tcp(s) => s.write(buf),
            Sock::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Why a connection gave nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The agent closed (FIN).
    Eof,
    /// The agent reset the connection, or a write failed.
    Reset,
    /// Nothing complete came before the deadline.
    Timeout,
    /// The agent sent a frame whose LENGTH is above the limit in force: not read.
    Oversized(u32),
    /// The agent's bytes do not decode as a frame.
    Garbage,
    /// The agent sent more than the connection's cap of bytes.
    Flood,
}

/// A frame the agent sent (owned).
#[derive(Debug, Clone)]
pub struct Got {
    /// Its type.
    pub frame_type: FrameType,
    /// STREAM-ID.
    pub stream_id: u64,
    /// FRAME-ID.
    pub frame_id: u64,
    /// The whole frame, LENGTH included.
    pub bytes: Vec<u8>,
}

impl Got {
    /// The frame decoded again (it decoded once already).
    pub fn frame(&self) -> Option<Frame<'_>> {
        match decode_frame(&self.bytes, 0, Limits::default()) {
            Ok(Status::Complete(f)) => Some(f),
            _ => None,
        }
    }
}

/// How a frame is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// In one write.
    Whole,
    /// In writes of this many bytes, a millisecond apart (so they leave as separate segments).
    Chunks(usize),
}

/// One recorded connection.
pub struct Conn {
    sock: Sock,
    clock: Arc<Clock>,
    streams: [Stream; 2],
    first: PacketRef,
    last: PacketRef,
    haproxy: Option<SocketAddr>,
    agent: Option<SocketAddr>,
    /// The agent's bytes not yet taken as frames (at most one frame's worth plus a read).
    rx: Vec<u8>,
    /// The agent's frames above this LENGTH are refused: the max-frame-size the probe
    /// announced until the agent's HELLO, then the negotiated one.
    pub limit: u32,
    /// Set once the connection gave out.
    pub ended: Option<End>,
    closed: bool,
    /// Most bytes of the agent's recorded, with what each read costs to record.
    cap: usize,
    /// The read buffer, made on the first read and kept for the connection.
    buf: Vec<u8>,
}

/// The first of `addrs` that accepts a connection within `timeout` (each), or the last
/// error.
fn connect_tcp(addrs: &[SocketAddr], timeout: Duration) -> io::Result<(TcpStream, SocketAddr)> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(s) => return Ok((s, *addr)),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Connects to a unix socket within `timeout`. std has no connect timeout for unix sockets,
/// and an agent whose listen queue is full blocks `connect` for as long as it does not
/// accept: the connect runs on a thread of its own, abandoned when the time is up (it ends
/// with the process at the latest).
fn connect_unix(path: &std::path::Path, timeout: Duration) -> io::Result<UnixStream> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let path = path.to_path_buf();
    std::thread::Builder::new()
        .name("probe-connect".into())
        .spawn(move || {
            // The receiver may be gone (timed out): nothing to tell then.
            let _ = tx.send(UnixStream::connect(path));
        })?;
    match rx.recv_timeout(timeout) {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "no answer to the connection attempt",
        )),
    }
}

impl Conn {
    /// Connects to `target` within `timeout`, to send at most `notifies` NOTIFYs (which
    /// sizes what is kept of the agent's bytes). Refused once an agent flooded a connection.
    pub fn open(
        target: &Target,
        clock: &Arc<Clock>,
        timeout: Duration,
        notifies: usize,
    ) -> io::Result<Conn> {
        if clock.flooded.load(Ordering::Relaxed) {
            return Err(io::Error::other("the agent flooded a connection"));
        }
        let (sock, haproxy, agent) = match target {
            Target::Tcp(addrs) => {
                let (s, addr) = connect_tcp(addrs, timeout)?;
                s.set_nodelay(true)?;
                s.set_write_timeout(Some(timeout))?;
                let local = s.local_addr().ok();
                (Sock::Tcp(s), local, Some(addr))
            }
            Target::Unix(path) => {
                let s = connect_unix(path, timeout)?;
                s.set_write_timeout(Some(timeout))?;
                (Sock::Unix(s), None, None)
            }
        };
        let syn = clock.stamp();
        let syn_ack = clock.stamp();
        let mut streams: [Stream; 2] = Default::default();
        for (s, p) in streams.iter_mut().zip([syn, syn_ack]) {
            s.start = StreamStart::Syn;
            s.events.push(TcpEvent {
                kind: TcpEventKind::Syn,
                packet: p,
            });
        }
        Ok(Conn {
            sock,
            clock: clock.clone(),
            streams,
            first: syn,
            last: syn_ack,
            haproxy,
            agent,
            rx: Vec::new(),
            limit: super::MAX_FRAME_SIZE,
            ended: None,
            closed: false,
            cap: BASE_RECORDED.saturating_add(notifies.saturating_mul(PER_NOTIFY)),
            buf: Vec::new(),
        })
    }

    fn record(&mut self, dir: usize, bytes: &[u8]) {
        let p = self.clock.stamp();
        self.last = p;
        if let Some(s) = self.streams.get_mut(dir) {
            s.segments.push(SegmentRecord {
                offset: s.data.len(),
                len: bytes.len(),
                packet: p,
            });
            s.data.extend_from_slice(bytes);
        }
    }

    fn event(&mut self, dir: usize, kind: TcpEventKind) {
        let p = self.clock.stamp();
        self.last = p;
        if let Some(s) = self.streams.get_mut(dir) {
            match kind {
                TcpEventKind::Fin if s.fin.is_none() => s.fin = Some(p),
                TcpEventKind::Rst if s.rst.is_none() => s.rst = Some(p),
                TcpEventKind::Fin | TcpEventKind::Rst => return,
                _ => {}
            }
            s.events.push(TcpEvent { kind, packet: p });
        }
    }

    fn end(&mut self, why: End) -> End {
        if self.ended.is_none() {
            match why {
                End::Eof => self.event(1, TcpEventKind::Fin),
                End::Reset => self.event(1, TcpEventKind::Rst),
                _ => {}
            }
            self.ended = Some(why);
        }
        why
    }

    /// Writes `bytes` at `pace`; each write is a packet.
    pub fn send(&mut self, bytes: &[u8], pace: Pace) -> Result<(), End> {
        if let Some(e) = self.ended.filter(|e| matches!(e, End::Eof | End::Reset)) {
            // The agent closed: HAProxy writes nothing more either.
            return Err(e);
        }
        if self.closed {
            return Err(End::Reset);
        }
        let step = match pace {
            Pace::Whole => bytes.len().max(1),
            Pace::Chunks(n) => n.max(1),
        };
        for (i, chunk) in bytes.chunks(step).enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            // Written piece by piece: what is recorded is what the socket took.
            let mut rest = chunk;
            while !rest.is_empty() {
                match self.sock.write(rest) {
                    Ok(0) => return Err(self.end(End::Reset)),
                    Ok(n) => {
                        let (done, left) = rest.split_at(n.min(rest.len()));
                        self.record(0, done);
                        rest = left;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    // The agent stopped reading: HAProxy gives up on it as on a missing answer.
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        return Err(End::Timeout)
                    }
                    Err(_) => return Err(self.end(End::Reset)),
                }
            }
        }
        Ok(())
    }

    /// The next frame the agent sends, waiting until `deadline`.
    pub fn recv(&mut self, deadline: Instant) -> Result<Got, End> {
        loop {
            // The deadline first: an agent that never stops sending frames must not keep the
            // probe waiting past it.
            let now = Instant::now();
            if now >= deadline {
                return Err(End::Timeout);
            }
            if let Some(got) = self.take()? {
                return Ok(got);
            }
            if let Some(e) = self.ended {
                return Err(e);
            }
            self.fill(deadline - now)?;
        }
    }

    /// A complete frame from the bytes read, if there is one.
    fn take(&mut self) -> Result<Option<Got>, End> {
        let len = match peek_wire_len(&self.rx) {
            Status::Complete(n) => n,
            Status::Partial { .. } => return Ok(None),
        };
        let length = u32::try_from(len.saturating_sub(4)).unwrap_or(u32::MAX);
        if length > self.limit.saturating_add(LENGTH_SLACK) {
            return Err(self.end(End::Oversized(length)));
        }
        let Some(bytes) = self.rx.get(..len) else {
            return Ok(None);
        };
        let got = match decode_frame(bytes, 0, Limits::default()) {
            Ok(Status::Complete(f)) => Got {
                frame_type: f.frame_type(),
                stream_id: f.stream_id(),
                frame_id: f.frame_id(),
                bytes: bytes.to_vec(),
            },
            _ => return Err(self.end(End::Garbage)),
        };
        self.rx.drain(..len);
        Ok(Some(got))
    }

    /// Reads once (at most until `wait` passes), recording what came. The read takes all
    /// that is there (up to 64 KiB): a read is recorded as one segment, and cutting the
    /// agent's writes where the wire did not would make split frames out of whole ones.
    fn fill(&mut self, wait: Duration) -> Result<(), End> {
        if self.sock.set_read_timeout(wait).is_err() {
            return Err(self.end(End::Reset));
        }
        let mut chunk = std::mem::take(&mut self.buf);
        chunk.resize(64 << 10, 0);
        let read = self.sock.read(&mut chunk);
        let done = match read {
            Ok(0) => Err(self.end(End::Eof)),
            Ok(n) => {
                let got = chunk.get(..n).unwrap_or(&[]);
                // Each read is a segment recorded: an agent trickling bytes one by one must
                // not keep many times the cap in segment records.
                if self.kept().saturating_add(n).saturating_add(SEGMENT_COST) > self.cap {
                    self.clock.flooded.store(true, Ordering::Relaxed);
                    Err(self.end(End::Flood))
                } else {
                    self.record(1, got);
                    self.rx.extend_from_slice(got);
                    Ok(())
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(())
            }
            Err(_) => Err(self.end(End::Reset)),
        };
        self.buf = chunk;
        done
    }

    /// What is kept of the agent's: its bytes and a record per read.
    fn kept(&self) -> usize {
        let s = &self.streams[1];
        s.data
            .len()
            .saturating_add(s.segments.len().saturating_mul(SEGMENT_COST))
    }

    /// The bytes the agent sent so far (for messages about what it answered).
    pub fn received(&self) -> &[u8] {
        &self.streams[1].data
    }

    /// HAProxy's close: FIN, then whatever the agent still sends until it closes or `linger`
    /// passes (a late ACK, its DISCONNECT), recorded.
    pub fn close(&mut self, linger: Duration) {
        if !self.closed {
            self.closed = true;
            self.sock.shutdown(Shutdown::Write);
            self.event(0, TcpEventKind::Fin);
        }
        let deadline = Instant::now() + linger;
        while self.ended.is_none() && Instant::now() < deadline {
            // Frames are not taken apart any more: the bytes are recorded as they come.
            if self
                .fill(deadline.saturating_duration_since(Instant::now()))
                .is_err()
            {
                break;
            }
            self.rx.clear();
        }
    }

    /// The recorded connection, numbered `id`.
    pub fn finish(self, id: usize) -> SpopConnection {
        self.sock.shutdown(Shutdown::Both);
        SpopConnection {
            id,
            haproxy: self.haproxy,
            agent: self.agent,
            detection: Detection::Hello,
            streams: self.streams,
            first: self.first,
            last: self.last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn every_resolved_address_is_tried_in_turn() {
        let refused = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let agent = TcpListener::bind("127.0.0.1:0").expect("listen");
        let there = agent.local_addr().expect("addr");
        let t = Duration::from_secs(2);
        let (_, got) = connect_tcp(&[refused, there], t).expect("the second address connects");
        assert_eq!(got, there);
        let e = connect_tcp(&[refused], t).err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::ConnectionRefused));
    }

    #[test]
    fn reads_of_a_byte_count_toward_the_flood_cap() {
        let agent = TcpListener::bind("127.0.0.1:0").expect("listen");
        let addr = agent.local_addr().expect("addr");
        // 300 bytes, one per write, a millisecond apart: nearly as many reads.
        let writer = std::thread::spawn(move || {
            if let Ok((mut s, _)) = agent.accept() {
                for _ in 0..300 {
                    if s.write_all(b"x").is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        let clock = Clock::new();
        let mut conn = Conn::open(&Target::Tcp(vec![addr]), &clock, Duration::from_secs(2), 0)
            .expect("connects");
        // A cap far above the 300 bytes, below 300 reads' records.
        conn.cap = 1000;
        let end = loop {
            if let Err(e) = conn.fill(Duration::from_secs(2)) {
                break e;
            }
        };
        assert_eq!(end, End::Flood, "{} bytes kept", conn.kept());
        assert!(conn.kept() <= 1000);
        drop(conn);
        writer.join().expect("the writer ends");
    }
}

//! Cutting connections into frames while the capture is still being read (feature `parallel`).
//!
//! Loading is one thread's work (reassembly follows the packets in order), so on two cores the
//! other one used to wait for it. Connections in a capture come and go (HAProxy reloads, agent
//! restarts, idle timeouts), and a closed connection rarely changes again: the loader lends each
//! one as it closes ([`crate::capture::tcp::Reassembler::lend_closed`]) to a thread that
//! classifies and scans it meanwhile. Once loading ends, the scans are checked against the final
//! connections and used only if every scanned one is unchanged (the same classification and the
//! same bytes, segments and gaps, which only grow); otherwise all of them are dropped and the
//! timeline scans everything, as it does without this. Either way the analysis is the same.

extern crate std;

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::{scan_streams, Made};
use crate::capture::spop::{classify, Detection};
use crate::capture::tcp::Connection;

/// The scanning thread, fed with closed connections.
pub(crate) struct Prescanner {
    queue: Arc<Queue>,
    /// `None` once joined.
    worker: Option<JoinHandle<Scanned>>,
    ports: Vec<u16>,
}

/// Connections lent and not scanned yet, shared by the loading and the scanning thread.
struct Queue {
    pending: Mutex<Pending>,
    ready: Condvar,
}

/// What [`Queue`] guards.
struct Pending {
    /// TCP connection numbers and connections, in the order they closed.
    lent: VecDeque<(usize, Arc<Connection>)>,
    /// Loading is over: nothing more will come.
    done: bool,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A scan that panicked poisons nothing the queue relies on.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a scanning thread made: entries and events numbered by TCP connection (the SPOP
/// numbering is known only once loading ends), in the order connections were scanned, and
/// what each scanned connection looked like.
pub(crate) struct Scanned {
    made: Made,
    seen: Vec<Seen>,
}

/// One connection as scanned.
struct Seen {
    /// Its TCP connection number.
    tcp: usize,
    /// How it was classified: SPOP (with whether HAProxy is the TCP client), or not.
    class: Option<(Detection, bool)>,
    /// Bytes, segment records and gaps of its streams (client → server, server → client).
    shape: [[usize; 3]; 2],
    /// Entries made for it.
    frames: usize,
}

/// The size of what a scan reads from `conn`'s streams: all three only grow, so an unchanged
/// shape means unchanged contents.
fn shape(conn: &Connection) -> [[usize; 3]; 2] {
    conn.streams
        .each_ref()
        .map(|s| [s.data.len(), s.segments.len(), s.gaps.len()])
}

impl Scanned {
    fn new() -> Self {
        Scanned {
            made: Made::default(),
            seen: Vec::new(),
        }
    }

    /// Classifies TCP connection `tcp` and, if it is SPOP, scans it.
    fn scan(&mut self, tcp: usize, conn: &Connection, ports: &[u16]) {
        let class = classify(conn, ports);
        let before = self.made.frames.len();
        if let Some((_, haproxy_is_client)) = class {
            let [c2s, s2c] = &conn.streams;
            let streams = if haproxy_is_client {
                [c2s, s2c]
            } else {
                [s2c, c2s]
            };
            scan_streams(tcp, streams, &mut self.made);
        }
        self.seen.push(Seen {
            tcp,
            class,
            shape: shape(conn),
            frames: self.made.frames.len() - before,
        });
    }
}

impl Prescanner {
    /// Starts the thread (`None` if none can be had). `ports` as [`LoadOptions::ports`].
    ///
    /// [`LoadOptions::ports`]: crate::capture::LoadOptions::ports
    pub(crate) fn start(ports: Vec<u16>) -> Option<Self> {
        let queue = Arc::new(Queue {
            pending: Mutex::new(Pending {
                lent: VecDeque::new(),
                done: false,
            }),
            ready: Condvar::new(),
        });
        let (q, p) = (Arc::clone(&queue), ports.clone());
        let worker = std::thread::Builder::new()
            .name("spop-scan-ahead".into())
            .spawn(move || {
                let mut out = Scanned::new();
                loop {
                    let next = {
                        let mut pending = q.lock();
                        loop {
                            match pending.lent.pop_front() {
                                Some(next) => break Some(next),
                                None if pending.done => break None,
                                None => {
                                    pending = q
                                        .ready
                                        .wait(pending)
                                        .unwrap_or_else(PoisonError::into_inner);
                                }
                            }
                        }
                    };
                    match next {
                        Some((tcp, conn)) => out.scan(tcp, &conn, &p),
                        None => return out,
                    }
                }
            })
            .ok()?;
        Some(Prescanner {
            queue,
            worker: Some(worker),
            ports,
        })
    }

    /// Hands over TCP connection `tcp`, closed.
    pub(crate) fn lend(&self, tcp: usize, conn: Arc<Connection>) {
        self.queue.lock().lent.push_back((tcp, conn));
        self.queue.ready.notify_one();
    }

    /// Scans what is left with the thread (this one takes from the back of the queue while it
    /// takes from the front) and puts both threads' scans together; `None` if it died.
    pub(crate) fn finish(mut self) -> Option<Scanned> {
        self.queue.lock().done = true;
        self.queue.ready.notify_all();
        let mut here = Scanned::new();
        loop {
            let next = self.queue.lock().lent.pop_back();
            match next {
                Some((tcp, conn)) => here.scan(tcp, &conn, &self.ports),
                None => break,
            }
        }
        let mut out = self.worker.take()?.join().ok()?;
        out.made.append(&mut here.made);
        out.seen.append(&mut here.seen);
        Some(out)
    }
}

impl Drop for Prescanner {
    /// A loader dropped before it finished: the thread drops what is queued and ends.
    fn drop(&mut self) {
        let mut pending = self.queue.lock();
        pending.done = true;
        pending.lent.clear();
        drop(pending);
        self.queue.ready.notify_all();
    }
}

/// Scans that hold for the capture as loaded, ready for the timeline.
pub(crate) struct Prescanned {
    /// Entries and events, their `connection` still a TCP connection number (see `spop_of`).
    pub scans: Made,
    /// For each TCP connection number, its SPOP connection number (`usize::MAX`: not SPOP).
    pub spop_of: Vec<usize>,
    /// For each SPOP connection, its TCP connection number.
    pub tcp_of: Vec<usize>,
    /// For each SPOP connection, how many entries were made ahead (`None`: not scanned).
    pub made: Vec<Option<usize>>,
}

/// Matches [`Scanned`] against the connections as loading left them, one by one in order.
pub(crate) struct Check {
    scanned: Scanned,
    /// For each TCP connection number, its [`Seen`] (index), if scanned.
    seen_at: Vec<Option<usize>>,
    spop_of: Vec<usize>,
    tcp_of: Vec<usize>,
    made: Vec<Option<usize>>,
    holds: bool,
}

impl Check {
    /// A check of `scanned` against `tcp_count` TCP connections.
    pub(crate) fn new(scanned: Scanned, tcp_count: usize) -> Self {
        let mut seen_at = alloc::vec![None; tcp_count];
        let mut holds = true;
        for (i, s) in scanned.seen.iter().enumerate() {
            match seen_at.get_mut(s.tcp) {
                Some(slot @ None) => *slot = Some(i),
                // Lent twice, or a number out of range: not what the loader does.
                _ => holds = false,
            }
        }
        Check {
            scanned,
            seen_at,
            spop_of: alloc::vec![usize::MAX; tcp_count],
            tcp_of: Vec::new(),
            made: Vec::new(),
            holds,
        }
    }

    /// TCP connection `conn` (before any role swap), classified `class`.
    pub(crate) fn connection(&mut self, conn: &Connection, class: Option<(Detection, bool)>) {
        let seen = self
            .seen_at
            .get(conn.id)
            .copied()
            .flatten()
            .and_then(|i| self.scanned.seen.get(i));
        if let Some(s) = seen {
            self.holds &= s.class == class && s.shape == shape(conn);
        }
        if class.is_some() {
            if let Some(slot) = self.spop_of.get_mut(conn.id) {
                *slot = self.tcp_of.len();
            }
            self.tcp_of.push(conn.id);
            self.made.push(seen.map(|s| s.frames));
        }
    }

    /// The scans, if every scanned connection is as it was.
    pub(crate) fn finish(self) -> Option<Prescanned> {
        self.holds.then_some(Prescanned {
            scans: self.scanned.made,
            spop_of: self.spop_of,
            tcp_of: self.tcp_of,
            made: self.made,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::tcp::{PacketRef, SegmentRecord, Stream, StreamStart};
    use crate::capture::{Capture, Container, InputKind};
    use crate::synth::{conversation, Generation, Rng};
    use core::net::{IpAddr, Ipv4Addr, SocketAddr};

    /// TCP connection `id`: a synthetic SPOP conversation, one segment per frame.
    fn connection(id: usize) -> Connection {
        let conv = conversation(&mut Rng::new(id as u64), Generation::Modern, 1, 20);
        let mut streams = [Stream::default(), Stream::default()];
        for (number, (from_haproxy, range)) in conv.order.iter().enumerate() {
            let (stream, bytes) = if *from_haproxy {
                (&mut streams[0], &conv.haproxy)
            } else {
                (&mut streams[1], &conv.agent)
            };
            let packet = PacketRef {
                number: (id * 1000 + number) as u32 + 1,
                timestamp: (id * 1000 + number) as u64,
            };
            stream.segments.push(SegmentRecord {
                offset: stream.data.len(),
                len: range.len(),
                packet,
            });
            stream.data.extend_from_slice(&bytes[range.clone()]);
        }
        for s in &mut streams {
            s.start = StreamStart::Syn;
        }
        let ip = |d| IpAddr::V4(Ipv4Addr::new(10, 0, 0, d));
        Connection {
            id,
            client: SocketAddr::new(ip(1), 40_000 + id as u16),
            server: SocketAddr::new(ip(2), 12_345),
            roles_known: true,
            first: streams[0].segments[0].packet,
            last: streams[1].segments.last().unwrap().packet,
            streams,
        }
    }

    fn scan_ahead(conns: &[Connection]) -> Scanned {
        let p = Prescanner::start(Vec::new()).unwrap();
        for c in conns {
            p.lend(c.id, Arc::new(c.clone()));
        }
        p.finish().unwrap()
    }

    fn check(scanned: Scanned, conns: &[Connection]) -> Option<Prescanned> {
        let mut check = Check::new(scanned, conns.len());
        for c in conns {
            check.connection(c, classify(c, &[]));
        }
        check.finish()
    }

    #[test]
    fn a_loader_dropped_unfinished_lets_its_scanning_thread_end() {
        let p = Prescanner::start(Vec::new()).unwrap();
        let queue = Arc::clone(&p.queue);
        p.lend(0, Arc::new(connection(0)));
        drop(p);
        // The thread holds the queue until it ends.
        for _ in 0..1000 {
            if Arc::strong_count(&queue) == 1 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("the scanning thread still waits for connections");
    }

    #[test]
    fn scans_made_ahead_hold_only_for_unchanged_connections() {
        let mut conns: Vec<Connection> = (0..4).map(connection).collect();
        // TCP connection 1 is other traffic: SPOP connections 0, 1, 2 are TCP 0, 2, 3.
        for s in &mut conns[1].streams {
            s.data = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n".repeat(40);
            s.segments.truncate(1);
            if let Some(r) = s.segments.first_mut() {
                r.len = s.data.len();
            }
        }
        assert_eq!(classify(&conns[1], &[]), None);
        // And TCP connection 3's HAProxy side ends inside a frame: an event, not a frame.
        let tail = &mut conns[3].streams[0];
        let packet = tail.segments.last().unwrap().packet;
        tail.segments.push(SegmentRecord {
            offset: tail.data.len(),
            len: 6,
            packet,
        });
        tail.data.extend_from_slice(&[0, 0, 0, 40, 3, 0]);
        // Connections 0, 1 and 3 closed while loading; 2 was open at the end.
        let lent = [conns[0].clone(), conns[1].clone(), conns[3].clone()];
        let pre = check(scan_ahead(&lent), &conns).expect("unchanged: the scans hold");
        assert_eq!(pre.tcp_of, [0, 2, 3]);
        assert_eq!(pre.spop_of, [0, usize::MAX, 1, 2]);
        // Each: two HELLOs, 20 NOTIFY/ACK pairs, two DISCONNECTs.
        assert_eq!(pre.made, [Some(44), None, Some(44)]);
        assert_eq!(pre.scans.frames.len(), 88);
        assert_eq!(pre.scans.keys.len(), 88);

        // The timeline built with them is the one built without.
        let capture = || Capture {
            input: InputKind {
                container: Container::Pcap,
                text: None,
            },
            packets: 3000,
            connections: conns
                .iter()
                .filter_map(|c| Some((c, classify(c, &[])?.0)))
                .enumerate()
                .map(|(id, (c, d))| {
                    crate::capture::spop::SpopConnection::from_tcp(id, c.clone(), d)
                })
                .collect(),
            attempts: Vec::new(),
            first_packet: None,
            other_connections: 1,
            non_tcp_packets: 0,
            notes: Vec::new(),
            note_count: 0,
            file_error: None,
            shared: Vec::new(),
            text_warnings: Vec::new(),
        };
        let options = crate::analysis::AnalysisOptions::default();
        let mut with = super::super::timeline(capture(), Some(pre), &options, &mut |_| {});
        let mut without = super::super::timeline(capture(), None, &options, &mut |_| {});
        with.check(&mut |_| {});
        without.check(&mut |_| {});
        assert_eq!(with.frames, without.frames);
        assert_eq!(with.connections, without.connections);
        assert_eq!(with.findings, without.findings);
        assert!(without
            .findings
            .iter()
            .any(|f| f.code() == "SPOP-F011" && f.connection == Some(2)));

        // A lent connection that got more bytes after all: the scans are dropped.
        let mut grown = conns.clone();
        grown[3].streams[1].data.push(0);
        assert!(check(scan_ahead(&lent), &grown).is_none());
        // Or whose classification changed (here: by the ports the user named).
        let mut c = Check::new(scan_ahead(&lent), conns.len());
        for conn in &conns {
            c.connection(conn, classify(conn, &[40_000]));
        }
        assert!(c.finish().is_none());
    }
}

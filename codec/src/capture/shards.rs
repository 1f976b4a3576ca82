//! TCP reassembly on several threads (feature `parallel`): each connection belongs to one
//! worker, chosen by a hash of its address pair, and each worker runs its own [`Reassembler`]
//! on its connections' segments in capture order. Connections never share state, so the
//! workers' connections put in order of their first packet are exactly what one reassembler
//! gives.
//!
//! The calling thread keeps reading packets and decoding their headers; payloads are copied
//! into batches (recycled, so no fresh memory per batch) that the workers take in order.

use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use super::tcp::{Connection, PacketRef, Reassembler};
use super::TcpSegment;

/// A batch is sent once it holds this many payload bytes …
const BATCH_BYTES: usize = 128 << 10;
/// … or this many segments (small segments: headers dominate).
const BATCH_SEGMENTS: usize = 2048;
/// Batches waiting per worker: enough to ride out scheduling, few enough to bound memory.
const IN_FLIGHT: usize = 2;

/// Segments for one worker, in capture order: their headers, and their payloads back to back.
#[derive(Default)]
struct Batch {
    /// Each segment with an empty payload, the end of its payload in `bytes`, its packet.
    segments: Vec<(TcpSegment<'static>, usize, PacketRef)>,
    bytes: Vec<u8>,
}

struct Worker {
    batch: Batch,
    to: SyncSender<Batch>,
    /// Batches the worker is done with, for reuse.
    back: Receiver<Batch>,
    done: JoinHandle<Vec<Connection>>,
}

/// Connections spread over worker threads by address pair.
pub(super) struct Shards {
    workers: Vec<Worker>,
}

/// Which of `n` workers a segment between `a` and `b` goes to: the same for both directions.
/// A cheap mix rather than a general hash, since it runs for every packet on the thread that
/// feeds the others.
fn worker_of(a: &SocketAddr, b: &SocketAddr, n: usize) -> usize {
    let fold = |s: &SocketAddr| {
        let ip = match s.ip() {
            IpAddr::V4(ip) => u64::from(u32::from(ip)),
            IpAddr::V6(ip) => {
                let x = u128::from(ip);
                (x as u64) ^ ((x >> 64) as u64)
            }
        };
        ip.rotate_left(16) ^ u64::from(s.port())
    };
    let mixed = (fold(a) ^ fold(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    // Scaled into 0..n by a multiply, not a remainder: a division per packet showed in the
    // profile. `mixed` < 2^32 and n ≤ 64, so the product fits.
    ((mixed * n.max(1) as u64) >> 32) as usize
}

impl Shards {
    /// `workers` threads, or `None` if one cannot be started (then one thread does it all).
    pub(super) fn new(workers: usize) -> Option<Shards> {
        let workers = (0..workers)
            .map(|_| {
                let (to, from) = sync_channel::<Batch>(IN_FLIGHT);
                let (back_tx, back) = channel();
                let done = std::thread::Builder::new()
                    .spawn(move || work(&from, &back_tx))
                    .ok()?;
                Some(Worker {
                    batch: Batch::default(),
                    to,
                    back,
                    done,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Shards { workers })
    }

    /// Hands one segment to its connection's worker.
    pub(super) fn push(&mut self, seg: &TcpSegment<'_>, packet: PacketRef) {
        let w = worker_of(&seg.src, &seg.dst, self.workers.len());
        let Some(worker) = self.workers.get_mut(w) else {
            return;
        };
        let batch = &mut worker.batch;
        batch.bytes.extend_from_slice(seg.payload);
        batch.segments.push((
            TcpSegment {
                payload: &[],
                ..*seg
            },
            batch.bytes.len(),
            packet,
        ));
        if batch.bytes.len() >= BATCH_BYTES || batch.segments.len() >= BATCH_SEGMENTS {
            worker.send();
        }
    }

    /// Ends reassembly: every worker's connections, in order of their first packet (packet
    /// numbers grow through a capture file, so they order the connections as opening did),
    /// numbered again from 0.
    pub(super) fn finish(self) -> Vec<Connection> {
        // Every worker gets its last batch and the end of input before any is waited for, so
        // they all finish at once.
        let mut done = Vec::with_capacity(self.workers.len());
        for mut w in self.workers {
            w.send();
            done.push(w.done);
        }
        let mut all = Vec::new();
        for worker in done {
            match worker.join() {
                Ok(mut conns) => all.append(&mut conns),
                // A worker runs the same code as the one-thread reassembly: a panic there is
                // that code's, and is passed on as it would have been.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all.sort_unstable_by_key(|c| c.first.number);
        for (id, c) in all.iter_mut().enumerate() {
            c.id = id;
        }
        all
    }
}

impl Worker {
    /// Sends the batch being filled, taking a used one back (or a new one) to fill next.
    fn send(&mut self) {
        if self.batch.segments.is_empty() {
            return;
        }
        let next = self.back.try_recv().unwrap_or_default();
        let full = core::mem::replace(&mut self.batch, next);
        // The worker only stops when this side hangs up, so a send cannot fail; if the thread
        // died, `finish` reports it.
        let _ = self.to.send(full);
    }
}

/// A worker: reassembles the segments it is sent until the sender hangs up.
fn work(from: &Receiver<Batch>, back: &Sender<Batch>) -> Vec<Connection> {
    let mut reassembler = Reassembler::new();
    while let Ok(mut batch) = from.recv() {
        let mut start = 0;
        for &(seg, end, packet) in &batch.segments {
            let payload = batch.bytes.get(start..end).unwrap_or(&[]);
            start = end;
            reassembler.push(&TcpSegment { payload, ..seg }, packet);
        }
        batch.segments.clear();
        batch.bytes.clear();
        let _ = back.send(batch);
    }
    reassembler.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::TcpFlags;

    /// Segments of `n` connections on 3 address pairs (each pair reused after a RST),
    /// interleaved two at a time.
    fn segments(n: u16) -> Vec<(TcpSegment<'static>, PacketRef)> {
        let mut out = Vec::new();
        let mut number = 0;
        let mut push = |src: SocketAddr, dst: SocketAddr, seq, flags, payload| {
            number += 1;
            let seg = TcpSegment {
                src,
                dst,
                seq,
                ack: 0,
                flags,
                window: 65_535,
                window_scale: None,
                payload,
                payload_len: payload.len() as u32,
                payload_offset: 0,
            };
            let packet = PacketRef {
                number,
                timestamp: u64::from(number),
            };
            out.push((seg, packet));
        };
        let server: SocketAddr = "10.0.0.2:12345".parse().unwrap();
        let syn = TcpFlags {
            syn: true,
            ..TcpFlags::default()
        };
        let rst = TcpFlags {
            rst: true,
            ..TcpFlags::default()
        };
        for k in (0..n).step_by(2) {
            let clients: [SocketAddr; 2] =
                [k, k + 1].map(|c| SocketAddr::from(([10, 0, 0, 1], 40000 + c % 3)));
            for c in clients {
                push(c, server, u32::from(k) * 100, syn, b"");
            }
            for (i, c) in clients.into_iter().enumerate() {
                push(
                    c,
                    server,
                    u32::from(k) * 100 + 1,
                    TcpFlags::default(),
                    b"hello",
                );
                push(server, c, 7, TcpFlags::default(), &b"agent"[i..]);
            }
            for c in clients {
                push(c, server, u32::from(k) * 100 + 6, rst, b"");
            }
        }
        out
    }

    #[test]
    fn workers_give_what_one_reassembler_gives() {
        let segments = segments(12);
        let mut one = Reassembler::new();
        for (seg, packet) in &segments {
            one.push(seg, *packet);
        }
        let one = one.finish();
        assert_eq!(one.len(), 12);
        for workers in [1, 2, 3, 5] {
            let mut shards = Shards::new(workers).unwrap();
            for (seg, packet) in &segments {
                shards.push(seg, *packet);
            }
            assert_eq!(shards.finish(), one, "{workers} workers");
        }
    }

    #[test]
    fn both_directions_go_to_the_same_worker() {
        let a: SocketAddr = "10.1.2.3:40000".parse().unwrap();
        let b: SocketAddr = "[2001:db8::1]:12345".parse().unwrap();
        for n in 1..8 {
            assert_eq!(worker_of(&a, &b, n), worker_of(&b, &a, n));
            assert!(worker_of(&a, &b, n) < n);
        }
    }
}

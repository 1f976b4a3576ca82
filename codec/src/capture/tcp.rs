//! TCP reassembly: segments of many connections → per-connection, per-direction byte streams
//! with a segment map (which packet carried which bytes) and the gaps the capture missed.
//!
//! Sans-IO and batch-friendly: feed segments in capture order with [`Reassembler::push`],
//! then [`Reassembler::finish`]. Handles out-of-order segments, retransmissions and overlaps
//! (first copy wins, conflicting copies are counted), mid-stream starts (no SYN), sequence
//! wrap-around, FIN/RST, and port reuse (a new SYN on a closed 4-tuple opens a new
//! connection). Bytes are copied once into their stream; out-of-order segments (rare) are held
//! as copies until they fit, so the input can be read in chunks and dropped as it goes.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::hash::{Hash, Hasher};
use core::net::{IpAddr, SocketAddr};

use super::{TcpSegment, Timestamp};

/// Identifies the packet that carried something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PacketRef {
    /// 1-based packet number in the capture.
    pub number: u32,
    /// Capture time.
    pub timestamp: Timestamp,
}

/// A run of stream bytes and the packet that carried them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SegmentRecord {
    /// Offset of the first byte in [`Stream::data`].
    pub offset: usize,
    /// Number of bytes.
    pub len: usize,
    /// The packet.
    pub packet: PacketRef,
}

impl SegmentRecord {
    /// One past the last byte.
    pub const fn end(&self) -> usize {
        self.offset + self.len
    }
}

/// Bytes the capture never saw, between `data[..at]` and `data[at..]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Gap {
    /// Position in [`Stream::data`] where the missing bytes belong.
    pub at: usize,
    /// How many bytes are missing (by TCP sequence numbers).
    pub missing: u64,
    /// The packet after which the bytes are missing (the one that resumes the stream).
    pub resumed_by: PacketRef,
}

/// What one side of a TCP connection did, as the capture shows it: the facts around the SPOP
/// bytes (who opened and closed, resets, retransmissions, a receiver that stopped reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum TcpEventKind {
    /// The side's first SYN (a SYN-ACK when the server sends it).
    Syn,
    /// The side's first FIN: it will send nothing more.
    Fin,
    /// The side's first RST: it aborted the connection.
    Rst,
    /// A segment whose bytes (or SYN) the side had sent already.
    Retransmission,
    /// The side announced a zero receive window: it stopped reading what the other sends.
    ZeroWindow,
    /// The side's receive window opened again after a [`TcpEventKind::ZeroWindow`].
    WindowOpen,
    /// A segment of new bytes that reached the edge of the window the other side last
    /// announced (Wireshark's `tcp.analysis.window_full`): the side must now wait until the
    /// receiver reads. Seen only when both SYNs were captured (the window scale is known).
    WindowFull,
}

impl TcpEventKind {
    /// Stable machine name (`syn`, `fin`, `rst`, `retransmission`, `zero-window`,
    /// `window-open`, `window-full`).
    pub const fn name(self) -> &'static str {
        match self {
            TcpEventKind::Syn => "syn",
            TcpEventKind::Fin => "fin",
            TcpEventKind::Rst => "rst",
            TcpEventKind::Retransmission => "retransmission",
            TcpEventKind::ZeroWindow => "zero-window",
            TcpEventKind::WindowOpen => "window-open",
            TcpEventKind::WindowFull => "window-full",
        }
    }
}

/// A [`TcpEventKind`] and the packet that showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TcpEvent {
    /// What happened.
    pub kind: TcpEventKind,
    /// The packet.
    pub packet: PacketRef,
}

/// How a direction of a connection started in the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum StreamStart {
    /// The SYN was captured: the stream is complete from its first byte.
    Syn,
    /// No SYN: the capture started after the connection did.
    #[default]
    MidStream,
}

/// One direction of a TCP connection, reassembled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stream {
    /// Payload bytes in sequence order (gaps removed: see [`Stream::gaps`]).
    pub data: Vec<u8>,
    /// For every run of `data`, the packet that carried it, in offset order.
    pub segments: Vec<SegmentRecord>,
    /// Where bytes are missing.
    pub gaps: Vec<Gap>,
    /// Whether the SYN of this direction was seen.
    pub start: StreamStart,
    /// The FIN, if one was captured.
    pub fin: Option<PacketRef>,
    /// The RST, if one was captured.
    pub rst: Option<PacketRef>,
    /// Segments whose bytes had all been seen already.
    pub retransmissions: u32,
    /// Overlapping segments whose bytes differed from the first copy (kept the first).
    pub conflicting_overlaps: u32,
    /// Bytes the snapshot length cut from packets of this stream (counted as missing).
    pub truncated_bytes: u64,
    /// What the sender of this direction did at the TCP level, in capture order: its first
    /// SYN, FIN and RST, every retransmission, zero windows, full windows. At most four events
    /// per packet (one segment can retransmit a SYN and bytes, announce a zero window and
    /// carry a FIN), so bounded by the capture's size.
    pub events: Vec<TcpEvent>,
}

impl Stream {
    /// The segment records overlapping `start..end` of [`Stream::data`].
    pub fn segments_in(&self, start: usize, end: usize) -> &[SegmentRecord] {
        let first = self.segments.partition_point(|s| s.end() <= start);
        let last = self.segments.partition_point(|s| s.offset < end);
        self.segments.get(first..last.max(first)).unwrap_or(&[])
    }

    /// The packet that carried the byte at `offset` (for a frame: pass its last byte to get
    /// the packet that completed it).
    pub fn packet_at(&self, offset: usize) -> Option<PacketRef> {
        let i = self.segments.partition_point(|s| s.end() <= offset);
        self.segments
            .get(i)
            .filter(|s| s.offset <= offset)
            .map(|s| s.packet)
    }
}

/// A reassembled TCP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// 0-based, in order of first packet.
    pub id: usize,
    /// The side that sent the SYN, or (mid-stream) the sender of the first segment seen.
    pub client: SocketAddr,
    /// The other side.
    pub server: SocketAddr,
    /// Whether `client`/`server` come from a SYN (otherwise a guess the caller may revise).
    pub roles_known: bool,
    /// `[client → server, server → client]`.
    pub streams: [Stream; 2],
    /// First packet of the connection.
    pub first: PacketRef,
    /// Last packet of the connection.
    pub last: PacketRef,
}

impl Connection {
    /// Swaps the roles (when the caller learns which side is the client, e.g. from the
    /// protocol).
    pub fn swap_roles(&mut self) {
        core::mem::swap(&mut self.client, &mut self.server);
        self.streams.swap(0, 1);
    }
}

/// Per-direction state while reassembling.
#[derive(Debug, Default)]
struct DirState {
    /// Sequence number of stream offset 0 (ISN + 1 after a SYN; first seen seq otherwise).
    base: Option<u32>,
    /// Absolute offset (u64, wrap-free) of the next expected byte.
    next: u64,
    /// Out-of-order segments by absolute offset.
    pending: BTreeMap<u64, (Vec<u8>, PacketRef)>,
    /// Absolute offset of `stream.data[0]` is 0; data.len() + gap bytes = `next`.
    skipped: u64,
    /// The sender's last announced window was zero.
    zero_window: bool,
    /// What the sender's SYN said of window scaling: `None` until its SYN is seen, then the
    /// option's shift count if it offered one.
    syn_scale: Option<Option<u8>>,
    /// The edge of the window the sender last announced: the absolute offset in the other
    /// direction's stream up to which the other side may send (its ACK plus its scaled
    /// window). `None` while unknown (no ACK yet, or window scaling unknown without both SYNs).
    edge: Option<u64>,
}

#[derive(Debug)]
struct ConnState {
    conn: Connection,
    dirs: [DirState; 2],
    closed: bool,
}

/// Maps a 32-bit sequence offset to the absolute 64-bit offset nearest `near`.
fn unwrap_offset(rel: u32, near: u64) -> u64 {
    let candidate = (near & !0xFFFF_FFFF) | u64::from(rel);
    let window = 1u64 << 31;
    if candidate + window < near {
        candidate + (1 << 32)
    } else if candidate > near + window && candidate >= 1 << 32 {
        candidate - (1 << 32)
    } else {
        candidate
    }
}

impl DirState {
    /// Appends in-order bytes to the stream, recording their packet.
    fn append(stream: &mut Stream, bytes: &[u8], packet: PacketRef) {
        if bytes.is_empty() {
            return;
        }
        let offset = stream.data.len();
        stream.data.extend_from_slice(bytes);
        // Merge with the previous record when the same packet continues it (rare), else add.
        stream.segments.push(SegmentRecord {
            offset,
            len: bytes.len(),
            packet,
        });
    }

    /// Takes a segment whose first byte is at absolute offset `off`, then moves held
    /// segments that now fit. Iterative: a long chain of held segments cannot grow the stack.
    fn accept(&mut self, stream: &mut Stream, off: u64, bytes: &[u8], packet: PacketRef) {
        self.accept_one(stream, off, bytes, packet);
        while let Some((&off, _)) = self.pending.first_key_value() {
            if off > self.next {
                break;
            }
            if let Some((off, (bytes, packet))) = self.pending.pop_first() {
                self.accept_one(stream, off, &bytes, packet);
            }
        }
    }

    fn accept_one(&mut self, stream: &mut Stream, off: u64, bytes: &[u8], packet: PacketRef) {
        // Segments without payload (ACKs, FIN, the ACK after a FIN, which sits one sequence
        // number further) place no bytes: never hold them, never let them make a gap.
        if bytes.is_empty() {
            return;
        }
        let end = off + bytes.len() as u64;
        if end <= self.next {
            stream.retransmissions = stream.retransmissions.saturating_add(1);
            self.check_overlap(stream, off, bytes);
            return;
        }
        if off > self.next {
            // Out of order (or after a loss): hold it until the hole fills or the stream ends.
            match self.pending.get(&off) {
                Some((held, _)) if held.len() >= bytes.len() => {
                    stream.retransmissions = stream.retransmissions.saturating_add(1);
                }
                _ => {
                    self.pending.insert(off, (bytes.to_vec(), packet));
                }
            }
            return;
        }
        // Starts at or before `next` and extends past it: take the new part.
        let skip = (self.next - off) as usize;
        if skip > 0 {
            self.check_overlap(stream, off, bytes.get(..skip).unwrap_or(&[]));
        }
        Self::append(stream, bytes.get(skip..).unwrap_or(&[]), packet);
        self.next = end;
    }

    /// Records `missing` bytes the capture does not have at the current end of the stream.
    fn skip_missing(&mut self, stream: &mut Stream, missing: u64, resumed_by: PacketRef) {
        if missing == 0 {
            return;
        }
        stream.gaps.push(Gap {
            at: stream.data.len(),
            missing,
            resumed_by,
        });
        self.skipped += missing;
        self.next += missing;
    }

    /// Counts an overlap whose bytes differ from what the stream already holds.
    fn check_overlap(&self, stream: &mut Stream, off: u64, bytes: &[u8]) {
        // Absolute offset → data index (only for bytes after the last gap: simple and enough
        // to notice conflicting retransmissions).
        let Some(start) = off.checked_sub(self.skipped) else {
            return;
        };
        let Ok(start) = usize::try_from(start) else {
            return;
        };
        if let Some(held) = stream.data.get(start..start.saturating_add(bytes.len())) {
            if held != bytes {
                stream.conflicting_overlaps = stream.conflicting_overlaps.saturating_add(1);
            }
        }
    }

    /// End of the stream: whatever is still pending sits after holes the capture missed.
    fn flush(&mut self, stream: &mut Stream) {
        while let Some((off, (bytes, packet))) = self.pending.pop_first() {
            if off > self.next {
                self.skip_missing(stream, off - self.next, packet);
            }
            self.accept(stream, off, &bytes, packet);
        }
    }
}

/// Reassembles the TCP connections of a capture.
#[derive(Debug, Default)]
pub struct Reassembler {
    conns: Vec<ConnState>,
    /// Open connection per unordered address pair (hashed: looked up for every packet, where
    /// ordered comparisons of socket addresses were a tenth of the load).
    open: hashbrown::HashMap<FlowKey, usize>,
}

/// An unordered address pair, as the flow map's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FlowKey {
    lo: SocketAddr,
    hi: SocketAddr,
}

fn flow_key(a: SocketAddr, b: SocketAddr) -> FlowKey {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    FlowKey { lo, hi }
}

impl Hash for FlowKey {
    /// IPv4 pairs as one 128-bit word: the derived hash wrote tags, addresses and ports one
    /// by one, which the hasher buffers with 128-bit shifts (library calls on wasm32), for
    /// every packet; it was a quarter of loading in the browser. Each form is injective, so
    /// crafted addresses collide no more than the seeded hash lets them.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let bits = |s: &SocketAddr| match s.ip() {
            IpAddr::V4(ip) => u128::from(ip.to_bits()),
            IpAddr::V6(ip) => ip.to_bits(),
        };
        let ports = u128::from(self.lo.port()) << 16 | u128::from(self.hi.port());
        if self.lo.is_ipv4() && self.hi.is_ipv4() {
            state.write_u128(bits(&self.lo) << 64 | bits(&self.hi) << 32 | ports);
        } else {
            state.write_u128(bits(&self.lo));
            state.write_u128(bits(&self.hi));
            state.write_u128(ports);
        }
    }
}

/// Records the receive window that side `d` announces in `seg` (with its ACK): the edge of
/// what the other side may send ([`DirState::edge`]). A SYN's window is never scaled (RFC 7323
/// §2.2); later ones are shifted by the announcing side's scale when both SYNs offered the
/// option, and not at all when either did not. Without both SYNs the scale is unknown, and so
/// is the edge.
fn announce_window(dirs: &mut [DirState; 2], d: usize, seg: &TcpSegment<'_>) {
    if !seg.flags.ack || seg.flags.rst {
        return;
    }
    let (Some(me), Some(peer)) = (dirs.get(d), dirs.get(1 - d)) else {
        return;
    };
    let shift = if seg.flags.syn {
        Some(0)
    } else {
        match (me.syn_scale, peer.syn_scale) {
            // RFC 7323 §2.3: a shift above 14 is taken as 14.
            (Some(Some(mine)), Some(Some(_))) => Some(mine.min(14)),
            (Some(_), Some(_)) => Some(0),
            _ => None,
        }
    };
    // What the ACK acknowledges, as an absolute offset of the other direction's stream
    // (near the bytes it has sent, as for sequence numbers).
    let edge = match (shift, peer.base) {
        (Some(shift), Some(base)) => {
            let acked = unwrap_offset(seg.ack.wrapping_sub(base), peer.next);
            Some(acked.saturating_add(u64::from(seg.window) << shift))
        }
        _ => None,
    };
    if let Some(me) = dirs.get_mut(d) {
        me.edge = edge;
    }
}

impl Reassembler {
    /// An empty reassembler.
    pub fn new() -> Self {
        Reassembler::default()
    }

    /// Feeds one segment, in capture order.
    pub fn push(&mut self, seg: &TcpSegment<'_>, packet: PacketRef) {
        let key = flow_key(seg.src, seg.dst);
        let is_new_syn = seg.flags.syn && !seg.flags.ack;
        let idx = match self.open.get(&key).copied() {
            Some(i) if is_new_syn && self.is_reuse(i, seg) => {
                self.open_connection(key, seg, packet)
            }
            Some(i) => i,
            None => self.open_connection(key, seg, packet),
        };
        let Some(state) = self.conns.get_mut(idx) else {
            return;
        };
        let d = usize::from(seg.src != state.conn.client);
        announce_window(&mut state.dirs, d, seg);
        state.conn.last = packet;
        let peer_edge = state.dirs.get(1 - d).and_then(|peer| peer.edge);
        let (Some(dir), Some(stream)) = (state.dirs.get_mut(d), state.conn.streams.get_mut(d))
        else {
            return;
        };

        let event = |stream: &mut Stream, kind| stream.events.push(TcpEvent { kind, packet });
        if seg.flags.syn {
            if dir.syn_scale.is_none() {
                dir.syn_scale = Some(seg.window_scale);
            }
            if dir.base.is_none() {
                dir.base = Some(seg.seq.wrapping_add(1));
                stream.start = StreamStart::Syn;
                event(stream, TcpEventKind::Syn);
            } else if seg.payload.is_empty() {
                // The same SYN again: the peer did not answer in time.
                event(stream, TcpEventKind::Retransmission);
            }
            if d == 0 && !seg.flags.ack {
                state.conn.roles_known = true;
            }
        }
        if seg.flags.rst {
            if stream.rst.is_none() {
                event(stream, TcpEventKind::Rst);
            }
            stream.rst.get_or_insert(packet);
            state.closed = true;
        } else if seg.flags.ack || seg.flags.syn {
            // A window is announced only with ACK (and a SYN's is the initial one).
            match (seg.window == 0, dir.zero_window) {
                (true, false) => event(stream, TcpEventKind::ZeroWindow),
                (false, true) => event(stream, TcpEventKind::WindowOpen),
                _ => {}
            }
            dir.zero_window = seg.window == 0;
        }
        let base = *dir.base.get_or_insert(seg.seq);
        // SYN occupies one sequence number before the data.
        let data_seq = if seg.flags.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let off = unwrap_offset(data_seq.wrapping_sub(base), dir.next);
        let cut = u64::from(seg.payload_len).saturating_sub(seg.payload.len() as u64);
        stream.truncated_bytes = stream.truncated_bytes.saturating_add(cut);
        let retransmitted = stream.retransmissions;
        dir.accept(stream, off, seg.payload, packet);
        if stream.retransmissions != retransmitted {
            event(stream, TcpEventKind::Retransmission);
        } else if seg.payload_len > 0
            && !(seg.flags.syn || seg.flags.fin || seg.flags.rst)
            && peer_edge
                .is_some_and(|edge| off.checked_add(u64::from(seg.payload_len)) == Some(edge))
        {
            // New bytes up to the receiver's edge (SYN, FIN and RST segments never count, as
            // in Wireshark).
            event(stream, TcpEventKind::WindowFull);
        }
        // Snaplen cut the segment: the bytes it did not keep are a gap right here, so the
        // following segments continue the stream instead of waiting as out-of-order ones.
        if cut > 0 && dir.next == off + seg.payload.len() as u64 {
            dir.skip_missing(stream, cut, packet);
        }
        if seg.flags.fin {
            if stream.fin.is_none() {
                event(stream, TcpEventKind::Fin);
            }
            stream.fin.get_or_insert(packet);
            if state.conn.streams.iter().all(|s| s.fin.is_some()) {
                state.closed = true;
            }
        }
    }

    /// A SYN on an open 4-tuple starts a new connection when the old one is closed, or when
    /// its client already had a different ISN (the FIN/RST may not have been captured).
    fn is_reuse(&self, i: usize, seg: &TcpSegment<'_>) -> bool {
        let Some(state) = self.conns.get(i) else {
            return true;
        };
        if state.closed {
            return true;
        }
        let client_dir = usize::from(seg.src != state.conn.client);
        match state.dirs.get(client_dir).and_then(|d| d.base) {
            Some(base) => base != seg.seq.wrapping_add(1) && state.conn.roles_known,
            None => false,
        }
    }

    fn open_connection(&mut self, key: FlowKey, seg: &TcpSegment<'_>, packet: PacketRef) -> usize {
        // A SYN+ACK seen first means its sender is the server.
        let (client, server) = if seg.flags.syn && seg.flags.ack {
            (seg.dst, seg.src)
        } else {
            (seg.src, seg.dst)
        };
        let id = self.conns.len();
        self.conns.push(ConnState {
            conn: Connection {
                id,
                client,
                server,
                roles_known: seg.flags.syn,
                streams: [Stream::default(), Stream::default()],
                first: packet,
                last: packet,
            },
            dirs: [DirState::default(), DirState::default()],
            closed: false,
        });
        self.open.insert(key, id);
        id
    }

    /// Ends reassembly: flushes held segments (recording gaps) and returns the connections in
    /// order of their first packet.
    pub fn finish(self) -> Vec<Connection> {
        self.conns
            .into_iter()
            .map(|mut s| {
                for (dir, stream) in s.dirs.iter_mut().zip(s.conn.streams.iter_mut()) {
                    dir.flush(stream);
                }
                s.conn
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_pairs_alike_in_bits_stay_apart() {
        use core::net::{Ipv4Addr, Ipv6Addr};
        // IPv4, IPv6 with the same low bits, and IPv4-mapped IPv6: three flows whose keys hash
        // in different forms but must never merge; each direction finds its own flow.
        let v4 = |d: u8| IpAddr::V4(Ipv4Addr::new(10, 0, 0, d));
        let v6 = |d: u8| IpAddr::V6(Ipv6Addr::from_bits(0x0a00_0000 | u128::from(d)));
        let mapped = |d: u8| IpAddr::V6(Ipv4Addr::new(10, 0, 0, d).to_ipv6_mapped());
        let flows = [v4, v6, mapped].map(|ip| {
            (
                SocketAddr::new(ip(1), 40_000),
                SocketAddr::new(ip(2), 12_345),
            )
        });
        let mut r = Reassembler::new();
        let mut number = 0;
        let mut push = |r: &mut Reassembler, src, dst, syn, payload: &[u8]| {
            number += 1;
            let seg = TcpSegment {
                src,
                dst,
                // The SYN takes one sequence number before the data.
                seq: if syn { 99 } else { 100 },
                ack: 0,
                flags: crate::capture::TcpFlags {
                    syn,
                    ..Default::default()
                },
                window: 65_535,
                window_scale: None,
                payload,
                payload_len: payload.len() as u32,
                payload_offset: 0,
            };
            let timestamp = u64::from(number);
            r.push(&seg, PacketRef { number, timestamp });
        };
        for (i, &(client, server)) in flows.iter().enumerate() {
            push(&mut r, client, server, true, &[]);
            push(&mut r, server, client, false, &[b'a' + i as u8]);
        }
        for (i, &(client, server)) in flows.iter().enumerate() {
            push(&mut r, client, server, false, &[b'A' + i as u8]);
        }
        let conns = r.finish();
        assert_eq!(conns.len(), 3);
        for (i, (c, &(client, server))) in conns.iter().zip(&flows).enumerate() {
            assert_eq!((c.client, c.server), (client, server));
            assert_eq!(c.streams[0].data, [b'A' + i as u8]);
            assert_eq!(c.streams[1].data, [b'a' + i as u8]);
        }
    }

    /// One side of a hand-built conversation for the window tests: `(from the client?, seq,
    /// ack, flags, window, window scale option, payload length)`.
    type Seg = (
        bool,
        u32,
        u32,
        crate::capture::TcpFlags,
        u16,
        Option<u8>,
        usize,
    );

    /// The client's events after `segs`, as (kind, packet number).
    fn client_events(segs: &[Seg]) -> Vec<(TcpEventKind, u32)> {
        let client: SocketAddr = "10.0.0.1:40000".parse().unwrap();
        let server: SocketAddr = "10.0.0.2:12345".parse().unwrap();
        let mut r = Reassembler::new();
        let bytes = [b'x'; 1024];
        for (i, &(from_client, seq, ack, flags, window, window_scale, len)) in
            segs.iter().enumerate()
        {
            let (src, dst) = if from_client {
                (client, server)
            } else {
                (server, client)
            };
            let seg = TcpSegment {
                src,
                dst,
                seq,
                ack,
                flags,
                window,
                window_scale,
                payload: &bytes[..len],
                payload_len: len as u32,
                payload_offset: 0,
            };
            let number = i as u32 + 1;
            r.push(
                &seg,
                PacketRef {
                    number,
                    timestamp: u64::from(number),
                },
            );
        }
        let conns = r.finish();
        conns[0].streams[0]
            .events
            .iter()
            .map(|e| (e.kind, e.packet.number))
            .collect()
    }

    const SYN: crate::capture::TcpFlags = crate::capture::TcpFlags {
        syn: true,
        ack: false,
        fin: false,
        rst: false,
        psh: false,
    };
    const SYN_ACK: crate::capture::TcpFlags = crate::capture::TcpFlags {
        syn: true,
        ack: true,
        fin: false,
        rst: false,
        psh: false,
    };
    const ACK: crate::capture::TcpFlags = crate::capture::TcpFlags {
        syn: false,
        ack: true,
        fin: false,
        rst: false,
        psh: false,
    };

    #[test]
    fn a_segment_up_to_the_receivers_scaled_window_fills_it() {
        use TcpEventKind::{Retransmission, Syn, WindowFull};
        // Client ISN 999 (data from 1000), server ISN 4999 (data from 5000); both offer window
        // scaling: the server's windows count in units of 4 bytes, but not in its SYN-ACK.
        let segs: [Seg; 9] = [
            (true, 999, 0, SYN, 65_535, Some(7), 0),
            (false, 4999, 1000, SYN_ACK, 50, Some(2), 0),
            (true, 1000, 5000, ACK, 512, None, 0),
            // 50 bytes: the SYN-ACK's 50-byte window, unscaled, is full (packet 4).
            (true, 1000, 5000, ACK, 512, None, 50),
            // The server read them and opens 100 × 4 = 400 bytes past byte 50.
            (false, 5000, 1050, ACK, 100, None, 0),
            // 100 bytes end at 150: the window unscaled, not the real one (no event).
            (true, 1050, 5000, ACK, 512, None, 100),
            // 300 more end at 450, the edge (packet 7).
            (true, 1150, 5000, ACK, 512, None, 300),
            // The same 300 again: a retransmission, not a full window.
            (true, 1150, 5000, ACK, 512, None, 300),
            // A bare ACK from the client: no bytes, no full window.
            (true, 1450, 5000, ACK, 512, None, 0),
        ];
        assert_eq!(
            client_events(&segs),
            [
                (Syn, 1),
                (WindowFull, 4),
                (WindowFull, 7),
                (Retransmission, 8)
            ]
        );
    }

    #[test]
    fn without_both_scale_options_windows_are_not_scaled() {
        use TcpEventKind::{Syn, WindowFull};
        // The server offers a scale, the client does not: no scaling either way.
        let segs: [Seg; 6] = [
            (true, 999, 0, SYN, 65_535, None, 0),
            (false, 4999, 1000, SYN_ACK, 65_535, Some(2), 0),
            (true, 1000, 5000, ACK, 512, None, 0),
            (false, 5000, 1000, ACK, 100, None, 0),
            // 60 bytes: not full.
            (true, 1000, 5000, ACK, 512, None, 60),
            // 40 more end at 100: the raw window, full (scaled it would be 400).
            (true, 1060, 5000, ACK, 512, None, 40),
        ];
        assert_eq!(client_events(&segs), [(Syn, 1), (WindowFull, 6)]);
    }

    #[test]
    fn without_the_syns_no_window_is_full() {
        // Mid-stream: the scale is unknown, so the edge is too.
        let segs: [Seg; 3] = [
            (true, 1000, 5000, ACK, 512, None, 60),
            // Unscaled, this would leave room for exactly the next 40 bytes.
            (false, 5000, 1060, ACK, 40, None, 0),
            (true, 1060, 5000, ACK, 512, None, 40),
        ];
        assert_eq!(client_events(&segs), []);
    }

    #[test]
    fn unwrap_offsets() {
        assert_eq!(unwrap_offset(10, 0), 10);
        assert_eq!(unwrap_offset(0xFFFF_FFF0, 0xFFFF_FF00), 0xFFFF_FFF0);
        // Past the 32-bit wrap.
        assert_eq!(unwrap_offset(0x10, 0xFFFF_FFF0), 0x1_0000_0010);
        // Slightly behind (retransmission) after a wrap.
        assert_eq!(unwrap_offset(0xFFFF_FFF0, 0x1_0000_0010), 0xFFFF_FFF0);
    }
}

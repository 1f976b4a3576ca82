//! The timeline builder: every connection's streams cut into frame entries (on several
//! threads for a large capture), put in time order by 12-byte ordering keys (a counting sort
//! on packet numbers when packet times never go back, else a sort), moved into that order in
//! place, then NOTIFYs paired with their ACKs in one pass.

use alloc::vec::Vec;

use super::events::Events;
use super::{conversation, Analysis, AnalysisOptions, FrameEntry, PayloadCheck};
use crate::capture::spop::FrameLayout;
use crate::capture::spop::{scan_stream_with, SpopConnection, StreamItem};
use crate::capture::{Capture, Timestamp};
use crate::wire::{decode_frame, Direction, FrameType, Limits, Status};
use crate::Progress;

/// The timeline of `capture`: [`super::analyze_timeline`].
pub(super) fn timeline(
    capture: Capture,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(Progress),
) -> Analysis {
    let total = capture.connections.len();
    let mut all = Made::default();
    // Typically one frame per segment: reserving that once spares the doubling growth its
    // copies (tens of MB for large captures). Bounded by the bytes (a frame takes at least
    // four), so a capture of many tiny segments cannot reserve more than its frames could use.
    let (segments, bytes) =
        capture
            .connections
            .iter()
            .flat_map(|c| &c.streams)
            .fold((0usize, 0usize), |(n, b), s| {
                (
                    n.saturating_add(s.segments.len()),
                    b.saturating_add(s.data.len()),
                )
            });
    all.reserve(segments.min(bytes / 4));
    // Frames per connection.
    let mut counts: Vec<usize> = alloc::vec![0; total];
    // Connections are scanned on other threads too (when there are cores and enough bytes);
    // this thread puts their frames into the timeline in connection order.
    let parts = crate::parallel::parts(options.threads, bytes / 128);
    let mut done = 0;
    crate::parallel::in_order(
        &capture.connections,
        parts,
        |conn| {
            let mut part = Made::default();
            scan_connection(conn, conn.id, &mut part);
            part
        },
        |conn, part| {
            if done % 64 == 0 {
                progress(Progress::Timeline { done, total });
            }
            done += 1;
            let first = all.frames.len();
            match part {
                None => scan_connection(conn, conn.id, &mut all),
                Some(mut part) => all.append(&mut part),
            }
            if let Some(n) = counts.get_mut(conn.id) {
                *n += all.frames.len() - first;
            }
        },
    );
    progress(Progress::Timeline { done: total, total });
    let Made {
        mut frames,
        mut events,
        keys,
    } = all;
    frames.shrink_to_fit();

    // The timeline: by time, then packet, then stream order (the order the entries were made
    // in, which `timeline_order` keeps for ties: a packet's frames are all of one stream, so
    // the order connections were scanned in never matters).
    let new_index = timeline_order(&keys, capture.packets);
    drop(keys);
    let remap = |i: usize| new_index.get(i).map_or(i, |&n| n as usize);
    let mut timeline = frames;
    // Put each entry at its new index in place, cycle by cycle: no second timeline in memory.
    // `source[p]` is the entry that belongs at p. Walking a cycle moves entries from the source
    // slot to the next free one; the next slot comes from `source`, not from an entry just
    // moved, so the moves (cache misses, on large captures) overlap instead of waiting on
    // each other.
    let mut source = alloc::vec![0u32; timeline.len()];
    for (old, &new) in new_index.iter().enumerate() {
        if let Some(s) = source.get_mut(new as usize) {
            *s = old as u32;
        }
    }
    for start in 0..timeline.len() {
        if source.get(start).is_none_or(|&s| s as usize == start) {
            continue;
        }
        let Some(&first) = timeline.get(start) else {
            break;
        };
        let mut free = start;
        // Each step fills one slot for good and marks it done, so a cycle ends within n steps.
        while let Some(from) = source.get_mut(free) {
            let from_index = core::mem::replace(from, free as u32) as usize;
            if from_index == start || from_index == free {
                if let Some(slot) = timeline.get_mut(free) {
                    *slot = first;
                }
                break;
            }
            let Some(&moved) = timeline.get(from_index) else {
                break;
            };
            if let Some(slot) = timeline.get_mut(free) {
                *slot = moved;
            }
            free = from_index;
        }
    }
    drop(source);
    for ev in &mut events.list {
        ev.map_after_frame(remap);
    }
    // A few per connection: the short lists' sort (crate::sort), not one more in the wasm.
    crate::sort::sort_by_key(&mut events.list, |e| (e.time, e.connection()));

    // One pass over the timeline for what needs its order (each pass over hundreds of MB of
    // entries costs): indexes, NOTIFY ↔ ACK pairs per connection (the first ACK wins; later
    // ones are duplicates) and each connection's frame list, sized exactly from the counts.
    let mut by_connection: Vec<Vec<u32>> = counts.into_iter().map(Vec::with_capacity).collect();
    // Keyed by (connection, STREAM-ID) and FRAME-ID as two 128-bit words: hashed in two
    // steps, where a tuple of three took three buffered writes (128-bit shifts, library calls
    // on wasm32).
    let mut open: hashbrown::HashMap<(u128, u128), usize> = hashbrown::HashMap::new();
    let mut unpaired = Vec::new();
    let mut types = [0u64; 4];
    for i in 0..timeline.len() {
        let Some(e) = timeline.get_mut(i) else { break };
        e.index = i;
        e.embedded_in = e.embedded_in.map(|p| remap(p as usize) as u32);
        if let Some(list) = by_connection.get_mut(e.connection) {
            list.push(i as u32);
        }
        let t = e.frame_type.as_u8();
        if let Some(word) = types.get_mut(usize::from(t >> 6)) {
            *word |= 1 << (t & 63);
        }
        let key = (
            (e.connection as u128) << 64 | u128::from(e.stream_id),
            u128::from(e.frame_id),
        );
        match e.frame_type {
            FrameType::Notify => {
                // A NOTIFY with the same ids still open stays without an ACK for good.
                if let Some(earlier) = open.insert(key, i) {
                    unpaired.push(earlier as u32);
                }
            }
            FrameType::Ack => match open.remove(&key) {
                Some(n) => {
                    e.pair = Some(n as u32);
                    if let Some(notify) = timeline.get_mut(n) {
                        notify.pair = Some(i as u32);
                    }
                }
                None => unpaired.push(i as u32),
            },
            _ => {}
        }
    }
    drop(new_index);
    unpaired.extend(open.into_values().map(|i| i as u32));
    unpaired.sort_unstable();
    let mut analysis = Analysis {
        connections: Vec::new(),
        frames: timeline,
        findings: Vec::new(),
        omitted: Vec::new(),
        options: options.clone(),
        capture,
        by_connection,
        unchecked: Some(events),
        unpaired,
        types,
    };
    analysis.connections = conversation::summarize(&analysis, options.threads);
    analysis
}

/// Timeline entries and stream events as scans make them, in the order made (a connection's
/// entries together, in stream order), with each entry's [`OrderKey`] alongside: ordering
/// reads those 12 bytes rather than whole entries (over 100 bytes each).
#[derive(Default)]
struct Made {
    frames: Vec<FrameEntry>,
    events: Events,
    keys: Vec<OrderKey>,
}

/// What orders an entry in the timeline: its time and packet number, in 12 bytes (a tuple
/// would take 16: these are held for every entry while the order is worked out).
#[derive(Clone, Copy)]
struct OrderKey([u32; 3]);

impl OrderKey {
    const fn new(time: Timestamp, packet: u32) -> Self {
        OrderKey([time as u32, (time >> 32) as u32, packet])
    }

    const fn time(self) -> Timestamp {
        let [lo, hi, _] = self.0;
        (hi as u64) << 32 | lo as u64
    }

    const fn packet(self) -> u32 {
        self.0[2]
    }
}

impl Made {
    fn reserve(&mut self, entries: usize) {
        self.frames.reserve(entries);
        self.keys.reserve(entries);
    }

    /// Appends `other`, made apart (indexes from 0), shifting its indexes to where its
    /// entries land.
    fn append(&mut self, other: &mut Made) {
        let first = self.frames.len();
        for e in other.frames.iter_mut() {
            e.index += first;
            e.embedded_in = e.embedded_in.map(|p| (p as usize + first) as u32);
        }
        for ev in other.events.list.iter_mut() {
            ev.map_after_frame(|p| p + first);
        }
        self.frames.append(&mut other.frames);
        self.events.append(&mut other.events);
        self.keys.append(&mut other.keys);
    }
}

/// Scans both streams of `conn` onto `made` (entries indexed from `made.frames.len()`, in
/// stream order; the items that are not frames as events), as connection `id`.
fn scan_connection(conn: &SpopConnection, id: usize, made: &mut Made) {
    let Made {
        frames,
        events,
        keys,
    } = made;
    let haproxy = conn.stream(Direction::HaproxyToAgent);
    let max_length = crate::capture::spop::max_plausible_length(&haproxy.data);
    for dir in [Direction::HaproxyToAgent, Direction::AgentToHaproxy] {
        let stream = conn.stream(dir);
        let mut split_parent: Option<(usize, u32)> = None;
        let mut last_frame: Option<usize> = None;
        scan_stream_with(stream, dir, max_length, |item, decoded| {
            let packet = item.packet(stream);
            let layout = match item {
                StreamItem::Frame(r) => FrameLayout::whole(r.span),
                StreamItem::Split(r) => FrameLayout::split(&r),
                _ => {
                    events.push(id, dir, item, packet.timestamp, last_frame);
                    return;
                }
            };
            // The scan decoded frames found in place; split and embedded ones (rare) are
            // decoded here.
            let (bytes, frame);
            let f = match decoded {
                Some(f) => f,
                None => {
                    let Some(b) = item.frame_bytes(&stream.data) else {
                        return;
                    };
                    bytes = b;
                    let Ok(Status::Complete(d)) =
                        decode_frame(&bytes, item.offset(), Limits::default())
                    else {
                        return;
                    };
                    frame = d;
                    &frame
                }
            };
            let embedded_in = match (item, split_parent) {
                (StreamItem::Frame(_), Some((parent, left))) if left > 0 => {
                    split_parent = (left > 1).then_some((parent, left - 1));
                    Some(parent as u32)
                }
                _ => None,
            };
            let here = frames.len();
            if let StreamItem::Split(r) = item {
                split_parent = Some((here, r.embedded));
            }
            last_frame = Some(here);
            keys.push(OrderKey::new(packet.timestamp, packet.number));
            frames.push(FrameEntry {
                index: here,
                connection: id,
                direction: dir,
                layout,
                frame_type: f.frame_type(),
                flags: f.flags(),
                stream_id: f.stream_id(),
                frame_id: f.frame_id(),
                length: f.length(),
                time: packet.timestamp,
                packet: packet.number,
                embedded_in,
                pair: None,
                payload: match (f.payload_error(), f.plain()) {
                    (Some(_), _) => PayloadCheck::Invalid,
                    (None, false) => PayloadCheck::Valid,
                    (None, true) => PayloadCheck::Plain,
                },
            });
        });
    }
}

/// Where each entry (made a connection at a time, each stream in order; `keys` are theirs)
/// goes in the timeline: ordered by time, then packet number, then the order it was made in.
/// `packets` is how many packets the capture had (packet numbers run from 1 to it), or 0 if not
/// known.
fn timeline_order(keys: &[OrderKey], packets: u32) -> Vec<u32> {
    order_by_packet(keys, packets).unwrap_or_else(|| order_by_key(keys))
}

/// [`timeline_order`] as a counting sort on packet numbers (linear, no comparisons): valid when
/// packet times never go back from one packet to the next, as in a capture written as it was
/// taken. `None` when they do, or when packet numbers are too sparse for a table of them.
fn order_by_packet(keys: &[OrderKey], packets: u32) -> Option<Vec<u32>> {
    if keys.is_empty() {
        return Some(Vec::new());
    }
    if u32::try_from(keys.len()).is_err() {
        return None;
    }
    // The highest packet number: known from the capture, else a pass over the keys.
    let last = match packets {
        0 => keys.iter().map(|k| k.packet()).max()?,
        n => n,
    } as usize;
    // The table has an entry per packet number: bounded by the frames, so memory stays linear.
    if last > keys.len().saturating_mul(4).saturating_add(1024) {
        return None;
    }
    // Frames per packet, then (below) the first timeline position of each packet's frames.
    let mut next = alloc::vec![0u32; last + 1];
    let mut time: Vec<Timestamp> = alloc::vec![0; last + 1];
    for k in keys {
        let p = k.packet() as usize;
        let (Some(n), Some(t)) = (next.get_mut(p), time.get_mut(p)) else {
            return None;
        };
        *n += 1;
        *t = k.time();
    }
    // All frames of a packet share its time; a later packet with an earlier time means packet
    // order is not time order.
    let mut latest = 0;
    for (&t, _) in time.iter().zip(&next).filter(|(_, &n)| n > 0) {
        if t < latest {
            return None;
        }
        latest = t;
    }
    drop(time);
    let mut position = 0u32;
    for n in &mut next {
        let count = *n;
        *n = position;
        position = position.wrapping_add(count);
    }
    // Stable: a packet's frames keep the order they were made in.
    Some(
        keys.iter()
            .map(|k| {
                next.get_mut(k.packet() as usize).map_or(0, |n| {
                    *n += 1;
                    *n - 1
                })
            })
            .collect(),
    )
}

/// [`timeline_order`] by sorting (time, packet, made-in position) keys: for any packet numbering
/// and times. Sorting 16-byte keys instead of whole entries keeps the sort cheap, and the
/// position makes every key unique, so an unstable sort is deterministic.
fn order_by_key(keys: &[OrderKey]) -> Vec<u32> {
    let mut order: Vec<(u64, u64)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.time(), (u64::from(k.packet()) << 32) | i as u64))
        .collect();
    order.sort_unstable();
    let mut new_index = alloc::vec![0u32; order.len()];
    for (new, &(_, key)) in order.iter().enumerate() {
        if let Some(slot) = new_index.get_mut((key & u64::from(u32::MAX)) as usize) {
            *slot = new as u32;
        }
    }
    new_index
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // The counting sort gives exactly the sorting order whenever it applies, and declines
        // (the sort then runs) when packet times go back or numbers exceed the capture's count.
        #[test]
        fn counting_order_is_the_sorted_order(
            frames in proptest::collection::vec(1u32..40, 0..60),
            declared in 0u32..50,
        ) {
            // Times per packet as a capture has them: every frame of a packet shares its time.
            let time_of = |p: u32| u64::from(p / 3) * 10 + u64::from(p % 3);
            let monotonic: Vec<OrderKey> =
                frames.iter().map(|&p| OrderKey::new(time_of(p), p)).collect();
            let expected = order_by_key(&monotonic);
            let counted = order_by_packet(&monotonic, declared);
            let fits = monotonic.iter().all(|k| declared == 0 || k.packet() <= declared);
            prop_assert_eq!(counted.is_some(), fits);
            if let Some(counted) = counted {
                prop_assert_eq!(&counted, &expected);
            }
            prop_assert_eq!(timeline_order(&monotonic, declared), expected);

            // Times that do not follow packet order: the counting sort must decline, or its
            // order would differ from the sorted one.
            let shuffled: Vec<OrderKey> = frames
                .iter()
                .map(|&p| OrderKey::new(u64::from(p) * 7 % 5 * 100 + (1 << 40), p))
                .collect();
            prop_assert_eq!(timeline_order(&shuffled, 0), order_by_key(&shuffled));
        }
    }

    proptest! {
        #[test]
        fn order_keys_keep_time_and_packet(time in any::<u64>(), packet in any::<u32>()) {
            let k = OrderKey::new(time, packet);
            prop_assert_eq!((k.time(), k.packet()), (time, packet));
        }
    }
}

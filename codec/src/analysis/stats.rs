//! Statistics of a capture, in the spirit of Wireshark's Service Response Time and I/O graphs:
//! NOTIFY→ACK latency (a histogram, percentiles per message name and per connection) and
//! what happened over time (NOTIFYs outstanding, connections open, attempts refused, frames).
//! Computed on demand from an [`Analysis`]; surfaces draw or print the numbers as they are.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::{text, Analysis};
use crate::wire::{FrameType, Payload};

/// Upper bounds of the latency histogram's buckets, in nanoseconds (a 1-2-5 series from
/// 0.1 ms to 10 s); a last bucket holds everything slower.
pub const LATENCY_BUCKETS: [u64; 16] = [
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
    2_000_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// Time bins of the time series, at most.
pub const MAX_BINS: usize = 120;

/// Message names kept apart, at most (the rest are summed up as "(other)").
const MAX_NAMES: usize = 32;

/// Latency percentiles of a set of NOTIFY→ACK pairs, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Percentiles {
    /// Pairs with a latency.
    pub count: usize,
    /// Median (of an even count, the mean of the middle two, as every latency median of
    /// the engine is).
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Slowest.
    pub max: u64,
}

impl Percentiles {
    /// The percentiles of `values` (reordered); `None` when empty. Nearest-rank percentiles
    /// but for the median.
    pub fn of(values: &mut [u64]) -> Option<Percentiles> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let rank = |p: usize| (n * p).div_ceil(100).clamp(1, n) - 1;
        // The few ranks wanted, by selection in increasing order (each in the part above the
        // previous one), not a sort: linear, and reports compute several of these.
        let mut from = 0;
        let mut pick = |k: usize| {
            let k = k.clamp(from, n - 1);
            let v = values
                .get_mut(from..)
                .filter(|rest| k - from < rest.len())
                .map_or(0, |rest| *rest.select_nth_unstable(k - from).1);
            from = k;
            v
        };
        let lower = (n.is_multiple_of(2) && n >= 2).then(|| pick(n / 2 - 1));
        let upper = pick(n / 2);
        let p50 = match lower {
            // Of an even count, the mean of the middle two.
            Some(lower) => lower + (upper - lower) / 2,
            None => upper,
        };
        let p90 = pick(rank(90));
        let p99 = pick(rank(99));
        let max = pick(n - 1);
        Some(Percentiles {
            count: n,
            p50,
            p90,
            p99,
            max,
        })
    }
}

/// One time bin of the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Bin {
    /// Start of the bin, nanoseconds since the analysis' time zero.
    pub start: u64,
    /// Most NOTIFYs outstanding at once (sent, not answered yet) during the bin.
    pub outstanding: u32,
    /// Most SPOP connections open at once during the bin.
    pub connections: u32,
    /// Connection attempts that failed (refused or unanswered) in the bin.
    pub refused: u32,
    /// Frames in the bin (divide by the bin's width for a rate).
    pub frames: u32,
}

/// Everything the Statistics view shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Statistics {
    /// All pairs' latency percentiles, `None` without answered NOTIFYs with times.
    pub latency: Option<Percentiles>,
    /// Pairs per bucket of [`LATENCY_BUCKETS`] (one more bucket for slower ones).
    pub histogram: Vec<usize>,
    /// Per message name (the messages of a NOTIFY share its latency), busiest first.
    pub by_message: Vec<(String, Percentiles)>,
    /// Per connection index, in order (connections without latencies left out).
    pub by_connection: Vec<(usize, Percentiles)>,
    /// Width of a time bin, nanoseconds (0 for inputs without times).
    pub bin_width: u64,
    /// The series, [`MAX_BINS`] bins at most, from time zero to the last packet.
    pub bins: Vec<Bin>,
}

/// The statistics of `a`.
pub fn statistics(a: &Analysis) -> Statistics {
    let (latency, by_message) = latency_by_message(a);
    let mut histogram = alloc::vec![0usize; LATENCY_BUCKETS.len() + 1];
    let mut by_connection = Vec::new();
    let mut here: Vec<u64> = Vec::new();
    if latency.is_some() {
        for c in &a.connections {
            here.clear();
            here.extend(c.pairs.iter().filter_map(|p| p.latency));
            for &l in &here {
                let bucket = LATENCY_BUCKETS.partition_point(|&b| b < l);
                if let Some(h) = histogram.get_mut(bucket) {
                    *h += 1;
                }
            }
            if let Some(p) = Percentiles::of(&mut here) {
                by_connection.push((c.id, p));
            }
        }
    } else {
        histogram.clear();
    }
    let (bin_width, bins) = series(a);
    Statistics {
        latency,
        histogram,
        by_message,
        by_connection,
        bin_width,
        bins,
    }
}

/// The latency percentiles of all answered NOTIFYs, and per message name, busiest first
/// ([`Statistics::latency`] and [`Statistics::by_message`], the same numbers): what the text
/// and Markdown reports print, without the rest of [`statistics`].
pub fn latency_by_message(a: &Analysis) -> (Option<Percentiles>, Vec<(String, Percentiles)>) {
    let mut all: Vec<u64> = a
        .connections
        .iter()
        .flat_map(|c| &c.pairs)
        .filter_map(|p| p.latency)
        .collect();
    let names = names_in_timeline_order(a, all.len()).unwrap_or_else(|| names_by_pair(a));
    let Names {
        by_text,
        mut latencies,
        ..
    } = names;
    let mut by_message: Vec<(String, Percentiles)> = by_text
        .into_iter()
        .filter_map(|(n, slot)| {
            let values = latencies.get_mut(slot)?;
            Some((n, Percentiles::of(values)?))
        })
        .collect();
    crate::sort::sort_by(&mut by_message, |x, y| {
        y.1.count.cmp(&x.1.count).then_with(|| x.0.cmp(&y.0))
    });
    (Percentiles::of(&mut all), by_message)
}

/// The latencies by message name, connection by connection and pair by pair: the order that
/// decides which names are kept apart when there are more than [`MAX_NAMES`].
fn names_by_pair(a: &Analysis) -> Names {
    let mut names = Names::default();
    for c in &a.connections {
        for p in &c.pairs {
            let Some(l) = p.latency else { continue };
            notify_names(a, p.notify as usize, l, &mut names);
        }
    }
    names
}

/// The same read in timeline order, the order of the frames in memory (by pair, every
/// NOTIFY is a cache miss on a large capture), in parts on the analysis' threads: `None` when
/// it cannot be the same, i.e. when some name goes to "(other)" (then the order matters), or
/// when the NOTIFYs read are not the `answered` pairs'. With [`MAX_NAMES`] names or fewer,
/// the order changes only the order of each name's latencies, not their percentiles.
fn names_in_timeline_order(a: &Analysis, answered: usize) -> Option<Names> {
    let parts = crate::parallel::parts(a.options.threads, a.frames.len());
    let read_part = |p: usize| {
        let mut names = Names::default();
        let mut read = 0usize;
        for e in crate::parallel::part(&a.frames, p, parts) {
            if e.frame_type != FrameType::Notify {
                continue;
            }
            let Some(l) = a.pair_latency(e) else { continue };
            read += 1;
            notify_names(a, e.index, l, &mut names);
            if names.overflow {
                break;
            }
        }
        (names, read)
    };
    let mut merged = Names::default();
    let mut read = 0usize;
    for (names, n) in crate::parallel::join(parts, || read_part(0), read_part) {
        read += n;
        let Names {
            by_text,
            latencies,
            overflow,
            ..
        } = names;
        merged.overflow |= overflow;
        for (text, slot) in by_text {
            let values = latencies.get(slot).map_or(&[][..], Vec::as_slice);
            let next = merged.latencies.len();
            let at = *merged.by_text.entry(text).or_insert(next);
            if at == next {
                merged.latencies.push(Vec::new());
            }
            if let Some(all) = merged.latencies.get_mut(at) {
                all.extend_from_slice(values);
            }
        }
    }
    (!merged.overflow && merged.by_text.len() <= MAX_NAMES && read == answered).then_some(merged)
}

/// Adds latency `l` to the names of the messages of NOTIFY `index` (only their names are
/// read: the arguments are skipped, not decoded).
fn notify_names(a: &Analysis, index: usize, l: u64, names: &mut Names) {
    a.with_frame(index, |f| {
        if let Payload::Messages(m) = f.payload() {
            for msg in m.iter().flatten() {
                names.add(msg.name.bytes, l);
            }
        }
    });
}

/// Distinct message names remembered by their bytes, at most: enough for any real
/// configuration; past it, names are looked up by their text (slower, same result).
const MAX_SEEN: usize = 256;

/// Latencies by message name. A name's text (escaped, for display) is made once, not per
/// message: the bytes of the names seen map to their slot.
#[derive(Default)]
struct Names {
    /// Slot of each name kept apart ([`MAX_NAMES`] at most), and of "(other)".
    by_text: BTreeMap<String, usize>,
    /// Latencies per slot.
    latencies: Vec<Vec<u64>>,
    /// Slot by the name's bytes.
    seen: BTreeMap<Vec<u8>, usize>,
    /// Whether some name went to "(other)".
    overflow: bool,
}

impl Names {
    fn add(&mut self, name: &[u8], latency: u64) {
        let slot = match self.seen.get(name) {
            Some(&slot) => slot,
            None => {
                // Once full, the table of names only grows by "(other)": a name's slot never
                // changes, so it can be remembered.
                let text = text(name);
                let known = self.by_text.len() < MAX_NAMES || self.by_text.contains_key(&text);
                self.overflow |= !known;
                let key = if known { text } else { String::from("(other)") };
                let slot = match self.by_text.get(&key) {
                    Some(&slot) => slot,
                    None => {
                        let slot = self.latencies.len();
                        self.by_text.insert(key, slot);
                        self.latencies.push(Vec::new());
                        slot
                    }
                };
                if self.seen.len() < MAX_SEEN {
                    self.seen.insert(name.to_vec(), slot);
                }
                slot
            }
        };
        if let Some(l) = self.latencies.get_mut(slot) {
            l.push(latency);
        }
    }
}

/// The time series: NOTIFYs outstanding, connections open, failed attempts, frames.
fn series(a: &Analysis) -> (u64, Vec<Bin>) {
    let zero = a.time_zero();
    let last = a
        .connections
        .iter()
        .map(|c| c.end)
        .chain(a.capture.attempts.iter().map(|t| t.last.timestamp))
        .chain(a.frames.last().map(|e| e.time))
        .max()
        .unwrap_or(zero);
    let span = last.saturating_sub(zero);
    if span == 0 {
        return (0, Vec::new());
    }
    let width = span.div_ceil(MAX_BINS as u64).max(1);
    let n = usize::try_from(span / width + 1)
        .unwrap_or(MAX_BINS)
        .min(MAX_BINS);
    let mut bins: Vec<Bin> = (0..n)
        .map(|i| Bin {
            start: i as u64 * width,
            ..Bin::default()
        })
        .collect();
    let bin_of = |t: u64| {
        let i = t.saturating_sub(zero) / width;
        usize::try_from(i).unwrap_or(usize::MAX).min(n - 1)
    };
    for e in &a.frames {
        if let Some(b) = bins.get_mut(bin_of(e.time)) {
            b.frames = b.frames.saturating_add(1);
        }
    }
    for t in a.capture.attempts.iter().filter(|t| t.outcome().failed()) {
        if let Some(b) = bins.get_mut(bin_of(t.first.timestamp)) {
            b.refused = b.refused.saturating_add(1);
        }
    }
    // Level series from +1/−1 steps in time order: the level's maximum within each bin.
    let level = |bins: &mut [Bin], steps: &mut Vec<(u64, i8)>, set: fn(&mut Bin, u32)| {
        steps.sort_unstable();
        let mut now: i64 = 0;
        let mut peak: Vec<i64> = alloc::vec![0; bins.len()];
        let mut i = 0;
        for (bin, p) in peak.iter_mut().enumerate() {
            // The level at the start of the bin counts too.
            *p = now;
            let end = zero.saturating_add((bin as u64 + 1).saturating_mul(width));
            while let Some(&(t, d)) = steps.get(i) {
                if t >= end && bin + 1 < bins.len() {
                    break;
                }
                now += i64::from(d);
                *p = (*p).max(now);
                i += 1;
            }
        }
        for (b, p) in bins.iter_mut().zip(peak) {
            set(b, u32::try_from(p.max(0)).unwrap_or(u32::MAX));
        }
    };
    let mut steps: Vec<(u64, i8)> = Vec::new();
    for c in &a.connections {
        for p in &c.pairs {
            let Some(notify) = a.frames.get(p.notify as usize) else {
                continue;
            };
            steps.push((notify.time, 1));
            let done = p
                .ack
                .and_then(|i| a.frames.get(i as usize))
                .map_or(c.end, |ack| ack.time);
            steps.push((done, -1));
        }
    }
    level(&mut bins, &mut steps, |b, v| b.outstanding = v);
    steps.clear();
    for c in &a.connections {
        steps.push((c.start, 1));
        steps.push((c.end, -1));
    }
    level(&mut bins, &mut steps, |b, v| b.connections = v);
    (width, bins)
}

//! Statistics of a capture, in the spirit of Wireshark's Service Response Time and I/O graphs:
//! NOTIFY→ACK latency (a histogram, percentiles per message name and per connection) and
//! what happened over time (NOTIFYs outstanding, connections open, attempts refused, frames).
//! Computed on demand from an [`Analysis`]; surfaces draw or print the numbers as they are.

use alloc::string::String;
use alloc::vec::Vec;

use super::{text, Analysis};
use crate::wire::Payload;

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
        values.sort_unstable();
        let rank = |p: usize| {
            let k = (n * p).div_ceil(100).clamp(1, n) - 1;
            values.get(k).copied().unwrap_or(0)
        };
        Some(Percentiles {
            count: n,
            p50: {
                let upper = values.get(n / 2).copied().unwrap_or(0);
                match values.get((n / 2).wrapping_sub(1)) {
                    Some(&lower) if n.is_multiple_of(2) => lower + (upper - lower) / 2,
                    _ => upper,
                }
            },
            p90: rank(90),
            p99: rank(99),
            max: values.last().copied().unwrap_or(0),
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
    let mut all: Vec<u64> = Vec::new();
    let mut histogram = alloc::vec![0usize; LATENCY_BUCKETS.len() + 1];
    let mut by_connection = Vec::new();
    // A list, not a map: at most MAX_NAMES + 1 names, and `by_message` is sorted below.
    let mut by_name: Vec<(String, Vec<u64>)> = Vec::new();
    for c in &a.connections {
        let mut here: Vec<u64> = Vec::new();
        for p in &c.pairs {
            let Some(l) = p.latency else { continue };
            here.push(l);
            let bucket = LATENCY_BUCKETS.partition_point(|&b| b < l);
            if let Some(h) = histogram.get_mut(bucket) {
                *h += 1;
            }
            a.with_frame(p.notify as usize, |f| {
                if let Payload::Messages(m) = f.payload() {
                    for msg in m.iter().flatten() {
                        let name = text(msg.name.bytes);
                        let known =
                            by_name.len() < MAX_NAMES || by_name.iter().any(|(n, _)| *n == name);
                        let key = if known { name } else { String::from("(other)") };
                        match by_name.iter_mut().find(|(n, _)| *n == key) {
                            Some((_, v)) => v.push(l),
                            None => by_name.push((key, alloc::vec![l])),
                        }
                    }
                }
            });
        }
        all.extend_from_slice(&here);
        if let Some(p) = Percentiles::of(&mut here) {
            by_connection.push((c.id, p));
        }
    }
    let mut by_message: Vec<(String, Percentiles)> = by_name
        .into_iter()
        .filter_map(|(n, mut v)| Some((n, Percentiles::of(&mut v)?)))
        .collect();
    crate::sort::sort_by(&mut by_message, |x, y| {
        y.1.count.cmp(&x.1.count).then_with(|| x.0.cmp(&y.0))
    });
    let latency = Percentiles::of(&mut all);
    if latency.is_none() {
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

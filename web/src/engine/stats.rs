//! The statistics view's drawing (`crate::ui::stats` places it): the numbers the engine
//! computes (`spop_codec::analysis::statistics`), drawn in the worker as inline SVG markup
//! and tables, for the width the page has.

use core::fmt::Write as _;

use spop_codec::analysis::Statistics;
use spop_codec::analysis::{Bin, Percentiles, LATENCY_BUCKETS};
use spop_codec::display::Fixed;

use crate::engine::draw::{thousands, tick_step};
use crate::engine::incident::esc;

/// Left margin of the charts (written as `52` in their markup).
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;

/// A latency in ms, as the CLI prints it (`513.344`).
fn ms(ns: u64) -> String {
    Fixed::ratio(ns, 6, 3).to_string()
}

/// A bucket's upper bound, short: `0.1`, `20`, `500` (ms), `1 s`, `10 s`; the last: `more`.
fn bucket_label(i: usize) -> String {
    match LATENCY_BUCKETS.get(i) {
        Some(&ns) if ns < 1_000_000 => Fixed::ratio(ns, 6, 1).to_string(),
        Some(&ns) if ns < 1_000_000_000 => Fixed::ratio(ns, 6, 0).to_string(),
        Some(&ns) => format!("{} s", Fixed::ratio(ns, 9, 0)),
        None => "more".into(),
    }
}

fn c(v: f64) -> Fixed {
    Fixed::of(v, 1)
}

/// The whole view as markup, `w` pixels wide: latency histogram and percentiles, then the
/// time series. Numbers and fixed words, but for message names (escaped).
pub fn html(s: &Statistics, w: f64) -> String {
    let mut out = String::from(
        r#"<div class="stats-top"><figure class="chart"><figcaption>NOTIFY → ACK latency (NOTIFYs per bucket; upper bounds in ms)</figcaption>"#,
    );
    if s.histogram.is_empty() {
        out.push_str(r#"<p class="muted">No answered NOTIFY with times.</p>"#);
    } else {
        // Beside the table when there is room, else the whole width above it.
        let hw = if w >= 900.0 { (w * 0.5).min(640.0) } else { w };
        out.push_str(&histogram(s, hw));
    }
    out.push_str("</figure>");
    table(s, &mut out);
    let _ = write!(
        out,
        r#"</div><figure class="chart"><figcaption>Over time, in bins of {}</figcaption>"#,
        crate::engine::session::duration(s.bin_width)
    );
    if s.bins.is_empty() || s.bin_width == 0 {
        out.push_str(r#"<p class="muted">This input has no times.</p>"#);
    } else {
        out.push_str(&series(s, w));
    }
    out.push_str("</figure>");
    out
}

/// The latency histogram, as SVG markup (numbers and fixed words only).
fn histogram(s: &Statistics, w: f64) -> String {
    // The axis (written as `120` in the markup).
    const BASE: f64 = 120.0;
    let n = s.histogram.len() as f64;
    let slot = (w - LEFT - RIGHT) / n;
    let max = s.histogram.iter().copied().max().unwrap_or(1).max(1);
    let mut svg = format!(
        r#"<svg class="histogram" width="{}" height="150" role="img" aria-label="Latency histogram"><line class="axis" x1="52" y1="120" x2="{}" y2="120"/><text class="axis-label" x="4" y="14">max {}</text>"#,
        c(w),
        c(w - RIGHT),
        thousands(max)
    );
    let label_every = if slot < 30.0 { 2 } else { 1 };
    for (i, &count) in s.histogram.iter().enumerate() {
        let h = count as f64 / max as f64 * (BASE - 16.0);
        let (x, mid) = (LEFT + i as f64 * slot, LEFT + (i as f64 + 0.5) * slot);
        let label = bucket_label(i);
        let _ = write!(
            svg,
            r#"<g class="bucket" data-bucket="{i}" data-count="{count}"><title>≤ {label} ms: {} NOTIFY(s)</title><rect class="bar" x="{}" y="{}" width="{}" height="{}"/>"#,
            thousands(count),
            c(x + 2.0),
            c(BASE - h),
            c((slot - 4.0).max(1.0)),
            c(h)
        );
        if count > 0 {
            let _ = write!(
                svg,
                r#"<text class="count" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                c(mid),
                c(BASE - h - 3.0),
                thousands(count)
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text class="axis-label" x="{}" y="{}" text-anchor="middle">{label}</text>"#,
                c(mid),
                c(BASE + 14.0)
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// One row of the percentile table; its cells carry the engine's ns (`data-ns`).
fn pct_row(out: &mut String, class: &str, name: &str, p: &Percentiles) {
    let _ = write!(
        out,
        r#"<tr class="{class}"><th scope="row">{}</th><td class="num">{}</td>"#,
        esc(name),
        thousands(p.count)
    );
    for ns in [p.p50, p.p90, p.p99, p.max] {
        let _ = write!(
            out,
            r#"<td class="num mono" data-ns="{ns}">{}</td>"#,
            ms(ns)
        );
    }
    out.push_str("</tr>");
}

/// Percentiles: all NOTIFYs, per message name, per connection.
fn table(s: &Statistics, out: &mut String) {
    let Some(all) = &s.latency else {
        return;
    };
    out.push_str(r#"<div class="table-wrap pct-wrap"><table class="pct-table" id="latency-table"><thead><tr><th>latency (ms)</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr></thead><tbody>"#);
    pct_row(out, "all", "all NOTIFYs", all);
    for (n, p) in &s.by_message {
        pct_row(out, "message", n, p);
    }
    for (c, p) in &s.by_connection {
        pct_row(out, "connection", &format!("connection {}", c + 1), p);
    }
    out.push_str("</tbody></table></div>");
}

/// One strip of the time series: its id, its label, and what it plots of a bin.
type Strip = (&'static str, &'static str, fn(&Bin) -> u32);

/// The time series, one strip each, sharing the time axis, as SVG markup.
fn series(s: &Statistics, w: f64) -> String {
    const STRIP: f64 = 58.0;
    const GAP: f64 = 22.0;
    let n = s.bins.len() as f64;
    let plot = w - LEFT - RIGHT;
    let slot = plot / n;
    let bw = s.bin_width;
    let height = GAP + 4.0 * (STRIP + GAP) + 2.0;
    let mut svg = format!(
        r#"<svg class="series" width="{}" height="{}" role="img" aria-label="NOTIFYs outstanding, connections open, failed attempts and frames per second over time">"#,
        c(w),
        c(height + 8.0)
    );
    let strips: [Strip; 4] = [
        ("outstanding", "NOTIFYs outstanding (most at once)", |b| {
            b.outstanding
        }),
        ("connections", "SPOP connections open (most at once)", |b| {
            b.connections
        }),
        ("refused", "connection attempts failed", |b| b.refused),
        ("frames", "frames per second", |b| b.frames),
    ];
    for (k, (id, label, get)) in strips.into_iter().enumerate() {
        let top = GAP + k as f64 * (STRIP + GAP);
        let base = top + STRIP;
        let max = s.bins.iter().map(get).max().unwrap_or(0);
        let peak = if id == "frames" {
            // Frames per second of the busiest bin, to a tenth.
            let tenths = u128::from(max) * 10_000_000_000 / u128::from(bw.max(1));
            format!("max {}/s", Fixed::ratio(tenths as u64, 1, 1))
        } else {
            format!("max {}", thousands(max as usize))
        };
        let _ = write!(
            svg,
            r#"<g class="strip {id}" data-max="{max}"><text class="strip-label" x="52" y="{}">{label}</text><text class="axis-label" x="{}" y="{}" text-anchor="end">{peak}</text><line class="axis" x1="52" y1="{}" x2="{}" y2="{}"/><path class="bars" d=""#,
            c(top - 6.0),
            c(w - RIGHT),
            c(top - 6.0),
            c(base),
            c(w - RIGHT),
            c(base)
        );
        let bar = c((slot - 0.6).max(0.8));
        for (i, b) in s.bins.iter().enumerate() {
            let v = get(b);
            if v > 0 {
                let h = (f64::from(v) / f64::from(max.max(1)) * STRIP).max(1.5);
                let _ = write!(
                    svg,
                    "M{},{}h{bar}v{}h-{bar}z",
                    c(LEFT + i as f64 * slot),
                    c(base - h),
                    c(h)
                );
            }
        }
        svg.push_str(r#""/></g>"#);
    }
    let span = bw.saturating_mul(s.bins.len() as u64);
    let step = tick_step(span, (plot / 90.0).max(2.0) as u64);
    let decimals = if step >= 1_000_000_000 {
        0
    } else {
        (9 - (step as f64).log10().floor() as i32).clamp(0, 9) as u8
    };
    let axis_y = c(height - 6.0);
    let _ = write!(
        svg,
        r#"<text class="axis-label" x="4" y="{axis_y}">time (s)</text>"#
    );
    // Checked: a crafted capture's span near u64::MAX would wrap the ticks.
    for t in (0..=60u64)
        .map_while(|k| k.checked_mul(step))
        .take_while(|&t| t <= span)
    {
        let x = LEFT + t as f64 / span.max(1) as f64 * plot;
        let _ = write!(
            svg,
            r#"<text class="axis-label" x="{}" y="{axis_y}" text-anchor="middle">{}</text>"#,
            c(x),
            Fixed::ratio(t, 9, decimals)
        );
    }
    svg.push_str("</svg>");
    svg
}

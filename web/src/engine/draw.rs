//! What the worker's drawings (the statistics, a TCP incident) and the page's views draw
//! with alike: the timeline's lanes and TCP marks, its ticks, the clock, thousands. It sits on
//! the engine's side, which draws in the worker; the page imports it from here.

use core::fmt::Write as _;

use spop_codec::display::Fixed;

use crate::engine::incident::{class_name, ATTEMPT};

/// Left margin of the timeline (its lane labels).
pub(crate) const LEFT: f64 = 78.0;
/// The HAProxy lane.
pub(crate) const LANE_H: f64 = 26.0;
/// The agent's lane.
pub(crate) const LANE_A: f64 = 86.0;
/// The lane of the connection attempts without SPOP (when the capture has some).
pub(crate) const ATTEMPTS_Y: f64 = 140.0;

/// An SVG coordinate, to a tenth of a pixel, to format into a path.
pub(crate) fn coord(v: f64) -> Fixed {
    Fixed::of(v, 1)
}

/// The SVG path of a TCP event's mark (see [`crate::engine::incident::class_name`]) at `(x, y)`.
pub(crate) fn glyph(class: u8, x: f64, y: f64, d: &mut String) {
    let (x, y) = (coord(x), coord(y));
    let _ = match class_name(class) {
        "syn" | "window-open" | "unanswered" | "open" => {
            write!(d, "M{x},{y}m-4,0a4,4 0 1,0 8,0a4,4 0 1,0 -8,0")
        }
        "fin" | "closed" => write!(d, "M{x},{y}m-3.5,-3.5h7v7h-7z"),
        "retransmission" => write!(d, "M{x},{y}m0,-4.5l4,7h-8z"),
        "zero-window" => write!(d, "M{x},{y}m-2.5,-4.5v9m5,-9v9"),
        // A window filled to its edge: a bracket closing it.
        "window-full" => write!(d, "M{x},{y}m-2,-4.5h3v9h-3"),
        // An RST, and a refused attempt (an RST to its SYN): a cross.
        _ => write!(d, "M{x},{y}m-4,-4l8,8m0,-8l-8,8"),
    };
}

/// The lane of a TCP mark: HAProxy's, the agent's, or the attempts'.
pub(crate) fn lane_y(class: u8, haproxy: bool) -> f64 {
    if class >= ATTEMPT {
        ATTEMPTS_Y
    } else if haproxy {
        LANE_H
    } else {
        LANE_A
    }
}

/// A "nice" tick step (1, 2, 5 × 10ⁿ ns) giving about `n` ticks over `span`.
pub fn tick_step(span: u64, n: u64) -> u64 {
    let raw = (span / n.max(1)).max(1);
    let mut p = 1u64;
    // `p <= raw / 10` rather than `p * 10 <= raw`: for a span near u64::MAX the product
    // saturates, stays <= raw, and the loop never ended.
    while p <= raw / 10 {
        p *= 10;
    }
    [1, 2, 5, 10]
        .into_iter()
        .map(|m| p.saturating_mul(m))
        .find(|&s| s >= raw)
        .unwrap_or(p.saturating_mul(10))
}

/// `1234567` → `"1,234,567"`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A time of day `HH:MM:SS.ffffff` (`decimals` of a second) in the browser's time zone, from
/// ns since the epoch.
pub fn clock(ns: u64, decimals: u8) -> String {
    clock_at(ns, decimals, utc_offset_minutes(ns))
}

/// [`clock`] at a given offset from UTC, in minutes east.
pub fn clock_at(ns: u64, decimals: u8, offset: i64) -> String {
    let secs = (ns / 1_000_000_000) as i64 + offset * 60;
    let day = secs.rem_euclid(86_400);
    let (h, m, s) = (day / 3600, day / 60 % 60, day % 60);
    let mut out = format!("{h:02}:{m:02}:{s:02}");
    if decimals > 0 {
        let frac = Fixed::ratio(ns % 1_000_000_000, 9, decimals).to_string();
        // "0.123": the decimals, unless rounding made a whole second (shown as .999…).
        match frac.strip_prefix("0.") {
            Some(d) => out.push_str(&format!(".{d}")),
            None => out.push_str(&format!(".{}", "9".repeat(usize::from(decimals)))),
        }
    }
    out
}

/// The browser's offset from UTC at that instant, minutes east (0 outside a browser).
fn utc_offset_minutes(ns: u64) -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        let ms = (ns / 1_000_000) as f64;
        // getTimezoneOffset is minutes *west* of UTC.
        -(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).get_timezone_offset() as i64)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = ns;
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_steps_are_nice_and_end_on_any_span() {
        assert_eq!(tick_step(1_000, 10), 100);
        assert_eq!(tick_step(7_000_000_000, 10), 1_000_000_000);
        assert_eq!(tick_step(0, 0), 1);
        // The widest spans a crafted capture can give: a step, not a hang.
        assert!(tick_step(u64::MAX, 1) >= u64::MAX / 10);
        assert!(tick_step(u64::MAX, 0) > 0);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(803_200), "803,200");
        assert_eq!(thousands(105_069_145), "105,069,145");
    }

    #[test]
    fn times_of_day() {
        // 2023-11-14T22:13:20.000123456Z
        let ns = 1_700_000_000_000_123_456;
        assert_eq!(clock_at(ns, 6, 0), "22:13:20.000123");
        assert_eq!(clock_at(ns, 0, 60), "23:13:20");
        assert_eq!(clock_at(ns, 3, 120), "00:13:20.000");
        assert_eq!(clock_at(ns, 1, -23 * 60), "23:13:20.0");
        assert_eq!(clock_at(1_999_999_999, 3, 0), "00:00:01.999");
    }
}

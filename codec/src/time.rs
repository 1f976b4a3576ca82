//! Times written the way HAProxy's configuration writes them, such as the SPOE engine's
//! `timeout processing 500ms`: a number and an optional unit (`us`, `ms`, `s`, `m`, `h`, `d`),
//! a bare number being milliseconds. The surfaces take the slow-ACK threshold of SPOP-X008
//! in this form (the CLI's `--timeout-processing`, the web inspector's setting, share links),
//! so they all read a value alike and write it back alike.
//!
//! HAProxy itself takes whole numbers only; a fraction (`1.5s`, `0.4ms`) is accepted here too,
//! to the nanosecond.

use alloc::format;
use alloc::string::String;
use core::fmt;
use core::str::FromStr;

/// A duration as HAProxy writes it. [`FromStr`] reads `500ms`, `2s`, `1m`, `250` (ms);
/// [`Display`](fmt::Display) writes the largest unit that holds it exactly (`60000ms` → `1m`),
/// which reads back to the same value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HaproxyTime {
    nanos: u64,
}

/// The units HAProxy knows, smallest first, in nanoseconds.
const UNITS: [(&str, u64); 6] = [
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
];

/// Nanoseconds in a millisecond, the unit of a bare number.
const MS: u64 = 1_000_000;

impl HaproxyTime {
    /// A time of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        HaproxyTime { nanos }
    }

    /// The time in nanoseconds (the unit of capture timestamps and
    /// [`AnalysisOptions::slow_ack`](crate::analysis::AnalysisOptions::slow_ack)).
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }
}

/// Why a text is not a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Nothing but spaces.
    Empty,
    /// No number where the time starts (a sign, a letter, two decimal points …).
    NotANumber,
    /// A unit HAProxy does not know (at most its first 16 characters).
    UnknownUnit(String),
    /// More than `u64::MAX` nanoseconds (about 584 years).
    TooLong,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Empty => f.write_str("no time given")?,
            TimeError::NotANumber => f.write_str("not a number")?,
            TimeError::UnknownUnit(u) => write!(f, "unknown unit {u:?}")?,
            TimeError::TooLong => f.write_str("too long")?,
        }
        f.write_str("; write a time as HAProxy does: 500ms, 2s, 1m (a bare number is milliseconds; units us, ms, s, m, h, d)")
    }
}

impl core::error::Error for TimeError {}

impl FromStr for HaproxyTime {
    type Err = TimeError;

    fn from_str(text: &str) -> Result<Self, TimeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TimeError::Empty);
        }
        let number_end = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(number_end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(TimeError::NotANumber);
        }
        // `500 ms` as well as `500ms`.
        let unit = unit.trim_start();
        let size = if unit.is_empty() {
            MS
        } else {
            UNITS
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|&(_, size)| size)
                .ok_or_else(|| TimeError::UnknownUnit(unit.chars().take(16).collect()))?
        };
        let digits = |d: &str| -> Result<u128, TimeError> {
            if d.is_empty() {
                return Ok(0);
            }
            // More digits than any u64 count of nanoseconds needs (leading zeros aside).
            let d = d.trim_start_matches('0');
            if d.is_empty() {
                return Ok(0);
            }
            if d.len() > 30 {
                return Err(TimeError::TooLong);
            }
            d.parse::<u128>().map_err(|_| TimeError::TooLong)
        };
        let nanos = digits(whole)?
            .checked_mul(u128::from(size))
            .ok_or(TimeError::TooLong)?;
        // Fraction digits beyond a nanosecond of the smallest unit change nothing.
        let fraction = fraction.get(..fraction.len().min(18)).unwrap_or(fraction);
        let scale = 10u128.pow(fraction.len() as u32);
        let part = digits(fraction)? * u128::from(size) / scale;
        let total = nanos.checked_add(part).ok_or(TimeError::TooLong)?;
        u64::try_from(total)
            .map(HaproxyTime::from_nanos)
            .map_err(|_| TimeError::TooLong)
    }
}

impl fmt::Display for HaproxyTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.nanos;
        if n == 0 {
            return f.write_str("0ms");
        }
        if let Some((name, size)) = UNITS.iter().rev().find(|(_, size)| n.is_multiple_of(*size)) {
            return write!(f, "{}{name}", n / size);
        }
        // Below a microsecond: milliseconds with their fraction.
        let fraction = format!("{:06}", n % MS);
        write!(f, "{}.{}ms", n / MS, fraction.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    fn ns(text: &str) -> Result<u64, TimeError> {
        text.parse::<HaproxyTime>().map(HaproxyTime::as_nanos)
    }

    #[test]
    fn haproxy_units() {
        assert_eq!(ns("500ms"), Ok(500 * MS));
        assert_eq!(ns("250"), Ok(250 * MS), "a bare number is milliseconds");
        assert_eq!(ns("2s"), Ok(2_000 * MS));
        assert_eq!(ns("1m"), Ok(60_000 * MS));
        assert_eq!(ns("1h"), Ok(3_600_000 * MS));
        assert_eq!(ns("1d"), Ok(86_400_000 * MS));
        assert_eq!(ns("750us"), Ok(750_000));
        assert_eq!(ns("0"), Ok(0));
        assert_eq!(ns(" 500 ms "), Ok(500 * MS));
        assert_eq!(ns("007s"), Ok(7_000 * MS));
    }

    #[test]
    fn fractions() {
        assert_eq!(ns("1.5s"), Ok(1_500 * MS));
        assert_eq!(ns("0.41"), Ok(410_000));
        assert_eq!(ns(".5ms"), Ok(500_000));
        assert_eq!(ns("2."), Ok(2 * MS));
        assert_eq!(ns("0.0000001ms"), Ok(0), "below a nanosecond");
        assert_eq!(ns("0.123456789123456789123ms"), Ok(123_456));
    }

    #[test]
    fn refusals() {
        // Whole part times the unit just fits u128; the fraction added on top must not wrap.
        assert_eq!(
            ns("340282366920938463463374607431.999999999s"),
            Err(TimeError::TooLong)
        );
        assert_eq!(ns(""), Err(TimeError::Empty));
        assert_eq!(ns("  "), Err(TimeError::Empty));
        assert_eq!(ns("-5"), Err(TimeError::NotANumber));
        assert_eq!(ns("ms"), Err(TimeError::NotANumber));
        assert_eq!(ns("."), Err(TimeError::NotANumber));
        assert_eq!(ns("1.2.3s"), Err(TimeError::NotANumber));
        assert_eq!(ns("5x"), Err(TimeError::UnknownUnit("x".into())));
        assert_eq!(
            ns("5MS"),
            Err(TimeError::UnknownUnit("MS".into())),
            "HAProxy's units are lower case"
        );
        assert_eq!(ns("5 s s"), Err(TimeError::UnknownUnit("s s".into())));
        assert_eq!(ns("1e3"), Err(TimeError::UnknownUnit("e3".into())));
        assert_eq!(ns("18446744073709551615us"), Err(TimeError::TooLong));
        assert_eq!(
            ns("99999999999999999999999999999999999999999"),
            Err(TimeError::TooLong)
        );
        assert_eq!(ns("18446744073709551615ms"), Err(TimeError::TooLong));
        assert_eq!(ns("18446744073.709551615s"), Ok(u64::MAX));
        let message = "5x".parse::<HaproxyTime>().unwrap_err().to_string();
        assert!(
            message.starts_with("unknown unit \"x\"; write a time as HAProxy does: 500ms"),
            "{message}"
        );
    }

    #[test]
    fn written_in_the_largest_exact_unit() {
        let shown = |n: u64| HaproxyTime::from_nanos(n).to_string();
        assert_eq!(shown(0), "0ms");
        assert_eq!(shown(500 * MS), "500ms");
        assert_eq!(shown(1_500 * MS), "1500ms");
        assert_eq!(shown(2_000 * MS), "2s");
        assert_eq!(shown(60_000 * MS), "1m");
        assert_eq!(shown(90_000 * MS), "90s");
        assert_eq!(shown(86_400_000 * MS), "1d");
        assert_eq!(shown(410_000), "410us");
        assert_eq!(shown(410_500), "0.4105ms");
        assert_eq!(shown(1), "0.000001ms");
        assert_eq!(shown(3 * MS + 7), "3.000007ms");
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back(n in any::<u64>()) {
            let t = HaproxyTime::from_nanos(n);
            prop_assert_eq!(t.to_string().parse::<HaproxyTime>(), Ok(t));
        }

        #[test]
        fn any_text_is_a_time_or_an_error(text in ".{0,40}") {
            let _ = text.parse::<HaproxyTime>();
        }
    }
}

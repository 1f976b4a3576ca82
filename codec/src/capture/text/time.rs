//! Timestamps as tools print them, turned into nanoseconds since the Unix epoch (UTC).

use super::lines::{at, skip_digits, sub};
use crate::capture::Timestamp;

const NS_PER_SEC: u64 = 1_000_000_000;

/// Fractional seconds (`.123456` → 123_456_000 ns): up to 9 digits are used, more are ignored.
/// Returns (nanoseconds, index after the digits).
fn fraction(s: &[u8], i: usize) -> (u64, usize) {
    if at(s, i) != Some(b'.') {
        return (0, i);
    }
    let end = skip_digits(s, i + 1);
    let mut ns: u64 = 0;
    let mut scale = NS_PER_SEC;
    for &d in sub(s, i + 1, end).iter().take(9) {
        scale /= 10;
        ns += u64::from(d - b'0') * scale;
    }
    (ns, end)
}

fn number(s: &[u8], i: usize, len: usize) -> Option<u64> {
    let digits = sub(s, i, i + len);
    if digits.len() != len || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0u64, |v, &d| v * 10 + u64::from(d - b'0')),
    )
}

/// `HH:MM:SS[.frac]` at `i` → (nanoseconds since midnight, index after).
pub(crate) fn time_of_day(s: &[u8], i: usize) -> Option<(u64, usize)> {
    let h = number(s, i, 2)?;
    let m = number(s, i + 3, 2)?;
    let sec = number(s, i + 6, 2)?;
    if at(s, i + 2) != Some(b':') || at(s, i + 5) != Some(b':') || m > 59 || sec > 60 {
        return None;
    }
    let (frac, end) = fraction(s, i + 8);
    let ns = ((h * 60 + m) * 60 + sec) * NS_PER_SEC + frac;
    Some((ns, end))
}

/// `YYYY-MM-DD HH:MM:SS[.frac]` at `i` → (timestamp, index after). Dates before 1970 fail.
pub(crate) fn date_time(s: &[u8], i: usize) -> Option<(Timestamp, usize)> {
    let y = number(s, i, 4)?;
    let mo = number(s, i + 5, 2)?;
    let d = number(s, i + 8, 2)?;
    if at(s, i + 4) != Some(b'-')
        || at(s, i + 7) != Some(b'-')
        || !matches!(at(s, i + 10), Some(b' ' | b'T'))
    {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, mo, d)?;
    let (tod, end) = time_of_day(s, i + 11)?;
    let ts = days.checked_mul(86_400 * NS_PER_SEC)?.checked_add(tod)?;
    Some((ts, end))
}

/// `SECONDS.frac` (Unix time, `tcpdump -tt`, tshark YAML) at `i` → (timestamp, index after).
pub(crate) fn epoch(s: &[u8], i: usize) -> Option<(Timestamp, usize)> {
    let end = skip_digits(s, i);
    let digits = sub(s, i, end);
    if digits.is_empty() || digits.len() > 11 {
        return None;
    }
    let secs = digits
        .iter()
        .fold(0u64, |v, &d| v * 10 + u64::from(d - b'0'));
    let (frac, end) = fraction(s, end);
    Some((secs.checked_mul(NS_PER_SEC)?.checked_add(frac)?, end))
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian), for dates from 1970.
fn days_from_civil(y: u64, m: u64, d: u64) -> Option<u64> {
    // Howard Hinnant's algorithm, shifted so March is the first month.
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(1969, 12, 31), None);
        // 2026-11-23 15:37:02.295903 UTC is what `tcpdump -tt` prints as 1795448222.295903.
        let (ts, _) = date_time(b"2026-11-23 15:37:02.295903", 0).unwrap();
        assert_eq!(ts, 1_795_448_222_295_903_000);
        assert_eq!(epoch(b"1795448222.295903", 0).unwrap().0, ts);
    }

    #[test]
    fn fractions() {
        assert_eq!(time_of_day(b"00:00:01.5", 0), Some((1_500_000_000, 10)));
        assert_eq!(
            time_of_day(b"00:00:01.123456789123", 0).unwrap().0,
            1_123_456_789
        );
        assert_eq!(time_of_day(b"00:00:01 x", 0), Some((1_000_000_000, 8)));
        assert_eq!(time_of_day(b"0:00:01", 0), None);
    }
}

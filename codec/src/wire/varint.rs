//! HAProxy's variable-length integer ("peers encoding"), bit-exact with `encode_varint` /
//! `decode_varint` in HAProxy's `include/haproxy/intops.h` (docs/protocol.md §2).
//!
//! Values below 240 take one byte. Above, the first byte is `0xF0 | (x & 0x0F)` and the rest
//! of `(x - 240) >> 4` follows in 7-bit groups. The decoder adds continuation bytes *with*
//! their 0x80 bit, which is why the encoder subtracts 128 before each shift: every value has
//! exactly one encoding, so there is no "non-minimal" form to reject.
//!
//! HAProxy's decoder has no length cap and wraps silently past 2^64; ours rejects both, and
//! keeps truncation, over-length and overflow as distinct errors.

/// The longest valid encoding: 2^64−1 takes 10 bytes.
pub const MAX_LEN: usize = 10;

use super::VarintError;

/// Decodes one varint from the start of `buf`; returns the value and the bytes it used.
#[inline]
pub fn decode(buf: &[u8]) -> Result<(u64, usize), VarintError> {
    let Some((&first, rest)) = buf.split_first() else {
        return Err(VarintError::Truncated { available: 0 });
    };
    if first < 0xF0 {
        return Ok((u64::from(first), 1));
    }
    // In u64 with checked steps, not u128: 128-bit shifts are library calls on wasm32, and
    // varints are read for every frame. Only the 10th byte (shift 60) can overflow.
    let mut value = Some(u64::from(first));
    let mut shift = 4u32;
    for (i, &b) in rest.iter().enumerate() {
        value = value
            .zip(u64::from(b).checked_mul(1 << shift))
            .and_then(|(v, term)| v.checked_add(term));
        shift += 7;
        let used = i + 2;
        if b < 0x80 {
            return value.map(|v| (v, used)).ok_or(VarintError::Overflow);
        }
        if used == MAX_LEN {
            return Err(VarintError::TooLong);
        }
    }
    Err(VarintError::Truncated {
        available: buf.len(),
    })
}

/// Number of bytes [`encode`] writes for `x`.
#[inline]
pub const fn encoded_len(x: u64) -> usize {
    if x < 240 {
        return 1;
    }
    let mut len = 2;
    let mut y = (x - 240) >> 4;
    while y >= 128 {
        len += 1;
        y = (y - 128) >> 7;
    }
    len
}

/// Encodes `x` into a fixed buffer; returns the buffer and the number of bytes used.
#[inline]
pub fn encode(x: u64) -> ([u8; MAX_LEN], usize) {
    let mut out = [0u8; MAX_LEN];
    let len = encoded_len(x);
    let mut y = x;
    for (i, slot) in out.iter_mut().take(len).enumerate() {
        *slot = if len == 1 {
            x as u8
        } else if i == 0 {
            y = (x - 240) >> 4;
            0xF0 | (x & 0x0F) as u8
        } else if i + 1 < len {
            let b = 0x80 | (y & 0x7F) as u8;
            y = (y - 128) >> 7;
            b
        } else {
            y as u8
        };
    }
    (out, len)
}

/// Appends the encoding of `x` to `out`.
#[inline]
pub fn write(x: u64, out: &mut alloc::vec::Vec<u8>) {
    let (buf, len) = encode(x);
    out.extend_from_slice(buf.get(..len).unwrap_or(&[]));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HAProxy's sum taken in u128 (no wrapping possible within ten bytes): what `decode`
    /// computes in checked u64 steps.
    fn reference(buf: &[u8]) -> Result<(u64, usize), VarintError> {
        let (&first, rest) = buf
            .split_first()
            .ok_or(VarintError::Truncated { available: 0 })?;
        if first < 0xF0 {
            return Ok((u64::from(first), 1));
        }
        let mut value = u128::from(first);
        for (i, &b) in rest.iter().enumerate() {
            value += u128::from(b) << (4 + 7 * i);
            if b < 0x80 {
                return u64::try_from(value)
                    .map(|v| (v, i + 2))
                    .map_err(|_| VarintError::Overflow);
            }
            if i + 2 == MAX_LEN {
                return Err(VarintError::TooLong);
            }
        }
        Err(VarintError::Truncated {
            available: buf.len(),
        })
    }

    #[test]
    fn every_tenth_byte_decodes_as_the_u128_sum() {
        // Where u64 steps can overflow: the tenth byte, after the smallest and largest nine.
        for (first, fill) in [(0xF0, 0x80), (0xFF, 0xFF), (0xFF, 0x80), (0xF0, 0xFF)] {
            for last in 0..=u8::MAX {
                let mut buf = [fill; MAX_LEN];
                buf[0] = first;
                buf[MAX_LEN - 1] = last;
                assert_eq!(decode(&buf), reference(&buf), "{buf:02x?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn decode_matches_the_u128_sum(
            first in 0xF0u8..,
            middle in proptest::collection::vec(0x80u8.., 0..10),
            last in proptest::prelude::any::<u8>(),
        ) {
            // Continuation bytes then any last byte: every length, the overflowing tenth
            // byte and the over-long ones included.
            let mut buf = alloc::vec![first];
            buf.extend_from_slice(&middle);
            buf.push(last);
            for end in 0..=buf.len() {
                proptest::prop_assert_eq!(decode(&buf[..end]), reference(&buf[..end]));
            }
        }
    }

    #[test]
    fn band_edges_round_trip() {
        // First value of each length band: start(k+1) = start(k) + 16 * 128^(k-1).
        let mut first: u64 = 240;
        let mut step: u64 = 16 * 128;
        for len in 2..=MAX_LEN {
            for v in [first - 1, first] {
                let (b, n) = encode(v);
                assert_eq!(n, encoded_len(v));
                assert_eq!(decode(&b[..n]), Ok((v, n)));
            }
            assert_eq!(encoded_len(first), len);
            match (first.checked_add(step), step.checked_mul(128)) {
                (Some(f), Some(s)) => (first, step) = (f, s),
                (Some(f), None) => (first, step) = (f, u64::MAX),
                (None, _) => break,
            }
        }
        let (b, n) = encode(u64::MAX);
        assert_eq!((n, decode(&b[..n])), (10, Ok((u64::MAX, 10))));
    }
}

//! Offset hex dumps: `xxd`, `hexdump -C`, `od -Ax -tx1[z]`, and the hex-area reader they share
//! with the Follow and tcpdump parsers.
//!
//! A dump line is `OFFSET HEX… [ASCII]`. Where the hex columns end is decided by the layout of
//! the tool (a wide gap, a delimiter such as `|` or `>`, or a byte count per line), then
//! checked against the ASCII column when there is one: if whitespace was collapsed in the
//! paste, the ASCII column is found where it shows the bytes before it.
//!
//! `*` on a line of its own (hexdump, od, `xxd -a`) means "the previous line repeats until the
//! next offset"; it is expanded, within [`super::MAX_EXPANSION`].

use alloc::vec::Vec;

use super::lines::{self, ascii_shows, at, skip_blanks, skip_hex, sub, tail, Line};
use super::{
    Expansion, TextBytes, TextError, TextErrorKind, TextFormat, TextWarningKind, Warnings,
};
use crate::Span;

/// How the hex digits of a dump line are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// Exactly two digits per token (hexdump -C, od, Follow).
    Byte,
    /// An even number of digits per token, all tokens as wide as the first except a shorter
    /// last one (xxd groups, tcpdump's 4-digit groups).
    Even,
}

/// The layout of a tool's dump lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub group: Group,
    /// A run of at least this many spaces (or any tab) after the first token starts the ASCII
    /// column.
    pub gap: usize,
    /// At most this many bytes per line.
    pub max_bytes: usize,
    /// Delimiters around the ASCII column (`|…|`, `>…<`).
    pub delimiters: Option<(u8, u8)>,
}

pub(crate) const XXD: Layout = Layout {
    group: Group::Even,
    gap: 2,
    max_bytes: usize::MAX,
    delimiters: None,
};

pub(crate) const HEXDUMP_C: Layout = Layout {
    group: Group::Byte,
    gap: 3,
    max_bytes: usize::MAX,
    delimiters: Some((b'|', b'|')),
};

pub(crate) const OD: Layout = Layout {
    group: Group::Byte,
    gap: 2,
    max_bytes: usize::MAX,
    delimiters: Some((b'>', b'<')),
};

pub(crate) const FOLLOW: Layout = Layout {
    group: Group::Byte,
    gap: 3,
    max_bytes: 16,
    delimiters: None,
};

pub(crate) const TCPDUMP: Layout = XXD;

/// Why the hex columns ended before the end of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// A layout rule (gap, delimiter, byte count): the rest is the ASCII column.
    Layout,
    /// A token that is not hex of the expected shape.
    Token,
}

/// Reusable per-parse scratch space (token boundaries of the current line).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// (byte index where the token starts, `out.len()` before the token).
    tokens: Vec<(usize, usize)>,
}

/// Reads the hex columns of `line` from byte index `start`, appending the bytes to `out`;
/// returns how many were appended. The ASCII column, if any, is checked; a mismatch is a
/// warning (the hex wins) unless the hex columns ended on a malformed token, which is an
/// error at that token.
pub(crate) fn hex_area(
    line: Line<'_>,
    start: usize,
    layout: &Layout,
    out: &mut Vec<u8>,
    warnings: &mut Warnings,
    scratch: &mut Scratch,
) -> Result<usize, TextError> {
    let s = line.text.as_bytes();
    let base = out.len();
    scratch.tokens.clear();
    let mut i = start;
    let mut width = 0usize;
    let mut short_seen = false;
    let mut stop = None;
    loop {
        let gap_start = i;
        i = skip_blanks(s, i);
        let Some(b) = at(s, i) else { break };
        let count = out.len() - base;
        let gap = sub(s, gap_start, i);
        let wide = gap.len() >= layout.gap || gap.contains(&b'\t');
        if count > 0 && (wide || count >= layout.max_bytes) {
            stop = Some((i, Stop::Layout));
            break;
        }
        if layout.delimiters.is_some_and(|(open, _)| open == b) {
            stop = Some((i, Stop::Layout));
            break;
        }
        let token_start = i;
        while at(s, i).is_some_and(|b| b != b' ' && b != b'\t') {
            i += 1;
        }
        let token = sub(s, token_start, i);
        let all_hex = skip_hex(token, 0) == token.len();
        let shaped = all_hex
            && match layout.group {
                Group::Byte => token.len() == 2,
                Group::Even => {
                    !token.is_empty()
                        && token.len().is_multiple_of(2)
                        && !short_seen
                        && (width == 0 || token.len() <= width)
                }
            };
        if !shaped {
            stop = Some((token_start, Stop::Token));
            break;
        }
        if width == 0 {
            width = token.len();
        } else if token.len() < width {
            short_seen = true;
        }
        scratch.tokens.push((token_start, out.len()));
        lines::push_hex(token, out);
    }
    let Some((ascii_start, why)) = stop else {
        return Ok(out.len() - base);
    };
    let shows = |from: usize, bytes: &[u8]| -> bool {
        let ascii = strip_delimiters(tail(line.text, from), layout.delimiters);
        ascii_shows(ascii, bytes)
    };
    if shows(ascii_start, sub(out, base, out.len())) {
        return Ok(out.len() - base);
    }
    if why == Stop::Layout {
        warnings.push(line.no, TextWarningKind::AsciiMismatch);
        return Ok(out.len() - base);
    }
    // The hex ended on a token that is not hex: either whitespace was collapsed and the ASCII
    // column starts earlier (among tokens that looked like hex), or the token is a typo.
    for &(token_start, len_before) in scratch.tokens.iter().rev().take(64) {
        if shows(token_start, sub(out, base, len_before)) {
            out.truncate(len_before);
            return Ok(out.len() - base);
        }
    }
    let token_end = s
        .iter()
        .skip(ascii_start)
        .position(|&b| b == b' ' || b == b'\t')
        .map_or(s.len(), |n| ascii_start + n);
    let token = sub(s, ascii_start, token_end);
    if !token.is_empty() && skip_hex(token, 0) == token.len() && token.len() % 2 == 1 {
        return Err(TextError::at(
            line,
            ascii_start,
            TextErrorKind::OddHexDigits {
                digits: lines::excerpt(line.text, ascii_start),
            },
        ));
    }
    let what = match layout.group {
        Group::Byte => "a two-digit hex byte",
        Group::Even => "a group of hex digits",
    };
    let bad = token
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(0);
    let at_byte = if layout.group == Group::Byte && bad == 0 && token.len() > 2 {
        ascii_start
    } else {
        ascii_start + bad
    };
    Err(TextError::expected(line, at_byte, what))
}

fn strip_delimiters(ascii: &str, delimiters: Option<(u8, u8)>) -> &str {
    let ascii = ascii.trim();
    let Some((open, close)) = delimiters else {
        return ascii;
    };
    let ascii = ascii.strip_prefix(char::from(open)).unwrap_or(ascii);
    ascii.strip_suffix(char::from(close)).unwrap_or(ascii)
}

/// Where a dump line's offset is: `(digits start, digits end, hex area start)`.
fn split_offset(s: &[u8], format: TextFormat) -> Option<(usize, usize, usize)> {
    let start = skip_blanks(s, 0);
    let end = skip_hex(s, start);
    let digits = end - start;
    if !(4..=16).contains(&digits) {
        return None;
    }
    match (format, at(s, end)) {
        (TextFormat::Xxd, Some(b':')) => Some((start, end, end + 1)),
        (TextFormat::Xxd, _) => None,
        (_, None | Some(b' ' | b'\t')) => Some((start, end, end)),
        _ => None,
    }
}

fn layout_of(format: TextFormat) -> Layout {
    match format {
        TextFormat::HexdumpC => HEXDUMP_C,
        TextFormat::Od => OD,
        _ => XXD,
    }
}

/// Writes `bytes` at `pos` of `out`, as `xxd -r` does: bytes before `pos` that no line gave
/// are zeros (charged to `expansion`; over budget is an error at `line`), bytes already there
/// are overwritten. Returns where zeros were added, if any.
pub(crate) fn place(
    out: &mut Vec<u8>,
    pos: u64,
    bytes: &[u8],
    expansion: &mut Expansion,
    line: usize,
) -> Result<Option<Span>, TextError> {
    let len = out.len();
    let hole = pos.saturating_sub(len as u64);
    let filled = if hole > 0 {
        expansion.repeat(out, &[0], hole, line)?;
        Some(Span::new(len, out.len()))
    } else {
        None
    };
    // `pos` is within `out` now (the zeros were added up to it).
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(out.len());
    let mut given = bytes.iter();
    for (slot, b) in out.iter_mut().skip(pos).zip(given.by_ref()) {
        *slot = *b;
    }
    out.extend(given);
    Ok(filled)
}

/// The smallest offset of the dump lines of `text`: where the bytes start.
fn first_offset(text: &str, format: TextFormat, radix: u32) -> u64 {
    lines::lines(text)
        .filter_map(|line| {
            let s = line.text.as_bytes();
            let (start, end, _) = split_offset(s, format)?;
            lines::radix_number(sub(s, start, end), radix)
        })
        .min()
        .unwrap_or(0)
}

/// Parses an xxd / hexdump -C / od dump into the bytes it shows.
///
/// Bytes go where their line's offset says, as `xxd -r` writes them: lines out of order are
/// put back in order, a line given twice overwrites the first copy, and bytes no line gives
/// (lines left out, or a line whose offset cannot be read and that is skipped) are zeros.
/// Each of these is a [`TextWarningKind::OffsetGap`] with the bytes it concerns: the line's
/// bytes, and the zeros before them. The first (smallest) offset is byte 0.
pub(crate) fn parse(
    text: &str,
    format: TextFormat,
    warnings: &mut Warnings,
) -> Result<Vec<u8>, TextError> {
    let layout = layout_of(format);
    let radix = if format == TextFormat::Od {
        od_radix(text)
    } else {
        16
    };
    let base = first_offset(text, format, radix);
    let mut out = Vec::new();
    let mut line_bytes = Vec::new();
    let mut scratch = Scratch::default();
    let mut expansion = Expansion::default();
    // Offset where the next line should start, once a line was seen.
    let mut expected: Option<u64> = None;
    // Bytes of the previous dump line (start, end in `out`), for `*`.
    let mut previous: Option<(usize, usize)> = None;
    // Line of a `*` waiting for the next offset.
    let mut repeat: Option<usize> = None;
    let at = |span: Span| {
        Some(TextBytes {
            part: 0,
            peer: None,
            span,
        })
    };
    for line in lines::lines(text) {
        let trimmed = line.text.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed == "*" {
            if previous.is_some() {
                repeat = Some(line.no);
            } else {
                warnings.push(line.no, TextWarningKind::IgnoredLine);
            }
            continue;
        }
        let s = line.text.as_bytes();
        let Some((digits_start, digits_end, hex_start)) = split_offset(s, format) else {
            warnings.push(line.no, TextWarningKind::IgnoredLine);
            continue;
        };
        let Some(offset) = lines::radix_number(sub(s, digits_start, digits_end), radix) else {
            warnings.push(line.no, TextWarningKind::IgnoredLine);
            continue;
        };
        let mut gap = false;
        if let Some(star_line) = repeat.take() {
            let end = expected.unwrap_or(offset);
            if offset > end {
                let (from, to) = previous.unwrap_or((0, 0));
                let pattern: Vec<u8> = sub(&out, from, to).to_vec();
                let count = offset - end;
                let mut repeated = Vec::new();
                expansion.repeat(&mut repeated, &pattern, count, star_line)?;
                let pos = end.saturating_sub(base);
                place(&mut out, pos, &repeated, &mut expansion, star_line)?;
                if pattern.is_empty() || !count.is_multiple_of(pattern.len() as u64) {
                    let start = usize::try_from(pos).unwrap_or(usize::MAX);
                    warnings.push_at(
                        star_line,
                        TextWarningKind::RepeatPartialLine,
                        at(Span::at(start, repeated.len())),
                    );
                }
            }
        } else if let Some(expected) = expected {
            // After a line that went back, going on from the end of the bytes is no jump.
            let end = base.saturating_add(out.len() as u64);
            if expected != offset && end != offset {
                warnings.push(
                    line.no,
                    TextWarningKind::OffsetGap {
                        expected,
                        found: offset,
                    },
                );
                gap = true;
            }
        }
        line_bytes.clear();
        let n = hex_area(
            line,
            hex_start,
            &layout,
            &mut line_bytes,
            warnings,
            &mut scratch,
        )?;
        let pos = offset.saturating_sub(base);
        let filled = place(&mut out, pos, &line_bytes, &mut expansion, line.no)?;
        let start = usize::try_from(pos).unwrap_or(usize::MAX).min(out.len());
        let own = Span::new(start, start.saturating_add(n));
        warnings.locate(line.no, |kind| match kind {
            TextWarningKind::OffsetGap { .. } if gap => at(filled.map_or(own, |z| z.join(own))),
            TextWarningKind::AsciiMismatch => at(own),
            _ => None,
        });
        expected = Some(offset.saturating_add(n as u64));
        if n > 0 {
            previous = Some((own.start, own.end));
        }
    }
    if let Some(star_line) = repeat {
        warnings.push_at(
            star_line,
            TextWarningKind::RepeatWithoutEnd,
            at(Span::at(out.len(), 0)),
        );
    }
    Ok(out)
}

/// The radix of od's offsets: `-Ax` (16), the default `-Ao` (8) or `-Ad` (10), told apart by
/// the step between the first two offsets. Hex when unsure.
fn od_radix(text: &str) -> u32 {
    let mut first: Option<(Vec<u8>, usize)> = None;
    let mut scratch = Scratch::default();
    let mut sink = Warnings::default();
    let mut star = false;
    for line in lines::lines(text).take(64) {
        if line.text.trim() == "*" {
            star = true;
            continue;
        }
        let s = line.text.as_bytes();
        let Some((ds, de, hs)) = split_offset(s, TextFormat::Od) else {
            continue;
        };
        let digits = sub(s, ds, de);
        if digits.iter().any(|b| !b.is_ascii_digit()) {
            return 16;
        }
        match &first {
            None => {
                let mut bytes = Vec::new();
                let n = hex_area(line, hs, &OD, &mut bytes, &mut sink, &mut scratch).unwrap_or(0);
                if n == 0 {
                    return 16;
                }
                first = Some((digits.to_vec(), n));
            }
            Some((first_digits, n)) => {
                for radix in [16, 8, 10] {
                    let a = lines::radix_number(first_digits, radix);
                    let b = lines::radix_number(digits, radix);
                    let step = match (a, b) {
                        (Some(a), Some(b)) => b.saturating_sub(a),
                        _ => 0,
                    };
                    let n = *n as u64;
                    let fits = if star {
                        step > n && step % n == 0
                    } else {
                        step == n
                    };
                    if fits {
                        return radix;
                    }
                }
                return 16;
            }
        }
    }
    16
}

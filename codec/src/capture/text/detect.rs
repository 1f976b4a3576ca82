//! Format detection, from the most specific format to the least.

use super::lines::{self, at, skip_blanks, skip_hex, sub};
use super::{agent, b64, follow, gdb, hex, tcpdump, vtest, TextFormat};

/// Lines examined for the line-shaped formats (the whole text is examined for plain hex and
/// base64, which must hold on every line).
const DETECT_LINES: usize = 2000;

#[derive(Debug, Default)]
struct Seen {
    follow: Option<TextFormat>,
    yaml_peers: bool,
    yaml_packets: bool,
    tcpdump: bool,
    xxd: bool,
    hexdump_c: bool,
    follow_line: bool,
    /// Whether the first Follow-like / packet-hex-like line had offset 0.
    follow_first_zero: Option<bool>,
    packet_dump: bool,
    packet_first_zero: Option<bool>,
    c_arrays: bool,
    od_line: Option<(u64, usize)>,
    od_confirmed: bool,
    xxd_include: bool,
    gdb: bool,
    sendhex: bool,
    angle: bool,
}

/// Recognises the format of pasted text, or `None` when it is in none of the supported
/// formats (or blank).
///
/// Order (first match wins): tshark Follow header (`Follow: tcp,hex|raw`), tshark YAML
/// (`peers:` + `packets:`), tcpdump hex lines (`0x0000:  4500 …`), xxd lines
/// (`00000000: 0000 …`), hexdump -C lines (`00000000  00 … |…|`), Follow hex lines without
/// header (`00000000  00 …`, starting at offset 0), packet hex lines (`0000  00 …`, starting at
/// offset 0), od lines (`000000 00 …` confirmed by a second line, a `*` or the final offset),
/// Follow C arrays (`char peer0_0[] = {`), `xxd -i` arrays, gdb output, VTest `sendhex`,
/// `<hex>` frames, plain hex, base64.
pub fn detect(text: &str) -> Option<TextFormat> {
    let mut seen = Seen::default();
    for line in lines::lines(text).take(DETECT_LINES) {
        look(line.text, &mut seen);
        if let Some(format) = seen.follow {
            return Some(format);
        }
    }
    let checks = [
        (
            seen.yaml_peers && seen.yaml_packets,
            TextFormat::TsharkFollowYaml,
        ),
        (seen.tcpdump, TextFormat::Tcpdump),
        (seen.xxd, TextFormat::Xxd),
        (seen.hexdump_c, TextFormat::HexdumpC),
        (seen.follow_line, TextFormat::WiresharkFollowHex),
        (seen.packet_dump, TextFormat::PacketHexDump),
        (seen.od_confirmed, TextFormat::Od),
        (seen.c_arrays, TextFormat::WiresharkFollowCArrays),
        (seen.xxd_include, TextFormat::XxdInclude),
        (seen.gdb, TextFormat::Gdb),
        (seen.sendhex, TextFormat::VtestSendhex),
        (seen.angle, TextFormat::AgentDebug),
    ];
    if let Some((_, format)) = checks.iter().find(|(hit, _)| *hit) {
        return Some(*format);
    }
    if hex::is_plain_hex(text) {
        return Some(TextFormat::PlainHex);
    }
    if b64::is_base64(text) {
        return Some(TextFormat::Base64);
    }
    None
}

/// Classifies one line.
fn look(text: &str, seen: &mut Seen) {
    let s = text.as_bytes();
    if let Some(spec) = text.strip_prefix("Follow:") {
        let raw = spec.trim().ends_with(",raw");
        seen.follow = Some(if raw {
            TextFormat::TsharkFollowRaw
        } else {
            TextFormat::TsharkFollowHex
        });
        return;
    }
    match text.trim_end() {
        "peers:" => seen.yaml_peers = true,
        "packets:" => seen.yaml_packets = true,
        _ => {}
    }
    if tcpdump::hex_line_offset(s).is_some() {
        seen.tcpdump = true;
        return;
    }
    if gdb::examine_line(s).is_some() {
        seen.gdb = true;
        return;
    }
    // Offset dumps: OFFSET then `: ` (xxd), two spaces (hexdump -C, Follow) or one (od).
    let start = skip_blanks(s, 0);
    let end = skip_hex(s, start);
    let digits = end - start;
    if (4..=16).contains(&digits) {
        let byte_token = |i: usize| {
            let t = sub(s, i, i + 2);
            t.len() == 2
                && t.iter().all(u8::is_ascii_hexdigit)
                && matches!(at(s, i + 2), None | Some(b' '))
        };
        if start == 0 && at(s, end) == Some(b':') && at(s, end + 1) == Some(b' ') {
            let first = end + 2;
            if skip_hex(s, first) >= first + 2 {
                seen.xxd = true;
                return;
            }
        }
        if digits == 8 && sub(s, end, end + 2) == b"  " && byte_token(end + 2) {
            let pipes = text.trim_end().ends_with('|') && text.contains("  |");
            if start == 0 && pipes {
                seen.hexdump_c = true;
            } else if !pipes {
                // A Follow dump starts at offset 0.
                let zero = sub(s, start, end).iter().all(|&b| b == b'0');
                seen.follow_line |= *seen.follow_first_zero.get_or_insert(zero);
            }
            return;
        }
        if start == 0 && digits <= 8 {
            if let Some((offset, _)) = tcpdump::packet_dump_offset(s) {
                // A packet dump starts at offset 0.
                seen.packet_dump |= *seen.packet_first_zero.get_or_insert(offset == 0);
                return;
            }
        }
        if start == 0 && digits >= 6 {
            od_line(s, end, seen);
        }
    }
    if start == 0 && digits >= 6 && at(s, end).is_none() {
        // A final offset line (od, hexdump).
        if seen.od_line.is_some() {
            seen.od_confirmed = true;
        }
    }
    if text.trim() == "*" && seen.od_line.is_some() {
        seen.od_confirmed = true;
    }
    if follow::c_array_start(text).is_some() {
        seen.c_arrays = true;
        return;
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with("unsigned char ") && text.contains("[] = {") {
        seen.xxd_include = true;
        return;
    }
    if is_gdb_value(s) || is_brace_array(s) {
        seen.gdb = true;
        return;
    }
    if vtest::sendhex_arg(s).is_some() {
        seen.sendhex = true;
        return;
    }
    if agent::frames(s).next().is_some() {
        seen.angle = true;
    }
}

/// An od line `OFFSET xx xx …` (one space after the offset, two-digit tokens).
fn od_line(s: &[u8], offset_end: usize, seen: &mut Seen) {
    if at(s, offset_end) != Some(b' ') {
        return;
    }
    let mut i = offset_end + 1;
    let mut count = 0usize;
    loop {
        let t = sub(s, i, i + 2);
        if t.len() != 2
            || !t.iter().all(u8::is_ascii_hexdigit)
            || !matches!(at(s, i + 2), None | Some(b' '))
        {
            break;
        }
        count += 1;
        i += 3;
    }
    if count == 0 {
        return;
    }
    let offset = lines::hex_number(sub(s, 0, offset_end)).unwrap_or(0);
    match seen.od_line {
        None => seen.od_line = Some((offset, count)),
        Some((first, n)) => {
            // Offsets may be hex, octal or decimal: accept a step of `n` in any of them.
            let digits = sub(s, 0, offset_end);
            let first_digits_ok = [16u32, 8, 10].iter().any(|&radix| {
                let here = lines::radix_number(digits, radix);
                let there = radix_from_hex(first, radix);
                matches!((here, there), (Some(a), Some(b)) if a >= b && (a - b) % n as u64 == 0 && a > b)
            });
            if first_digits_ok {
                seen.od_confirmed = true;
            }
        }
    }
}

/// Re-reads a number that was parsed as hex as if its digits were in `radix`.
fn radix_from_hex(value: u64, radix: u32) -> Option<u64> {
    let mut digits = [0u8; 16];
    let mut v = value;
    let mut n = 0;
    loop {
        let slot = digits.get_mut(n)?;
        *slot = (v & 0xf) as u8;
        v >>= 4;
        n += 1;
        if v == 0 {
            break;
        }
    }
    let mut out: u64 = 0;
    for &d in digits.iter().take(n).rev() {
        if u32::from(d) >= radix {
            return None;
        }
        out = out
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(d))?;
    }
    Some(out)
}

/// `$1 = {` / `$1 = "` / `$1 = 0x… "`.
fn is_gdb_value(s: &[u8]) -> bool {
    let i = skip_blanks(s, 0);
    if at(s, i) != Some(b'$') {
        return false;
    }
    let Some(eq) = s.iter().position(|&b| b == b'=') else {
        return false;
    };
    let v = skip_blanks(s, eq + 1);
    matches!(at(s, v), Some(b'{' | b'"')) || (sub(s, v, v + 2) == b"0x" && s.contains(&b'"'))
}

/// `{0x00, 0x7b` / `{0, 123,`: a brace followed by a number and a comma or closing brace.
fn is_brace_array(s: &[u8]) -> bool {
    let Some(open) = s.iter().position(|&b| b == b'{') else {
        return false;
    };
    let i = skip_blanks(s, open + 1);
    let digits_start = if sub(s, i, i + 2).eq_ignore_ascii_case(b"0x") {
        i + 2
    } else {
        i
    };
    let end = skip_hex(s, digits_start);
    if end == digits_start {
        return false;
    }
    let after = skip_blanks(s, end);
    matches!(at(s, after), Some(b',' | b'}'))
}

/// Whether dropped bytes are text worth handing to [`super::parse`], decided on the whole
/// input in one pass (linear, no allocation; it stops at the first byte that says no): valid
/// UTF-8 (a leading byte-order mark is fine), with some non-whitespace, and no control
/// character other than tab, line feed, carriage return and form feed. DEL and the C1
/// controls (U+0080–U+009F: a terminal may read U+009B as CSI) count as controls: no tool
/// prints them in a dump, and text that holds them is read as binary instead. The Unicode
/// bidirectional formatting characters are allowed (a log line in another script may carry
/// them); every message that quotes the text escapes them ([`crate::display::escape`]).
pub fn looks_like_text(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let Ok(text) = core::str::from_utf8(bytes) else {
        return false;
    };
    let mut visible = false;
    for c in text.chars() {
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}') {
            return false;
        }
        visible |= !c.is_whitespace();
    }
    visible
}

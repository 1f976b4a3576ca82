//! `tcpdump -X` / `-XX` / `-x` / `-xx` output: packets for the link/IP/TCP layers.
//!
//! ```text
//! reading from file f.pcap, link-type EN10MB (Ethernet), snapshot length 262144
//! 15:37:02.296000 IP 127.0.0.1.51484 > 127.0.0.1.12345: Flags [P.], seq 1:128, …, length 127
//! \t0x0000:  4500 00b3 8022 4000 4006 bc20 7f00 0001  E...."@.@.......
//! ```
//!
//! A packet is a summary line (unindented, or `-#`-numbered) followed by `0xOFFSET:` lines.
//! Timestamps may be a time of day (default), a date and time (`-tttt`), Unix time (`-tt`),
//! relative (`-ttt`, `-ttttt`: printed with a leading space) or absent (`-t`).
//!
//! `-X`/`-x` print from the IP header, `-XX`/`-xx` from the link header, and the text does
//! not say which option was used: if most packets start with a well-formed IPv4/IPv6 header
//! the packets are [`LinkType::RAW`], otherwise the `link-type` line (`reading from file …` /
//! `listening on …`) gives the link type, else the first bytes (Ethernet, Linux cooked v1/v2,
//! BSD loopback), else Ethernet with a warning.

use alloc::vec::Vec;

use super::dump::{hex_area, place, Layout, Scratch, FOLLOW, TCPDUMP};
use super::lines::{self, at, skip_blanks, skip_digits, skip_hex, sub};
use super::time;
use super::{Expansion, TextBytes, TextError, TextPacket, TextWarningKind, Warnings};
use crate::capture::LinkType;
use crate::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    Absolute(u64),
    TimeOfDay(u64),
    Relative(u64),
    None,
}

/// A timestamp at `i` followed by a blank or the end of the line. `time_of_day_is_relative`:
/// a bare `HH:MM:SS` counts from the first packet (`tcpdump -ttt`/`-ttttt`) rather than from
/// midnight. Unix times before 2001 (fewer than 10 digits of seconds) are relative too
/// (tshark's default `-t r`, `-t d`).
fn stamp_at(s: &[u8], i: usize, time_of_day_is_relative: bool) -> Option<Stamp> {
    let followed = |end: usize| matches!(at(s, end), None | Some(b' ' | b'\t'));
    if let Some((ts, _)) = time::date_time(s, i).filter(|(_, e)| followed(*e)) {
        return Some(Stamp::Absolute(ts));
    }
    if let Some((ns, _)) = time::time_of_day(s, i).filter(|(_, e)| followed(*e)) {
        return Some(if time_of_day_is_relative {
            Stamp::Relative(ns)
        } else {
            Stamp::TimeOfDay(ns)
        });
    }
    let (ts, end) = time::epoch(s, i)?;
    if !followed(end) || !sub(s, i, end).contains(&b'.') {
        return None;
    }
    let seconds_digits = skip_digits(s, i) - i;
    Some(if seconds_digits >= 10 {
        Stamp::Absolute(ts)
    } else {
        Stamp::Relative(ts)
    })
}

/// A leading packet number (`tcpdump -#`, tshark's frame number): (number, index after the
/// blanks that follow it).
fn leading_number(s: &[u8], i: usize) -> Option<(u32, usize)> {
    let end = skip_digits(s, i);
    if end == i || !matches!(at(s, end), Some(b' ' | b'\t')) {
        return None;
    }
    let n = lines::dec_number(sub(s, i, end)).and_then(|n| u32::try_from(n).ok())?;
    Some((n, skip_blanks(s, end)))
}

/// A tcpdump summary line: (`-#` number, timestamp).
fn summary(text: &str) -> Option<(Option<u32>, Stamp)> {
    let s = text.as_bytes();
    let start = skip_blanks(s, 0);
    let indented = start > 0;
    // `tcpdump -#`: "    1  15:37:02.295903 IP …".
    if indented {
        if let Some((number, i)) = leading_number(s, start) {
            if let Some(stamp) = stamp_at(s, i, false) {
                return Some((Some(number), stamp));
            }
        }
    }
    match stamp_at(s, start, indented) {
        Some(stamp) => Some((None, stamp)),
        // An indented line without a timestamp: a continuation (`-v`), not a summary.
        None if indented => None,
        None => Some((None, Stamp::None)),
    }
}

/// `0x0010:` at the start of a line: (offset, index after the colon).
pub(crate) fn hex_line_offset(s: &[u8]) -> Option<(u64, usize)> {
    let i = skip_blanks(s, 0);
    if sub(s, i, i + 2) != b"0x" {
        return None;
    }
    let end = skip_hex(s, i + 2);
    if end - (i + 2) < 4 || at(s, end) != Some(b':') {
        return None;
    }
    // The first group has no `0x` (that would be gdb's `x/xb` output).
    let first = skip_blanks(s, end + 1);
    if sub(s, first, first + 2) == b"0x" {
        return None;
    }
    Some((lines::hex_number(sub(s, i + 2, end))?, end + 1))
}

/// The link type named in `reading from file …, link-type EN10MB (Ethernet), …`.
fn link_type_line(text: &str) -> Option<Option<LinkType>> {
    if !(text.starts_with("reading from file") || text.starts_with("listening on")) {
        return None;
    }
    let name = text
        .split_once("link-type ")
        .map(|(_, rest)| rest.split([' ', ',', '(']).next().unwrap_or(""));
    Some(name.and_then(|name| match name {
        "EN10MB" => Some(LinkType::ETHERNET),
        "LINUX_SLL" => Some(LinkType::LINUX_SLL),
        "LINUX_SLL2" => Some(LinkType::LINUX_SLL2),
        "NULL" => Some(LinkType::NULL),
        "LOOP" => Some(LinkType::LOOP),
        "RAW" => Some(LinkType::RAW),
        "IPV4" => Some(LinkType::IPV4),
        "IPV6" => Some(LinkType::IPV6),
        _ => None,
    }))
}

/// tcpdump's own chatter, skipped silently.
fn is_chatter(text: &str) -> bool {
    text.starts_with("tcpdump:")
        || text.ends_with("packets captured")
        || text.ends_with("packets received by filter")
        || text.ends_with("packets dropped by kernel")
}

/// Adds the packet being read, if it has bytes, to `packets`.
fn finish(current: &mut Option<Current>, packets: &mut Vec<(TextPacket, Stamp)>) {
    if let Some(c) = current.take() {
        if !c.data.is_empty() {
            let position = u32::try_from(packets.len() + 1).unwrap_or(u32::MAX);
            packets.push((
                TextPacket {
                    number: c.number.unwrap_or(position),
                    timestamp: 0,
                    link_type: LinkType::RAW,
                    data: c.data,
                    line: c.line,
                },
                c.stamp,
            ));
        }
    }
}

struct Current {
    number: Option<u32>,
    stamp: Stamp,
    line: usize,
    data: Vec<u8>,
    /// Offset the next hex line should have.
    next: u64,
}

impl Current {
    fn new(number: Option<u32>, stamp: Stamp, line: usize) -> Self {
        Current {
            number,
            stamp,
            line,
            data: Vec::new(),
            next: 0,
        }
    }
}

/// Per-parse state for reading hex lines into packets.
#[derive(Default)]
struct Reader {
    scratch: Scratch,
    line_bytes: Vec<u8>,
    expansion: Expansion,
}

impl Reader {
    /// Writes one hex line printed at `offset` into packet `c` (the `part`-th of the result)
    /// where the offset says, as [`place`] does; a jump in offsets is a warning on the line's
    /// bytes (and the zeros before them).
    #[allow(clippy::too_many_arguments)]
    fn append(
        &mut self,
        c: &mut Current,
        part: usize,
        line: lines::Line<'_>,
        offset: u64,
        hex_start: usize,
        layout: &Layout,
        warnings: &mut Warnings,
    ) -> Result<(), TextError> {
        // After a line that went back, going on from the end of the bytes is no jump.
        let gap = c.next != offset && c.data.len() as u64 != offset;
        if gap {
            warnings.push(
                line.no,
                TextWarningKind::OffsetGap {
                    expected: c.next,
                    found: offset,
                },
            );
        }
        self.line_bytes.clear();
        let n = hex_area(
            line,
            hex_start,
            layout,
            &mut self.line_bytes,
            warnings,
            &mut self.scratch,
        )?;
        let filled = place(
            &mut c.data,
            offset,
            &self.line_bytes,
            &mut self.expansion,
            line.no,
        )?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(c.data.len());
        let own = Span::at(start, n);
        let at = |span| {
            Some(TextBytes {
                part,
                peer: None,
                span,
            })
        };
        warnings.locate(line.no, |kind| match kind {
            TextWarningKind::OffsetGap { .. } if gap => at(filled.map_or(own, |z| z.join(own))),
            TextWarningKind::AsciiMismatch => at(own),
            _ => None,
        });
        c.next = offset.saturating_add(n as u64);
        Ok(())
    }
}

pub(crate) fn parse(text: &str, warnings: &mut Warnings) -> Result<Vec<TextPacket>, TextError> {
    let mut declared: Option<LinkType> = None;
    let mut packets: Vec<(TextPacket, Stamp)> = Vec::new();
    let mut current: Option<Current> = None;
    let mut reader = Reader::default();
    for line in lines::lines(text) {
        if line.text.trim().is_empty() {
            continue;
        }
        let s = line.text.as_bytes();
        if let Some((offset, hex_start)) = hex_line_offset(s) {
            let restart = current
                .as_ref()
                .is_none_or(|c| offset == 0 && !c.data.is_empty());
            if restart {
                finish(&mut current, &mut packets);
                warnings.push(line.no, TextWarningKind::MissingPacketHeader);
                current = Some(Current::new(None, Stamp::None, line.no));
            }
            if let Some(c) = current.as_mut() {
                let part = packets.len();
                reader.append(c, part, line, offset, hex_start, &TCPDUMP, warnings)?;
            }
            continue;
        }
        if let Some(link_type) = link_type_line(line.text) {
            declared = declared.or(link_type);
            continue;
        }
        if is_chatter(line.text) {
            continue;
        }
        match summary(line.text) {
            Some((number, stamp)) => {
                finish(&mut current, &mut packets);
                current = Some(Current::new(number, stamp, line.no));
            }
            None if current.is_some() => {}
            None => warnings.push(line.no, TextWarningKind::IgnoredLine),
        }
    }
    finish(&mut current, &mut packets);
    set_timestamps(&mut packets, warnings);
    let link_type = decide_link_type(&packets, declared, warnings);
    Ok(packets
        .into_iter()
        .map(|(mut p, _)| {
            p.link_type = link_type;
            p
        })
        .collect())
}

/// A packet-bytes hex line (`tshark -x`, Wireshark's "Copy as Hex Dump", text2pcap input):
/// `0010  00 3c 80 20 …`, unindented, a 4- to 8-digit offset and at least two spaces.
/// Returns (offset, index where the hex starts).
pub(crate) fn packet_dump_offset(s: &[u8]) -> Option<(u64, usize)> {
    let end = skip_hex(s, 0);
    if !(4..=8).contains(&end) || sub(s, end, end + 2) != b"  " {
        return None;
    }
    let first = skip_blanks(s, end);
    let token = sub(s, first, first + 2);
    if token.len() != 2 || !token.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    Some((lines::hex_number(sub(s, 0, end))?, end))
}

/// Packet bytes as `tshark -x` (optionally with `-P` summary lines) or Wireshark's "Copy …
/// as Hex Dump" print them: each block starting at offset 0 is a packet. A tshark summary line
/// (`    1   0.000000 127.0.0.1 → …`) before a block gives its number and time. Other lines
/// (`-V` detail trees) are skipped.
pub(crate) fn parse_packet_dump(
    text: &str,
    warnings: &mut Warnings,
) -> Result<Vec<TextPacket>, TextError> {
    let mut packets: Vec<(TextPacket, Stamp)> = Vec::new();
    let mut current: Option<Current> = None;
    let mut pending: Option<(u32, Stamp)> = None;
    let mut reader = Reader::default();
    for line in lines::lines(text) {
        let s = line.text.as_bytes();
        if let Some((offset, hex_start)) = packet_dump_offset(s) {
            if offset == 0 || current.is_none() {
                finish(&mut current, &mut packets);
                let (number, stamp) = match pending.take() {
                    Some((n, stamp)) => (Some(n), stamp),
                    None => (None, Stamp::None),
                };
                current = Some(Current::new(number, stamp, line.no));
            }
            if let Some(c) = current.as_mut() {
                let part = packets.len();
                reader.append(c, part, line, offset, hex_start, &FOLLOW, warnings)?;
            }
            continue;
        }
        let start = skip_blanks(s, 0);
        if let Some((number, i)) = leading_number(s, start) {
            if let Some(stamp) = stamp_at(s, i, false) {
                pending = Some((number, stamp));
            }
        }
    }
    finish(&mut current, &mut packets);
    set_timestamps(&mut packets, warnings);
    let link_type = decide_link_type(&packets, None, warnings);
    Ok(packets
        .into_iter()
        .map(|(mut p, _)| {
            p.link_type = link_type;
            p
        })
        .collect())
}

fn set_timestamps(packets: &mut [(TextPacket, Stamp)], warnings: &mut Warnings) {
    let first =
        |pred: fn(&Stamp) -> bool| packets.iter().find(|(_, s)| pred(s)).map(|(p, _)| p.line);
    if let Some(line) = first(|s| matches!(s, Stamp::TimeOfDay(_))) {
        warnings.push(line, TextWarningKind::TimeOfDayOnly);
    }
    if let Some(line) = first(|s| matches!(s, Stamp::None)) {
        warnings.push(line, TextWarningKind::NoTimestamps);
    }
    let relative_line = first(|s| matches!(s, Stamp::Relative(_)));
    // `-ttttt` counts from the first packet (never decreases); `-ttt` from the previous one.
    let mut previous = 0u64;
    let mut cumulative = false;
    for (_, stamp) in packets.iter() {
        if let Stamp::Relative(ns) = stamp {
            if *ns < previous {
                cumulative = true;
            }
            previous = *ns;
        }
    }
    if let Some(line) = relative_line {
        warnings.push(line, TextWarningKind::RelativeTimestamps);
    }
    let mut sum = 0u64;
    for (packet, stamp) in packets.iter_mut() {
        packet.timestamp = match *stamp {
            Stamp::Absolute(ts) | Stamp::TimeOfDay(ts) => ts,
            Stamp::Relative(ns) if cumulative => {
                sum = sum.saturating_add(ns);
                sum
            }
            Stamp::Relative(ns) => ns,
            Stamp::None => 0,
        };
    }
}

fn be16(data: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([at(data, i)?, at(data, i + 1)?]))
}

/// A well-formed IPv4 or IPv6 header at the start of `data`.
fn looks_like_ip(data: &[u8]) -> bool {
    match at(data, 0).map(|b| b >> 4) {
        Some(4) => {
            let ihl = usize::from(at(data, 0).unwrap_or(0) & 0x0f) * 4;
            let Some(total) = be16(data, 2).map(usize::from) else {
                return false;
            };
            if ihl < 20 || total < ihl || data.len() < ihl {
                return false;
            }
            let mut sum: u32 = 0;
            for i in (0..ihl).step_by(2) {
                sum += u32::from(be16(data, i).unwrap_or(0));
            }
            while sum > 0xffff {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            sum == 0xffff || total == data.len()
        }
        Some(6) => {
            let Some(payload) = be16(data, 4).map(usize::from) else {
                return false;
            };
            let total = payload + 40;
            data.len() >= total && data.len() - total < 8
        }
        _ => false,
    }
}

fn is_ethertype(t: Option<u16>) -> bool {
    matches!(t, Some(0x0800 | 0x86dd | 0x0806 | 0x8100 | 0x88a8))
}

/// The link type a frame's first bytes suggest.
fn infer_link_type(data: &[u8]) -> Option<LinkType> {
    if data.len() >= 14 && is_ethertype(be16(data, 12)) {
        return Some(LinkType::ETHERNET);
    }
    if data.len() >= 20
        && is_ethertype(be16(data, 0))
        && be16(data, 2) == Some(0)
        && at(data, 10).is_some_and(|t| t <= 4)
        && at(data, 11).is_some_and(|l| l <= 8)
    {
        return Some(LinkType::LINUX_SLL2);
    }
    if data.len() >= 16
        && be16(data, 0).is_some_and(|t| t <= 4)
        && be16(data, 4).is_some_and(|l| l <= 8)
        && is_ethertype(be16(data, 14))
    {
        return Some(LinkType::LINUX_SLL);
    }
    let family = |v: u32| matches!(v, 2 | 24 | 28 | 30);
    let word = [at(data, 0)?, at(data, 1)?, at(data, 2)?, at(data, 3)?];
    if family(u32::from_le_bytes(word)) {
        return Some(LinkType::NULL);
    }
    if family(u32::from_be_bytes(word)) {
        return Some(LinkType::LOOP);
    }
    None
}

fn decide_link_type(
    packets: &[(TextPacket, Stamp)],
    declared: Option<LinkType>,
    warnings: &mut Warnings,
) -> LinkType {
    let ip = packets
        .iter()
        .filter(|(p, _)| looks_like_ip(&p.data))
        .count();
    if ip * 2 > packets.len() {
        return LinkType::RAW;
    }
    if let Some(link_type) = declared {
        return link_type;
    }
    if let Some(link_type) = packets.iter().find_map(|(p, _)| infer_link_type(&p.data)) {
        return link_type;
    }
    let line = packets.first().map_or(1, |(p, _)| p.line);
    warnings.push(
        line,
        TextWarningKind::LinkTypeGuessed {
            link_type: LinkType::ETHERNET,
        },
    );
    LinkType::ETHERNET
}

//! Unit tests for the pasted-text formats: small hand-written (or tool-printed) samples and
//! their edge cases. Samples produced by the real tools from the real captures are checked in
//! `tests/tests/text_formats.rs`.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::Span;

fn hex(s: &str) -> Vec<u8> {
    ::hex::decode(s.replace(' ', "")).unwrap()
}

fn bytes(text: &str) -> (TextFormat, Vec<u8>, Vec<TextWarning>) {
    let capture = parse(text).unwrap_or_else(|e| panic!("{e}"));
    match capture.content {
        TextContent::Bytes(b) => (capture.format, b, capture.warnings),
        other => panic!("not bytes: {other:?}"),
    }
}

fn connections(text: &str) -> (TextFormat, Vec<TextConnection>, Vec<TextWarning>) {
    let capture = parse(text).unwrap_or_else(|e| panic!("{e}"));
    match capture.content {
        TextContent::Connections(c) => (capture.format, c, capture.warnings),
        other => panic!("not connections: {other:?}"),
    }
}

fn packets(text: &str) -> (Vec<TextPacket>, Vec<TextWarning>) {
    let capture = parse(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(capture.format, TextFormat::Tcpdump);
    match capture.content {
        TextContent::Packets(p) => (p, capture.warnings),
        other => panic!("not packets: {other:?}"),
    }
}

const ACK: &str = "00000007 67 00000001 01 01";

// ---------------------------------------------------------------------------------------------
// Plain hex

#[test]
fn plain_hex_spacings() {
    for text in [
        "00 00 00 07 67 00 00 00 01 01 01",
        "0000000767000000010101",
        "0000 0007 6700 0000 0101 01",
        "0x00, 0x00, 0x00, 0x07, 0x67, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01",
        "0x0,0x0,0x0,0x7,0x67,0x0,0x0,0x0,0x1,0x1,0x1",
        "\\x00\\x00\\x00\\x07\\x67\\x00\\x00\\x00\\x01\\x01\\x01",
        "00:00:00:07:67:00:00:00:01:01:01",
        "0x00000007 0x67 0x00000001 0x0101",
        "\n\n  # an ACK\n00 00 00 07   # length\n67 00 00 00 01 # type, flags\n01 01\n\n",
        "00 00 00 07\r\n67 00 00 00\r\n01 01 01\r\n",
        "\u{feff}00 00 00 07 67 00 00 00 01 01 01",
        "00000007670000\n00010101",
        // Wrapped at an odd column: a digit pair split across lines.
        "000000076\n7000000010101",
    ] {
        let (format, b, warnings) = bytes(text);
        assert_eq!(format, TextFormat::PlainHex, "{text:?}");
        assert_eq!(b, hex(ACK), "{text:?}");
        assert!(warnings.is_empty(), "{text:?}: {warnings:?}");
    }
}

#[test]
fn plain_hex_errors_point_at_the_problem() {
    let e = parse_as("00 00 0 07", TextFormat::PlainHex).unwrap_err();
    assert_eq!((e.line, e.column), (1, 7));
    assert_eq!(e.kind, TextErrorKind::OddHexDigits { digits: "0".into() });
    assert_eq!(
        e.to_string(),
        "plain hex: line 1, column 7: odd number of hex digits in `0` (each byte needs two digits)"
    );

    let e = parse_as("00 01\n02 0g 03", TextFormat::PlainHex).unwrap_err();
    assert_eq!((e.line, e.column), (2, 5));
    assert!(matches!(e.kind, TextErrorKind::Expected { .. }), "{e:?}");
    assert!(
        e.to_string().contains("expected a hex digit, found `g`"),
        "{e}"
    );

    // An odd total of a wrapped string: reported at the token holding the lone digit.
    let e = parse_as("0000000\n76", TextFormat::PlainHex).unwrap_err();
    assert_eq!((e.line, e.column), (2, 1), "{e}");

    let e = parse_as("0x123", TextFormat::PlainHex).unwrap_err();
    assert_eq!((e.line, e.column), (1, 1));
    assert!(matches!(e.kind, TextErrorKind::OddHexDigits { .. }));

    // Trailing garbage after plain hex is not plain hex (detection), and an error when forced.
    assert_eq!(detect("00 01 02\nthat's all folks"), None);
    let e = parse_as("00 01 02\nthat's all folks", TextFormat::PlainHex).unwrap_err();
    assert_eq!((e.line, e.column), (2, 1));
}

#[test]
fn hex_digits_are_plain_hex_not_base64() {
    assert_eq!(detect("deadbeef"), Some(TextFormat::PlainHex));
    assert_eq!(detect("DEADBEEF\ncafe0123"), Some(TextFormat::PlainHex));
    assert_eq!(detect("3q2+7w=="), Some(TextFormat::Base64));
}

// ---------------------------------------------------------------------------------------------
// xxd, hexdump -C, od

// `xxd` of 104 bytes (printed by xxd 2022-01-14): the last line's ASCII column, `...abcbe`,
// is hex-looking after the dots.
const XXD: &str = "\
00000000: 0000 007b 0100 0000 0100 0012 7375 7070  ...{........supp
00000010: 6f72 7465 642d 7665 7273 696f 6e73 0803  orted-versions..
00000020: 322e 3000 0000 0000 0000 0000 0000 0000  2.0.............
00000030: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000040: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000050: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000060: 0000 0061 6263 6265                      ...abcbe
";

fn sample_104() -> Vec<u8> {
    let mut v = hex("0000007b01000000010000127375707066");
    v.truncate(16);
    v.extend_from_slice(b"orted-versions\x08\x032.0");
    v.resize(99, 0);
    v.extend_from_slice(b"abcbe");
    v
}

#[test]
fn xxd_dump() {
    let (format, b, warnings) = bytes(XXD);
    assert_eq!(format, TextFormat::Xxd);
    assert_eq!(b, sample_104());
    assert!(warnings.is_empty(), "{warnings:?}");

    // `xxd -a`: runs of zero lines become `*`.
    let autoskip = "\
00000000: 0000 007b 0100 0000 0100 0012 7375 7070  ...{........supp
00000010: 6f72 7465 642d 7665 7273 696f 6e73 0803  orted-versions..
00000020: 322e 3000 0000 0000 0000 0000 0000 0000  2.0.............
00000030: 0000 0000 0000 0000 0000 0000 0000 0000  ................
*
00000060: 0000 0061 6263 6265                      ...abcbe
";
    let (_, b, warnings) = bytes(autoskip);
    assert_eq!(b, sample_104());
    assert!(warnings.is_empty(), "{warnings:?}");

    // `xxd -g1`, `xxd -c8`, no ASCII column, Windows line endings, a prompt and trailing text.
    let variants = [
        "00000000: 00 00 00 07 67 00 00 00 01 01 01                 ....g......\n",
        "00000000: 0000 0007 6700 0000  ....g...\n00000008: 0101 01             ...\n",
        "00000000: 0000 0007 6700 0000 0101 01\n",
        "00000000: 0000 0007 6700 0000 0101 01                 ....g......\r\n",
        "$ xxd ack.bin\n00000000: 0000 0007 6700 0000 0101 01                 ....g......\n$ \n",
    ];
    for text in variants {
        let (format, b, _) = bytes(text);
        assert_eq!(format, TextFormat::Xxd, "{text:?}");
        assert_eq!(b, hex(ACK), "{text:?}");
    }
    let (_, _, warnings) = bytes(variants[4]);
    assert_eq!(
        warnings,
        vec![
            TextWarning {
                line: 1,
                kind: TextWarningKind::IgnoredLine,
                bytes: None,
            },
            TextWarning {
                line: 3,
                kind: TextWarningKind::IgnoredLine,
                bytes: None,
            }
        ]
    );
}

#[test]
fn xxd_ascii_column_is_not_hex() {
    // The ASCII column `beef` and `cafe` would be valid hex groups.
    let text = "00000000: 6265 6566 6361 6665                      beefcafe\n";
    let (_, b, w) = bytes(text);
    assert_eq!(b, b"beefcafe");
    assert!(w.is_empty());
    // Whitespace collapsed by a chat client: the ASCII column is found by what it shows.
    let collapsed = "00000000: 6162 2063 6465 ab cde\n";
    let (_, b, w) = bytes(collapsed);
    assert_eq!(b, b"ab cde");
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn xxd_errors() {
    let e = parse("00000000: 0000 0007 6g00 0000  ....g...\n").unwrap_err();
    assert_eq!(e.format, Some(TextFormat::Xxd));
    assert_eq!((e.line, e.column), (1, 22), "{e}");
    let e = parse("00000000: 0000 0007 670 0000  ....g...\n").unwrap_err();
    assert_eq!((e.line, e.column), (1, 21), "{e}");
    assert!(
        matches!(e.kind, TextErrorKind::OddHexDigits { .. }),
        "{e:?}"
    );
    // A missing line shows as an offset gap: the next line's bytes stay at their offset, the
    // missing ones are zeros, and the warning points at both.
    let text = "00000000: 0000 0007 6700 0000  ....g...\n00000010: 0101 01  ...\n";
    let (_, b, w) = bytes(text);
    assert_eq!(b, hex("0000 0007 6700 0000  0000 0000 0000 0000  0101 01"));
    assert_eq!(
        w,
        vec![TextWarning {
            line: 2,
            kind: TextWarningKind::OffsetGap {
                expected: 8,
                found: 16
            },
            bytes: Some(TextBytes {
                part: 0,
                peer: None,
                span: Span::new(8, 19)
            }),
        }]
    );
}

const HEXDUMP: &str = "\
00000000  00 00 00 7b 01 00 00 00  01 00 00 12 73 75 70 70  |...{........supp|
00000010  6f 72 74 65 64 2d 76 65  72 73 69 6f 6e 73 08 03  |orted-versions..|
00000020  32 2e 30 00 00 00 00 00  00 00 00 00 00 00 00 00  |2.0.............|
00000030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000060  00 00 00 61 62 63 62 65                           |...abcbe|
00000068
";

#[test]
fn hexdump_c_with_repeats() {
    let (format, b, w) = bytes(HEXDUMP);
    assert_eq!(format, TextFormat::HexdumpC);
    assert_eq!(b, sample_104());
    assert!(w.is_empty(), "{w:?}");

    // A repeated non-zero line, ending at the final offset.
    let text = "\
00000000  61 62 61 62 61 62 61 62  61 62 61 62 61 62 61 62  |abababababababab|
*
00000060
";
    let (_, b, w) = bytes(text);
    assert_eq!(b, b"ab".repeat(48));
    assert!(w.is_empty());

    // `*` with nothing after it: nothing to expand, a warning.
    let text =
        "00000000  61 62 61 62 61 62 61 62  61 62 61 62 61 62 61 62  |abababababababab|\n*\n";
    let (_, b, w) = bytes(text);
    assert_eq!(b.len(), 16);
    assert_eq!(w[0].kind, TextWarningKind::RepeatWithoutEnd);

    // Missing ASCII column.
    let text = "00000000  00 00 00 07 67 00 00 00  01 01 01\n0000000b\n";
    assert_eq!(
        parse_as(text, TextFormat::HexdumpC).unwrap().content,
        TextContent::Bytes(hex(ACK))
    );

    // An edited hex byte: the ASCII column disagrees, the hex wins, with a warning.
    let text = "00000000  00 00 00 07 67 00 00 00  01 01 41                 |....g......|\n";
    let (_, b, w) = bytes(text);
    assert_eq!(b.last(), Some(&0x41));
    assert_eq!(w[0].kind, TextWarningKind::AsciiMismatch);
}

fn damage(w: &[TextWarning]) -> Vec<(usize, core::ops::Range<usize>)> {
    w.iter()
        .filter(|w| w.kind.is_damage())
        .map(|w| (w.line, w.bytes.expect("damage has bytes").span.range()))
        .collect()
}

/// Offsets are believed (as `xxd -r` does): lines out of order go back in place, a line given
/// twice overwrites, a line skipped leaves zeros; each is a warning with the bytes concerned.
#[test]
fn dump_bytes_go_where_their_offsets_say() {
    let lines = [
        "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|",
        "00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|",
        "00000020  20 21 22 23 24 25 26 27  28 29 2a 2b 2c 2d 2e 2f  | !\"#$%&'()*+,-./|",
        "00000030  30 31 32 33                                       |0123|",
    ];
    let all: Vec<u8> = (0..0x34).collect();
    let text = |order: &[usize]| {
        order
            .iter()
            .map(|&i| lines[i])
            .collect::<Vec<_>>()
            .join("\n")
    };
    // In order: no warning.
    let (_, b, w) = bytes(&text(&[0, 1, 2, 3]));
    assert_eq!((b, w), (all.clone(), vec![]));
    // Swapped: put back; the jump ahead and the jump back are marked.
    let (_, b, w) = bytes(&text(&[0, 2, 1, 3]));
    assert_eq!(b, all);
    assert_eq!(damage(&w), [(2, 0x10..0x30), (3, 0x10..0x20)]);
    // Reversed: the smallest offset is still byte 0.
    let (_, b, w) = bytes(&text(&[3, 2, 1, 0]));
    assert_eq!(b, all);
    assert_eq!(damage(&w).len(), 3, "{w:?}");
    // A line twice: the copy overwrites the same bytes.
    let (_, b, w) = bytes(&text(&[0, 1, 1, 2, 3]));
    assert_eq!(b, all);
    assert_eq!(damage(&w), [(3, 0x10..0x20)]);
    // A line left out: zeros where it was, marked with the line after it.
    let (_, b, w) = bytes(&text(&[0, 2, 3]));
    let mut holed = all.clone();
    holed[0x10..0x20].fill(0);
    assert_eq!(b, holed);
    assert_eq!(damage(&w), [(2, 0x10..0x30)]);
    assert_eq!(
        w[0].to_string(),
        "line 2: offset 0x20 where 0x10 was expected: 16 byte(s) skipped (lines left out or \
         out of order, or a line whose offset could not be read)"
    );
    // An edited byte: the ASCII column disagrees; the line's bytes are marked.
    let edited = text(&[0, 1, 2, 3]).replacen("24 25 26", "24 99 26", 1);
    let (_, b, w) = bytes(&edited);
    assert_eq!(b[0x25], 0x99);
    assert_eq!(damage(&w), [(3, 0x20..0x30)]);
    // `*` with no offset after it: the place where the repeat would go.
    let (_, _, w) = bytes(&format!("{}\n*\n", lines[0]));
    assert_eq!(damage(&w), [(2, 0x10..0x10)]);
    // An offset far ahead is an error, not gigabytes of zeros.
    let far = format!("{}\nfff00000  00 01  |..|\n", lines[0]);
    let e = parse(&far).unwrap_err();
    assert!(matches!(e.kind, TextErrorKind::TooLarge { .. }), "{e}");
    assert_eq!(e.line, 2);
}

#[test]
fn packet_hex_lines_go_where_their_offsets_say() {
    let packet = "15:37:02.296006 IP a > b: Flags [.], length 0
\t0x0000:  4500 0034 4d1d 4000 4006 efa4 7f00 0001  E..4M.@.@.......
\t0x0010:  7f00 0001 3039 c91c 51a7 772f 88bb 9dba  ....09..Q.w/....
\t0x0020:  8010 0040 fe28 0000 0101 080a 2839 bdbf  ...@.(......(9..
\t0x0030:  957b b60c                                .{..
";
    let (clean, _) = packets(packet);
    let lines: Vec<&str> = packet.lines().collect();
    let swapped = [lines[0], lines[1], lines[3], lines[2], lines[4]].join("\n");
    let (p, w) = packets(&swapped);
    assert_eq!(p, clean);
    assert_eq!(damage(&w), [(3, 0x10..0x30), (4, 0x10..0x20)]);
    assert!(w.iter().filter_map(|w| w.bytes).all(|b| b.part == 0));
}

#[test]
fn follow_gaps_mark_the_bytes_of_their_peer() {
    let text = "\
00000000  00 00 00 07 67 00 00 00  01 01 01 00 00 00 07 67  ....g... .......g
00000020  00 00 00 01 01 01                                 ......
    00000000  00 00 00 07 67 00 00 00  01 01 01              ....g... ...
";
    let (_, c, w) = connections(text);
    assert_eq!(c[0].peer_bytes(0).len(), 22, "kept in the order printed");
    assert_eq!(
        w.iter().find(|w| w.kind.is_damage()).and_then(|w| w.bytes),
        Some(TextBytes {
            part: 0,
            peer: Some(0),
            span: Span::new(16, 22)
        })
    );
}

#[test]
fn repeat_expansion_is_bounded() {
    let text = "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\nffffffffff\n";
    let e = parse(text).unwrap_err();
    assert_eq!(
        e.kind,
        TextErrorKind::TooLarge {
            limit: MAX_EXPANSION
        }
    );
    assert_eq!(e.line, 2);
}

#[test]
fn od_dumps() {
    let hex_offsets = "\
000000 00 00 00 7b 01 00 00 00 01 00 00 12 73 75 70 70
000010 6f 72 74 65 64 2d 76 65 72 73 69 6f 6e 73 08 03
000020 32 2e 30 00 00 00 00 00 00 00 00 00 00 00 00 00
000030 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
000060 00 00 00 61 62 63 62 65
000068
";
    let with_ascii = "\
000000 00 00 00 7b 01 00 00 00 01 00 00 12 73 75 70 70  >...{........supp<
000010 6f 72 74 65 64 2d 76 65 72 73 69 6f 6e 73 08 03  >orted-versions..<
000020 32 2e 30 00 00 00 00 00 00 00 00 00 00 00 00 00  >2.0.............<
000030 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  >................<
*
000060 00 00 00 61 62 63 62 65                          >...abcbe<
000068
";
    // Plain `od -tx1`: octal offsets.
    let octal = "\
0000000 00 00 00 7b 01 00 00 00 01 00 00 12 73 75 70 70
0000020 6f 72 74 65 64 2d 76 65 72 73 69 6f 6e 73 08 03
0000040 32 2e 30 00 00 00 00 00 00 00 00 00 00 00 00 00
0000060 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000140 00 00 00 61 62 63 62 65
0000150
";
    for text in [hex_offsets, with_ascii, octal] {
        let (format, b, w) = bytes(text);
        assert_eq!(format, TextFormat::Od, "{text}");
        assert_eq!(b, sample_104(), "{text}");
        assert!(w.is_empty(), "{w:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Follow TCP Stream

const TSHARK_HEX: &str = "
===================================================================
Follow: tcp,hex
Filter: tcp.stream eq 0
Node 0: 127.0.0.1:51484
Node 1: 127.0.0.1:12345
00000000  00 00 00 0e 03 00 00 00  01 01 01 01 03 02 01 6e  ........ .......n
00000010  02 01                                             ..
\t00000000  00 00 00 04                                       ....
\t00000004  00 00 00 07 67 00 00 00  01 01 01                 ....g... ...
00000012  00 00 00 0e 03 00 00 00  01 03 01 01 03 02 01 6e  ........ .......n
00000022  02 02                                             ..
===================================================================
";

#[test]
fn tshark_follow_hex() {
    let (format, conns, w) = connections(TSHARK_HEX);
    assert_eq!(format, TextFormat::TsharkFollowHex);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(conns.len(), 1);
    let c = &conns[0];
    assert_eq!(
        c.peers[0].as_ref().unwrap().socket_addr(),
        Some("127.0.0.1:51484".parse().unwrap())
    );
    assert_eq!(
        c.peers[1].as_ref().unwrap().address.as_deref(),
        Some("127.0.0.1:12345")
    );
    let shape: Vec<(Option<u8>, usize, usize)> = c
        .chunks
        .iter()
        .map(|ch| (ch.peer, ch.data.len(), ch.line))
        .collect();
    // Segments: 18 bytes, then the agent's 4 + 11 bytes (two segments: the first line is
    // short), then 18 bytes.
    assert_eq!(
        shape,
        vec![
            (Some(0), 18, 7),
            (Some(1), 4, 9),
            (Some(1), 11, 10),
            (Some(0), 18, 11)
        ]
    );
    assert_eq!(c.peer_bytes(1), hex("00000004 00000007 67 00000001 01 01"));
}

#[test]
fn wireshark_gui_follow_hex() {
    let text = "\
00000000  00 00 00 0e 03 00 00 00  01 01 01 01 03 02 01 6e  ........ .......n
00000010  02 01                                             ..
    00000000  00 00 00 07 67 00 00 00  01 01 01                 ....g... ...
";
    let (format, conns, _) = connections(text);
    assert_eq!(format, TextFormat::WiresharkFollowHex);
    assert_eq!(conns[0].peer_bytes(1), hex(ACK));
    assert_eq!(conns[0].peer_bytes(0).len(), 18);
    assert_eq!(conns[0].peers, [None, None]);
}

#[test]
fn tshark_follow_raw_and_modes() {
    let text = "
===================================================================
Follow: tcp,raw
Filter: tcp.stream eq 0
Node 0: 127.0.0.1:51484
Node 1: 127.0.0.1:12345
0000000e030000000101010103020160
\t00000007670000000101
\t01
===================================================================
";
    let (format, conns, _) = connections(text);
    assert_eq!(format, TextFormat::TsharkFollowRaw);
    assert_eq!(conns[0].chunks.len(), 3);
    assert_eq!(conns[0].peer_bytes(1), hex(ACK));

    let ascii = "===\nFollow: tcp,ascii\nFilter: tcp.stream eq 0\n";
    let e = parse(ascii).unwrap_err();
    assert_eq!((e.line, e.column), (2, 13));
    assert_eq!(
        e.kind,
        TextErrorKind::UnsupportedFollowMode {
            mode: "ascii".into()
        }
    );
}

#[test]
fn tshark_follow_yaml() {
    let text = "\
peers:
  - peer: 0
    host: 127.0.0.1
    port: 51484
  - peer: 1
    host: ::1
    port: 12345
packets:
  - packet: 8
    peer: 0
    timestamp: 1795448222.296828985
    data: !!binary |
      AAAADgMAAAAB
      AQEBAwIBbgIB
  - packet: 9
    peer: 1
    timestamp: 1795448222.297013998
    data: !!binary |
      AAAAB2cAAAABAQE=
";
    let (format, conns, w) = connections(text);
    assert_eq!(format, TextFormat::TsharkFollowYaml);
    assert!(w.is_empty(), "{w:?}");
    let c = &conns[0];
    assert_eq!(
        c.peers[1].as_ref().unwrap().address.as_deref(),
        Some("[::1]:12345")
    );
    assert_eq!(
        c.peers[1].as_ref().unwrap().socket_addr(),
        Some("[::1]:12345".parse().unwrap())
    );
    assert_eq!(c.chunks[0].packet, Some(8));
    assert_eq!(c.chunks[0].timestamp, Some(1_795_448_222_296_828_985));
    assert_eq!(
        c.chunks[0].data,
        hex("0000000e 03 00000001 01 01 01 03 02 01 6e 02 01")
    );
    assert_eq!(c.peer_bytes(1), hex(ACK));
}

#[test]
fn wireshark_follow_c_arrays() {
    let text = "\
char peer0_0[] = { /* Packet 8 */
0x00, 0x00, 0x00, 0x0e, 0x03, 0x00, 0x00, 0x00,
0x01, 0x01, 0x01, 0x01, 0x03, 0x02, 0x01, 0x6e,
0x02, 0x01 };
char peer1_0[] = { /* Packet 9 */
0x00, 0x00, 0x00, 0x07, 0x67, 0x00, 0x00, 0x00,
0x01, 0x01, 0x01 };
";
    let (format, conns, w) = connections(text);
    assert_eq!(format, TextFormat::WiresharkFollowCArrays);
    assert!(w.is_empty(), "{w:?}");
    let c = &conns[0];
    assert_eq!(c.chunks.len(), 2);
    assert_eq!(
        (c.chunks[0].peer, c.chunks[0].packet, c.chunks[0].line),
        (Some(0), Some(8), 1)
    );
    assert_eq!((c.chunks[1].peer, c.chunks[1].packet), (Some(1), Some(9)));
    assert_eq!(c.peer_bytes(1), hex(ACK));
    // Older Wireshark: no packet comment; a one-line array.
    let (_, conns, _) = connections(
        "char peer1_0[] = {\n0x00, 0x00, 0x00, 0x07, 0x67, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01 };\n",
    );
    assert_eq!(conns[0].chunks[0].packet, None);
    assert_eq!(conns[0].peer_bytes(1), hex(ACK));
    let e = parse("char peer0_0[] = { /* Packet 8 */\n0x00, 0x100 };\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 7));
    let e = parse("char peer0_0[] = { /* Packet 8 */\n0x00, zz };\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 7));
}

// ---------------------------------------------------------------------------------------------
// tcpdump

// `tcpdump -r haproxy34-clean.pcap -X -c 2` (the ACK of the handshake and the first data
// segment, shortened to its first 3 lines and re-based so the IP total length matches).
const TCPDUMP_X: &str = "\
reading from file haproxy34-clean.pcap, link-type EN10MB (Ethernet), snapshot length 262144
15:37:02.295925 IP localhost.51484 > localhost.12345: Flags [.], ack 1, win 64, options [nop,nop,TS val 2507912716 ecr 674872767], length 0
\t0x0000:  4500 0034 8021 4000 4006 bca0 7f00 0001  E..4.!@.@.......
\t0x0010:  7f00 0001 c91c 3039 88bb 9d3a 51a7 772f  ......09...:Q.w/
\t0x0020:  8010 0040 fe28 0000 0101 080a 957b b60c  ...@.(.......{..
\t0x0030:  2839 bdbf                                (9..
15:37:02.296006 IP localhost.12345 > localhost.51484: Flags [.], ack 128, win 64, options [nop,nop,TS val 674872767 ecr 2507912716], length 0
\t0x0000:  4500 0034 4d1d 4000 4006 efa4 7f00 0001  E..4M.@.@.......
\t0x0010:  7f00 0001 3039 c91c 51a7 772f 88bb 9dba  ....09..Q.w/....
\t0x0020:  8010 0040 fe28 0000 0101 080a 2839 bdbf  ...@.(......(9..
\t0x0030:  957b b60c                                .{..
";

#[test]
fn tcpdump_x() {
    let (p, w) = packets(TCPDUMP_X);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].link_type, LinkType::RAW);
    assert_eq!(p[0].data.len(), 0x34);
    assert_eq!(p[0].line, 2);
    assert_eq!(p[1].number, 2);
    assert_eq!(
        p[0].timestamp,
        (15 * 3600 + 37 * 60 + 2) * 1_000_000_000 + 295_925_000
    );
    assert_eq!(
        w,
        vec![TextWarning {
            line: 2,
            kind: TextWarningKind::TimeOfDayOnly,
            bytes: None,
        }]
    );
    let packet = p[0].as_packet();
    assert_eq!(packet.orig_len, 0x34);
}

#[test]
fn tcpdump_timestamp_options() {
    let body = "\t0x0000:  4500 0014 0000 4000 4006 3cce 7f00 0001  E.....@.@.<.....\n\t0x0010:  7f00 0001                                ....\n";
    let cases: [(&str, u64, Option<TextWarningKind>); 5] = [
        (
            "2026-11-23 15:37:02.295903 IP a > b: tcp 0\n",
            1_795_448_222_295_903_000,
            None,
        ),
        (
            "1795448222.295903 IP a > b: tcp 0\n",
            1_795_448_222_295_903_000,
            None,
        ),
        (
            "15:37:02.295903000 IP a > b: tcp 0\n",
            56_222_295_903_000,
            Some(TextWarningKind::TimeOfDayOnly),
        ),
        (
            " 00:00:01.000000 IP a > b: tcp 0\n",
            1_000_000_000,
            Some(TextWarningKind::RelativeTimestamps),
        ),
        ("IP a > b: tcp 0\n", 0, Some(TextWarningKind::NoTimestamps)),
    ];
    for (header, ts, warning) in cases {
        let text = format!("{header}{body}");
        let (p, w) = packets(&text);
        assert_eq!(p.len(), 1, "{text}");
        assert_eq!(p[0].timestamp, ts, "{text}");
        assert_eq!(p[0].link_type, LinkType::RAW, "{text}");
        assert_eq!(w.into_iter().map(|w| w.kind).next(), warning, "{text}");
    }
    // `-#` numbers and `-v` continuation lines.
    let text = format!("   7  15:37:02.295903 IP (tos 0x0, ttl 64, id 0)\n    127.0.0.1.1 > 127.0.0.1.2: tcp 0\n{body}");
    let (p, _) = packets(&text);
    assert_eq!(p[0].number, 7);
    assert_eq!(p[0].data.len(), 20);
    // `-ttt`: deltas from the previous packet are summed.
    let text = format!(
        " 00:00:00.000000 IP a\n{body} 00:00:01.000000 IP a\n{body} 00:00:00.500000 IP a\n{body}"
    );
    let (p, _) = packets(&text);
    let ts: Vec<u64> = p.iter().map(|p| p.timestamp).collect();
    assert_eq!(ts, vec![0, 1_000_000_000, 1_500_000_000]);
}

#[test]
fn tcpdump_xx_link_types() {
    let ip = "4500 0014 0000 4000 4006 3cce 7f00 0001 7f00 0001";
    let frame = |link: &str| {
        let all = format!("{link} {ip}").replace(' ', "");
        let mut lines = String::from("16:13:01.123456 IP a > b: tcp 0\n");
        for (n, chunk) in all.as_bytes().chunks(32).enumerate() {
            let groups: Vec<&str> = chunk
                .chunks(4)
                .map(|g| core::str::from_utf8(g).unwrap())
                .collect();
            lines.push_str(&format!("\t0x{:04x}:  {}\n", n * 16, groups.join(" ")));
        }
        lines
    };
    let eth = "0000 0000 0000 0000 0000 0000 0800";
    let sll = "0000 0304 0006 0000 0000 0000 0000 0800";
    let sll2 = "0800 0000 0000 0001 0304 0006 0000 0000 0000 0000";
    let null = "0200 0000";
    for (link, expected) in [
        (eth, LinkType::ETHERNET),
        (sll, LinkType::LINUX_SLL),
        (sll2, LinkType::LINUX_SLL2),
        (null, LinkType::NULL),
    ] {
        let (p, w) = packets(&frame(link));
        assert_eq!(p[0].link_type, expected, "{link}");
        assert_eq!(p[0].data.len(), link.replace(' ', "").len() / 2 + 20);
        assert!(
            w.iter().all(|w| w.kind == TextWarningKind::TimeOfDayOnly),
            "{w:?}"
        );
    }
    // The link-type line wins over inference.
    let text = format!(
        "reading from file x, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144\n{}",
        frame(sll2)
    );
    assert_eq!(packets(&text).0[0].link_type, LinkType::LINUX_SLL2);
    // Unknown first bytes: Ethernet, with a warning.
    let (p, w) = packets(&frame("ffff ffff"));
    assert_eq!(p[0].link_type, LinkType::ETHERNET);
    assert!(w
        .iter()
        .any(|w| matches!(w.kind, TextWarningKind::LinkTypeGuessed { .. })));
}

#[test]
fn tcpdump_hex_without_header_and_errors() {
    let text = "\t0x0000:  4500 0014 0000 4000 4006 3cce 7f00 0001\n\t0x0010:  7f00 0001\n";
    let (p, w) = packets(text);
    assert_eq!(p[0].data.len(), 20);
    assert_eq!(w[0].kind, TextWarningKind::MissingPacketHeader);
    let e = parse("16:13:01.123456 IP a\n\t0x0000:  4500 00x4 0000\n").unwrap_err();
    assert_eq!(e.format, Some(TextFormat::Tcpdump));
    assert_eq!((e.line, e.column), (2, 18), "{e}");
}

#[test]
fn packet_hex_dumps() {
    // `tshark -x`: two packets (Ethernet), blank line between them, no times.
    let text = "\
0000  00 00 00 00 00 00 00 00 00 00 00 00 08 00 45 00   ..............E.
0010  00 14 00 00 40 00 40 06 3c ce 7f 00 00 01 7f 00   ....@.@.<.......
0020  00 01                                             ..

0000  00 00 00 00 00 00 00 00 00 00 00 00 08 00 45 00   ..............E.
0010  00 14 00 00 40 00 40 06 3c ce 7f 00 00 01 7f 00   ....@.@.<.......
0020  00 01                                             ..
";
    let capture = parse(text).unwrap();
    assert_eq!(capture.format, TextFormat::PacketHexDump);
    let TextContent::Packets(p) = capture.content else {
        panic!()
    };
    assert_eq!(p.len(), 2);
    assert_eq!((p[0].number, p[1].number), (1, 2));
    assert_eq!(p[0].link_type, LinkType::ETHERNET);
    assert_eq!(p[1].data.len(), 34);
    assert_eq!(p[1].line, 5);
    assert_eq!(capture.warnings[0].kind, TextWarningKind::NoTimestamps);

    // `tshark -x -P -t ad`: summary lines give numbers and times.
    let text = "    7 2026-11-23 15:37:02.295903    127.0.0.1 \u{2192} 127.0.0.1    TCP 74\n\n\
0000  45 00 00 14 00 00 40 00 40 06 3c ce 7f 00 00 01   E.....@.@.<.....\n\
0010  7f 00 00 01                                       ....\n";
    let capture = parse(text).unwrap();
    let TextContent::Packets(p) = capture.content else {
        panic!()
    };
    assert_eq!(p[0].number, 7);
    assert_eq!(p[0].timestamp, 1_795_448_222_295_903_000);
    assert_eq!(p[0].link_type, LinkType::RAW);
    assert!(capture.warnings.is_empty(), "{:?}", capture.warnings);

    // Wireshark "Copy as Hex + ASCII Dump": three spaces after the offset.
    let text = "0000   45 00 00 14 00 00 40 00 40 06 3c ce 7f 00 00 01   E.....@.@.<.....\n0010   7f 00 00 01                                       ....\n";
    assert_eq!(detect(text), Some(TextFormat::PacketHexDump));
    let TextContent::Packets(p) = parse(text).unwrap().content else {
        panic!()
    };
    assert_eq!(p[0].data.len(), 20);
}

// ---------------------------------------------------------------------------------------------
// gdb, xxd -i

#[test]
fn gdb_arrays() {
    let cases = [
        "$1 = {0x0, 0x0, 0x0, 0x7, 0x67, 0x0, 0x0, 0x0, 0x1, 0x1, 0x1}",
        "{0x00, 0x00, 0x00, 0x07, 0x67, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01}",
        "$2 = {0x0 <repeats 3 times>, 0x7, 0x67, 0x0, 0x0, 0x0, 0x1, 0x1, 0x1}",
        "$3 = {0 '\\000', 0 '\\000', 0 '\\000', 7 '\\a', 103 'g', 0 '\\000', 0 '\\000', 0 '\\000', 1 '\\001', 1 '\\001', 1 '\\001'}",
        "$4 = \"\\000\\000\\000\\ag\\000\\000\\000\\001\\001\\001\"",
        "$5 = {\"\\000\\000\\000\\ag\", '\\000' <repeats 3 times>, \"\\001\\001\\001\"}",
        "$6 = {{0x0, 0x0, 0x0, 0x7}, {0x67, 0x0, 0x0, 0x0}, {0x1, 0x1, 0x1}}",
        "0x7fffffffe3c0:\t0x00\t0x00\t0x00\t0x07\t0x67\t0x00\t0x00\t0x00\n0x7fffffffe3c8:\t0x01\t0x01\t0x01",
        "0x555555558010 <buf>:\t0x00\t0x00\t0x00\t0x07\t0x67\t0x00\t0x00\t0x00\n0x555555558018 <buf+8>:\t0x01\t0x01\t0x01",
        "{0, 0, 0, 7, 103, 0, 0, 0, 1, 1, 1}",
    ];
    for text in cases {
        let (format, b, w) = bytes(text);
        assert_eq!(format, TextFormat::Gdb, "{text}");
        assert_eq!(b, hex(ACK), "{text}");
        assert!(w.is_empty(), "{text}: {w:?}");
    }
    let (_, b, w) = bytes("$1 = {0x0, 0x1, 0x2...}");
    assert_eq!(b, [0, 1, 2]);
    assert_eq!(w[0].kind, TextWarningKind::Truncated);
    // A gdb session: prompts (with braces of their own) are skipped.
    let (_, b, _) = bytes("(gdb) p/x {char[2]} buf\n$1 = {0x0, 0x1}\n(gdb) quit\n");
    assert_eq!(b, [0, 1]);
    let (_, b, _) = bytes("$1 = {-1, -128, 255}");
    assert_eq!(b, [0xff, 0x80, 0xff]);

    let e = parse("$1 = {0x0, 0x100, 0x2}").unwrap_err();
    assert_eq!((e.line, e.column), (1, 12));
    assert_eq!(
        e.kind,
        TextErrorKind::ByteOutOfRange {
            value: "0x100".into()
        }
    );
    let e = parse("$1 = {0x0, foo = 0x2}").unwrap_err();
    assert_eq!((e.line, e.column), (1, 12), "{e}");
    let e = parse("$1 = {0x0 <repeats 4000000000 times>}").unwrap_err();
    assert!(matches!(e.kind, TextErrorKind::TooLarge { .. }));
}

#[test]
fn xxd_include() {
    let text = "unsigned char ack_bin[] = {\n  0x00, 0x00, 0x00, 0x07, 0x67, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01\n};\nunsigned int ack_bin_len = 11;\n";
    let (format, b, _) = bytes(text);
    assert_eq!(format, TextFormat::XxdInclude);
    assert_eq!(b, hex(ACK));
}

// ---------------------------------------------------------------------------------------------
// VTest, agent debug

#[test]
fn vtest_sendhex() {
    let text = r#"varnishtest "SPOP"
feature ignore_unknown_macro

server s1 {
    rxhex 18
    sendhex "00 00 00 07 67 00 00 00 01 01 01"
} -start

client c1 -connect ${s1_sock} {
    sendhex "0000000e030000000101010103020160"
    sendhex "02 01"
    expect_close
} -run
"#;
    let (format, conns, _) = connections(text);
    assert_eq!(format, TextFormat::VtestSendhex);
    let c = &conns[0];
    assert_eq!(c.peers[0].as_ref().unwrap().name.as_deref(), Some("c1"));
    assert_eq!(c.peers[1].as_ref().unwrap().name.as_deref(), Some("s1"));
    assert_eq!(c.peer_bytes(1), hex(ACK));
    assert_eq!(
        c.peer_bytes(0),
        hex("0000000e 03 00000001 01 01 01 03 02 01 60 02 01")
    );
    assert_eq!(
        c.chunks.iter().map(|c| c.line).collect::<Vec<_>>(),
        vec![6, 10, 11]
    );
    // Numbered in the order a run sends them: the server's ACK once it has its 18 bytes.
    let run = |c: &TextConnection| -> Vec<(usize, Option<u32>)> {
        c.chunks.iter().map(|c| (c.line, c.packet)).collect()
    };
    assert_eq!(run(c), vec![(6, Some(3)), (10, Some(1)), (11, Some(2))]);

    // A side waiting for more than the other ever sends: once nothing else can go.
    let (_, conns, _) = connections(
        "server s1 {\n rxhex 99\n sendhex \"01\"\n}\nclient c1 {\n sendhex \"02\"\n sendhex \"03\"\n}\nsendhex \"04\"\n",
    );
    assert_eq!(
        run(&conns[0]),
        vec![(3, Some(3)), (6, Some(1)), (7, Some(2)), (9, None)]
    );

    // Lines without a block: sender unknown.
    let (_, conns, _) = connections("sendhex \"00000007 67 00000001 0101\"\n");
    assert_eq!(conns[0].chunks[0].peer, None);
    assert_eq!(conns[0].chunks[0].data, hex(ACK));

    let e = parse("sendhex \"00 0 07\"").unwrap_err();
    assert_eq!((e.line, e.column), (1, 13), "{e}");
    let e = parse("sendhex \"00 01").unwrap_err();
    assert!(e.to_string().contains("expected a closing `\"`"), "{e}");
}

#[test]
fn agent_debug_frames() {
    let text = "\
[2026-11-23 15:37:02] agent: recv <0300000001010103020160> from haproxy
[2026-11-23 15:37:02] agent: send <67000000010101> (ack)
noise <repeats 3 times> <abc> <>
[2026-11-23 15:37:02] agent: frame <6600 0000 0100 00> <650000000100000a>
";
    let (format, conns, w) = connections(text);
    assert_eq!(format, TextFormat::AgentDebug);
    assert!(w.is_empty(), "{w:?}");
    let c = &conns[0];
    assert_eq!(c.chunks.len(), 4);
    assert_eq!(
        c.chunks[0].data,
        hex("0000000b 03 00000001 01 01 03 02 01 60")
    );
    assert_eq!(c.chunks[1].data, hex(ACK));
    assert_eq!(c.chunks[1].peer, Some(1));
    assert_eq!(c.chunks[0].peer, Some(0));
    assert_eq!(c.chunks[2].data, hex("00000007 66 00000001 00 00"));
    assert_eq!(c.chunks[3].line, 4);

    let (_, conns, w) = connections("x <0800000001000000>\n");
    assert_eq!(conns[0].chunks[0].peer, None);
    assert_eq!(
        w[0].kind,
        TextWarningKind::UnknownFrameType { frame_type: 8 }
    );

    let e = parse("log <670000000101010>\n").unwrap_err();
    assert_eq!((e.line, e.column), (1, 6));
    assert!(matches!(e.kind, TextErrorKind::OddHexDigits { .. }));
}

// ---------------------------------------------------------------------------------------------
// base64

#[test]
fn base64_variants() {
    // 0x00 0x00 0x00 0x07 0x67 0x00 0x00 0x00 0x01 0x01 0x01 0xfb 0xff
    let raw = hex("00000007 67 00000001 01 01 fb ff");
    for text in [
        "AAAAB2cAAAABAQH7/w==",
        "AAAAB2cAAAABAQH7/w",
        "AAAAB2cAAAABAQH7_w",
        "AAAAB2cAAAABAQH7_w==",
        "AAAAB2cA\nAAABAQH7\n/w==\n",
        "  AAAAB2cAAAABAQH7/w==\r\n",
    ] {
        let (format, b, _) = bytes(text);
        assert_eq!(format, TextFormat::Base64, "{text}");
        assert_eq!(b, raw, "{text}");
    }
    // Two padded blocks pasted one after the other.
    let (_, b, _) = bytes("AAAABw==\nZwAAAAEBAQ==\n");
    assert_eq!(b, hex(ACK));

    let e = parse_as("AAAA+B2c-AAA", TextFormat::Base64).unwrap_err();
    assert_eq!(e.kind, TextErrorKind::MixedBase64Alphabets);
    assert_eq!((e.line, e.column), (1, 9));
    let e = parse_as("AAAA\nAA!A", TextFormat::Base64).unwrap_err();
    assert_eq!((e.line, e.column), (2, 3), "{e}");
    let e = parse_as("AAAAB", TextFormat::Base64).unwrap_err();
    assert_eq!(e.kind, TextErrorKind::InvalidBase64);
    // Prose is not base64.
    assert_eq!(detect("hello world, this is text"), None);
}

// ---------------------------------------------------------------------------------------------
// Detection, errors, robustness

#[test]
fn detection_and_names() {
    for format in TextFormat::ALL {
        assert_eq!(TextFormat::from_name(format.name()), Some(format));
        assert!(!format.label().is_empty());
    }
    assert_eq!(TextFormat::Xxd.to_string(), "xxd hex dump");
    assert_eq!(detect(""), None);
    assert_eq!(detect(XXD), Some(TextFormat::Xxd));
    assert_eq!(detect(HEXDUMP), Some(TextFormat::HexdumpC));
    assert_eq!(detect(TSHARK_HEX), Some(TextFormat::TsharkFollowHex));
    assert_eq!(detect(TCPDUMP_X), Some(TextFormat::Tcpdump));
    // A single od-looking line is plain hex until something confirms the offsets.
    assert_eq!(detect("000000 00 00 00 07"), Some(TextFormat::PlainHex));
    assert_eq!(detect("000000 00 00 00 07\n000004\n"), Some(TextFormat::Od));
}

#[test]
fn parse_errors_are_one_line_messages() {
    let e = parse("").unwrap_err();
    assert_eq!(e.kind, TextErrorKind::Empty);
    assert_eq!(e.to_string(), "the text is empty");
    let e = parse("\n\nhello there\n").unwrap_err();
    assert_eq!(e.kind, TextErrorKind::UnknownFormat);
    assert_eq!(e.line, 3);
    assert!(!e.to_string().contains('\n'));
    let e = parse("$ xxd empty.bin\n").unwrap_err();
    assert_eq!(e.kind, TextErrorKind::UnknownFormat);
    let e = parse_as("# nothing\n", TextFormat::PlainHex).unwrap_err();
    assert_eq!(e.kind, TextErrorKind::NoData);
    assert_eq!(e.to_string(), "plain hex: line 1, column 1: no bytes found");
}

/// Error messages quote the text escaped: a paste may hold terminal controls (C0, C1) or
/// bidi overrides, for whoever calls the parser without the [`looks_like_text`] check.
#[test]
fn errors_quote_the_text_escaped() {
    let cases = [
        // Follow mode.
        "Follow: tcp,\u{1b}]0;pwned\u{7}\nFilter: tcp.stream eq 0\n",
        // The `found` excerpt.
        "00000000: 0000 0007 6g\u{9b}2J 0000  ....g...\n",
        // A byte out of range.
        "$1 = {0x1ff\u{9d}0;t\u{9c}, 0x0}\n",
        "char peer0_0[] = { 0x1ff\u{2066}, 0x00 };\n",
    ];
    for text in cases {
        let e = parse(text).unwrap_err();
        let message = e.to_string();
        assert!(
            !message.chars().any(crate::display::needs_escape),
            "{text:?}: {message:?}"
        );
        assert!(message.contains("\\u{"), "{text:?}: {message}");
    }
    // The fields keep the text as written (data); only the message escapes it.
    let e = parse(cases[0]).unwrap_err();
    assert_eq!(
        e.kind,
        TextErrorKind::UnsupportedFollowMode {
            mode: "\u{1b}]0;pwned\u{7}".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "tshark Follow TCP Stream (hex): line 1, column 13: Follow mode `\\u{1b}]0;pwned\\u{7}` \
         does not keep the bytes; use `hex`, `raw` or `yaml`"
    );
}

#[test]
fn looks_like_text_check() {
    assert!(looks_like_text(b"00 01 02\n"));
    assert!(looks_like_text("\u{feff}caf\u{e9}\r\n".as_bytes()));
    assert!(!looks_like_text(b""));
    assert!(!looks_like_text(b" \n\t"));
    assert!(!looks_like_text(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00"));
    assert!(!looks_like_text(b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00"));
    assert!(!looks_like_text(b"abc\x00def"));
    // A multi-byte character across where the old 64 KiB probe ended is fine.
    let mut big = vec![b'a'; 64 * 1024 - 1];
    big.extend_from_slice("\u{e9}tc".as_bytes());
    assert!(looks_like_text(&big));
    // The whole input decides: a control or a broken character past 64 KiB is not text.
    for tail in [&b"\x1b]0;pwned\x07"[..], b"\x00", b"\xc3("] {
        let mut late = vec![b'0'; 100 * 1024];
        late.extend_from_slice(tail);
        assert!(!looks_like_text(&late), "{tail:?}");
    }
    // C1 controls (U+009B is CSI to some terminals) and DEL are controls too; the bidi
    // characters are not (escaped wherever the text is quoted).
    assert!(!looks_like_text("00 01\n\u{9b}2J".as_bytes()));
    assert!(!looks_like_text("00 01\n\u{85}".as_bytes()));
    assert!(!looks_like_text(b"00 01\x7f"));
    assert!(looks_like_text("00 01 # \u{202e}txt\u{200f}\n".as_bytes()));
}

#[test]
fn warnings_are_capped() {
    let mut text = String::from("00000000: 0001  ..\n");
    for _ in 0..150 {
        text.push_str("garbage\n");
    }
    let capture = parse(&text).unwrap();
    assert_eq!(capture.warnings.len(), MAX_WARNINGS + 1);
    assert_eq!(
        capture.warnings.last().unwrap().kind,
        TextWarningKind::Suppressed { count: 50 }
    );
}

#[test]
fn large_text_is_linear() {
    // 1 MiB of bytes as xxd text (about 4 MiB) parses; quadratic behaviour would not finish.
    let mut text = String::new();
    let line = "0000 0007 6700 0000 0101 0100 0000 0767  ....g..........g";
    for i in 0..65_536u32 {
        text.push_str(&format!("{:08x}: {line}\n", i * 16));
    }
    let (format, b, w) = bytes(&text);
    assert_eq!(format, TextFormat::Xxd);
    assert_eq!(b.len(), 1 << 20);
    assert!(w.is_empty());
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    fn samples() -> Vec<&'static str> {
        vec![
            XXD,
            HEXDUMP,
            TSHARK_HEX,
            TCPDUMP_X,
            "$1 = {0x0 <repeats 3 times>, \"a\\001\"}",
            "AAAAB2cAAAABAQH7/w==",
            "sendhex \"00 01\"",
            "x <67000000010101>",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Arbitrary text never panics in detection or in any parser.
        #[test]
        fn arbitrary_text(text in "\\PC{0,200}") {
            let _ = detect(&text);
            let _ = parse(&text);
            for format in TextFormat::ALL {
                let _ = parse_as(&text, format);
            }
        }

        /// Text made of the formats' own characters (more likely to get deep into a parser).
        #[test]
        fn format_alphabet(text in "[0-9a-fx:{}<>\"'\\\\|*$=., \t\n-]{0,300}") {
            let _ = detect(&text);
            for format in TextFormat::ALL {
                let _ = parse_as(&text, format);
            }
        }

        /// Real samples with a byte range replaced.
        #[test]
        fn mutated_samples(which in 0usize..8, at in 0usize..2000, len in 0usize..8, with in "\\PC{0,6}") {
            let sample = samples()[which];
            let mut at = at.min(sample.len());
            while !sample.is_char_boundary(at) { at -= 1; }
            let mut end = (at + len).min(sample.len());
            while !sample.is_char_boundary(end) { end -= 1; }
            let text = format!("{}{}{}", &sample[..at], with, &sample[end..]);
            let _ = parse(&text);
            for format in TextFormat::ALL {
                let _ = parse_as(&text, format);
            }
        }
    }
}

//! The Markdown report: what a bug report needs, ready to paste into a tracker: the capture,
//! its connections, the findings with their explanations and timeline excerpts, the frames a
//! person annotated (decoded fields and hex) and a share link. The CLI (`--format markdown`)
//! and the web UI ("Copy as Markdown") print this same text.
//!
//! Everything that comes from the capture or from a person (notes, file names, strings sent on
//! the wire) is escaped or fenced so it renders as text and cannot break the document.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write};

use crate::analysis::{Analysis, Finding, Rule, Severity, CATALOGUE};
use crate::display::Fixed;
use crate::fields::{fields, FieldNode};
use crate::wire::Direction;

/// A person's note on a frame, or a mark, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Annotation {
    /// Timeline index of the frame (`Analysis::frames`).
    pub frame: usize,
    /// The note, as typed (may be empty); escaped when written.
    pub note: String,
    /// The frame is marked (flagged as important).
    pub marked: bool,
}

/// What a report is about besides the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MarkdownOptions<'a> {
    /// What the capture is called (a file name, "standard input" …).
    pub name: &'a str,
    /// Frames a person annotated (timeline indexes); ones that do not exist are skipped.
    pub annotations: &'a [Annotation],
    /// A share link to include near the top.
    pub link: Option<&'a str>,
}

/// Most bytes of a frame shown in its hex dump; the rest is counted.
pub const HEX_DUMP_LIMIT: usize = 1024;
/// Most findings listed per rule; the rest is counted.
pub const FINDINGS_PER_RULE: usize = 20;
/// Longest field value shown in a decoded-fields tree, in characters.
const VALUE_LIMIT: usize = 160;

/// The report of an analysis.
pub fn markdown(a: &Analysis, o: &MarkdownOptions<'_>) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_report(&mut out, a, o);
    out
}

/// The rule catalogue: a table of every rule, then each one's explanation.
pub fn rules() -> String {
    let mut out = String::new();
    let _ = write_rules(&mut out);
    out
}

/// The opening of the catalogue page: it is also the repository's `docs/rules.md`.
const RULES_HEADER: &str = "# SPOP validation rules

This catalogue is generated from the rules in the code (`codec/src/analysis/rules/`) by \
`spop-inspect rules --format markdown`; do not edit it by hand. In spop-inspector's repository \
it is `docs/rules.md`: after adding or changing a rule, regenerate it with \
`cargo run -p spop-inspect -- rules --format markdown > docs/rules.md` (the test \
`cli/tests/docs.rs` fails while the committed file differs from this output).

Every finding the inspector reports carries one of these stable codes: a code never changes \
meaning once released, new rules get new codes. Severity **error** is a protocol violation \
(HAProxy rejects it, or it breaks the connection), **warning** is legal but suspicious or a \
known cause of trouble, **info** is worth knowing when reading the timeline. Where HAProxy \
≤3.0 and 3.1+ react differently, the explanation says both; the protocol behind the rules is \
described in `docs/protocol.md`.
";

fn write_rules(out: &mut String) -> fmt::Result {
    writeln!(out, "{RULES_HEADER}")?;
    writeln!(
        out,
        "| code | name | severity | fires when |\n|---|---|---|---|"
    )?;
    for r in CATALOGUE {
        writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            r.code,
            r.name,
            r.severity,
            text(r.title)
        )?;
    }
    writeln!(out, "\n## What each rule means")?;
    for r in CATALOGUE {
        writeln!(out, "\n### `{}` {}\n\n{}", r.code, r.name, r.explanation)?;
    }
    Ok(())
}

fn write_report(out: &mut String, a: &Analysis, o: &MarkdownOptions<'_>) -> fmt::Result {
    let (e, w, i) = a.counts();
    let name = if o.name.is_empty() { "capture" } else { o.name };
    let what = if a.capture.is_probe_session() {
        "probe"
    } else {
        "capture"
    };
    writeln!(out, "## SPOP {what} report: {}\n", inline_code(name))?;
    if let Some(link) = o.link {
        writeln!(
            out,
            "- **Share link:** [open in spop-inspector]({}) ({}; the capture rides in the link's fragment, which browsers never send to a server)",
            link_destination(link),
            size(link.len())
        )?;
    }
    writeln!(
        out,
        "- **Input:** {}, {}",
        a.capture.input,
        a.capture.packets_phrase()
    )?;
    for note in a.capture.notes() {
        writeln!(out, "- **Note:** {}", text(&note))?;
    }
    writeln!(
        out,
        "- **SPOP connections:** {} ({} frames)",
        a.connections.len(),
        a.frames.len()
    )?;
    if let Some(limit) = a.options.slow_ack {
        writeln!(
            out,
            "- **timeout processing:** {} (ACKs later than this after their NOTIFY are `SPOP-X008` findings)",
            crate::time::HaproxyTime::from_nanos(limit)
        )?;
    }
    writeln!(out, "- **Findings:** {}", counts_line(e, w, i))?;
    if let Some(line) = omitted_line(a) {
        writeln!(out, "- {}", text(&line))?;
    }
    writeln!(out)?;
    write_verdict(out, a)?;
    write_connections(out, a)?;
    write_statistics(out, a)?;
    write_findings(out, a)?;
    write_annotations(out, a, o.annotations)
}

fn write_verdict(out: &mut String, a: &Analysis) -> fmt::Result {
    let lines = crate::analysis::verdict(a);
    if lines.is_empty() {
        return Ok(());
    }
    writeln!(out, "### What happened\n")?;
    for l in lines {
        writeln!(out, "- {} {}", icon(l.severity), text(&l.text))?;
    }
    writeln!(out)
}

fn write_statistics(out: &mut String, a: &Analysis) -> fmt::Result {
    let (latency, by_message) = crate::analysis::latency_by_message(a);
    let Some(all) = latency else {
        return Ok(());
    };
    let ms = |ns: u64| crate::display::Fixed::ratio(ns, 6, 3);
    writeln!(out, "### NOTIFY → ACK latency (ms)\n")?;
    writeln!(out, "| message | count | p50 | p90 | p99 | max |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    let rows =
        core::iter::once((String::from("(all)"), all)).chain(by_message.into_iter().take(16));
    for (name, q) in rows {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            text(&name),
            q.count,
            ms(q.p50),
            ms(q.p90),
            ms(q.p99),
            ms(q.max)
        )?;
    }
    writeln!(out)
}

fn write_connections(out: &mut String, a: &Analysis) -> fmt::Result {
    if a.connections.is_empty() {
        return Ok(());
    }
    writeln!(out, "### Connections\n")?;
    writeln!(out, "| # | HAProxy | agent | HAProxy version | max-frame-size | capabilities | frames →/← | NOTIFY answered | ended | errors | warnings |")?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|")?;
    for c in &a.connections {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {}/{} | {}/{} | {} | {} | {} |",
            c.id + 1,
            c.haproxy.map_or("?".into(), |s| s.to_string()),
            c.agent.map_or("?".into(), |s| s.to_string()),
            c.generation.label(),
            c.negotiated_max_frame_size
                .map_or("–".into(), |m| m.to_string()),
            text(
                &c.agreed_capabilities
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            c.frames_to_agent,
            c.frames_to_haproxy,
            c.pairs.iter().filter(|p| p.ack.is_some()).count(),
            c.pairs.len(),
            text(&c.end_reason.to_string()),
            c.errors,
            c.warnings
        )?;
    }
    writeln!(out)
}

fn write_findings(out: &mut String, a: &Analysis) -> fmt::Result {
    if a.findings.is_empty() {
        return writeln!(out, "No findings: every frame follows the protocol.\n");
    }
    writeln!(out, "### Findings\n")?;
    let mut rules: Vec<&'static Rule> = Vec::new();
    for f in &a.findings {
        if !rules.iter().any(|r| r.code == f.rule.code) {
            rules.push(f.rule);
        }
    }
    crate::sort::sort_by_key(&mut rules, |r| (severity_rank(r.severity), r.code));
    for rule in rules {
        let list: Vec<&Finding> = a
            .findings
            .iter()
            .filter(|f| f.rule.code == rule.code)
            .collect();
        let omitted = a.omitted.iter().filter(|o| o.rule.code == rule.code);
        let worst = list
            .iter()
            .map(|f| f.severity)
            .chain(omitted.clone().map(|o| o.severity))
            .max()
            .unwrap_or(rule.severity);
        let total = list.len() + omitted.map(|o| o.count).sum::<usize>();
        writeln!(
            out,
            "#### {} `{}` {} ({}, {}×)\n",
            icon(worst),
            rule.code,
            rule.name,
            worst,
            total
        )?;
        writeln!(out, "> {}\n>\n> {}\n", rule.title, rule.explanation)?;
        for f in list.iter().take(FINDINGS_PER_RULE) {
            let at = match (f.connection, f.frames.first()) {
                (Some(c), Some(fr)) => format!("connection {}, frame #{}: ", c + 1, fr + 1),
                (Some(c), None) => format!("connection {}: ", c + 1),
                _ => String::new(),
            };
            writeln!(out, "- {at}{}", text(&f.message))?;
            if f.severity == Severity::Error {
                if let Some(&fr) = f.frames.first() {
                    writeln!(out)?;
                    code_block(out, &excerpt(a, fr), "  ")?;
                    writeln!(out)?;
                }
            }
        }
        if total > FINDINGS_PER_RULE {
            writeln!(out, "- … and {} more", total - FINDINGS_PER_RULE)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The timeline lines of a connection around frame `index` (2 before, 2 after).
fn excerpt(a: &Analysis, index: usize) -> String {
    let Some(e) = a.frames.get(index) else {
        return String::new();
    };
    let conn: Vec<_> = a.frames_of(e.connection).collect();
    let pos = conn.iter().position(|f| f.index == index).unwrap_or(0);
    let start = a.time_zero();
    let mut s = String::new();
    for f in conn.iter().skip(pos.saturating_sub(2)).take(5) {
        let mark = if f.index == index { ">" } else { " " };
        let summary = a
            .with_frame(f.index, |fr| fr.summary().to_string())
            .unwrap_or_default();
        let kind = f.type_label();
        let _ = writeln!(
            s,
            "{mark} {:>11} {} {kind:<18} {:<9} {summary}",
            Fixed::ratio(f.time.saturating_sub(start), 9, 6),
            arrow(f.direction),
            format!("{}/{}", f.stream_id, f.frame_id)
        );
    }
    s
}

fn write_annotations(out: &mut String, a: &Analysis, notes: &[Annotation]) -> fmt::Result {
    // Timeline order; several annotations of one frame are shown together.
    let mut list: Vec<&Annotation> = notes.iter().filter(|n| n.frame < a.frames.len()).collect();
    crate::sort::sort_by_key(&mut list, |n| n.frame);
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "### Annotated frames\n")?;
    // What each annotated frame needs from the whole capture, gathered in one pass each (a
    // share link may annotate every frame): the frames written inside it, its findings.
    let mut inside: BTreeMap<usize, Vec<usize>> =
        list.iter().map(|n| (n.frame, Vec::new())).collect();
    for x in &a.frames {
        if let Some(v) = x.outer().and_then(|o| inside.get_mut(&o)) {
            v.push(x.index);
        }
    }
    let mut concerning: BTreeMap<usize, Vec<usize>> =
        list.iter().map(|n| (n.frame, Vec::new())).collect();
    for (i, f) in a.findings.iter().enumerate() {
        for frame in &f.frames {
            if let Some(v) = concerning.get_mut(frame) {
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
    }
    let mut rest = list.as_slice();
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|x| x.frame == first.frame).count();
        let (group, tail) = rest.split_at(n.min(rest.len()));
        let of = |m: &BTreeMap<usize, Vec<usize>>| m.get(&first.frame).cloned().unwrap_or_default();
        write_annotated_frame(out, a, group, &of(&inside), &of(&concerning))?;
        rest = tail;
    }
    Ok(())
}

/// One annotated frame: `inside`, the frames written inside it; `concerning`, the indices of
/// its findings.
fn write_annotated_frame(
    out: &mut String,
    a: &Analysis,
    group: &[&Annotation],
    inside: &[usize],
    concerning: &[usize],
) -> fmt::Result {
    let Some(e) = group.first().and_then(|n| a.frames.get(n.frame)) else {
        return Ok(());
    };
    let marked = group.iter().any(|n| n.marked);
    let kind = e.type_label();
    writeln!(
        out,
        "#### Frame #{}: {} {kind}, connection {}{}\n",
        e.index + 1,
        arrow(e.direction),
        e.connection + 1,
        if marked { " ⭐" } else { "" }
    )?;
    for n in group.iter().filter(|n| !n.note.trim().is_empty()) {
        writeln!(out, "{}\n", quote(&n.note))?;
    }
    let addresses =
        a.connections
            .get(e.connection)
            .map_or(String::new(), |c| match (c.haproxy, c.agent) {
                (Some(h), Some(ag)) => format!(" (HAProxy {h}, agent {ag})"),
                _ => String::new(),
            });
    writeln!(out, "- **Marked:** {}", if marked { "yes" } else { "no" })?;
    writeln!(out, "- **Connection:** {}{addresses}", e.connection + 1)?;
    writeln!(out, "- **Direction:** {}", e.direction.label())?;
    let start = a.time_zero();
    writeln!(
        out,
        "- **Time:** {} s from the start of the capture ({})",
        Fixed::ratio(e.time.saturating_sub(start), 9, 6),
        match a.segments_of(e.index) {
            Some(n) => format!("packet {}, {n} TCP segment(s)", e.packet),
            None => String::from(crate::capture::NO_PACKETS),
        }
    )?;
    writeln!(
        out,
        "- **Type:** {}, stream-id {}, frame-id {}, LENGTH {}, at stream offset {:#x}",
        e.frame_type,
        e.stream_id,
        e.frame_id,
        e.length,
        e.offset()
    )?;
    if let Some(resumes) = e.layout.resumes_at() {
        let embedded = inside.len();
        writeln!(
            out,
            "- **Split:** {embedded} complete frame(s) sit inside its bytes, which resume at stream offset {resumes:#x}; the fields below are its own, reassembled, and the bytes are shown as they lie in the stream, theirs marked",
        )?;
    }
    if let Some(outer) = e.outer() {
        writeln!(out, "- **Written inside:** frame #{}", outer + 1)?;
    }
    if let Some(p) = e.paired() {
        writeln!(out, "- **Pair:** frame #{}", p + 1)?;
    }
    let concerning: Vec<&Finding> = concerning
        .iter()
        .filter_map(|&i| a.findings.get(i))
        .collect();
    if concerning.is_empty() {
        writeln!(out, "- **Findings:** none")?;
    } else {
        writeln!(out, "- **Findings:**")?;
        for f in concerning {
            writeln!(
                out,
                "  - {} `{}` {}: {}",
                icon(f.severity),
                f.rule.code,
                f.rule.name,
                text(&f.message)
            )?;
        }
    }
    let Some((bytes, base)) = a.frame_bytes(e.index) else {
        return writeln!(out);
    };
    let mut tree = String::new();
    if a.with_frame(e.index, |f| {
        for node in fields(f) {
            field_lines(&mut tree, &node, 0, base);
        }
    })
    .is_none()
    {
        tree.push_str("(the frame's bytes do not decode)\n");
    }
    writeln!(
        out,
        "\nDecoded fields (byte offsets from the frame's start):\n"
    )?;
    code_block(out, &tree, "")?;
    // Frames written inside this one (SPOP-F010) are the evidence: its bytes are shown as they
    // lie in the stream, theirs included and marked.
    let embedded: Vec<&crate::analysis::FrameEntry> = if e.layout.is_split() {
        inside.iter().filter_map(|&i| a.frames.get(i)).collect()
    } else {
        Vec::new()
    };
    let extent = e.extent();
    match a
        .stream_data(e.connection, e.direction)
        .and_then(|d| d.get(extent.range()))
        .filter(|_| !embedded.is_empty())
    {
        Some(stream_bytes) => {
            let marks: Vec<(usize, usize)> = embedded
                .iter()
                .map(|x| {
                    let s = x.extent();
                    (
                        s.start.saturating_sub(extent.start),
                        s.end.saturating_sub(extent.start),
                    )
                })
                .collect();
            let list: Vec<String> = embedded
                .iter()
                .zip(&marks)
                .map(|(x, (s, t))| {
                    format!(
                        "#{} {} {}/{} at +{s:#x}..+{t:#x}",
                        x.index + 1,
                        x.frame_type,
                        x.stream_id,
                        x.frame_id
                    )
                })
                .collect();
            writeln!(
                out,
                "\nBytes ({} as they lie in the stream, {} of them its own; `*` marks the bytes of the frame(s) written inside it: {}):\n",
                size(stream_bytes.len()),
                bytes.len(),
                list.join(", ")
            )?;
            code_block(
                out,
                &hex_dump_marked(stream_bytes, HEX_DUMP_LIMIT, &marks),
                "",
            )?;
        }
        None => {
            writeln!(out, "\nBytes ({}):\n", size(bytes.len()))?;
            code_block(out, &hex_dump(&bytes, HEX_DUMP_LIMIT), "")?;
        }
    }
    writeln!(out)
}

/// One line per field, children indented under their parent.
fn field_lines(out: &mut String, node: &FieldNode, depth: usize, base: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    let _ = write!(out, "{}: {}", node.label, shorten(&node.value));
    if !node.span.is_empty() {
        let start = node.span.start.saturating_sub(base);
        let end = node.span.end.saturating_sub(base).saturating_sub(1);
        if start == end {
            let _ = write!(out, "  (byte {start:#04x})");
        } else {
            let _ = write!(out, "  (bytes {start:#04x}–{end:#04x})");
        }
    }
    out.push('\n');
    for c in &node.children {
        field_lines(out, c, depth + 1, base);
    }
}

/// `value`, cut at [`VALUE_LIMIT`] characters.
fn shorten(value: &str) -> String {
    match value.char_indices().nth(VALUE_LIMIT) {
        Some((cut, _)) => format!(
            "{}… ({} characters)",
            value.get(..cut).unwrap_or(value),
            value.chars().count()
        ),
        None => value.to_string(),
    }
}

/// A hex dump: offset, 16 bytes in hex, the same as ASCII; at most `limit` bytes, then how
/// many more there are.
pub fn hex_dump(bytes: &[u8], limit: usize) -> String {
    hex_dump_marked(bytes, limit, &[])
}

/// [`hex_dump`] with the bytes of `marks` (`start..end` offsets into `bytes`) marked: a `*`
/// instead of the space before each one.
pub fn hex_dump_marked(bytes: &[u8], limit: usize, marks: &[(usize, usize)]) -> String {
    let shown = bytes.get(..limit.min(bytes.len())).unwrap_or(bytes);
    let marked = |o: usize| marks.iter().any(|&(s, e)| (s..e).contains(&o));
    let mut s = String::with_capacity(shown.len() / 16 * 78 + 40);
    for (line, chunk) in shown.chunks(16).enumerate() {
        let _ = write!(s, "{:04x} ", line * 16);
        for i in 0..16 {
            if i == 8 {
                s.push(' ');
            }
            match chunk.get(i) {
                Some(b) => {
                    let mark = if marked(line * 16 + i) { '*' } else { ' ' };
                    let _ = write!(s, "{mark}{b:02x}");
                }
                None => s.push_str("   "),
            }
        }
        s.push_str("  |");
        for &b in chunk {
            s.push(if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            });
        }
        s.push_str("|\n");
    }
    if bytes.len() > shown.len() {
        let _ = writeln!(s, "… {} more bytes", bytes.len() - shown.len());
    }
    s
}

/// A fenced code block whose fence is longer than any run of backticks in `content`, so the
/// content cannot close it; every line prefixed with `indent`.
fn code_block(out: &mut String, content: &str, indent: &str) -> fmt::Result {
    let fence = "`".repeat(longest_backtick_run(content).max(2) + 1);
    writeln!(out, "{indent}{fence}text")?;
    for line in content.lines() {
        writeln!(out, "{indent}{line}")?;
    }
    writeln!(out, "{indent}{fence}")
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for ch in s.chars() {
        if ch == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// An inline code span that holds `s` whatever backticks it contains (one line).
fn inline_code(s: &str) -> String {
    let s = one_line(s);
    let ticks = "`".repeat(longest_backtick_run(&s) + 1);
    // A span starting or ending with a backtick needs a space between it and the delimiter.
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

fn one_line(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            o.push(' ');
        } else if crate::analysis::needs_escape(c) {
            o.extend(c.escape_unicode());
        } else {
            o.push(c);
        }
    }
    o
}

/// Text for a paragraph, list item or table cell: everything Markdown (CommonMark, GitHub)
/// would read as markup is backslash-escaped, and line breaks become spaces.
///
/// GitHub also turns bare addresses into links (GFM's autolink extension): `http://`,
/// `https://` and `ftp://` URLs, `www.` domains and e-mail addresses (with `mailto:` or
/// `xmpp:` before them too). A capture's text must not become a link in a bug report:
/// * `:` before `//` is written `\:`. The URL is only recognised when the inline parser
///   reaches that `:`; an escaped `:` is consumed by the escape first. It renders as `://`.
/// * the `.` after `www` is written `\.`, for the same reason (the check runs at the `w`, on
///   the raw text, and needs `www.` there). It renders as `www.`.
/// * `@` is followed by U+2060 WORD JOINER (invisible, zero width). E-mail addresses are
///   found later, in the text once escapes and entities are resolved, so `\@` or `&#64;`
///   do not stop them (checked against cmark-gfm, GitHub's renderer); the domain part must
///   start right after the `@` with a letter, digit, `-` or `_`, and the joiner is none of
///   these. GitHub's @mentions need a letter or digit after the `@` too.
fn text(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(ch) = rest.chars().next() {
        let before = s.get(..s.len() - rest.len()).unwrap_or("");
        rest = rest.get(ch.len_utf8()..).unwrap_or("");
        match ch {
            ':' if rest.starts_with("//") => o.push_str("\\:"),
            '.' if before
                .get(before.len().saturating_sub(3)..)
                .is_some_and(|w| w.eq_ignore_ascii_case("www")) =>
            {
                o.push_str("\\.");
            }
            '@' => o.push_str("\\@\u{2060}"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '#' | '$' | '!' => {
                o.push('\\');
                o.push(ch);
            }
            c if c.is_control() => o.push(' '),
            // Bidi overrides from a hostile link's notes would reorder the report around them.
            c if crate::analysis::needs_escape(c) => o.extend(c.escape_unicode()),
            c => o.push(c),
        }
    }
    o
}

/// A person's note as a block quote: each line escaped as [`text`], with what would start a
/// block (list markers, numbered items, setext underlines, indentation) neutralised too.
fn quote(note: &str) -> String {
    let mut o = String::with_capacity(note.len() + 16);
    let normalized = note.replace("\r\n", "\n").replace('\r', "\n");
    for (i, line) in normalized.trim().lines().enumerate() {
        if i > 0 {
            o.push('\n');
        }
        o.push('>');
        let line = line.trim_start();
        if line.is_empty() {
            continue;
        }
        o.push(' ');
        let mut escaped = text(line);
        let digits = escaped.bytes().take_while(u8::is_ascii_digit).count();
        if escaped.starts_with(['-', '+', '=']) {
            escaped.insert(0, '\\');
        } else if digits > 0
            && escaped
                .get(digits..)
                .is_some_and(|r| r.starts_with(['.', ')']))
        {
            escaped.insert(digits, '\\');
        }
        o.push_str(&escaped);
    }
    o
}

/// A URL as a link destination: characters that would end or break it are percent-encoded.
fn link_destination(url: &str) -> String {
    let mut o = String::with_capacity(url.len());
    for ch in url.chars() {
        match ch {
            ' ' | '(' | ')' | '<' | '>' | '\\' | '"' => {
                let _ = write!(o, "%{:02X}", u32::from(ch));
            }
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// A size for people: bytes below 1 KiB, else KiB with one decimal.
pub fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else {
        format!("{} KiB", Fixed::of(bytes as f64 / 1024.0, 1))
    }
}

fn arrow(d: Direction) -> &'static str {
    match d {
        Direction::HaproxyToAgent => "→",
        Direction::AgentToHaproxy => "←",
    }
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "🛑",
        Severity::Warning => "⚠️",
        Severity::Info => "ℹ️",
    }
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

/// What the reports say about the findings an analysis counted without keeping them
/// ([`Analysis::omitted`]): `… and 4194304 more findings of these kinds, counted but not
/// listed (at most 10000 are kept per rule): SPOP-F004 1048575, …`. `None` when every
/// finding is listed.
pub fn omitted_line(a: &Analysis) -> Option<String> {
    let total = a.omitted_count();
    if total == 0 {
        return None;
    }
    // By rule (the severities of a rule together), in code order.
    let mut by_rule: Vec<(&str, usize)> = Vec::new();
    for o in &a.omitted {
        match by_rule.iter_mut().find(|(code, _)| *code == o.rule.code) {
            Some((_, n)) => *n += o.count,
            None => by_rule.push((o.rule.code, o.count)),
        }
    }
    let kinds: Vec<String> = by_rule
        .iter()
        .map(|(code, n)| format!("{code} {n}"))
        .collect();
    Some(format!(
        "… and {total} more findings of these kinds, counted but not listed (at most {} are kept per rule): {}",
        crate::analysis::MAX_FINDINGS_PER_RULE,
        kinds.join(", ")
    ))
}

/// `3 errors, 1 warning, 2 info`: the findings count line of the reports.
pub fn counts_line(errors: usize, warnings: usize, infos: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {} info",
        plural(errors, "error"),
        plural(warnings, "warning"),
        infos
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyze, AnalysisOptions};
    use crate::capture::{load, LoadOptions};
    use crate::synth::{conversation_shaped, Generation, Rng, Shape};

    /// A clean conversation's frames in wire order, then an AGENT-DISCONNECT followed by an
    /// ACK (SPOP-T001: a frame after the agent's DISCONNECT).
    fn analysis() -> Analysis {
        let c = conversation_shaped(&mut Rng::new(7), Generation::Modern, 1, 2, Shape::Compact);
        let mut bytes = Vec::new();
        for (from_haproxy, r) in &c.order {
            let s = if *from_haproxy { &c.haproxy } else { &c.agent };
            bytes.extend_from_slice(&s[r.clone()]);
        }
        let capture = load(&bytes, &LoadOptions::default()).unwrap();
        analyze(capture, &AnalysisOptions::default())
    }

    fn findings_analysis() -> Analysis {
        let hex = "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564000000156700000001F3BC780101030207616C6C6F77656411";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        analyze(
            load(&bytes, &LoadOptions::default()).unwrap(),
            &AnalysisOptions::default(),
        )
    }

    #[test]
    fn annotated_frames_have_note_facts_fields_and_hex() {
        let a = analysis();
        let notes = [
            Annotation {
                frame: 3,
                note: "the ACK\nlooks fine".into(),
                marked: true,
            },
            Annotation {
                frame: 999,
                note: "gone".into(),
                marked: true,
            },
            Annotation {
                frame: 0,
                note: String::new(),
                marked: true,
            },
        ];
        let md = markdown(
            &a,
            &MarkdownOptions {
                name: "t.pcap",
                annotations: &notes,
                link: Some("https://x.example/#spop=AAAA"),
            },
        );
        assert!(md.starts_with("## SPOP capture report: `t.pcap`\n"));
        assert!(md.contains(
            "- **Share link:** [open in spop-inspector](https://x.example/#spop=AAAA) (28 bytes; the capture rides"
        ));
        assert!(md.contains("### Annotated frames"));
        // Timeline order, whatever order the annotations came in; the missing frame skipped.
        let first = md
            .find("#### Frame #1: → HAPROXY-HELLO, connection 1 ⭐")
            .unwrap();
        let fourth = md.find("#### Frame #4: ← ACK, connection 1 ⭐").unwrap();
        assert!(first < fourth, "{md}");
        assert!(!md.contains("gone") && !md.contains("#1000"));
        assert!(md.contains("> the ACK\n> looks fine\n"));
        assert!(md.contains("- **Direction:** agent → HAProxy"));
        assert!(md.contains("- **Type:** ACK, stream-id 1, frame-id 1,"));
        assert!(md.contains("- **Pair:** frame #3"));
        assert!(md.contains("FRAME-ID: 1  (byte 0x"), "{md}");
        assert!(md.contains("  set-var: txn.n = 1"), "{md}");
        // The HELLO's hex: LENGTH, TYPE 1, FLAGS FIN.
        assert!(md.contains("0000  00 00 00 "), "{md}");
        assert!(md.contains(" 01 00 00 00  01 "), "{md}");
        assert!(md.contains("  |...{........supp|\n"), "{md}");
    }

    /// The slow-ACK threshold is named as HAProxy's setting, written as HAProxy writes it.
    #[test]
    fn the_timeout_processing_in_use_is_stated() {
        let plain = markdown(
            &analysis(),
            &MarkdownOptions {
                name: "t",
                annotations: &[],
                link: None,
            },
        );
        assert!(!plain.contains("timeout processing"), "{plain}");
        let mut a = analysis();
        a.options.slow_ack = Some(1_500_000_000);
        let md = markdown(
            &a,
            &MarkdownOptions {
                name: "t",
                annotations: &[],
                link: None,
            },
        );
        assert!(
            md.contains("- **timeout processing:** 1500ms (ACKs later than this after their NOTIFY are `SPOP-X008` findings)\n- **Findings:** "),
            "{md}"
        );
    }

    #[test]
    fn findings_concerning_an_annotated_frame_are_listed() {
        let a = findings_analysis();
        assert!(a.findings.iter().any(|f| f.code() == "SPOP-T001"));
        let md = markdown(
            &a,
            &MarkdownOptions {
                name: "x",
                annotations: &[Annotation {
                    frame: 1,
                    note: "late ACK".into(),
                    marked: false,
                }],
                link: None,
            },
        );
        assert!(!md.contains("Share link"));
        let section = &md[md.find("### Annotated frames").unwrap()..];
        assert!(section.contains("- **Marked:** no"));
        assert!(
            section.contains("  - 🛑 `SPOP-T001` after-agent-disconnect: "),
            "{section}"
        );
        // The findings section keeps its excerpt around errors.
        assert!(md.contains("### Findings"));
        assert!(md.contains("  ```text\n  >"), "{md}");
    }

    #[test]
    fn hostile_notes_stay_inside_their_quote() {
        let a = analysis();
        let note = "```\n# Title\n<script>alert(1)</script>\n    indented code\n1. item\n- item\n===\n| a | b |\n[x](javascript:alert(1)) @team $x$ ~~s~~ *b* _i_ \\ &amp;\r\n> quoted";
        let md = markdown(
            &a,
            &MarkdownOptions {
                name: "n",
                annotations: &[Annotation {
                    frame: 2,
                    note: note.into(),
                    marked: false,
                }],
                link: None,
            },
        );
        let start = md.find("#### Frame #3").unwrap();
        let quote: Vec<&str> = md[start..]
            .lines()
            .skip(2)
            .take_while(|l| !l.is_empty())
            .collect();
        assert_eq!(
            quote,
            [
                r"> \`\`\`",
                r"> \# Title",
                r"> \<script\>alert(1)\</script\>",
                r"> indented code",
                r"> 1\. item",
                r"> \- item",
                r"> \===",
                r"> \| a \| b \|",
                "> \\[x\\](javascript:alert(1)) \\@\u{2060}team \\$x\\$ \\~\\~s\\~\\~ \\*b\\* \\_i\\_ \\\\ \\&amp;",
                r"> \> quoted",
            ]
        );
        // The frame's facts follow, untouched.
        assert!(md[start..].contains("\n- **Marked:** no\n"));
    }

    /// Bare URLs, `www.` domains and e-mail addresses in capture text are not left for
    /// GitHub's autolink extension (the escapes render as the original characters).
    #[test]
    fn bare_addresses_do_not_autolink() {
        for (given, written) in [
            (
                "see https://evil.example/x now",
                "see https\\://evil.example/x now",
            ),
            (
                "HTTP://a.example ftp://b.example",
                "HTTP\\://a.example ftp\\://b.example",
            ),
            ("go to www.evil.example.", "go to www\\.evil.example."),
            ("(WWW.evil.example)", "(WWW\\.evil.example)"),
            ("mail root@evil.example", "mail root\\@\u{2060}evil.example"),
            ("mailto:a@b.example", "mailto:a\\@\u{2060}b.example"),
            // Nothing to neutralise: unchanged apart from the Markdown escapes.
            ("a: b // c www x.www", "a: b // c www x.www"),
            ("wwww.x", "wwww\\.x"),
        ] {
            assert_eq!(text(given), written, "{given:?}");
        }
        // Whatever surrounds them, no scheme, `www.` or `@` is left as GitHub links it.
        let hostile = "x https://a.example/_y_ (http://b.example) <ftp://c.example> \
                       *www.d.example* user.name+tag@e.example xmpp:f@g.example";
        let out = text(hostile);
        let bare = |s: &str| {
            let s = s.to_ascii_lowercase();
            s.replace("\\://", "").contains("://") || s.replace("www\\.", "").contains("www.")
        };
        assert!(!bare(&out), "{out}");
        assert_eq!(
            out.matches('@').count(),
            out.matches("@\u{2060}").count(),
            "{out}"
        );
        // In a report: a finding's message and a note.
        let a = analysis();
        let md = markdown(
            &a,
            &MarkdownOptions {
                name: "https://name.example",
                annotations: &[Annotation {
                    frame: 1,
                    note: hostile.into(),
                    marked: false,
                }],
                link: None,
            },
        );
        let quote = md.lines().find(|l| l.starts_with("> x ")).unwrap();
        assert!(!bare(quote), "{quote}");
        // The capture's name sits in a code span, where nothing is linked: kept as is.
        assert!(md.contains("`https://name.example`"));
    }

    #[test]
    fn code_never_closes_its_block() {
        let mut out = String::new();
        code_block(&mut out, "a ``` b\n````", "").unwrap();
        assert_eq!(out, "`````text\na ``` b\n````\n`````\n");
        assert_eq!(inline_code("a`b"), "``a`b``");
        assert_eq!(inline_code("`x\ny"), "`` `x y ``");
        assert_eq!(
            link_destination("https://h/a (1)/<x>#spop=A"),
            "https://h/a%20%281%29/%3Cx%3E#spop=A"
        );
    }

    #[test]
    fn hex_dump_layout_and_cap() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
        let d = hex_dump(&bytes, HEX_DUMP_LIMIT);
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(lines.len(), 65);
        assert_eq!(
            lines[4],
            "0040  40 41 42 43 44 45 46 47  48 49 4a 4b 4c 4d 4e 4f  |@ABCDEFGHIJKLMNO|"
        );
        assert_eq!(lines[64], "… 976 more bytes");
        let short = hex_dump(b"ab\x00", 1024);
        assert_eq!(
            short,
            format!("0000  61 62 00{}  |ab.|\n", " ".repeat(13 * 3 + 1))
        );
        assert_eq!(hex_dump(&[], 1024), "");
    }

    #[test]
    fn long_values_are_shortened_and_sizes_read_well() {
        let v = "x".repeat(500);
        let s = shorten(&v);
        assert!(s.ends_with("… (500 characters)") && s.len() < 200);
        assert_eq!(shorten("short"), "short");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(40 * 1024 + 512), "40.5 KiB");
    }

    #[test]
    fn rules_catalogue_lists_every_rule() {
        let r = rules();
        for rule in CATALOGUE {
            assert!(r.contains(&format!("\n### `{}` {}\n", rule.code, rule.name)));
        }
    }

    #[test]
    fn any_annotation_index_is_safe() {
        let a = findings_analysis();
        let notes: Vec<Annotation> = [usize::MAX, a.frames.len(), 0, 1, 0]
            .into_iter()
            .map(|frame| Annotation {
                frame,
                note: "n".into(),
                marked: frame == 1,
            })
            .collect();
        let md = markdown(
            &a,
            &MarkdownOptions {
                annotations: &notes,
                ..MarkdownOptions::default()
            },
        );
        assert!(md.starts_with("## SPOP capture report: `capture`"));
        // Two notes on frame 0 share one heading.
        assert_eq!(md.matches("#### Frame #1:").count(), 1);
        assert_eq!(md.matches("#### Frame #").count(), 2);
    }
}

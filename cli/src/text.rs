//! The text output: a summary, then per connection its handshake, how it ended, and a
//! timeline with each finding under the frame it concerns.

use std::io::{self, Write};

use spop_codec::analysis::{Analysis, ConnectionSummary, Finding, FrameEntry, Severity, CATALOGUE};
use spop_codec::capture::Timestamp;
use spop_codec::display::Fixed;
use spop_codec::wire::Direction;

use spop_codec::report::markdown::{counts_line, omitted_line};

/// What to show.
pub struct View {
    /// ANSI colours.
    pub color: bool,
    /// Only this connection (0-based).
    pub connection: Option<usize>,
    /// Frames per connection before only frames with findings are shown (0: all).
    pub limit: usize,
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "36",
        };
        self.wrap(code, s.name())
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}

/// One frame's line, into `line`: time since `start`, direction, type, ids, summary.
fn frame_line(line: &mut String, p: &Paint, a: &Analysis, e: &FrameEntry, start: Timestamp) {
    use std::fmt::Write as _;
    line.clear();
    let arrow = match e.direction {
        Direction::HaproxyToAgent => "→",
        Direction::AgentToHaproxy => "←",
    };
    let t = Fixed::ratio(e.time.saturating_sub(start), 9, 6);
    let _ = write!(line, "  {} {arrow} ", p.dim(&format!("{t:>11}")));
    // Frames written into another frame's bytes are marked (see SPOP-F010). The type column
    // is 18 characters wide ("↳" is one character, three bytes).
    let kind = line.len();
    let _ = write!(line, "{}", e.type_label());
    pad(line, kind, 18);
    line.push(' ');
    let ids = line.len();
    let _ = write!(line, "{}/{}", e.stream_id, e.frame_id);
    pad(line, ids, 11);
    line.push(' ');
    a.with_frame(e.index, |f| write!(line, "{}", f.summary()));
    line.push('\n');
}

/// Pads what `line` holds from byte `from` with spaces to `width` characters, as `{:<width}`.
fn pad(line: &mut String, from: usize, width: usize) {
    let chars = line.get(from..).map_or(0, |s| s.chars().count());
    line.extend(std::iter::repeat_n(' ', width.saturating_sub(chars)));
}

fn finding_line(p: &Paint, f: &Finding) -> String {
    format!(
        "{} {} {}: {}",
        p.severity(f.severity),
        p.bold(f.rule.code),
        f.rule.name,
        f.message
    )
}

fn mfs(c: &ConnectionSummary) -> String {
    let announced = c.haproxy_hello.as_ref().and_then(|h| h.max_frame_size);
    match (c.negotiated_max_frame_size, announced) {
        (Some(n), Some(a)) => format!("max-frame-size {n} (HAProxy announced {a})"),
        (Some(n), None) => format!("max-frame-size {n}"),
        (None, Some(a)) => format!("HAProxy announced max-frame-size {a}, nothing negotiated"),
        (None, None) => "no HELLO captured".into(),
    }
}

fn header(out: &mut dyn Write, p: &Paint, a: &Analysis, c: &ConnectionSummary) -> io::Result<()> {
    let who = match (c.haproxy, c.agent) {
        (Some(h), Some(g)) => format!("HAProxy {h} → agent {g}"),
        _ => "addresses not in the input".into(),
    };
    writeln!(
        out,
        "\n{}  {who}  {}",
        p.bold(&format!("connection {}", c.id + 1)),
        p.dim(&format!("HAProxy {}", c.generation.label()))
    )?;
    let mut hs = vec![mfs(c)];
    if let Some(h) = &c.haproxy_hello {
        let offered = h.capabilities.as_deref().unwrap_or("");
        hs.push(format!(
            "capabilities {} (offered \"{offered}\")",
            if c.agreed_capabilities.is_empty() {
                "none agreed".to_string()
            } else {
                c.agreed_capabilities
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(",")
            }
        ));
        if h.healthcheck {
            hs.push("health check".into());
        }
    }
    if let Some(v) = c.agent_hello.as_ref().and_then(|h| h.version.as_deref()) {
        hs.push(format!("agent version {v}"));
    }
    writeln!(out, "  handshake  {}", hs.join(" · "))?;
    writeln!(out, "  ended      {}", c.end_reason)?;
    let answered = c.pairs.iter().filter(|x| x.ack.is_some()).count();
    let latency = c.latency().map_or(String::new(), |(m, x)| {
        format!(
            ", latency median {} ms, max {} ms",
            Fixed::ratio(m, 6, 3),
            Fixed::ratio(x, 6, 3)
        )
    });
    writeln!(
        out,
        "  exchange   {} NOTIFY, {answered} answered, at most {} outstanding{latency}; {} frame(s) → / {} ←",
        c.pairs.len(),
        c.max_outstanding,
        c.frames_to_agent,
        c.frames_to_haproxy
    )?;
    if !c.generation_evidence.is_empty() {
        writeln!(
            out,
            "  {}",
            p.dim(&format!("generation: {}", c.generation_evidence.join("; ")))
        )?;
    }
    for f in a
        .findings
        .iter()
        .filter(|f| f.connection == Some(c.id) && f.frames.is_empty())
    {
        writeln!(out, "  {}", finding_line(p, f))?;
    }
    Ok(())
}

/// The whole text report.
pub fn report(out: &mut dyn Write, a: &Analysis, view: &View) -> io::Result<()> {
    let p = Paint(view.color);
    let (e, w, i) = a.counts();
    let attempts = match a.capture.attempts.len() {
        0 => String::new(),
        n => format!(", {n} connection attempt(s) without SPOP"),
    };
    writeln!(
        out,
        "{}: {}; {}, {} SPOP connection(s){attempts}, {} other TCP connection(s), {} frame(s)",
        p.bold("input"),
        a.capture.input,
        a.capture.packets_phrase(),
        a.connections.len(),
        a.capture.other_connections,
        a.frames.len()
    )?;
    for note in a.capture.notes() {
        writeln!(out, "{}: {note}", p.bold("note"))?;
    }
    let verdict = spop_codec::analysis::verdict(a);
    if !verdict.is_empty() {
        writeln!(out, "{}:", p.bold("what happened"))?;
        for line in verdict {
            writeln!(out, "  {} {}", p.severity(line.severity), line.text)?;
        }
    }
    statistics(out, &p, a)?;
    writeln!(out, "{}: {}", p.bold("findings"), counts_line(e, w, i))?;
    if let Some(line) = omitted_line(a) {
        writeln!(out, "  {}", p.dim(&line))?;
    }
    for f in a.findings.iter().filter(|f| f.connection.is_none()) {
        writeln!(out, "  {}", finding_line(&p, f))?;
    }
    let start = a.time_zero();
    for c in &a.connections {
        if view.connection.is_some_and(|n| n != c.id) {
            continue;
        }
        header(out, &p, a, c)?;
        let frames: Vec<_> = a.frames_of(c.id).collect();
        // Frame lines are the bulk of the output (hundreds of thousands): each is built in
        // this one buffer, not from a string per column.
        let mut line = String::new();
        // Past the limit, frames with nothing worse than info are folded into one line that
        // says what it hides.
        let mut skipped = (0usize, 0usize);
        let hidden = |(frames, infos): (usize, usize), more: &str| match infos {
            0 => format!("{frames} {more}frame(s) without findings"),
            n => format!(
                "{frames} {more}frame(s) without errors or warnings, {n} info finding(s) among them"
            ),
        };
        for (n, e) in frames.iter().enumerate() {
            let findings = a.findings_at(e.index);
            if view.limit != 0
                && n >= view.limit
                && findings.iter().all(|f| f.severity == Severity::Info)
            {
                skipped = (skipped.0 + 1, skipped.1 + findings.len());
                continue;
            }
            if skipped.0 > 0 {
                writeln!(
                    out,
                    "     {}",
                    p.dim(&format!("… {} not shown", hidden(skipped, "")))
                )?;
                skipped = (0, 0);
            }
            frame_line(&mut line, &p, a, e, start);
            out.write_all(line.as_bytes())?;
            for f in findings {
                writeln!(out, "                 {}", finding_line(&p, f))?;
            }
        }
        if skipped.0 > 0 {
            let only = match view.connection {
                Some(_) => String::new(),
                None => format!(", --connection {} this one only", c.id + 1),
            };
            writeln!(
                out,
                "     {}",
                p.dim(&format!(
                    "… {} (--limit 0 shows all{only})",
                    hidden(skipped, "more ")
                ))
            )?;
        }
    }
    Ok(())
}

/// The latency table: overall and per message name (the busiest eight), in milliseconds.
fn statistics(out: &mut dyn Write, p: &Paint, a: &Analysis) -> io::Result<()> {
    let (latency, by_message) = spop_codec::analysis::latency_by_message(a);
    let Some(all) = latency else {
        return Ok(());
    };
    let ms = |ns: u64| Fixed::ratio(ns, 6, 3);
    writeln!(out, "{}:", p.bold("latency (NOTIFY → ACK, ms)"))?;
    writeln!(
        out,
        "  {:<28} {:>7} {:>10} {:>10} {:>10} {:>10}",
        "message", "count", "p50", "p90", "p99", "max"
    )?;
    let rows = std::iter::once(("(all)".to_string(), all)).chain(by_message.into_iter().take(8));
    for (name, q) in rows {
        let name: String = if name.chars().count() > 28 {
            name.chars().take(27).chain(['…']).collect()
        } else {
            name
        };
        writeln!(
            out,
            "  {name:<28} {:>7} {:>10} {:>10} {:>10} {:>10}",
            q.count,
            ms(q.p50),
            ms(q.p90),
            ms(q.p99),
            ms(q.max)
        )?;
    }
    Ok(())
}

/// The rule catalogue as a table.
pub fn rules(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{:<10} {:<8} {:<30} title", "code", "severity", "name")?;
    for r in CATALOGUE {
        writeln!(
            out,
            "{:<10} {:<8} {:<30} {}",
            r.code,
            r.severity.name(),
            r.name,
            r.title
        )?;
    }
    Ok(())
}

//! The Markdown report: ready to paste into a bug tracker.

use std::io::{self, Write};

use spop_codec::analysis::{Analysis, Finding, Severity, CATALOGUE};
use spop_codec::report::seconds;
use spop_codec::wire::Direction;

use crate::{counts_line, severity_rank};

/// Markdown cells: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Text inside a Markdown code block must not close it.
fn code(s: &str) -> String {
    s.replace("```", "`\u{200b}``")
}

/// The timeline lines of a connection around frame `index` (2 before, 2 after).
fn excerpt(a: &Analysis, index: usize) -> String {
    let Some(e) = a.frames.get(index) else {
        return String::new();
    };
    let conn: Vec<_> = a
        .frames
        .iter()
        .filter(|f| f.connection == e.connection)
        .collect();
    let pos = conn.iter().position(|f| f.index == index).unwrap_or(0);
    let start = a.frames.first().map_or(0, |f| f.time);
    let mut s = String::new();
    for f in conn.iter().skip(pos.saturating_sub(2)).take(5) {
        let arrow = match f.direction {
            Direction::HaproxyToAgent => "→",
            Direction::AgentToHaproxy => "←",
        };
        let mark = if f.index == index { ">" } else { " " };
        let summary = a
            .with_frame(f.index, |fr| fr.summary().to_string())
            .unwrap_or_default();
        let kind = if f.embedded_in.is_some() {
            format!("↳ {}", f.frame_type)
        } else {
            f.frame_type.to_string()
        };
        s.push_str(&format!(
            "{mark} {:>11.6} {arrow} {kind:<18} {:<9} {summary}\n",
            seconds(f.time.saturating_sub(start)),
            format!("{}/{}", f.stream_id, f.frame_id)
        ));
    }
    code(&s)
}

/// The report.
pub fn report(out: &mut dyn Write, a: &Analysis, name: &str) -> io::Result<()> {
    let (e, w, i) = a.counts();
    writeln!(out, "## SPOP capture report: `{}`\n", cell(name))?;
    writeln!(
        out,
        "- **Input:** {}, {} packet(s)",
        a.capture.input, a.capture.packets
    )?;
    writeln!(
        out,
        "- **SPOP connections:** {} ({} frames)",
        a.connections.len(),
        a.frames.len()
    )?;
    writeln!(out, "- **Findings:** {}\n", counts_line(e, w, i))?;

    if !a.connections.is_empty() {
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
                cell(&c.agreed_capabilities.join(",")),
                c.frames_to_agent,
                c.frames_to_haproxy,
                c.pairs.iter().filter(|p| p.ack.is_some()).count(),
                c.pairs.len(),
                cell(&c.end_reason.to_string()),
                c.errors,
                c.warnings
            )?;
        }
        writeln!(out)?;
    }

    if a.findings.is_empty() {
        writeln!(out, "No findings: every frame follows the protocol.")?;
        return Ok(());
    }
    writeln!(out, "### Findings\n")?;
    let mut rules: Vec<&'static spop_codec::analysis::Rule> = Vec::new();
    for f in &a.findings {
        if !rules.iter().any(|r| r.code == f.rule.code) {
            rules.push(f.rule);
        }
    }
    rules.sort_by_key(|r| (severity_rank(r.severity), r.code));
    for rule in rules {
        let list: Vec<&Finding> = a
            .findings
            .iter()
            .filter(|f| f.rule.code == rule.code)
            .collect();
        let worst = list
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(rule.severity);
        writeln!(
            out,
            "#### {} `{}` {} ({}, {}×)\n",
            icon(worst),
            rule.code,
            rule.name,
            worst,
            list.len()
        )?;
        writeln!(out, "> {}\n>\n> {}\n", rule.title, rule.explanation)?;
        for f in list.iter().take(20) {
            let at = match (f.connection, f.frames.first()) {
                (Some(c), Some(fr)) => format!("connection {}, frame #{}: ", c + 1, fr + 1),
                (Some(c), None) => format!("connection {}: ", c + 1),
                _ => String::new(),
            };
            writeln!(out, "- {at}{}", cell(&f.message))?;
            if f.severity == Severity::Error {
                if let Some(&fr) = f.frames.first() {
                    writeln!(
                        out,
                        "\n  ```text\n{}  ```\n",
                        excerpt(a, fr)
                            .lines()
                            .map(|l| format!("  {l}\n"))
                            .collect::<String>()
                    )?;
                }
            }
        }
        if list.len() > 20 {
            writeln!(out, "- … and {} more", list.len() - 20)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "🛑",
        Severity::Warning => "⚠️",
        Severity::Info => "ℹ️",
    }
}

/// The rule catalogue with explanations.
pub fn rules(out: &mut dyn Write) -> io::Result<()> {
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
            cell(r.title)
        )?;
    }
    for r in CATALOGUE {
        writeln!(out, "\n### `{}` {}\n\n{}", r.code, r.name, r.explanation)?;
    }
    Ok(())
}

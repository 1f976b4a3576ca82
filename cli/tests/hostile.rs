//! A capture is untrusted: its strings (HTML, script, `javascript:` links, Markdown, terminal
//! escapes, bidi overrides, invalid UTF-8; see `spop_tests::hostile`) come out of every CLI
//! format as inert text.

use std::path::PathBuf;
use std::process::Command;

use pulldown_cmark::{Event, Options, Parser, Tag};
use spop_tests::hostile;

/// The capture in a file of its own per format (the tests run in parallel).
fn capture_file(format: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-hostile-{format}.pcap", std::process::id()));
    std::fs::write(&path, hostile::capture()).unwrap();
    path
}

fn run(format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
        .args(["--format", format, "--fail-on", "never"])
        .arg(capture_file(format))
        .output()
        .expect("spawn spop-inspect");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Control and bidi-formatting characters a terminal or a page would act on.
fn active(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn text_output_has_no_terminal_escapes_or_overrides() {
    let text = run("text");
    assert!(
        text.contains("SPOP-X001"),
        "the capture has findings:\n{text}"
    );
    let bad: Vec<char> = text.chars().filter(|&c| active(c)).collect();
    assert!(bad.is_empty(), "raw control characters {bad:?} in:\n{text}");
    // Shown escaped instead.
    assert!(
        text.contains(r"\x1b[31m") || text.contains(r"\u{1b}[31m"),
        "{text}"
    );
    assert!(
        text.contains(r"\xe2\x80\xae") || text.contains(r"\u{202e}"),
        "{text}"
    );
}

#[test]
fn markdown_report_renders_hostile_strings_as_text() {
    let md = run("markdown");
    let mut text = String::new();
    // Every extension but smart punctuation (which would turn quotes curly).
    for event in Parser::new_ext(&md, Options::all() - Options::ENABLE_SMART_PUNCTUATION) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => panic!("HTML in the report: {h}"),
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                panic!("a link in the report: {dest_url}")
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            _ => {}
        }
    }
    assert!(
        !md.chars().any(active),
        "raw control characters in the Markdown"
    );
    // What the frames said is still there, to be read.
    // (The HELLO findings quote the agent's version and capabilities.)
    for s in [hostile::MARKDOWN, hostile::SVG] {
        assert!(text.contains(s), "{s:?} not shown as text");
    }
}

#[test]
fn json_keeps_the_strings_as_data() {
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("valid JSON");
    let dump = json.to_string();
    // Escaped by JSON itself, so a consumer gets the exact text back.
    for s in [hostile::HTML, hostile::SCRIPT, hostile::JS_LINK] {
        let quoted = serde_json::to_string(s).unwrap();
        assert!(dump.contains(quoted.trim_matches('"')), "{s:?}");
    }
}

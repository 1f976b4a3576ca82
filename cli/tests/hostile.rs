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
    // GitHub links bare URLs (GFM autolinks; pulldown-cmark does not, so look at the text):
    // the capture's `http://example.invalid/x.png` is written `http\://…`.
    let mut fenced = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        // Outside code blocks and code spans (GitHub links nothing there).
        let prose: String = line.split('`').step_by(2).collect();
        assert!(
            fenced || !prose.replace("\\://", "").contains("://"),
            "a bare URL in the Markdown: {line}"
        );
    }
    // What the frames said is still there, to be read, as the engine writes bytes off the
    // wire (`display::text`: a quote inside is `\"`, so it reads back to one string only).
    // (The HELLO findings quote the agent's version and capabilities.)
    for s in [hostile::MARKDOWN, hostile::SVG] {
        let shown = spop_codec::display::text(s.as_bytes());
        assert!(text.contains(&shown), "{shown:?} not shown as text");
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

#[test]
fn json_output_has_no_terminal_controls_or_overrides() {
    // serde_json escapes C0 itself; C1 controls and bidi characters would reach the terminal
    // of whoever reads the JSON (`cat`, a CI log) as they are.
    let json = run("json");
    let bad: Vec<char> = json.chars().filter(|&c| active(c)).collect();
    assert!(bad.is_empty(), "raw characters {bad:?} in the JSON");
    assert!(
        json.contains(r"\u202egnp.exe \u001b[31mred"),
        "the override is there, escaped"
    );
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
}

/// Runs the CLI on `bytes` (in a file of its own); (exit status, stderr).
fn run_on(name: &str, bytes: &[u8]) -> (i32, String) {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-hostile-{name}.txt", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
        .arg(&path)
        .output()
        .expect("spawn spop-inspect");
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stderr).expect("UTF-8 on standard error"),
    )
}

/// Pasted text that cannot be read: the error quotes the paste, and nothing of it reaches the
/// terminal unescaped (a paste could retitle or clear the terminal and print a fake result).
#[test]
fn pasted_text_errors_are_escaped_on_standard_error() {
    // An xxd dump whose bad line (past the first 64 KiB) carries an OSC title, a clear screen
    // and a fake verdict.
    let mut late = String::new();
    for i in 0..5000u32 {
        late.push_str(&format!(
            "{:08x}: 0000 0007 6700 0000 0101 0100 0000 0767  ....g..........g\n",
            i * 16
        ));
    }
    late.push_str("00013880: 00\x1b]0;pwned\x07\x1b[2J\x1b[Hall checks passed\n");
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("late-escape", late.into_bytes(), "not text"),
        // C1 controls (CSI, OSC, ST), which the old check let through as text.
        (
            "follow-c1",
            "Follow: tcp,\u{9b}2J\u{9d}0;pwned\u{9c}\nFilter: tcp.stream eq 0\n".into(),
            "not text",
        ),
        // A bidi override is text: quoted, escaped.
        (
            "follow-bidi",
            "Follow: tcp,\u{202e}xeh\nFilter: tcp.stream eq 0\n".into(),
            r"Follow mode `\u{202e}xeh`",
        ),
        (
            "xxd-bidi",
            "00000000: 0000 0007 6g\u{2066}00 0000  ....g...\n".into(),
            r"found `g\u{2066}00`",
        ),
    ];
    for (name, bytes, says) in cases {
        let (code, stderr) = run_on(name, &bytes);
        assert_eq!(code, 2, "{name}: {stderr}");
        let bad: Vec<char> = stderr.chars().filter(|&c| active(c)).collect();
        assert!(bad.is_empty(), "{name}: raw {bad:?} in {stderr:?}");
        assert!(
            stderr.contains(says),
            "{name}: {stderr:?} should say {says:?}"
        );
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr:?}");
    }
}

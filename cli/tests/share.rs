//! Sharing from the command line: `--link` (a URL whose fragment carries the capture),
//! `--bundle` (the `.spop` file), the Markdown report with the link in it, the hint for links
//! too long to travel, and the Markdown itself rendering as intended.

use std::path::PathBuf;
use std::process::{Command, Output};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use spop_codec::analysis::{analyze, Analysis, AnalysisOptions};
use spop_codec::capture::bundle::{fragment_bundle, Bundle};
use spop_codec::capture::{load, LinkType, LoadOptions};
use spop_codec::report::markdown::{markdown, Annotation, MarkdownOptions};
use spop_codec::synth::{conversation_shaped, Generation, Rng, Shape};
use spop_codec::wire::{FrameRepr, MessageRepr, Value};
use spop_tests::pcapgen::{PcapWriter, TcpConversation};

const BASE: &str = "https://inspector.example/spop/";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
        .args(args)
        .output()
        .expect("spawn spop-inspect")
}

fn fixture(name: &str) -> String {
    format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()))
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn analysis_of(bytes: &[u8]) -> Analysis {
    analyze(
        load(bytes, &LoadOptions::default()).unwrap(),
        &AnalysisOptions::default(),
    )
}

/// What must survive sharing: every frame and every finding.
fn same_frames_and_findings(a: &Analysis, b: &Analysis) {
    assert_eq!(a.frames, b.frames);
    let findings = |x: &Analysis| {
        x.findings
            .iter()
            .map(|f| (f.code(), f.frames.clone(), f.message.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(findings(a), findings(b));
}

/// The bundle a printed link carries.
fn bundle_of_link(link: &str) -> Bundle {
    let hash = link.find('#').expect("a fragment");
    Bundle::from_text(fragment_bundle(&link[hash..]).expect("a share fragment")).unwrap()
}

#[test]
fn link_opens_the_same_frames_and_findings() {
    for (name, status) in [
        ("haproxy26-interleaved-disconnect.pcap", 1),
        ("haproxy26-pyagent.pcap", 0),
        ("haproxy34-clean.pcapng", 0),
    ] {
        let out = run(&["--link", BASE, &fixture(name)]);
        // Exit status as for any run: findings against --fail-on.
        assert_eq!(out.status.code(), Some(status), "{name}: {}", stderr(&out));
        let s = stdout(&out);
        assert_eq!(s.lines().count(), 1, "one line: {s}");
        let link = s.trim_end();
        assert!(link.starts_with(&format!("{BASE}#spop=")), "{link}");
        assert!(stderr(&out).is_empty(), "no hint for a short link");
        let original = analysis_of(&std::fs::read(fixture(name)).unwrap());
        let shared = analyze(
            bundle_of_link(link).to_capture(),
            &AnalysisOptions::default(),
        );
        same_frames_and_findings(&original, &shared);
    }
    // A base with a fragment of its own: the bundle replaces it.
    let s = stdout(&run(&[
        "--link",
        "https://h.example/#old",
        &fixture("haproxy34-clean.pcap"),
    ]));
    assert!(s.starts_with("https://h.example/#spop="), "{s}");
}

#[test]
fn link_to_one_connection() {
    let f = fixture("haproxy26-clean.pcap");
    let original = analysis_of(&std::fs::read(&f).unwrap());
    assert_eq!(original.connections.len(), 2);
    let all = stdout(&run(&["--link", BASE, &f]));
    let one = stdout(&run(&["--link", BASE, "--connection", "2", &f]));
    assert!(one.len() < all.len());
    let bundle = bundle_of_link(one.trim_end());
    assert_eq!(bundle.connections.len(), 1);
    assert_eq!(bundle.connections[0].id, 0);
    assert_eq!(
        bundle.connections[0].streams,
        original.capture.connections[1].streams
    );
    let shared = analyze(bundle.to_capture(), &AnalysisOptions::default());
    assert_eq!(shared.frames.len(), original.frames_of(1).count());
    let out = run(&["--link", BASE, "--connection", "3", &f]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
}

#[test]
fn bundle_file_reads_back_with_the_same_report() {
    let f = fixture("haproxy26-interleaved-disconnect.pcap");
    let path = temp("interleaved.spop");
    let out = run(&["--bundle", path.to_str().unwrap(), &f]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings: exit 1 as for any run"
    );
    assert!(stdout(&out).is_empty(), "the file instead of the report");
    let note = stderr(&out);
    assert!(
        note.contains("wrote ") && note.contains("3 SPOP connection(s)"),
        "{note}"
    );
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"SPOPB"));
    assert_eq!(
        Bundle::from_bytes(&bytes).unwrap(),
        Bundle::from_capture(&load(&std::fs::read(&f).unwrap(), &LoadOptions::default()).unwrap())
    );
    // The CLI reads the bundle back: the same report, but for where it came from.
    let json = |input: &str| -> serde_json::Value {
        let mut v: serde_json::Value =
            serde_json::from_slice(&run(&["--format", "json", input]).stdout).unwrap();
        v.as_object_mut().unwrap().remove("input");
        v
    };
    assert_eq!(json(path.to_str().unwrap()), json(&f));
    let text = |input: &str| {
        stdout(&run(&[input, "--color", "never"]))
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(text(path.to_str().unwrap()), text(&f));

    // One connection.
    let one = temp("one.spop");
    run(&["--bundle", one.to_str().unwrap(), "--connection", "2", &f]);
    let b = Bundle::from_bytes(&std::fs::read(&one).unwrap()).unwrap();
    assert_eq!(b.connections.len(), 1);
    // An unwritable path is an error, not a panic.
    let out = run(&["--bundle", "/nonexistent/dir/x.spop", &f]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/dir/x.spop"));
    for p in [path, one] {
        std::fs::remove_file(p).unwrap();
    }
}

#[test]
fn markdown_report_with_the_link_in_it() {
    let f = fixture("haproxy26-interleaved-disconnect.pcap");
    let out = run(&["--format", "markdown", "--link", BASE, &f]);
    assert_eq!(out.status.code(), Some(1));
    let md = stdout(&out);
    assert!(md.starts_with("## SPOP capture report: `"));
    let start = md.find("[open in spop-inspector](").unwrap() + 25;
    let end = start + md[start..].find(')').unwrap();
    let link = &md[start..end];
    let plain = stdout(&run(&["--link", BASE, &f]));
    assert_eq!(link, plain.trim_end(), "the same link as --link prints");
    assert!(md.contains("### Findings") && md.contains("### Connections"));

    // With --connection the report covers what the link carries: that connection alone.
    let md = stdout(&run(&[
        "--format",
        "markdown",
        "--link",
        BASE,
        "--connection",
        "2",
        &f,
    ]));
    assert!(md.starts_with("## SPOP capture report: `"), "{md}");
    assert!(md.contains(", connection 2`"));
    assert!(md.contains("- **SPOP connections:** 1 (8 frames)"), "{md}");
    assert!(
        md.contains("| 1 | 127.0.0.1:51350 | 127.0.0.1:12345 |"),
        "{md}"
    );
    let start = md.find("[open in spop-inspector](").unwrap() + 25;
    let end = start + md[start..].find(')').unwrap();
    assert_eq!(bundle_of_link(&md[start..end]).connections.len(), 1);
}

/// Three connections; the second carries NOTIFYs of random bytes, which do not compress.
fn large_capture() -> Vec<u8> {
    let mut rng = Rng::new(11);
    let mut pcap = PcapWriter::new(LinkType::ETHERNET).nanos();
    let mut t = 1_700_000_000_000_000_000u64;
    let mut tick = || {
        t += 50_000;
        t
    };
    for (i, port) in [40_001u16, 40_002, 40_003].into_iter().enumerate() {
        let mut tcp = TcpConversation::new(format!("127.0.0.1:{port}").as_str(), "127.0.0.1:12345");
        for p in tcp.handshake() {
            pcap.packet(tick(), &p.ethernet());
        }
        if i == 1 {
            let hello = FrameRepr::haproxy_hello(16380, "pipelining", None, false);
            pcap.packet(tick(), &tcp.client(hello.to_bytes().unwrap()).ethernet());
            let hello = FrameRepr::agent_hello("2.0", 16380, "pipelining");
            pcap.packet(tick(), &tcp.server(hello.to_bytes().unwrap()).ethernet());
            for n in 0..40u64 {
                let noise: Vec<u8> = (0..150)
                    .flat_map(|_| rng.next_u64().to_le_bytes())
                    .collect();
                let notify = FrameRepr::notify(
                    2 * n + 1,
                    1,
                    vec![MessageRepr::new("blob", [("b", Value::Binary(&noise))])],
                );
                pcap.packet(tick(), &tcp.client(notify.to_bytes().unwrap()).ethernet());
                let ack = FrameRepr::ack(2 * n + 1, 1, vec![]);
                pcap.packet(tick(), &tcp.server(ack.to_bytes().unwrap()).ethernet());
            }
        } else {
            let c = conversation_shaped(&mut rng, Generation::Modern, 1, 2, Shape::Compact);
            for (from_haproxy, r) in &c.order {
                let p = if *from_haproxy {
                    tcp.client(&c.haproxy[r.clone()])
                } else {
                    tcp.server(&c.agent[r.clone()])
                };
                pcap.packet(tick(), &p.ethernet());
            }
        }
    }
    pcap.finish()
}

#[test]
fn long_links_come_with_a_hint() {
    let path = temp("large.pcap");
    std::fs::write(&path, large_capture()).unwrap();
    let p = path.to_str().unwrap();
    let out = run(&["--link", BASE, p]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let link = stdout(&out);
    assert!(link.trim_end().len() > 32 << 10, "{}", link.len());
    assert_eq!(bundle_of_link(link.trim_end()).connections.len(), 3);
    let hint = stderr(&out);
    for expected in [
        "KiB: chat tools and some browsers cut links longer than about 32.0 KiB",
        "the largest is --connection 2,",
        "--bundle FILE",
    ] {
        assert!(hint.contains(expected), "missing {expected:?} in {hint}");
    }
    assert_eq!(hint.lines().count(), 1);
    // The same with the Markdown report.
    let out = run(&["--format", "markdown", "--link", BASE, p]);
    assert!(stderr(&out).contains("the largest is --connection 2,"));
    // Already one connection: only the file is left to suggest.
    let out = run(&["--link", BASE, "--connection", "2", p]);
    let hint = stderr(&out);
    assert!(
        hint.contains("--bundle FILE") && !hint.contains("largest"),
        "{hint}"
    );
    // A small connection's link is short: no hint.
    let out = run(&["--link", BASE, "--connection", "1", p]);
    assert!(stderr(&out).is_empty());
    assert!(stdout(&out).len() < 4096);
    std::fs::remove_file(path).unwrap();
}

const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_MATH)
    .union(Options::ENABLE_GFM);

#[test]
fn the_markdown_renders_as_intended() {
    let f = fixture("haproxy26-interleaved-disconnect.pcap");
    let md = stdout(&run(&["--format", "markdown", "--link", BASE, &f]));
    let mut headings = Vec::new();
    let mut in_heading = false;
    let (mut tables, mut code_blocks, mut links) = (0, 0, Vec::new());
    for event in Parser::new_ext(&md, OPTIONS) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                headings.push(String::new());
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Text(t) | Event::Code(t) if in_heading => {
                headings.last_mut().unwrap().push_str(&t)
            }
            Event::Start(Tag::Table(columns)) => {
                // The connections (11 columns) and the latency statistics (6).
                assert!(
                    [11, 6].contains(&columns.len()),
                    "{} columns",
                    columns.len()
                );
                tables += 1;
            }
            Event::Start(Tag::CodeBlock(_)) => code_blocks += 1,
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::Html(h) | Event::InlineHtml(h) => panic!("HTML in the report: {h}"),
            _ => {}
        }
    }
    assert_eq!(headings[0], format!("SPOP capture report: {f}"));
    assert!(headings.contains(&"Connections".to_string()));
    assert!(headings.contains(&"What happened".to_string()));
    assert!(headings.contains(&"NOTIFY → ACK latency (ms)".to_string()));
    assert!(headings.contains(&"🛑 SPOP-F010 interleaved-frames (error, 2×)".to_string()));
    assert_eq!(tables, 2);
    assert_eq!(code_blocks, 4, "an excerpt per error finding");
    assert_eq!(links.len(), 1);
    assert!(links[0].starts_with(&format!("{BASE}#spop=")));
}

#[test]
fn notes_render_as_the_text_typed() {
    let a = analysis_of(&std::fs::read(fixture("haproxy34-clean.pcap")).unwrap());
    let note = "```\n# heading?\n<b>html</b> &amp; <!-- comment -->\n    four spaces\n1. one\n2) two\n- dash\n+ plus\n* star\n===\n---\n> quote\n| a | b |\n|---|---|\n[x](javascript:alert(1)) ![i](http://e/x.png) <http://e> $x^2$ ~~s~~ **b** _i_ \\ @team #12 :smile:";
    let notes = [Annotation {
        frame: 2,
        note: note.into(),
        marked: true,
    }];
    let md = markdown(
        &a,
        &MarkdownOptions {
            name: "a`b` <c>",
            annotations: &notes,
            link: Some("https://h.example/a (b)/#spop=x"),
        },
    );
    // The quote's text, as rendered.
    let mut depth = 0;
    let mut quotes = 0;
    let mut rendered = String::new();
    let mut headings = Vec::new();
    for event in Parser::new_ext(&md, OPTIONS) {
        match event {
            Event::Start(Tag::BlockQuote(_)) => {
                depth += 1;
                quotes += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => depth -= 1,
            Event::Start(Tag::Heading { .. }) => headings.push(String::new()),
            Event::Code(t) if headings.len() == 1 => headings[0].push_str(&t),
            Event::Text(t) if depth > 0 && quotes > 0 => rendered.push_str(&t),
            Event::SoftBreak | Event::HardBreak if depth > 0 => rendered.push('\n'),
            Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {}
            Event::Text(_) | Event::SoftBreak | Event::Start(Tag::Link { .. }) => {}
            Event::End(TagEnd::Link) => {}
            e if depth > 0 => panic!("markup inside the note: {e:?}\n{md}"),
            Event::Html(h) | Event::InlineHtml(h) => panic!("HTML in the report: {h}"),
            _ => {}
        }
    }
    assert_eq!(headings[0], "a`b` <c>", "the name, whole, in a code span");
    // Only the note is quoted (this capture has no findings): its text comes back as typed,
    // but for leading indentation and the invisible WORD JOINER after `@` (it keeps GitHub
    // from reading `@team` as a mention or an address as a link).
    let typed: Vec<&str> = note.lines().map(str::trim_start).collect();
    assert_eq!(rendered.replace('\u{2060}', ""), typed.join("\n"));
    assert!(md.contains("[open in spop-inspector](https://h.example/a%20%28b%29/#spop=x)"));
}

/// A bundle made with `--timeout-processing` is judged with it when read back (unless the
/// reader gives another), as the link opens in the page.
#[test]
fn a_bundle_keeps_its_timeout_processing() {
    let f = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/incidents/spoe-forge-slow.pcap");
    let f = f.to_str().unwrap();
    let path = temp("timeout.spop");
    let path = path.to_str().unwrap();
    run(&["--timeout-processing", "500ms", "--bundle", path, f]);
    let x008 = |args: &[&str]| {
        let v: serde_json::Value =
            serde_json::from_slice(&run(&[&["--format", "json"], args].concat()).stdout).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "SPOP-X008")
            .count()
    };
    assert_eq!(x008(&[f]), 0, "no timeout given: no slow ACK");
    assert_eq!(x008(&[path]), 6, "the bundle's 500ms");
    assert_eq!(
        x008(&["--timeout-processing", "5s", path]),
        0,
        "the reader's"
    );
}

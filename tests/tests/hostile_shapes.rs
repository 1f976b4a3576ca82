//! "Hostile input, round two": small inputs that expand into the most work or memory the caps
//! allow, through the whole pipeline (the shapes are in `spop_tests::shapes`; their cost is
//! held to the input's size by codec's unit tests for the stream cutter's work and by
//! tests/tests/bounded.rs for memory).

use spop_codec::analysis::{analyze, Analysis, AnalysisOptions, Severity, MAX_FINDINGS_PER_RULE};
use spop_codec::capture::spop::StreamItem;
use spop_codec::capture::{load, LoadOptions};
use spop_codec::report::{markdown, Report};
use spop_codec::wire::Direction;
use spop_tests::shapes::{broken_frames_dump, resync_paste, unpaired_ids_link};

fn analysis(input: &[u8], threads: usize) -> Analysis {
    let capture = load(input, &LoadOptions::default()).expect("loads");
    analyze(
        capture,
        &AnalysisOptions {
            threads,
            ..AnalysisOptions::default()
        },
    )
}

/// Point 1: an xxd line of fake frame starts (one with an undecodable STREAM-ID, one claiming
/// a MiB of valid tiny messages) and `*`. Every search after the undecodable header validated
/// the other one's MiB afresh: a 276-byte paste kept the CLI busy for over ten minutes. Cut
/// now with one budget for the stream, every byte is still accounted for.
#[test]
fn resync_paste_is_cut_whole() {
    let paste = resync_paste(3 << 20);
    assert!(paste.len() < 300, "{} bytes", paste.len());
    let a = analysis(paste.as_bytes(), 0);
    let conn = &a.capture.connections[0];
    let data = &conn.stream(Direction::HaproxyToAgent).data;
    assert_eq!(data.len(), (3 << 20) / 63 * 63);
    let mut at = 0;
    for item in conn.items(Direction::HaproxyToAgent) {
        assert_eq!(item.offset(), at, "{item}");
        at = match item {
            StreamItem::Frame(r) => r.span.end,
            StreamItem::Skipped { span, .. } | StreamItem::Truncated { span, .. } => span.end,
            other => panic!("{other}"),
        };
    }
    assert_eq!(at, data.len());
}

/// Point 2: a 169-byte hexdump (a valid NOTIFY, then a 16-byte NOTIFY broken four ways
/// repeated with `*`): four findings per 16 bytes of input, about 450 bytes each. At most
/// MAX_FINDINGS_PER_RULE are kept per rule; the rest are counted, and every count says so.
#[test]
fn broken_frames_keep_at_most_the_cap_per_rule() {
    let dump = broken_frames_dump(1 << 20);
    assert_eq!(dump.len(), 169);
    let frames = (1 << 20) / 16;
    let a = analysis(dump.as_bytes(), 0);
    assert_eq!(a.frames.len(), frames);
    let broken = frames - 1;
    // F004, F005, F008 on every broken frame; X004 on every NOTIFY; X006 (over 20
    // outstanding) and C005 (mid-connection) once.
    let expected = [
        ("SPOP-F004", broken),
        ("SPOP-F005", broken),
        ("SPOP-F008", broken),
        ("SPOP-X004", frames),
        ("SPOP-X006", 1),
        ("SPOP-C005", 1),
    ];
    for (code, n) in expected {
        assert_eq!(a.rule_count(code), n, "{code}");
        let kept = a.findings.iter().filter(|f| f.code() == code).count();
        assert_eq!(kept, n.min(MAX_FINDINGS_PER_RULE), "{code}");
    }
    assert_eq!(
        a.omitted_count(),
        3 * (broken - MAX_FINDINGS_PER_RULE) + frames - MAX_FINDINGS_PER_RULE
    );
    // The counts are every finding's.
    assert_eq!(a.counts(), (2 * broken, broken + 1, frames + 1));
    let c = &a.connections[0];
    assert_eq!((c.errors, c.warnings), (2 * broken, broken + 1));
    // The kept ones are the first ones, under the first frames.
    let f004: Vec<usize> = a
        .findings
        .iter()
        .filter(|f| f.code() == "SPOP-F004")
        .map(|f| f.frames[0])
        .collect();
    assert_eq!(f004, (1..=MAX_FINDINGS_PER_RULE).collect::<Vec<_>>());

    // Every surface says how many more there are: JSON, Markdown (the CLI's text prints the
    // same line).
    let r = Report::new(&a);
    assert_eq!(r.findings.len(), 4 * MAX_FINDINGS_PER_RULE + 2);
    let omitted: Vec<(&str, &str, usize)> = r
        .findings_omitted
        .iter()
        .map(|o| (o.code, o.severity, o.count))
        .collect();
    assert_eq!(
        omitted,
        [
            ("SPOP-F004", "error", broken - MAX_FINDINGS_PER_RULE),
            ("SPOP-F005", "warning", broken - MAX_FINDINGS_PER_RULE),
            ("SPOP-F008", "error", broken - MAX_FINDINGS_PER_RULE),
            ("SPOP-X004", "info", frames - MAX_FINDINGS_PER_RULE),
        ]
    );
    let line = markdown::omitted_line(&a).expect("a line about the omitted findings");
    assert!(
        line.starts_with(&format!(
            "… and {} more findings of these kinds",
            a.omitted_count()
        )),
        "{line}"
    );
    let md = markdown::markdown(&a, &Default::default());
    assert!(md.contains(&line), "the report's summary");
    assert!(md.contains(&format!("missing-fin (error, {broken}×)")));
    assert!(md.contains(&format!("- … and {} more", broken - 20)));

    // Threads keep the same findings.
    for threads in [1, 3, 7] {
        let b = analysis(dump.as_bytes(), threads);
        assert_eq!(b.findings, a.findings, "{threads} threads");
        assert_eq!(b.omitted, a.omitted, "{threads} threads");
        assert_eq!(b.connections, a.connections, "{threads} threads");
    }
}

/// Point 2 again, as a share link of unpaired NOTIFYs and ACKs with distinct ids: the rules'
/// index of unpaired frames took about 170 bytes per frame, and the NOTIFY waiting on each
/// unmatched ACK's stream-id was found by a scan of that stream-id's NOTIFYs (quadratic).
/// Small here; the table in the report measures the 64 MiB link.
#[test]
fn unpaired_ids_link_is_analysed() {
    let link = unpaired_ids_link(2 << 20);
    let a = analysis(link.as_bytes(), 0);
    let per_side = (1 << 20) / 13;
    assert_eq!(a.frames.len(), 2 * per_side);
    assert_eq!(a.rule_count("SPOP-X004"), per_side);
    assert_eq!(a.rule_count("SPOP-X001"), per_side);
    // Each ACK's stream-id has NOTIFYs waiting, with frame-ids below and above its own.
    let x001 = a.findings.iter().find(|f| f.code() == "SPOP-X001");
    assert!(x001.is_some_and(|f| f.severity == Severity::Error));
}

//! The Markdown report of real captures, as the CLI and the web UI print it: summary,
//! connections, findings, the frames a person annotated (facts, decoded fields, hex) and the
//! share link; user text cannot break it, and annotations of frames that do not exist are
//! skipped.

use spop_codec::analysis::{analyze, Analysis, AnalysisOptions};
use spop_codec::capture::bundle::Bundle;
use spop_codec::capture::{load, LoadOptions, NO_PACKETS};
use spop_codec::report::markdown::{markdown, Annotation, MarkdownOptions};
use spop_codec::report::Report;
use spop_codec::share;
use spop_codec::wire::FrameType;

fn analysis(name: &str) -> Analysis {
    let bytes = std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    analyze(
        load(&bytes, &LoadOptions::default()).unwrap(),
        &AnalysisOptions::default(),
    )
}

const HOSTILE: &str = "```\n# not a heading\n<img src=x onerror=alert(1)>\n    not code\n- not a list\n[link](javascript:alert(1)) | cell |";

#[test]
fn interleaved_capture_report_with_annotations_and_link() {
    let a = analysis("haproxy26-interleaved-disconnect.pcap");
    let disconnect = a.frames.iter().find(|f| f.layout.is_split()).unwrap().index;
    let embedded_ack = a
        .frames
        .iter()
        .find(|f| f.outer() == Some(disconnect) && f.frame_type == FrameType::Ack)
        .unwrap()
        .index;
    let notes = [
        Annotation {
            frame: disconnect,
            note: "the agent's DISCONNECT, split by its own ACKs".into(),
            marked: true,
        },
        Annotation {
            frame: a.frames.len() + 5,
            note: "points nowhere".into(),
            marked: true,
        },
        Annotation {
            frame: embedded_ack,
            note: HOSTILE.into(),
            marked: false,
        },
    ];
    let link = share::link(
        "https://inspector.example/spop/",
        &Bundle::from_capture(&a.capture),
    );
    let md = markdown(
        &a,
        &MarkdownOptions {
            name: "haproxy26-interleaved-disconnect.pcap",
            annotations: &notes,
            link: Some(&link),
        },
    );

    // Everything the CLI report had, plus the link near the top.
    let sections: Vec<usize> = [
        "## SPOP capture report: `haproxy26-interleaved-disconnect.pcap`",
        "- **Share link:** [open in spop-inspector](https://inspector.example/spop/#spop=",
        "- **Input:** pcap file, 49 packet(s)",
        "### Connections",
        "### Findings",
        "### Annotated frames",
    ]
    .iter()
    .map(|s| {
        md.find(s)
            .unwrap_or_else(|| panic!("missing {s:?} in\n{md}"))
    })
    .collect();
    assert!(sections.windows(2).all(|w| w[0] < w[1]), "{sections:?}");
    assert!(md.contains(&format!("]({link}) (")));
    assert!(md.contains("| 1 | 127.0.0.1:51342 | 127.0.0.1:12345 | <=3.0 | 16380 |"));
    assert!(md.contains("#### 🛑 `SPOP-F010` interleaved-frames (error, 2×)"));
    assert!(md.contains("> The bytes of one frame contain other complete frames"));

    // The annotated frames, in timeline order (the embedded ACK comes first), the one that
    // does not exist skipped.
    let ack_at = md
        .find(&format!(
            "#### Frame #{}: ← ↳ ACK, connection 1\n",
            embedded_ack + 1
        ))
        .unwrap_or_else(|| panic!("{md}"));
    let disc_at = md
        .find(&format!(
            "#### Frame #{}: ← AGENT-DISCONNECT, connection 1 ⭐\n",
            disconnect + 1
        ))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(ack_at < disc_at);
    assert!(!md.contains("points nowhere"));
    assert_eq!(md.matches("#### Frame #").count(), 2);

    let disc = &md[disc_at..];
    for expected in [
        "> the agent's DISCONNECT, split by its own ACKs\n",
        "- **Marked:** yes\n",
        "- **Connection:** 1 (HAProxy 127.0.0.1:51342, agent 127.0.0.1:12345)\n",
        "- **Direction:** agent → HAProxy\n",
        "- **Time:** 0.028470 s from the start of the capture (packet ",
        "- **Type:** AGENT-DISCONNECT, stream-id 0, frame-id 0, LENGTH 57, at stream offset 0x56\n",
        "- **Split:** 2 complete frame(s) sit inside its bytes, which resume at stream offset 0x83; the fields below are its own, reassembled, and the bytes are shown as they lie in the stream, theirs marked\n",
        "  - 🛑 `SPOP-F010` interleaved-frames: AGENT-DISCONNECT (57 bytes, offset 0x56) contains 2 complete ACK frames",
        "Decoded fields (byte offsets from the frame's start):\n\n```text\nLENGTH: 57  (bytes 0x00–0x03)\nTYPE: AGENT-DISCONNECT (102)  (byte 0x04)\n",
        "  status-code: 0  (bytes 0x",
        "    key: \"status-code\"",
        "as they lie in the stream, 61 of them its own; `*` marks the bytes of the frame(s) written inside it: ",
        "\n\n```text\n0000  00 00 00 39 66 00 00 00  01*00*00*00*0e*67*00*00  |...9f........g..|\n",
        "0020 *00*00*00*01*04*01*01*03 *02*01*6e*02*02 00 00 0b  |..........n.....|\n",
    ] {
        assert!(disc.contains(expected), "missing {expected:?} in\n{disc}");
    }
    // The bytes as they lie in the stream: the DISCONNECT's own 61 and, marked, those of the
    // two ACKs written inside it (the evidence of SPOP-F010).
    let outer = &a.frames[disconnect];
    let acks: Vec<_> = a
        .frames
        .iter()
        .filter(|f| f.outer() == Some(disconnect))
        .collect();
    assert_eq!(acks.len(), 2);
    let inside: usize = acks.iter().map(|f| f.extent().len()).sum();
    assert_eq!(outer.extent().len(), 61 + inside);
    for f in &acks {
        let at = f.extent().start - outer.extent().start;
        assert!(
            disc.contains(&format!(
                "#{} ACK {}/{} at +{at:#x}",
                f.index + 1,
                f.stream_id,
                f.frame_id
            )),
            "{disc}"
        );
    }
    let hex = &disc[disc.find("`*` marks").unwrap()..];
    let lines: Vec<&str> = hex.lines().skip(3).take_while(|l| *l != "```").collect();
    assert_eq!(lines.len(), (61 + inside).div_ceil(16), "{hex}");
    assert!(lines
        .iter()
        .all(|l| l.len() >= 6 && l[..4].bytes().all(|b| b.is_ascii_hexdigit())));
    let stars: usize = lines
        .iter()
        .map(|l| l.split('|').next().unwrap().matches('*').count())
        .sum();
    assert_eq!(stars, inside, "{hex}");

    // The hostile note is a quote of plain text: no line of it opens a block.
    let ack = &md[ack_at..disc_at];
    let quote: Vec<&str> = ack.lines().skip(2).take_while(|l| !l.is_empty()).collect();
    assert_eq!(quote.len(), HOSTILE.lines().count(), "{ack}");
    assert!(quote.iter().all(|l| l.starts_with("> ")), "{quote:?}");
    assert_eq!(quote[0], r"> \`\`\`");
    assert_eq!(quote[1], r"> \# not a heading");
    assert_eq!(quote[2], r"> \<img src=x onerror=alert(1)\>");
    assert_eq!(quote[3], "> not code");
    assert_eq!(quote[4], r"> \- not a list");
    assert!(quote[5].starts_with(r"> \[link\](javascript:alert(1)) \| cell \|"));
    assert!(ack.contains("- **Marked:** no\n- **Connection:** 1"));
    assert!(ack.contains(&format!("- **Written inside:** frame #{}", disconnect + 1)));
    // Every code block that opens closes.
    assert_eq!(md.matches("```text").count() * 2, md.matches("```").count());
}

#[test]
fn every_corpus_capture_reports_every_frame_annotated() {
    for name in [
        "haproxy26-clean.pcap",
        "haproxy26-pyagent.pcap",
        "haproxy34-clean.pcapng",
    ] {
        let a = analysis(name);
        let notes: Vec<Annotation> = (0..a.frames.len() + 2)
            .map(|frame| Annotation {
                frame,
                note: format!("frame {frame}"),
                marked: frame % 2 == 0,
            })
            .collect();
        let md = markdown(
            &a,
            &MarkdownOptions {
                name,
                annotations: &notes,
                link: None,
            },
        );
        assert!(
            md.contains("No findings: every frame follows the protocol.")
                || md.contains("### Findings")
        );
        assert_eq!(md.matches("#### Frame #").count(), a.frames.len(), "{name}");
        assert_eq!(md.matches("\nBytes (").count(), a.frames.len(), "{name}");
        assert!(!md.contains("do not decode"), "{name}");
        assert!(!md.contains("Share link"));
    }
}

/// One count of TCP segments per frame: the Markdown report, the JSON report and the
/// engine's phrase (which the web details show) agree; a pasted byte stream has no packets
/// and says so everywhere instead of counting its writes as segments.
#[test]
fn segment_counts_agree_and_a_byte_stream_has_no_packets() {
    let a = analysis("haproxy26-interleaved-disconnect.pcap");
    let disconnect = a.frames.iter().find(|f| f.layout.is_split()).unwrap();
    let n = a.segments_of(disconnect.index).expect("a pcap has packets");
    // Its own bytes came in two segments (before and after the ACKs written inside it).
    assert_eq!(n, 2);
    assert_eq!(a.segments_phrase(disconnect.index), "2 TCP segment(s)");
    let notes = [Annotation {
        frame: disconnect.index,
        note: String::new(),
        marked: true,
    }];
    let md = markdown(
        &a,
        &MarkdownOptions {
            name: "x",
            annotations: &notes,
            link: None,
        },
    );
    assert!(
        md.contains(&format!("(packet {}, 2 TCP segment(s))", disconnect.packet)),
        "{md}"
    );
    let json = Report::new(&a);
    assert_eq!(json.frames[disconnect.index].segments, Some(2));

    let text = std::fs::read(format!(
        "{}/fixtures/text/tshark-follow-raw.haproxy34-clean.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let a = analyze(
        load(&text, &LoadOptions::default()).unwrap(),
        &AnalysisOptions::default(),
    );
    assert!(!a.capture.has_packets());
    assert_eq!(a.capture.packets_phrase(), NO_PACKETS);
    assert!(!a.frames.is_empty());
    assert_eq!(a.segments_of(0), None);
    assert_eq!(a.segments_phrase(0), NO_PACKETS);
    let notes = [Annotation {
        frame: 0,
        note: String::new(),
        marked: false,
    }];
    let md = markdown(
        &a,
        &MarkdownOptions {
            name: "pasted text",
            annotations: &notes,
            link: None,
        },
    );
    assert!(md.contains(&format!(", {NO_PACKETS}\n")), "{md}");
    assert!(
        md.contains(&format!("from the start of the capture ({NO_PACKETS})")),
        "{md}"
    );
    assert!(
        !md.contains("packet(s)") && !md.contains("TCP segment(s)"),
        "{md}"
    );
    assert_eq!(Report::new(&a).frames[0].segments, None);
}

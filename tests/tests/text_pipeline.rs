//! Each pasted-text sample (made from the real captures with the real tools, see
//! tests/fixtures/text/README.md) decodes, through the whole capture pipeline, to the same SPOP
//! frames as the capture it came from.

use spop_codec::capture::{load, Capture, Container, LoadOptions};
use spop_codec::wire::Direction;

/// Frame bytes per (connection, direction) that has frames.
fn frames(cap: &Capture) -> Vec<(Direction, Vec<Vec<u8>>)> {
    let mut out = Vec::new();
    for c in &cap.connections {
        for dir in [Direction::HaproxyToAgent, Direction::AgentToHaproxy] {
            let data = &c.stream(dir).data;
            let fs: Vec<Vec<u8>> = c
                .items(dir)
                .iter()
                .filter_map(|i| i.frame_bytes(data).map(|b| b.into_owned()))
                .collect();
            if !fs.is_empty() {
                out.push((dir, fs));
            }
        }
    }
    out
}

fn is_subsequence(part: &[Vec<u8>], all: &[Vec<u8>]) -> bool {
    let mut it = all.iter();
    part.iter().all(|p| it.any(|a| a == p))
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn every_text_sample_gives_the_frames_of_its_capture() {
    let dir = format!("{}/fixtures/text", env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md" && n != "generate.sh")
        .collect();
    names.sort();
    for name in names {
        // The source capture is named in the sample's file name: <how>.<capture>[.<what>].
        let base = ["haproxy26-clean", "haproxy26-pyagent", "haproxy34-clean"]
            .into_iter()
            .find(|s| name.contains(&format!(".{s}.")))
            .unwrap_or_else(|| panic!("{name}: no source capture in its name"));
        let source = if name.contains(".pcapng.") {
            format!("{base}.pcapng")
        } else {
            format!("{base}.pcap")
        };
        let source = source.as_str();
        let expected = frames(&load(&read(source), &LoadOptions::default()).unwrap());

        let sample = load(&read(&format!("text/{name}")), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = frames(&sample);
        assert!(!got.is_empty(), "{name}: no frame");
        assert!(
            sample.input.text.is_some(),
            "{name}: the text format is reported"
        );
        let whole = matches!(sample.input.container, Container::Pcap | Container::Pcapng);
        for (dir, fs) in &got {
            // Partial samples (one direction, a buffer, a few frames printed in a debugger)
            // hold an in-order selection of the source's frames; whole captures all of them.
            let found = expected.iter().any(|(d, e)| {
                d == dir
                    && if whole {
                        e == fs
                    } else {
                        is_subsequence(fs, e)
                    }
            });
            assert!(
                found,
                "{name}: {} frames {dir:?} differ from {source}",
                fs.len()
            );
        }
        // A capture file pasted as text gives every connection and direction.
        if whole {
            assert_eq!(got.len(), expected.len(), "{name}: directions with frames");
        }
        checked += 1;
    }
    assert!(checked >= 29, "{checked} samples");
}

/// A sample of a clean capture that holds one side only (`.c2s.`, `.s2c.`: the other side is
/// unknown, not silent), or both sides in blocks of their own (a VTest script: put in the order
/// a run sends them), raises no error and no warning, as the capture itself raises none.
#[test]
fn one_sided_and_script_samples_of_clean_captures_raise_nothing() {
    use spop_codec::analysis::{analyze, AnalysisOptions};
    let dir = format!("{}/fixtures/text", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.contains("-clean.")
                && (n.contains(".c2s.") || n.contains(".s2c.") || n.starts_with("vtest-"))
        })
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for name in &names {
        let cap = load(&read(&format!("text/{name}")), &LoadOptions::default()).unwrap();
        let a = analyze(cap, &AnalysisOptions::default());
        let loud: Vec<String> = a
            .findings
            .iter()
            .filter(|f| f.severity != spop_codec::analysis::Severity::Info)
            .map(|f| format!("{}: {}", f.rule.code, f.message))
            .collect();
        assert!(loud.is_empty(), "{name}: {loud:#?}");
        assert!(!a.frames.is_empty(), "{name}");
    }
}

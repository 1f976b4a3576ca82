//! Share bundles of the real corpus: a capture → bundle → capture round trip gives the same
//! frames and the same findings, in a fraction of the capture's size.

use spop_codec::analysis::{analyze, AnalysisOptions};
use spop_codec::capture::{load, Container, LoadError, LoadOptions};
use spop_codec::share::{Bundle, ShareError};

const CORPUS: [&str; 5] = [
    "haproxy26-clean.pcap",
    "haproxy26-interleaved-disconnect.pcap",
    "haproxy26-pyagent.pcap",
    "haproxy34-clean.pcap",
    "haproxy34-clean.pcapng",
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn corpus_round_trips_through_a_bundle() {
    for name in CORPUS {
        let bytes = fixture(name);
        let capture = load(&bytes, &LoadOptions::default()).unwrap();
        let mut bundle = Bundle::from_capture(&capture);
        bundle.state.push(("selected".into(), "3".into()));
        let packed = bundle.to_bytes();
        assert!(
            packed.len() * 2 < bytes.len(),
            "{name}: {} bytes of bundle for {} of capture",
            packed.len(),
            bytes.len()
        );
        let text = bundle.to_text();
        assert_eq!(Bundle::from_text(&text).unwrap(), bundle, "{name}");

        let reloaded = load(&packed, &LoadOptions::default()).unwrap();
        assert_eq!(reloaded.input.container, Container::Bundle);
        let before = analyze(capture, &AnalysisOptions::default());
        let after = analyze(reloaded, &AnalysisOptions::default());
        assert_eq!(after.frames, before.frames, "{name}");
        assert_eq!(after.connections, before.connections, "{name}");
        let messages = |a: &spop_codec::analysis::Analysis| {
            a.findings
                .iter()
                .map(|f| (f.code(), f.frames.clone(), f.message.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(messages(&after), messages(&before), "{name}");
    }
}

#[test]
fn broken_bundles_are_load_errors_with_clear_messages() {
    let capture = load(&fixture("haproxy34-clean.pcapng"), &LoadOptions::default()).unwrap();
    let packed = Bundle::from_capture(&capture).to_bytes();
    let cut = &packed[..packed.len() / 2];
    match load(cut, &LoadOptions::default()) {
        Err(LoadError::Bundle(ShareError::Damaged)) => {}
        other => panic!("{other:?}"),
    }
    let e = load(cut, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("damaged or cut short"), "{e}");
    let mut future = packed.clone();
    future[5] = 9;
    let e = load(&future, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("version 9"), "{e}");
}

//! The whole pipeline on arbitrary input: load, analyze (every rule), build the report. No
//! panic, every finding points at frames and bytes that exist, and the load and analysis cut
//! into three parts (threads), or run as one pipeline on two, give exactly what one thread
//! gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spop_codec::analysis::{analyze, load_and_analyze, AnalysisOptions};
use spop_codec::capture::{load, LoadOptions};
use spop_codec::report::Report;

fuzz_target!(|data: &[u8]| {
    let load_on = |threads| load(data, &LoadOptions { threads, ..LoadOptions::default() });
    let Ok(capture) = load_on(1) else { return };
    assert_eq!(load_on(3).as_ref(), Ok(&capture));
    let options = |threads| AnalysisOptions { slow_ack: Some(1), churn_threshold: 2, threads };
    let a = analyze(capture.clone(), &options(1));
    let parts = analyze(capture, &options(3));
    assert_eq!(parts.frames, a.frames);
    assert_eq!(parts.connections, a.connections);
    assert_eq!(parts.findings, a.findings);
    // Loading and analysing as one pipeline, on two threads: connections are scanned as
    // they close, while later packets are read.
    let loads = LoadOptions { threads: 2, ..LoadOptions::default() };
    let piped = load_and_analyze(data, &loads, &options(2)).expect("it loaded on one thread");
    assert_eq!(piped.capture, a.capture);
    assert_eq!(piped.frames, a.frames);
    assert_eq!(piped.connections, a.connections);
    assert_eq!(piped.findings, a.findings);
    for f in &a.findings {
        assert!(f.frames.iter().all(|&i| i < a.frames.len()));
        for l in &f.locations {
            let len = a.stream_data(l.connection, l.direction).map_or(0, <[u8]>::len);
            assert!(l.span.start <= l.span.end && l.span.end <= len, "{l:?} beyond {len}");
        }
    }
    let report = Report::new(&a);
    assert_eq!(report.frames.len(), a.frames.len());
});

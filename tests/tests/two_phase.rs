//! The analysis in two halves (timeline first, rules after, as the web UI runs it) gives
//! exactly what the one-call analysis gives.

use spop_codec::analysis::{analyze, analyze_timeline, AnalysisOptions};
use spop_codec::capture::{load, LoadOptions};

#[test]
fn timeline_then_check_equals_analyze() {
    for (path, bytes) in spop_tests::fixtures() {
        let options = AnalysisOptions::default();
        let whole = analyze(load(&bytes, &LoadOptions::default()).unwrap(), &options);
        let capture = load(&bytes, &LoadOptions::default()).unwrap();
        let mut halves = analyze_timeline(capture, &options, &mut |_| {});
        assert!(!halves.is_checked());
        assert!(
            halves.findings.is_empty(),
            "{path:?}: findings before the rules ran"
        );
        assert_eq!(halves.frames, whole.frames, "{path:?}");
        halves.check(&mut |_| {});
        assert!(halves.is_checked());
        assert_eq!(halves.findings, whole.findings, "{path:?}");
        assert_eq!(halves.connections, whole.connections, "{path:?}");
        // Checking again changes nothing (no doubled counts).
        halves.check(&mut |_| {});
        assert_eq!(halves.findings, whole.findings, "{path:?}");
        assert_eq!(halves.connections, whole.connections, "{path:?}");
        assert!(!whole.findings.is_empty() || !whole.frames.is_empty());
    }
}

//! Inputs the fuzz targets once found slow or crashing, replayed through the whole pipeline.

use spop_codec::analysis::{analyze, AnalysisOptions};
use spop_codec::capture::{load, LoadOptions};

/// `pipeline` fuzz target, slow unit (109 s): a pasted `od` dump whose `*` line repeats a
/// pattern full of plausible frame headers for megabytes. Finding a frame start validated each
/// candidate's whole payload: quadratic. The search now has a budget.
#[test]
fn od_dump_of_repeated_plausible_headers() {
    let input = b"000000 00 03 00 7b 01 00 00 00 01 00 00 12 73 75 70 70  >...{..e 6'''9 6e 67 09  >ie[s..pipelining.<\x0a00 0e  .n.................<\x0a*\x0a783335\x0a";
    let capture = load(input, &LoadOptions::default()).expect("a pasted od dump");
    let a = analyze(capture, &AnalysisOptions::default());
    assert_eq!(a.frames.len(), 1);
    assert!(a.findings.len() > 1000, "{} findings", a.findings.len());
}

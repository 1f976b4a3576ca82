//! Test support shared by spop-inspector's cross-crate tests.
//!
//! * [`pcapgen`]: packet builders (TCP over IPv4/IPv6 over every supported link type) and
//!   pcap / pcapng writers, for capture and TCP reassembly tests.
//! * [`agent`]: an SPOA agent built on the codec, for interop tests against real HAProxy.
//! * [`hostile`]: a capture whose strings attack the surfaces (HTML, script, links, control).
//! * [`shapes`]: inputs shaped to exhaust the pipeline (huge claimed lengths, dense frames,
//!   connections by the million), at any scale.
//! * [`fixtures`]: the real captures of `tests/fixtures`.
//! * [`gzip`]: gzip files as captures travel in bug trackers, and a gzip bomb.

pub mod agent;
pub mod gzip;
pub mod hostile;
pub mod pcapgen;
pub mod procs;
pub mod shapes;

/// The real pcap and pcapng captures of `tests/fixtures` (path, bytes), in name order.
pub fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .expect("tests/fixtures")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    paths.sort();
    let read = |p: std::path::PathBuf| {
        let bytes = std::fs::read(&p).expect("a fixture");
        (p.display().to_string(), bytes)
    };
    let all: Vec<_> = paths.into_iter().map(read).collect();
    assert!(all.len() >= 5, "fixtures found: {}", all.len());
    all
}

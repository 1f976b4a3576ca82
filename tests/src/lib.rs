//! Test support shared by spop-inspector's cross-crate tests.
//!
//! * [`pcapgen`]: packet builders (TCP over IPv4/IPv6 over every supported link type) and
//!   pcap / pcapng writers, for capture and TCP reassembly tests.
//! * [`agent`]: an SPOA agent built on the codec, for interop tests against real HAProxy.
//! * [`hostile`]: a capture whose strings attack the surfaces (HTML, script, links, control).
//! * [`shapes`]: inputs shaped to exhaust the pipeline (huge claimed lengths, dense frames,
//!   connections by the million), at any scale.

pub mod agent;
pub mod hostile;
pub mod pcapgen;
pub mod shapes;

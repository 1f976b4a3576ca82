//! Test support shared by spop-inspector's cross-crate tests.
//!
//! * [`pcapgen`]: packet builders (TCP over IPv4/IPv6 over every supported link type) and
//!   pcap / pcapng writers, for capture and TCP reassembly tests.

pub mod pcapgen;

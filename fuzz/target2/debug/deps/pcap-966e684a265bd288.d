/work/mine/fuzz/target2/debug/deps/pcap-966e684a265bd288.d: fuzz_targets/pcap.rs

/work/mine/fuzz/target2/debug/deps/libpcap-966e684a265bd288.rmeta: fuzz_targets/pcap.rs

fuzz_targets/pcap.rs:

/work/mine/fuzz/target2/debug/deps/pcapng-940a1f10d81d6f1b.d: fuzz_targets/pcapng.rs

/work/mine/fuzz/target2/debug/deps/libpcapng-940a1f10d81d6f1b.rmeta: fuzz_targets/pcapng.rs

fuzz_targets/pcapng.rs:

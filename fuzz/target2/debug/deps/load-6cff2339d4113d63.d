/work/mine/fuzz/target2/debug/deps/load-6cff2339d4113d63.d: fuzz_targets/load.rs

/work/mine/fuzz/target2/debug/deps/libload-6cff2339d4113d63.rmeta: fuzz_targets/load.rs

fuzz_targets/load.rs:

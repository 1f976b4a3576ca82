/work/mine/fuzz/target2/debug/deps/reassembly-dd720d41b8b8cd03.d: fuzz_targets/reassembly.rs

/work/mine/fuzz/target2/debug/deps/libreassembly-dd720d41b8b8cd03.rmeta: fuzz_targets/reassembly.rs

fuzz_targets/reassembly.rs:

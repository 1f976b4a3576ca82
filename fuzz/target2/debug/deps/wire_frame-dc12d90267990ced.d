/work/mine/fuzz/target2/debug/deps/wire_frame-dc12d90267990ced.d: fuzz_targets/wire_frame.rs

/work/mine/fuzz/target2/debug/deps/libwire_frame-dc12d90267990ced.rmeta: fuzz_targets/wire_frame.rs

fuzz_targets/wire_frame.rs:

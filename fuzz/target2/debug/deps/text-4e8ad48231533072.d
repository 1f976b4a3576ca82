/work/mine/fuzz/target2/debug/deps/text-4e8ad48231533072.d: fuzz_targets/text.rs

/work/mine/fuzz/target2/debug/deps/libtext-4e8ad48231533072.rmeta: fuzz_targets/text.rs

fuzz_targets/text.rs:

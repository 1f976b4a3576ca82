//! Reading in chunks (`capture::Loader`, as the CLI and the browser read files) equals reading
//! the whole input on one thread, wherever the chunks are cut and on however many threads TCP
//! is reassembled. The first two bytes choose the cuts (a chunk size, and a stride that varies
//! it) and the threads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spop_codec::capture::{load, LoadOptions, Loader};

fuzz_target!(|data: &[u8]| {
    let [size, stride, input @ ..] = data else { return };
    let options = |threads| LoadOptions { threads, ..LoadOptions::default() };
    let whole = load(input, &options(1));
    let threads = usize::from(size % 4);
    let mut loader = Loader::new(options(threads)).with_total(input.len());
    let mut at = 0;
    let mut n = usize::from(*size).max(1);
    while at < input.len() {
        let end = (at + n).min(input.len());
        loader.feed(&input[at..end], &mut |_| {});
        at = end;
        n = (n * usize::from(*stride).max(1)) % 257 + 1;
    }
    assert_eq!(loader.finish(&mut |_| {}), whole);
});

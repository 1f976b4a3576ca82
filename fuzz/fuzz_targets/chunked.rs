//! Reading in chunks (`capture::Loader`, as the CLI and the browser read files) equals reading
//! the whole input, wherever the chunks are cut. The first two bytes choose the cuts: a chunk
//! size, and a stride that varies it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spop_codec::capture::{load, LoadOptions, Loader};

fuzz_target!(|data: &[u8]| {
    let [size, stride, input @ ..] = data else { return };
    let whole = load(input, &LoadOptions::default());
    let mut loader = Loader::new(LoadOptions::default()).with_total(input.len());
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

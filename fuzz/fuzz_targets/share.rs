//! Share bundles: any bytes after the magic (deflated or not) give a bundle or an error, never
//! a panic or an allocation past the cap; a bundle that decodes re-encodes to one that decodes
//! to the same thing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spop_codec::capture::bundle::{Bundle, MAGIC, VERSION};

fuzz_target!(|data: &[u8]| {
    // Raw body bytes, deflated, so the fuzzer reaches the structure reader.
    let mut bundle = MAGIC.to_vec();
    bundle.push(VERSION);
    bundle.extend(miniz_oxide::deflate::compress_to_vec(data, 1));
    for input in [&bundle[..], data] {
        if let Ok(b) = Bundle::from_bytes_with_limit(input, 1 << 20) {
            let again = Bundle::from_bytes(&b.to_bytes()).expect("re-encoded bundle decodes");
            assert_eq!(again, b);
            let _ = spop_codec::analysis::analyze(b.to_capture(), &Default::default());
        }
    }
});

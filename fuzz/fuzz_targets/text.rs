//! Pasted-text detection and every text format parser, forced one by one: no panic, and the
//! output never expands beyond the documented cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spop_codec::capture::text::{self, TextContent, TextFormat, MAX_EXPANSION};

fn check(content: &TextContent, input_len: usize) {
    let produced: usize = match content {
        TextContent::Bytes(b) => b.len(),
        TextContent::Connections(c) => c.iter().flat_map(|c| &c.chunks).map(|c| c.data.len()).sum(),
        TextContent::Packets(p) => p.iter().map(|p| p.data.len()).sum(),
    };
    assert!(produced <= input_len + MAX_EXPANSION);
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = core::str::from_utf8(data) else { return };
    let _ = text::detect(s);
    if let Ok(c) = text::parse(s) {
        check(&c.content, s.len());
    }
    for format in TextFormat::ALL {
        if let Ok(c) = text::parse_as(s, format) {
            check(&c.content, s.len());
        }
    }
});

//! The whole capture pipeline on arbitrary input (binary or text): detection, parsing,
//! reassembly, SPOP detection and stream cutting. No panic, and every item of every stream
//! decodes or is reported.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spop_codec::capture::{load, LoadOptions};
use spop_codec::wire::{decode_frame, Direction, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(capture) = load(data, &LoadOptions::default()) else { return };
    for conn in &capture.connections {
        for dir in [Direction::HaproxyToAgent, Direction::AgentToHaproxy] {
            let stream = conn.stream(dir);
            for item in conn.items(dir) {
                if let Some(bytes) = item.frame_bytes(&stream.data) {
                    let _ = decode_frame(&bytes, item.offset(), Limits::default());
                }
                let _ = item.time(stream);
            }
        }
    }
});

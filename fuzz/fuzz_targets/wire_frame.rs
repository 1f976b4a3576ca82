//! Frame decoder: arbitrary bytes, as a stream (split at a fuzzer-chosen point) and as a single
//! frame. Checks the decoder's contract, not just absence of panics: spans stay inside the
//! input, every step consumes bytes, valid frames re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spop_codec::wire::{decode_frame, Frames, Limits, Payload, Status, StreamDecoder};

fn visit(f: &spop_codec::wire::Frame<'_>) {
    let ps = f.payload_span();
    let inside = |s: spop_codec::Span| assert!(ps.start <= s.start && s.end <= ps.end);
    match f.payload() {
        Payload::KvList(l) => l.iter().for_each(|p| match p {
            Ok(p) => inside(p.span()),
            Err(e) => inside(e.span),
        }),
        Payload::Messages(m) => m.iter().for_each(|m| match m {
            Ok(m) => m.args().for_each(|a| inside(a.map(|a| a.span()).unwrap_or(ps))),
            Err(e) => inside(e.span),
        }),
        Payload::Actions(a) => a.iter().for_each(|a| match a {
            Ok(a) => inside(a.span()),
            Err(e) => inside(e.span),
        }),
        Payload::Fragment(r) | Payload::Unknown(r) => inside(r.span),
    }
    if let Ok(repr) = f.to_repr() {
        assert_eq!(repr.to_bytes().unwrap(), f.as_bytes());
    } else {
        assert!(f.payload_error().is_some());
    }
}

fuzz_target!(|data: &[u8]| {
    let (limit, data) = match data.split_first() {
        Some((&l, rest)) if l & 1 == 1 => (Some(u32::from(l) * 64), rest),
        Some((_, rest)) => (None, rest),
        None => return,
    };
    let limits = Limits { max_length: limit };

    if let Ok(Status::Complete(f)) = decode_frame(data, 3, limits) {
        visit(&f);
    }

    let mut last = 0;
    for f in Frames::new(data, 0, limits).flatten() {
        assert_eq!(f.span().start, last);
        assert!(f.span().end > last);
        last = f.span().end;
        visit(&f);
    }

    // Incremental: feed in 7-byte pieces; must reach the same frames.
    let mut dec = StreamDecoder::with_limits(limits);
    let mut avail = 0;
    let mut n = 0;
    loop {
        match dec.decode(&data[dec.offset()..avail]) {
            Ok(Status::Complete(_)) => n += 1,
            Ok(Status::Partial { needed }) => {
                assert!(needed > 0);
                if avail == data.len() {
                    break;
                }
                avail = (avail + 7).min(data.len());
            }
            Err(_) => break,
        }
        assert!(n <= data.len());
    }
});

//! Property tests: arbitrary frames round-trip byte for byte; arbitrary bytes never panic;
//! every decode step consumes bytes or stops; splitting a stream anywhere changes nothing.

use proptest::collection::vec;
use proptest::prelude::*;
use spop_codec::wire::ActionBody;
use spop_codec::wire::ActionBodyRepr;
use spop_codec::wire::{
    decode_frame, varint, ActionRepr, ActionType, Data, Flags, FrameHeader, FrameRepr, FrameType,
    Frames, Limits, MessageRepr, Payload, PayloadKind, PayloadRepr, Scope, Status, StreamDecoder,
    Value,
};
use spop_codec::Span;

fn arb_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

/// Integers concentrated around the varint band edges, plus anything.
fn arb_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..300,
        2200u64..2400,
        264_400u64..264_500,
        any::<u64>(),
        Just(u64::MAX),
    ]
}

fn arb_value(bytes: &'static [u8]) -> impl Strategy<Value = Value<'static>> {
    let n = bytes.len();
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_u64().prop_map(Value::Int32),
        arb_u64().prop_map(Value::Uint32),
        arb_u64().prop_map(Value::Int64),
        arb_u64().prop_map(Value::Uint64),
        any::<[u8; 4]>().prop_map(Value::Ipv4),
        any::<[u8; 16]>().prop_map(Value::Ipv6),
        (0..n).prop_map(move |k| Value::String(&bytes[..k])),
        (0..n).prop_map(move |k| Value::Binary(&bytes[n - k..])),
    ]
}

/// Typed data with any flag nibble (BOOL's bit 0 follows its value, as on the wire).
fn arb_data() -> impl Strategy<Value = Data<'static>> {
    (arb_value(POOL), 0u8..16).prop_map(|(value, flags)| {
        let flags = match value {
            Value::Bool(b) => (flags & 0x0E) | b as u8,
            _ => flags,
        };
        Data { flags, value }
    })
}

/// Strings are slices of a static pool, so reprs can borrow them.
static POOL: &[u8] = b"supported-versions max-frame-size capabilities engine-id status-code message \
    check-client-ip src dst GET /path txn.iprep.score \x00\x01\xfe\xff <img src=x onerror=alert(1)> \
    some more filler text so that strings can reach past 240 bytes and need two-byte varint \
    lengths............................................................................................";

fn arb_name() -> impl Strategy<Value = &'static [u8]> {
    (0..POOL.len(), 0usize..40).prop_map(|(start, len)| &POOL[start..(start + len).min(POOL.len())])
}

fn arb_kv() -> impl Strategy<Value = Vec<(&'static [u8], Data<'static>)>> {
    vec((arb_name(), arb_data()), 0..6)
}

fn arb_messages() -> impl Strategy<Value = Vec<MessageRepr<'static>>> {
    vec(
        (arb_name(), vec((arb_name(), arb_data()), 0..8))
            .prop_map(|(name, args)| MessageRepr { name, args }),
        0..4,
    )
}

fn arb_actions() -> impl Strategy<Value = Vec<ActionRepr<'static>>> {
    let var = (
        any::<bool>(),
        any::<u8>(),
        any::<u8>(),
        arb_name(),
        arb_data(),
    )
        .prop_map(|(set, nb_args, scope, name, value)| ActionRepr {
            action_type: if set {
                ActionType::SetVar
            } else {
                ActionType::UnsetVar
            },
            nb_args,
            body: ActionBodyRepr::Var {
                scope: Scope::from_u8(scope),
                name,
                value: set.then_some(value),
            },
        });
    // An unknown action swallows the rest of the payload, so it can only come last.
    let unknown = (3u8..=255, any::<u8>(), arb_name()).prop_map(|(t, nb_args, raw)| ActionRepr {
        action_type: ActionType::Unknown(t),
        nb_args,
        body: ActionBodyRepr::Raw(raw),
    });
    (vec(var, 0..5), proptest::option::of(unknown)).prop_map(|(mut v, u)| {
        v.extend(u);
        v
    })
}

fn arb_frame() -> impl Strategy<Value = FrameRepr<'static>> {
    let ft = prop_oneof![
        Just(0u8),
        Just(1),
        Just(2),
        Just(3),
        Just(101),
        Just(102),
        Just(103),
        any::<u8>()
    ]
    .prop_map(FrameType::from_u8);
    let flags = prop_oneof![Just(1u32), Just(0), Just(3), any::<u32>()].prop_map(Flags);
    (ft, flags, arb_u64(), arb_u64()).prop_flat_map(|(frame_type, flags, stream_id, frame_id)| {
        let payload = match PayloadKind::of(frame_type, flags) {
            PayloadKind::KvList => arb_kv().prop_map(PayloadRepr::KvList).boxed(),
            PayloadKind::Messages => arb_messages().prop_map(PayloadRepr::Messages).boxed(),
            PayloadKind::Actions => arb_actions().prop_map(PayloadRepr::Actions).boxed(),
            PayloadKind::Fragment | PayloadKind::Unknown => {
                arb_name().prop_map(PayloadRepr::Raw).boxed()
            }
        };
        payload.prop_map(move |payload| FrameRepr {
            frame_type,
            flags,
            stream_id,
            frame_id,
            payload,
        })
    })
}

/// Walks every item of a frame's payload; checks each span lies inside the payload.
/// Returns the number of items (which must be bounded by the payload length).
fn walk_payload(f: &spop_codec::wire::Frame<'_>) -> usize {
    let ps = f.payload_span();
    let inside = |s: Span| {
        assert!(
            ps.start <= s.start && s.end <= ps.end,
            "{s:?} outside {ps:?}"
        )
    };
    let mut n = 0;
    match f.payload() {
        Payload::KvList(l) => {
            for p in l.iter() {
                match p {
                    Ok(p) => inside(p.span()),
                    Err(e) => inside(e.span),
                }
                n += 1;
            }
        }
        Payload::Messages(m) => {
            for msg in m.iter() {
                n += 1;
                match msg {
                    Ok(msg) => {
                        inside(msg.span());
                        for a in msg.args() {
                            n += 1;
                            inside(a.unwrap().span());
                        }
                    }
                    Err(e) => inside(e.span),
                }
            }
        }
        Payload::Actions(a) => {
            for act in a.iter() {
                n += 1;
                match act {
                    Ok(act) => {
                        inside(act.span());
                        if let ActionBody::Var(v) = act.body {
                            inside(v.scope_span);
                            inside(v.name.span());
                        }
                    }
                    Err(e) => inside(e.span),
                }
            }
        }
        Payload::Fragment(r) | Payload::Unknown(r) => inside(r.span),
    }
    assert!(n <= ps.len() + 1, "{n} items from {} bytes", ps.len());
    n
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn varint_round_trip(x in arb_u64()) {
        let (b, n) = varint::encode(x);
        prop_assert_eq!(varint::decode(&b[..n]), Ok((x, n)));
        prop_assert_eq!(n, varint::encoded_len(x));
    }

    #[test]
    fn varint_arbitrary_bytes(b in arb_bytes(16)) {
        if let Ok((v, n)) = varint::decode(&b) {
            prop_assert!((1..=varint::MAX_LEN).contains(&n) && n <= b.len());
            // Unique encoding: re-encoding gives the same bytes.
            let (e, m) = varint::encode(v);
            prop_assert_eq!(&e[..m], &b[..n]);
        }
    }

    #[test]
    fn frames_round_trip(repr in arb_frame(), base in 0usize..1_000_000) {
        let bytes = repr.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), repr.buffer_len());
        let Ok(Status::Complete(f)) = decode_frame(&bytes, base, Limits::default()) else {
            return Err(TestCaseError::fail("did not decode"));
        };
        prop_assert_eq!(f.span(), Span::at(base, bytes.len()));
        prop_assert_eq!(f.payload_error(), None);
        // The header rebuilt from its fields alone (as the rules do from timeline entries)
        // lays them out exactly as decoded.
        let h = f.header();
        let rebuilt = FrameHeader::new(h.length, h.frame_type, h.flags, h.stream_id, h.frame_id);
        prop_assert_eq!(&rebuilt, h);
        prop_assert_eq!(rebuilt.stream_id_span(base), f.stream_id_span());
        prop_assert_eq!(rebuilt.frame_id_span(base), f.frame_id_span());
        prop_assert_eq!(rebuilt.payload_len(), f.payload_bytes().len());
        walk_payload(&f);
        let back = f.to_repr().unwrap();
        prop_assert_eq!(&back, &repr);
        prop_assert_eq!(back.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in arb_bytes(300), limit in proptest::option::of(7u32..400)) {
        let limits = Limits { max_length: limit };
        if let Ok(Status::Complete(f)) = decode_frame(&b, 7, limits) {
            prop_assert!(f.as_bytes().len() <= b.len());
            walk_payload(&f);
            if let Ok(repr) = f.to_repr() {
                prop_assert_eq!(repr.to_bytes().unwrap(), f.as_bytes());
            }
        }
    }

    /// Frames that look almost right: a valid header and LENGTH around garbage payloads.
    #[test]
    fn plausible_garbage_never_panics(t in prop_oneof![Just(1u8), Just(3), Just(101), Just(103)], payload in arb_bytes(200)) {
        let mut b = ((payload.len() + 7) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(&[t, 0, 0, 0, 1, 1, 1]);
        b.extend_from_slice(&payload);
        let f = match decode_frame(&b, 0, Limits::default()) {
            Ok(Status::Complete(f)) => f,
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        walk_payload(&f);
        match f.to_repr() {
            Ok(r) => prop_assert_eq!(r.to_bytes().unwrap(), b),
            Err(e) => prop_assert_eq!(Some(&e), f.payload_error()),
        }
    }

    /// Every step of the stream decoder either consumes bytes or stops.
    #[test]
    fn every_step_consumes_or_stops(b in arb_bytes(600)) {
        let mut it = Frames::new(&b, 0, Limits::default());
        let mut last = 0;
        let mut steps = 0;
        for r in it.by_ref() {
            steps += 1;
            prop_assert!(steps <= b.len() / 11 + 1);
            if let Ok(f) = r {
                prop_assert_eq!(f.span().start, last);
                prop_assert!(f.span().end > last);
                last = f.span().end;
            }
        }
        prop_assert!(it.offset() <= b.len());
    }

    /// A stream of frames split into arbitrary pieces decodes to the same frames.
    #[test]
    fn split_anywhere(frames in vec(arb_frame(), 1..6), cuts in vec(1usize..64, 0..40)) {
        let stream: Vec<u8> = frames.iter().flat_map(|f| f.to_bytes().unwrap()).collect();
        let whole: Vec<Span> = Frames::new(&stream, 0, Limits::default()).map(|f| f.unwrap().span()).collect();
        prop_assert_eq!(whole.len(), frames.len());

        let mut dec = StreamDecoder::new();
        let mut got = Vec::new();
        let mut avail = 0;
        let mut cuts = cuts.into_iter();
        loop {
            match dec.decode(&stream[dec.offset()..avail]).unwrap() {
                Status::Complete(f) => got.push(f.span()),
                Status::Partial { needed } => {
                    prop_assert!(needed > 0);
                    if avail == stream.len() { break; }
                    avail = (avail + cuts.next().unwrap_or(1)).min(stream.len());
                }
            }
        }
        prop_assert_eq!(got, whole);
        prop_assert_eq!(dec.offset(), stream.len());
    }
}

// `report::Fixed` prints what `{:.N}` prints, away from exact halves (where `Fixed` rounds up
// and the float printer rounds the binary value, which is a hair above or below).
proptest! {
    /// Nanoseconds as seconds, ms and µs.
    #[test]
    fn fixed_ratio_prints_like_the_float_printer(ns in 0u64..1_000_000_000_000_000, digits in 0u8..=6) {
        use spop_codec::display::Fixed;
        for unit in [9u8, 6, 3] {
            let d = digits.min(unit);
            let cut = 10u64.pow(u32::from(unit - d));
            prop_assume!(cut == 1 || ns % cut != cut / 2);
            let x = ns as f64 / 10f64.powi(i32::from(unit));
            prop_assert_eq!(Fixed::ratio(ns, unit, d).to_string(), format!("{x:.prec$}", prec = usize::from(d)));
        }
    }

    /// Any value, with width and alignment.
    #[test]
    fn fixed_of_prints_like_the_float_printer(x in -1e9f64..1e9, digits in 0u8..=3, width in 0usize..16) {
        use spop_codec::display::Fixed;
        let scaled = x * 10f64.powi(i32::from(digits));
        prop_assume!((scaled.abs().fract() - 0.5).abs() > 1e-6);
        let d = usize::from(digits);
        let want = format!("{x:>width$.d$}");
        // The float printer keeps the sign of a negative value that rounds to zero.
        let want = if want.trim() == format!("-{:.d$}", 0.0) { format!("{:>width$.d$}", 0.0) } else { want };
        prop_assert_eq!(format!("{:>width$}", Fixed::of(x, digits)), want);
    }
}

#[test]
fn fixed_edges() {
    use spop_codec::display::Fixed;
    assert_eq!(
        Fixed::ratio(u64::MAX, 9, 6).to_string(),
        "18446744073.709552"
    );
    assert_eq!(
        Fixed::ratio(u64::MAX, 0, 3).to_string(),
        "18446744073709551.615"
    );
    assert_eq!(Fixed::ratio(1500, 3, 0).to_string(), "2");
    assert_eq!(Fixed::ratio(0, 9, 9).to_string(), "0.000000000");
    assert_eq!(Fixed::of(f64::NAN, 2).to_string(), "0.00");
    assert_eq!(
        Fixed::of(f64::INFINITY, 0).to_string(),
        "18446744073709551615"
    );
    assert_eq!(Fixed::of(-0.04, 1).to_string(), "0.0");
    assert_eq!(Fixed::of(2.5, 0).to_string(), "3");
    assert_eq!(format!("{:<6}|", Fixed::of(1.0, 1)), "1.0   |");
}

//! Golden tests: every vector of docs/vectors.md (the file itself, not a copy), decoded
//! structurally and re-encoded byte for byte.

use spop_codec::wire::{
    self, decode_frame, varint, ActionBody, ActionRepr, Data, DataType, ErrorKind, Field, Frame,
    FrameRepr, FrameType, Frames, Limits, MessageRepr, Payload, Scope, Status, StreamDecoder,
    Value, VarintError,
};
use spop_codec::Span;

const VECTORS_MD: &str = include_str!("../../docs/vectors.md");

fn hex(s: &str) -> Vec<u8> {
    let clean: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    hex::decode(clean).expect("valid hex in test vector")
}

fn frame(bytes: &[u8]) -> Frame<'_> {
    match decode_frame(bytes, 0, Limits::default()) {
        Ok(Status::Complete(f)) => {
            assert_eq!(
                f.as_bytes().len(),
                bytes.len(),
                "frame must span the whole vector"
            );
            f
        }
        other => panic!("expected a complete frame, got {other:?}"),
    }
}

fn roundtrip(bytes: &[u8]) {
    let f = frame(bytes);
    let repr = f.to_repr().expect("valid payload");
    assert_eq!(repr.buffer_len(), bytes.len());
    assert_eq!(repr.to_bytes().unwrap(), bytes);
}

fn kv<'a>(f: &Frame<'a>) -> Vec<(String, Data<'a>)> {
    let Payload::KvList(l) = f.payload() else {
        panic!("not a KV list: {f:?}")
    };
    l.iter()
        .map(|p| {
            let p = p.expect("valid pair");
            (
                String::from_utf8_lossy(p.key.bytes).into_owned(),
                p.value.data,
            )
        })
        .collect()
}

fn s(v: &'static str) -> Data<'static> {
    Data::new(Value::String(v.as_bytes()))
}

fn u32v(v: u64) -> Data<'static> {
    Data::new(Value::Uint32(v))
}

// ---------------------------------------------------------------------------------------------
// §1 varints

#[test]
fn varint_table() {
    let table: &[(u64, &str)] = &[
        (0, "00"),
        (239, "EF"),
        (240, "F0 00"),
        (2287, "FF 7F"),
        (2288, "F0 80 00"),
        (264431, "FF FF 7F"),
        (264432, "F0 80 80 00"),
        (33818863, "FF FF FF 7F"),
        (33818864, "F0 80 80 80 00"),
        (4294967295, "FF F0 FE FE 7E"),
        (4328786160, "F0 80 80 80 80 00"),
        ((1 << 63) - 1, "FF F0 FE FE FE FE FE FE FE 06"),
        (u64::MAX, "FF F0 FE FE FE FE FE FE FE 0E"),
    ];
    for &(value, enc) in table {
        let bytes = hex(enc);
        let (buf, n) = varint::encode(value);
        assert_eq!(&buf[..n], &bytes[..], "encode {value}");
        assert_eq!(varint::encoded_len(value), bytes.len());
        assert_eq!(
            varint::decode(&bytes),
            Ok((value, bytes.len())),
            "decode {enc}"
        );
    }
}

/// Every "value (...) len= N : HEX -> decode=V consumed=N OK" line of HAProxy's own run.
#[test]
fn varint_haproxy_run() {
    let mut seen = 0;
    for line in VECTORS_MD.lines() {
        let Some((lhs, rhs)) = line.split_once(" : ") else {
            continue;
        };
        let Some((enc, result)) = rhs.split_once("->") else {
            continue;
        };
        if !result.trim_end().ends_with("OK") {
            continue;
        }
        let value: u64 = lhs.split_whitespace().next().unwrap().parse().unwrap();
        let bytes = hex(enc);
        let (buf, n) = varint::encode(value);
        assert_eq!(&buf[..n], &bytes[..], "encode {value}");
        assert_eq!(varint::decode(&bytes), Ok((value, n)));
        seen += 1;
    }
    assert_eq!(seen, 34, "all lines of HAProxy's varint run were checked");
}

#[test]
fn varint_malformed_are_distinct_errors() {
    use VarintError::*;
    type Decoded = Result<(u64, usize), VarintError>;
    let cases: &[(&str, Decoded)] = &[
        ("", Err(Truncated { available: 0 })),
        ("F0", Err(Truncated { available: 1 })),
        ("F0 80", Err(Truncated { available: 2 })),
        ("F0 00", Ok((240, 2))),
        // HAProxy wraps these silently; they exceed 2^64-1.
        ("FF FF FF FF FF FF FF FF FF 0F", Err(Overflow)),
        ("FF FF FF FF FF FF FF FF FF 10", Err(Overflow)),
        ("FF FF FF FF FF FF FF FF FF 7F", Err(Overflow)),
        // 11 bytes: HAProxy shifts by 67 bits (undefined behaviour).
        ("F0 80 80 80 80 80 80 80 80 80 01", Err(TooLong)),
        ("F3 BC 78", Ok((249011, 3))),
        ("FC F0 06", Ok((16380, 3))),
        // The canonical 9-byte form of HAProxy's wrapped value still decodes.
        ("FF FF FF FF FF FF FF FF 7F", Ok((0x10204081020408EF, 9))),
    ];
    for (enc, want) in cases {
        assert_eq!(varint::decode(&hex(enc)), *want, "{enc}");
    }
}

// ---------------------------------------------------------------------------------------------
// §2 HAPROXY-HELLO

const HELLO_31: &str = "0000007B0100000001000012737570706F727465642D76657273696F6E730803322E300E6D61782D6672616D652D73697A6503FCF0060C6361706162696C6974696573080A706970656C696E696E6709656E67696E652D6964082435633737643931642D303339362D343761322D626137392D653162316666323237363438";
const HELLO_2X: &str = "000000810100000001000012737570706F727465642D76657273696F6E730803322E300E6D61782D6672616D652D73697A6503FCF0060C6361706162696C69746965730810706970656C696E696E672C6173796E6309656E67696E652D6964082433373164336335312D633734382D346366392D383435312D666431346533393864313130";
const HELLO_CHECK: &str = "0000004E0100000001000012737570706F727465642D76657273696F6E730803322E300E6D61782D6672616D652D73697A6503FCF0060C6361706162696C697469657308000B6865616C7468636865636B11";

#[test]
fn haproxy_hello_31() {
    let b = hex(HELLO_31);
    let f = frame(&b);
    assert_eq!(f.length(), 123);
    assert_eq!(f.frame_type(), FrameType::HaproxyHello);
    assert!(f.flags().fin() && !f.flags().abort() && f.flags().reserved() == 0);
    assert_eq!((f.stream_id(), f.frame_id()), (0, 0));
    assert_eq!(f.length_span(), Span::new(0, 4));
    assert_eq!(f.type_span(), Span::new(4, 5));
    assert_eq!(f.flags_span(), Span::new(5, 9));
    assert_eq!(f.stream_id_span(), Span::new(9, 10));
    assert_eq!(f.frame_id_span(), Span::new(10, 11));
    assert_eq!(f.payload_span(), Span::new(11, 127));
    let uuid = "5c77d91d-0396-47a2-ba79-e1b1ff227648";
    assert_eq!(
        kv(&f),
        vec![
            ("supported-versions".into(), s("2.0")),
            ("max-frame-size".into(), u32v(16380)),
            ("capabilities".into(), s("pipelining")),
            ("engine-id".into(), s(uuid)),
        ]
    );
    // Spans of a key and of a value: `0E "max-frame-size"` starts right after the first pair.
    let Payload::KvList(l) = f.payload() else {
        unreachable!()
    };
    let mfs = l.get(b"max-frame-size").unwrap();
    assert_eq!(mfs.key.len_span, Span::new(35, 36));
    assert_eq!(mfs.key.bytes_span, Span::new(36, 50));
    assert_eq!(mfs.value.type_span, Span::new(50, 51));
    assert_eq!(mfs.value.value_span, Span::new(51, 54));
    assert_eq!(&b[mfs.value.value_span.range()], &hex("FC F0 06")[..]);
    roundtrip(&b);
    let built = FrameRepr::haproxy_hello(16380, "pipelining", Some(uuid), false);
    assert_eq!(built.to_bytes().unwrap(), b);
}

#[test]
fn haproxy_hello_2x_and_healthcheck() {
    let b = hex(HELLO_2X);
    let f = frame(&b);
    assert_eq!(f.length(), 129);
    assert_eq!(kv(&f)[2], ("capabilities".into(), s("pipelining,async")));
    roundtrip(&b);
    let built = FrameRepr::haproxy_hello(
        16380,
        "pipelining,async",
        Some("371d3c51-c748-4cf9-8451-fd14e398d110"),
        false,
    );
    assert_eq!(built.to_bytes().unwrap(), b);

    let b = hex(HELLO_CHECK);
    let f = frame(&b);
    assert_eq!(f.length(), 78);
    assert_eq!(
        kv(&f),
        vec![
            ("supported-versions".into(), s("2.0")),
            ("max-frame-size".into(), u32v(16380)),
            ("capabilities".into(), s("")),
            ("healthcheck".into(), Data::new(Value::Bool(true))),
        ]
    );
    roundtrip(&b);
    assert_eq!(
        FrameRepr::haproxy_hello(16380, "", None, true)
            .to_bytes()
            .unwrap(),
        b
    );
}

// ---------------------------------------------------------------------------------------------
// §3 AGENT-HELLO

#[test]
fn agent_hello() {
    let b = hex("00000040650000000100000776657273696F6E0803322E300E6D61782D6672616D652D73697A6503FCF0060C6361706162696C6974696573080A706970656C696E696E67");
    let f = frame(&b);
    assert_eq!((f.length(), f.frame_type()), (64, FrameType::AgentHello));
    assert_eq!(
        kv(&f),
        vec![
            ("version".into(), s("2.0")),
            ("max-frame-size".into(), u32v(16380)),
            ("capabilities".into(), s("pipelining")),
        ]
    );
    roundtrip(&b);
    assert_eq!(
        FrameRepr::agent_hello("2.0", 16380, "pipelining")
            .to_bytes()
            .unwrap(),
        b
    );

    let b = hex("00000036650000000100000776657273696F6E0803322E300E6D61782D6672616D652D73697A6503FCF0060C6361706162696C69746965730800");
    let f = frame(&b);
    assert_eq!(f.length(), 54);
    assert_eq!(kv(&f)[2], ("capabilities".into(), s("")));
    roundtrip(&b);
    assert_eq!(
        FrameRepr::agent_hello("2.0", 16380, "").to_bytes().unwrap(),
        b
    );
}

#[test]
fn agent_hello_regtest_replies() {
    // LENGTH 0: a runt frame.
    let e = decode_frame(&hex("00000000"), 0, Limits::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RuntFrame { length: 0 });
    assert_eq!((e.field, e.span), (Field::Length, Span::new(0, 4)));

    // Flags without FIN.
    let b = hex("00000007 65 00000000 0000");
    let f = frame(&b);
    assert_eq!(f.frame_type(), FrameType::AgentHello);
    assert!(!f.flags().fin());
    assert!(kv(&f).is_empty());
    roundtrip(&b);

    // version "1.0".
    let b = hex("00000014 65 00000001 0000 07 76657273696F6E 08 03 312E30");
    let f = frame(&b);
    assert_eq!(kv(&f), vec![("version".into(), s("1.0"))]);
    roundtrip(&b);
}

// ---------------------------------------------------------------------------------------------
// §4 NOTIFY

#[test]
fn notify_every_type() {
    let b = hex("0000005D030000000101010C636865636B2D636C69656E7409017308034745540369333202F82F0375363405F080808080000373726306C0A8010A036473740720010DB8000000000000000000000001017411016601016E0001620904DEADBEEF");
    let f = frame(&b);
    assert_eq!((f.length(), f.frame_type()), (93, FrameType::Notify));
    assert_eq!((f.stream_id(), f.frame_id()), (1, 1));
    let Payload::Messages(ms) = f.payload() else {
        panic!()
    };
    let msgs: Vec<_> = ms.iter().map(Result::unwrap).collect();
    assert_eq!(msgs.len(), 1);
    let m = msgs[0];
    assert_eq!(m.name.bytes, b"check-client");
    assert_eq!(m.nb_args, 9);
    assert_eq!(m.nb_args_span, Span::new(24, 25));
    let args: Vec<_> = m.args().map(Result::unwrap).collect();
    let mut ipv6 = [0u8; 16];
    ipv6[..4].copy_from_slice(&[0x20, 0x01, 0x0D, 0xB8]);
    ipv6[15] = 1;
    let want: Vec<(&[u8], Value)> = vec![
        (b"s", Value::String(b"GET")),
        (b"i32", Value::Int32(1000)),
        (b"u64", Value::Uint64(4328786160)),
        (b"src", Value::Ipv4([192, 168, 1, 10])),
        (b"dst", Value::Ipv6(ipv6)),
        (b"t", Value::Bool(true)),
        (b"f", Value::Bool(false)),
        (b"n", Value::Null),
        (b"b", Value::Binary(&[0xDE, 0xAD, 0xBE, 0xEF])),
    ];
    let got: Vec<(&[u8], Value)> = args
        .iter()
        .map(|a| (a.name.bytes, *a.value.value()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(args[4].value.to_owned().value().to_string(), "2001:db8::1");
    assert_eq!(args[3].value.value().to_string(), "192.168.1.10");
    // The IPv6 value's 16 bytes.
    assert_eq!(args[4].value.value_span.len(), 16);
    assert_eq!(&b[args[4].value.value_span.range()], &ipv6[..]);
    roundtrip(&b);
    let built = FrameRepr::notify(
        1,
        1,
        vec![MessageRepr::new(
            "check-client",
            want.iter()
                .map(|(n, v)| (std::str::from_utf8(n).unwrap(), *v)),
        )],
    );
    assert_eq!(built.to_bytes().unwrap(), b);
}

#[test]
fn notify_as_haproxy_31_emits_it() {
    let b = hex("0000002B030000000103010669702D72657003026970060A00000104706F727404FB0C0004FFF0FEFEFEFEFEFEFE0E");
    let f = frame(&b);
    assert_eq!((f.stream_id(), f.frame_id()), (3, 1));
    let Payload::Messages(ms) = f.payload() else {
        panic!()
    };
    let m = ms.iter().next().unwrap().unwrap();
    assert_eq!(m.name.bytes, b"ip-rep");
    let args: Vec<_> = m.args().map(Result::unwrap).collect();
    assert_eq!(args.len(), 3);
    assert_eq!(*args[1].value.value(), Value::Int64(443));
    assert_eq!(args[2].name.bytes, b"");
    assert_eq!(args[2].value.value().as_i64(), Some(-1));
    assert_eq!(args[2].value.value_span.len(), 10);
    roundtrip(&b);
    let built = FrameRepr::notify(
        3,
        1,
        vec![MessageRepr::new(
            "ip-rep",
            [
                ("ip", Value::Ipv4([10, 0, 0, 1])),
                ("port", Value::Int64(443)),
                ("", Value::Int64(-1i64 as u64)),
            ],
        )],
    );
    assert_eq!(built.to_bytes().unwrap(), b);
}

// ---------------------------------------------------------------------------------------------
// §5 ACK

#[test]
fn ack_every_scope() {
    let b = hex("000000396700000001010101030001700201010301017308026F6B0103020573636F726503640103030171110103040172060A000001020202036F6C64");
    let f = frame(&b);
    assert_eq!((f.length(), f.frame_type()), (57, FrameType::Ack));
    let Payload::Actions(acts) = f.payload() else {
        panic!()
    };
    let acts: Vec<_> = acts.iter().map(Result::unwrap).collect();
    assert_eq!(acts.len(), 6);
    let summary: Vec<(String, Option<Value>)> = acts
        .iter()
        .map(|a| match a.body {
            ActionBody::Var(v) => (
                format!(
                    "{} {}.{} nb={}",
                    a.action_type.name(),
                    v.scope,
                    String::from_utf8_lossy(v.name.bytes),
                    a.nb_args
                ),
                v.value.map(|d| d.data.value),
            ),
            ActionBody::Raw(_) => panic!("unexpected raw action"),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("set-var proc.p nb=3".into(), Some(Value::Int32(1))),
            ("set-var sess.s nb=3".into(), Some(Value::String(b"ok"))),
            ("set-var txn.score nb=3".into(), Some(Value::Uint32(100))),
            ("set-var req.q nb=3".into(), Some(Value::Bool(true))),
            (
                "set-var res.r nb=3".into(),
                Some(Value::Ipv4([10, 0, 0, 1]))
            ),
            ("unset-var txn.old nb=2".into(), None),
        ]
    );
    // Spans of the last action: type, NB-ARGS, scope, name.
    let last = acts[5];
    assert_eq!(last.type_span, Span::new(54, 55));
    assert_eq!(last.nb_args_span, Span::new(55, 56));
    let ActionBody::Var(v) = last.body else {
        unreachable!()
    };
    assert_eq!(v.scope_span, Span::new(56, 57));
    assert_eq!(v.name.span(), Span::new(57, 61));
    assert_eq!(last.span(), Span::new(54, 61));
    roundtrip(&b);
    let built = FrameRepr::ack(
        1,
        1,
        vec![
            ActionRepr::set_var(Scope::Proc, "p", Value::Int32(1)),
            ActionRepr::set_var(Scope::Sess, "s", Value::String(b"ok")),
            ActionRepr::set_var(Scope::Txn, "score", Value::Uint32(100)),
            ActionRepr::set_var(Scope::Req, "q", Value::Bool(true)),
            ActionRepr::set_var(Scope::Res, "r", Value::Ipv4([10, 0, 0, 1])),
            ActionRepr::unset_var(Scope::Txn, "old"),
        ],
    );
    assert_eq!(built.to_bytes().unwrap(), b);
}

#[test]
fn ack_empty_and_issue_2490() {
    let b = hex("0000000767000000010101");
    let f = frame(&b);
    assert_eq!(f.length(), 7);
    let Payload::Actions(a) = f.payload() else {
        panic!()
    };
    assert_eq!(a.iter().count(), 0);
    roundtrip(&b);
    assert_eq!(FrameRepr::ack(1, 1, vec![]).to_bytes().unwrap(), b);

    let b = hex("000000156700000001F3BC780101030207616C6C6F77656411");
    let f = frame(&b);
    assert_eq!((f.stream_id(), f.frame_id()), (249011, 1));
    assert_eq!(f.stream_id_span(), Span::new(9, 12));
    assert_eq!(f.frame_id_span(), Span::new(12, 13));
    roundtrip(&b);
    let built = FrameRepr::ack(
        249011,
        1,
        vec![ActionRepr::set_var(
            Scope::Txn,
            "allowed",
            Value::Bool(true),
        )],
    );
    assert_eq!(built.to_bytes().unwrap(), b);
}

// ---------------------------------------------------------------------------------------------
// §6, §7 DISCONNECT

#[test]
fn disconnects() {
    let cases: &[(FrameType, u64, &str, &str)] = &[
        (FrameType::HaproxyDisconnect, 0, "normal", "00000025020000000100000B7374617475732D636F64650300076D65737361676508066E6F726D616C"),
        (FrameType::HaproxyDisconnect, 1, "I/O error", "00000028020000000100000B7374617475732D636F64650301076D6573736167650809492F4F206572726F72"),
        (FrameType::HaproxyDisconnect, 3, "frame is too big", "0000002F020000000100000B7374617475732D636F64650303076D65737361676508106672616D6520697320746F6F20626967"),
        (FrameType::AgentDisconnect, 0, "normal", "00000025660000000100000B7374617475732D636F64650300076D65737361676508066E6F726D616C"),
        (FrameType::AgentDisconnect, 99, "an unknown error occurred", "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564"),
    ];
    for &(ft, code, msg, h) in cases {
        let b = hex(h);
        let f = frame(&b);
        assert_eq!(f.frame_type(), ft);
        assert_eq!(
            kv(&f),
            vec![
                ("status-code".into(), u32v(code)),
                ("message".into(), s(msg))
            ]
        );
        assert_eq!(
            wire::status_text(code),
            Some(msg),
            "HAProxy's text for {code}"
        );
        roundtrip(&b);
        assert_eq!(FrameRepr::disconnect(ft, code, msg).to_bytes().unwrap(), b);
    }
}

// ---------------------------------------------------------------------------------------------
// §8 interleaving / teardown streams

fn walk(stream: &[u8], limits: Limits) -> (Vec<Frame<'_>>, Option<wire::DecodeError>, usize) {
    let mut it = Frames::new(stream, 0, limits);
    let mut frames = Vec::new();
    let mut err = None;
    for r in it.by_ref() {
        match r {
            Ok(f) => frames.push(f),
            Err(e) => err = Some(e),
        }
    }
    (frames, err, it.offset())
}

const MAX: Limits = Limits {
    max_length: Some(16380),
};

#[test]
fn clean_disconnect_then_ack() {
    let b = hex("00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564000000156700000001F3BC780101030207616C6C6F77656411");
    assert_eq!(b.len(), 85);
    let (frames, err, end) = walk(&b, MAX);
    assert_eq!(err, None);
    assert_eq!(end, 85, "stream ends on a frame boundary");
    let got: Vec<_> = frames
        .iter()
        .map(|f| {
            (
                f.span().start,
                f.length(),
                f.frame_type(),
                f.flags().0,
                f.stream_id(),
                f.frame_id(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (0, 56, FrameType::AgentDisconnect, 1, 0, 0),
            (60, 21, FrameType::Ack, 1, 249011, 1),
        ]
    );
}

#[test]
fn two_write_interleaves() {
    // (stream, first frame's flags, first frame's FIN, offset and LENGTH of the bad prefix)
    let cases: &[(&str, u32, bool, usize, u32)] = &[
        ("0000003800000015660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F636375727265646700000001F3BC780101030207616C6C6F77656411", 0x1566, false, 60, 1920099684),
        ("00000015000000156700000001F3BC780101030207616C6C6F776564116700000001F2BC780101030207616C6C6F77656411", 0x1567, true, 25, 2003133457),
        ("00000015000000386700000001F3BC780101030207616C6C6F77656411660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564", 0x3867, true, 25, 2003133457),
    ];
    for &(h, flags, fin, bad_at, bad_len) in cases {
        let b = hex(h);
        let (frames, err, end) = walk(&b, MAX);
        assert_eq!(frames.len(), 1);
        let f = frames[0];
        assert_eq!(
            f.frame_type(),
            FrameType::Unset,
            "type byte 00 from the other frame's length"
        );
        assert_eq!((f.flags().0, f.flags().fin()), (flags, fin));
        assert_eq!((f.stream_id(), f.frame_id()), (0, 0));
        let e = err.expect("implausible LENGTH after the first frame");
        assert_eq!(end, bad_at);
        assert_eq!(
            (e.span.start, e.kind),
            (
                bad_at,
                ErrorKind::LengthAboveLimit {
                    length: bad_len,
                    limit: 16380
                }
            )
        );
        // Without a limit the decoder just asks for more bytes than exist.
        let (frames, err, end) = walk(&b, Limits::default());
        assert_eq!((frames.len(), err, end), (1, None, bad_at));
    }
}

// ---------------------------------------------------------------------------------------------
// §9 negative vectors

fn named(name: &str) -> Vec<u8> {
    let line = VECTORS_MD
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("vector {name} missing"));
    hex(line)
}

fn single_action<'a>(f: &Frame<'a>) -> spop_codec::wire::Action<'a> {
    let Payload::Actions(a) = f.payload() else {
        panic!()
    };
    let v: Vec<_> = a.iter().map(Result::unwrap).collect();
    assert_eq!(v.len(), 1);
    v[0]
}

#[test]
fn negative_ack_vectors() {
    let b = named("ack_no_fin");
    let f = frame(&b);
    assert_eq!(
        (f.frame_type(), f.flags().0, f.flags().fin()),
        (FrameType::Ack, 0, false)
    );
    roundtrip(&b);

    let b = named("ack_sid0");
    assert_eq!((frame(&b).stream_id(), frame(&b).frame_id()), (0, 1));
    let b = named("ack_fid0");
    assert_eq!((frame(&b).stream_id(), frame(&b).frame_id()), (1, 0));
    let b = named("ack_fid2_for_stream1");
    assert_eq!((frame(&b).stream_id(), frame(&b).frame_id()), (1, 2));

    // bool-false bug: type byte 0x10 = NULL with flag bit 0.
    let b = named("ack_bool_false_bug_0x10");
    let f = frame(&b);
    let ActionBody::Var(v) = single_action(&f).body else {
        panic!()
    };
    let value = v.value.unwrap();
    assert_eq!((value.data_type(), value.flags()), (DataType::Null, 1));
    assert_eq!(&b[v.name.bytes_span.range()], b"allowed");
    assert_eq!(b[value.type_span.start], 0x10);
    roundtrip(&b);

    // set-var with NB-ARGS 2: decoded by the set-var grammar, the wrong count kept visible.
    let b = named("ack_setvar_nbargs2");
    let f = frame(&b);
    let a = single_action(&f);
    assert_eq!(a.action_type.expected_nb_args(), Some(3));
    assert_eq!(a.nb_args, 2);
    let ActionBody::Var(v) = a.body else { panic!() };
    assert_eq!(v.scope, Scope::Txn);
    assert_eq!(&b[v.name.bytes_span.range()], b"x");
    assert_eq!(v.value.map(|d| d.data.value), Some(Value::Int32(1)));
    roundtrip(&b);
}

#[test]
fn negative_hello_and_disconnect_vectors() {
    let b = named("agent_hello_v1");
    assert_eq!(kv(&frame(&b))[0], ("version".into(), s("1.0")));
    roundtrip(&b);

    let b = named("agent_hello_no_version");
    let keys: Vec<String> = kv(&frame(&b)).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, vec!["max-frame-size", "capabilities"]);
    roundtrip(&b);

    let b = named("agent_hello_mfs_255");
    assert_eq!(kv(&frame(&b))[1], ("max-frame-size".into(), u32v(255)));
    roundtrip(&b);

    let b = named("agent_hello_mfs_as_string");
    assert_eq!(kv(&frame(&b))[1], ("max-frame-size".into(), s("16380")));
    roundtrip(&b);

    let b = named("agent_hello_sid1");
    let f = frame(&b);
    assert_eq!(
        (f.frame_type(), f.stream_id(), f.frame_id()),
        (FrameType::AgentHello, 1, 0)
    );
    roundtrip(&b);

    let b = named("agent_disconnect_message_as_int");
    assert_eq!(
        kv(&frame(&b)),
        vec![("status-code".into(), u32v(0)), ("message".into(), u32v(7))]
    );
    roundtrip(&b);
}

#[test]
fn non_spop_traffic() {
    // "GET " and a TLS ClientHello read as a LENGTH: far above any max-frame-size.
    for (bytes, length) in [
        (&b"GET / HTTP/1.1\r\n"[..], 0x4745_5420u32),
        (&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00][..], 0x1603_0102),
    ] {
        let e = decode_frame(bytes, 0, MAX).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::LengthAboveLimit {
                length,
                limit: 16380
            }
        );
        // Unlimited, it is only ever a partial frame: nothing is allocated for it.
        assert_eq!(
            decode_frame(bytes, 0, Limits::default()).unwrap(),
            Status::Partial {
                needed: 4 + length as usize - bytes.len()
            }
        );
    }
}

/// Every hex vector in the file (the "full hex:" lines and the named negative vectors)
/// decodes to a complete frame spanning the vector, and every frame with a valid payload
/// re-encodes to the same bytes.
#[test]
fn every_hex_vector_in_the_file() {
    let mut n = 0;
    for line in VECTORS_MD.lines() {
        let h = if let Some(h) = line.strip_prefix("full hex: ") {
            h
        } else if let Some((name, h)) = line.split_once(": ") {
            if name.contains(' ') || !h.chars().all(|c| c.is_ascii_hexdigit()) || h.len() < 22 {
                continue;
            }
            h
        } else {
            continue;
        };
        let b = hex(h);
        roundtrip(&b);
        n += 1;
    }
    assert_eq!(n, 27, "full-hex and named vectors");
}

#[test]
fn incremental_split_at_every_byte() {
    let b = [
        hex(HELLO_31),
        hex("0000000767000000010101"),
        hex(HELLO_CHECK),
    ]
    .concat();
    let whole: Vec<_> = Frames::new(&b, 0, Limits::default())
        .map(|f| f.unwrap().span())
        .collect();
    assert_eq!(whole.len(), 3);
    for split in 0..=b.len() {
        // Feed the first `split` bytes, then the rest, one byte at a time after that.
        let mut dec = StreamDecoder::new();
        let mut got = Vec::new();
        let mut avail = split;
        loop {
            let start = dec.offset();
            match dec.decode(&b[start..avail]).unwrap() {
                Status::Complete(f) => got.push(f.span()),
                Status::Partial { needed } => {
                    assert!(needed > 0);
                    if avail == b.len() {
                        break;
                    }
                    avail += 1;
                }
            }
        }
        assert_eq!(got, whole, "split at {split}");
    }
}

#[test]
fn reserved_types_keep_their_byte() {
    for t in 10u8..=15 {
        for flags in [0u8, 0x30] {
            let type_byte = flags | t;
            // ACK set-var txn.x = <reserved>
            let b = [
                &[0, 0, 0, 13, 0x67, 0, 0, 0, 1, 1, 1][..],
                &[1, 3, 2, 1, b'x', type_byte],
            ]
            .concat();
            let mut b = b;
            b[3] = (b.len() - 4) as u8;
            let f = frame(&b);
            let e = f
                .payload_error()
                .copied()
                .expect("reserved type is an error");
            assert_eq!(e.kind, ErrorKind::ReservedDataType { type_byte });
            assert_eq!((e.field, e.span), (Field::VarValue, Span::new(16, 17)));
            assert!(f.to_repr().is_err());
        }
    }
}

#[test]
fn payload_grammar_errors() {
    // KV list whose last value's string runs past the frame end.
    let mut b = hex(HELLO_31);
    let n = b.len();
    b[n - 37] = 0x30; // engine-id length 36 -> 48
    let f = frame(&b);
    let e = *f.payload_error().unwrap();
    assert_eq!(e.field, Field::KeyValue);
    assert_eq!(
        e.kind,
        ErrorKind::Truncated {
            needed: 48,
            available: 36
        }
    );
    assert_eq!(e.span, Span::new(n - 37, n));

    // NB-ARGS larger than the arguments present.
    let mut b = hex("0000002B030000000103010669702D72657003026970060A00000104706F727404FB0C0004FFF0FEFEFEFEFEFEFE0E");
    b[18] = 4;
    let e = *frame(&b).payload_error().unwrap();
    assert_eq!(e.field, Field::ArgName);
    assert_eq!(e.span, Span::new(b.len(), b.len()));

    // A set-var whose value varint is truncated by the frame end.
    let b = hex("0000000E 67 00000001 01 01 01 03 02 01 78 04 F0");
    let e = *frame(&b).payload_error().unwrap();
    assert_eq!(
        e.kind,
        ErrorKind::Varint(VarintError::Truncated { available: 1 })
    );
    assert_eq!(e.span, Span::new(17, 18));

    // Unknown action type: the rest of the payload is kept raw, not an error.
    let b = hex("0000000C 67 00000001 01 01 07 02 AA BB CC");
    let f = frame(&b);
    assert!(f.payload_error().is_none());
    let Payload::Actions(a) = f.payload() else {
        panic!()
    };
    let a = a.iter().next().unwrap().unwrap();
    let ActionBody::Raw(raw) = a.body else {
        panic!()
    };
    assert_eq!(
        (raw.bytes, raw.span),
        (&[0xAA, 0xBB, 0xCC][..], Span::new(13, 16))
    );
    roundtrip(&b);
}

#[test]
fn header_varint_errors() {
    // A stream-id that never ends inside the frame.
    let b = hex("00000007 67 00000001 F0 80");
    let e = decode_frame(&b, 100, Limits::default()).unwrap_err();
    assert_eq!(e.field, Field::StreamId);
    assert_eq!(
        e.kind,
        ErrorKind::Varint(VarintError::Truncated { available: 2 })
    );
    assert_eq!(e.span, Span::new(109, 111), "spans are absolute: base 100");
}

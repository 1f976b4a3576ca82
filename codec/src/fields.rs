//! A frame as a tree of fields, each with its bytes: what a details view shows and highlights.
//! Every node's span is in the stream (for a split frame, as decoded: map it with
//! `FrameEntry::map_span`).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use crate::display::Text;
use crate::wire::{ActionBody, Frame, Payload, PayloadKind, Str, TypedData};
use crate::Span;

/// One field of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FieldNode {
    /// What it is (`"LENGTH"`, `"key"`, `"argument ip"`, …).
    pub label: String,
    /// Its decoded value, for people.
    pub value: String,
    /// Its bytes.
    pub span: Span,
    /// Its parts.
    pub children: Vec<FieldNode>,
}

impl FieldNode {
    fn leaf(label: impl Into<String>, value: impl Into<String>, span: Span) -> FieldNode {
        FieldNode {
            label: label.into(),
            value: value.into(),
            span,
            children: Vec::new(),
        }
    }
}

fn text(b: &[u8]) -> String {
    format!("\"{}\"", Text(b))
}

fn string_node(label: &str, s: &Str<'_>) -> FieldNode {
    FieldNode {
        label: label.to_string(),
        value: text(s.bytes),
        span: s.span(),
        children: vec![
            FieldNode::leaf("length", s.bytes.len().to_string(), s.len_span),
            FieldNode::leaf("bytes", text(s.bytes), s.bytes_span),
        ],
    }
}

fn data_node(label: &str, v: &TypedData<'_>) -> FieldNode {
    let mut children = vec![FieldNode::leaf(
        "type",
        format!(
            "{} (byte {:#04x}, flags {:#x})",
            v.data_type().name(),
            v.data.type_byte(),
            v.flags()
        ),
        v.type_span,
    )];
    if let Some(len) = v.len_span() {
        children.push(FieldNode::leaf(
            "length",
            v.value().as_bytes().map_or(0, <[u8]>::len).to_string(),
            len,
        ));
    }
    if !v.value_span.is_empty() {
        children.push(FieldNode::leaf(
            "value",
            v.value().to_string(),
            v.value_span,
        ));
    }
    FieldNode {
        label: label.to_string(),
        value: format!("{} {}", v.data_type().name(), v.value()),
        span: v.span(),
        children,
    }
}

/// The fields of a frame: header fields, then the payload's items.
pub fn fields(f: &Frame<'_>) -> Vec<FieldNode> {
    let flags = f.flags();
    let mut flag_names = Vec::new();
    if flags.fin() {
        flag_names.push("FIN");
    }
    if flags.abort() {
        flag_names.push("ABORT");
    }
    if flags.reserved() != 0 {
        flag_names.push("reserved bits");
    }
    let mut out = vec![
        FieldNode::leaf("LENGTH", f.length().to_string(), f.length_span()),
        FieldNode::leaf(
            "TYPE",
            format!("{} ({})", f.frame_type(), f.frame_type().as_u8()),
            f.type_span(),
        ),
        FieldNode::leaf(
            "FLAGS",
            format!("{:#010x} {}", flags.0, flag_names.join("|")),
            f.flags_span(),
        ),
        FieldNode::leaf("STREAM-ID", f.stream_id().to_string(), f.stream_id_span()),
        FieldNode::leaf("FRAME-ID", f.frame_id().to_string(), f.frame_id_span()),
    ];
    let mut payload = FieldNode {
        label: "PAYLOAD".to_string(),
        value: format!("{} bytes", f.payload_span().len()),
        span: f.payload_span(),
        children: Vec::new(),
    };
    match f.payload() {
        Payload::KvList(kv) => {
            for p in kv.iter().map_while(Result::ok) {
                payload.children.push(FieldNode {
                    label: crate::display::text(p.key.bytes),
                    value: p.value.value().to_string(),
                    span: p.span(),
                    children: vec![string_node("key", &p.key), data_node("value", &p.value)],
                });
            }
        }
        Payload::Messages(m) => {
            for msg in m.iter().map_while(Result::ok) {
                let mut children = vec![
                    string_node("name", &msg.name),
                    FieldNode::leaf("NB-ARGS", msg.nb_args.to_string(), msg.nb_args_span),
                ];
                for a in msg.args().map_while(Result::ok) {
                    children.push(FieldNode {
                        label: format!("argument {}", Text(a.name.bytes)),
                        value: a.value.value().to_string(),
                        span: a.span(),
                        children: vec![string_node("name", &a.name), data_node("value", &a.value)],
                    });
                }
                payload.children.push(FieldNode {
                    label: format!("message {}", Text(msg.name.bytes)),
                    value: format!("{} argument(s)", msg.nb_args),
                    span: msg.span(),
                    children,
                });
            }
        }
        Payload::Actions(acts) => {
            for a in acts.iter().map_while(Result::ok) {
                let mut children = vec![
                    FieldNode::leaf(
                        "action type",
                        format!("{} ({})", a.action_type.name(), a.action_type.as_u8()),
                        a.type_span,
                    ),
                    FieldNode::leaf("NB-ARGS", a.nb_args.to_string(), a.nb_args_span),
                ];
                let value = match a.body {
                    ActionBody::Var(v) => {
                        children.push(FieldNode::leaf("scope", v.scope.to_string(), v.scope_span));
                        children.push(string_node("name", &v.name));
                        if let Some(d) = &v.value {
                            children.push(data_node("value", d));
                        }
                        format!(
                            "{}.{}{}",
                            v.scope,
                            Text(v.name.bytes),
                            v.value
                                .map_or(String::new(), |d| format!(" = {}", d.value()))
                        )
                    }
                    ActionBody::Raw(r) => {
                        children.push(FieldNode::leaf(
                            "arguments",
                            format!("{} raw bytes", r.bytes.len()),
                            r.span,
                        ));
                        format!("{} raw bytes", r.bytes.len())
                    }
                };
                payload.children.push(FieldNode {
                    label: a.action_type.name().to_string(),
                    value,
                    span: a.span(),
                    children,
                });
            }
        }
        Payload::Fragment(_) | Payload::Unknown(_) => {}
    }
    if let Some(e) = f.payload_error() {
        payload
            .children
            .push(FieldNode::leaf("malformed", e.to_string(), e.span));
    } else if PayloadKind::of(f.frame_type(), f.flags()) == PayloadKind::Fragment {
        payload.value = format!("{} bytes of a fragmented NOTIFY", f.payload_span().len());
    }
    out.push(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{decode_frame, ActionRepr, FrameRepr, Limits, Scope, Status, Value};

    #[test]
    fn ack_fields_and_lookup_by_offset() {
        let bytes = FrameRepr::ack(
            1,
            1,
            vec![ActionRepr::set_var(Scope::Txn, "n", Value::Int64(7))],
        )
        .to_bytes()
        .unwrap();
        let Ok(Status::Complete(f)) = decode_frame(&bytes, 0, Limits::default()) else {
            panic!()
        };
        let tree = fields(&f);
        let labels: Vec<&str> = tree.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "LENGTH",
                "TYPE",
                "FLAGS",
                "STREAM-ID",
                "FRAME-ID",
                "PAYLOAD"
            ]
        );
        let payload = &tree[5];
        assert_eq!(payload.children[0].value, "txn.n = 7");
        // Byte 15 is the name's one byte: payload → set-var → name → bytes.
        assert_eq!(
            payload.children[0].children[3].children[1].span,
            Span::new(15, 16)
        );
        // Every child lies inside its parent.
        fn inside(n: &FieldNode) {
            for c in &n.children {
                assert!(
                    n.span.start <= c.span.start && c.span.end <= n.span.end,
                    "{c:?} in {n:?}"
                );
                inside(c);
            }
        }
        tree.iter().for_each(inside);
    }

    /// A name read off the wire reads the same in the fields, the frame's summary and the
    /// findings ([`crate::display::text`]): non-ASCII UTF-8 as itself, other bytes as `\xNN`.
    #[test]
    fn names_read_the_same_everywhere() {
        let bytes = FrameRepr::ack(
            1,
            1,
            vec![ActionRepr::set_var(Scope::Txn, "café", Value::Int64(7))],
        )
        .to_bytes()
        .unwrap();
        // The same frame with the name's last byte no longer UTF-8.
        let mut broken = bytes.clone();
        let at = broken.iter().rposition(|&b| b == 0xa9).unwrap();
        broken[at] = 0xff;
        for (bytes, name) in [(&bytes, "café"), (&broken, "caf\\xc3\\xff")] {
            let Ok(Status::Complete(f)) = decode_frame(bytes, 0, Limits::default()) else {
                panic!()
            };
            let tree = fields(&f);
            assert_eq!(tree[5].children[0].value, format!("txn.{name} = 7"));
            assert_eq!(tree[5].children[0].children[3].value, format!("\"{name}\""));
            assert_eq!(f.summary().to_string(), format!("set-var(txn.{name}=7)"));
            let raw = &bytes[f.payload_span().start + 4..f.payload_span().end - 2];
            assert_eq!(crate::analysis::text(raw), name);
        }
    }
}

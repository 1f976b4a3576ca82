//! A capture whose SPOP strings are hostile: HTML and script injections, `javascript:` links,
//! Markdown and terminal control, bidi overrides and invalid UTF-8, in every place a frame
//! carries text (HELLO fields, message and argument names, string values, variable names,
//! DISCONNECT messages). The UI, the Markdown export and the CLI must show all of it as inert
//! text (tests/e2e/hostile.test.mjs, tests/tests/hostile.rs).

use spop_codec::capture::LinkType;
use spop_codec::wire::{ActionRepr, FrameRepr, FrameType, MessageRepr, Scope, Value};

use crate::pcapgen::{PcapWriter, TcpConversation};

/// Running any of these sets `window.__pwned`; loading any of these URLs is a request the
/// page must never make.
pub const HTML: &str = r#"<img src=x onerror="window.__pwned='img'">"#;
/// Closes a script element, then opens one.
pub const SCRIPT: &str = "</script><script>window.__pwned='script'</script>";
/// A link target that runs script.
pub const JS_LINK: &str = "javascript:window.__pwned='link'";
/// A Markdown link and image to that target and to a remote host.
pub const MARKDOWN: &str =
    "[click](javascript:window.__pwned='md') ![x](http://example.invalid/x.png) <b>bold</b>";
/// SVG with an onload handler.
pub const SVG: &str = r#"<svg onload="window.__pwned='svg'"></svg>"#;
/// A right-to-left override (shows "exe.png" reversed) and terminal escapes.
pub const BIDI: &str = "\u{202e}gnp.exe \u{1b}[31mred\u{7}";
/// Invalid UTF-8 around an injection.
pub const INVALID_UTF8: &[u8] = b"\xff\xfe<iframe src=\"javascript:window.__pwned='iframe'\">\xc3";

/// Every valid-UTF-8 hostile string.
pub const STRINGS: [&str; 6] = [HTML, SCRIPT, JS_LINK, MARKDOWN, SVG, BIDI];

/// The frames of one conversation, each hostile somewhere.
fn frames() -> Vec<(bool, Vec<u8>)> {
    let bytes = |f: FrameRepr<'_>| f.to_bytes().expect("encodes");
    let mut out = vec![
        (
            true,
            bytes(FrameRepr::haproxy_hello(16380, SCRIPT, Some(HTML), false)),
        ),
        (false, bytes(FrameRepr::agent_hello(MARKDOWN, 16380, SVG))),
    ];
    let notify = |sid: u64, name: &'static str, arg: &'static str, value: Value<'static>| {
        FrameRepr::notify(sid, 1, vec![MessageRepr::new(name, [(arg, value)])])
    };
    let hostile_args: [(&str, &str, Value<'static>); 4] = [
        (HTML, SCRIPT, Value::String(JS_LINK.as_bytes())),
        (BIDI, MARKDOWN, Value::String(INVALID_UTF8)),
        (SVG, BIDI, Value::String(HTML.as_bytes())),
        (JS_LINK, HTML, Value::Binary(SCRIPT.as_bytes())),
    ];
    for (sid, (name, arg, value)) in (1u64..).zip(hostile_args) {
        out.push((true, bytes(notify(sid, name, arg, value))));
        let actions = vec![
            ActionRepr::set_var(Scope::Txn, HTML, Value::String(SCRIPT.as_bytes())),
            ActionRepr::set_var(Scope::Sess, BIDI, Value::String(INVALID_UTF8)),
        ];
        out.push((false, bytes(FrameRepr::ack(sid, 1, actions))));
    }
    // An ACK nobody asked for (a finding whose message quotes it) and the goodbyes.
    out.push((
        false,
        bytes(FrameRepr::ack(
            99,
            7,
            vec![ActionRepr::unset_var(Scope::Req, SVG)],
        )),
    ));
    out.push((
        true,
        bytes(FrameRepr::disconnect(
            FrameType::HaproxyDisconnect,
            0,
            SCRIPT,
        )),
    ));
    out.push((
        false,
        bytes(FrameRepr::disconnect(FrameType::AgentDisconnect, 3, HTML)),
    ));
    out
}

/// The capture: one TCP connection (handshake, every frame in its own segment, FIN both ways)
/// in a little-endian Ethernet pcap.
pub fn capture() -> Vec<u8> {
    let mut c = TcpConversation::new("10.9.0.1:41000", "10.9.0.2:12345");
    let mut packets: Vec<_> = c.handshake().into();
    for (to_agent, frame) in frames() {
        packets.push(if to_agent {
            c.client(&frame)
        } else {
            c.server(&frame)
        });
    }
    packets.push(c.client_fin());
    packets.push(c.server_fin());
    let mut w = PcapWriter::new(LinkType::ETHERNET);
    for (i, p) in packets.iter().enumerate() {
        w.packet(
            1_795_000_000_000_000_000 + i as u64 * 250_000,
            &p.ethernet(),
        );
    }
    w.finish()
}

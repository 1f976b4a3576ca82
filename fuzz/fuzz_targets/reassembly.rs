//! TCP reassembly and stream cutting on fuzzer-chosen segments (a few flows, any flags,
//! sequence numbers and payloads): no panic, streams never hold more bytes than were fed,
//! every stream item lies inside its stream.
#![no_main]

use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use libfuzzer_sys::fuzz_target;
use spop_codec::capture::spop::{scan_stream, StreamItem};
use spop_codec::capture::tcp::{PacketRef, Reassembler};
use spop_codec::capture::{TcpFlags, TcpSegment};
use spop_codec::wire::Direction;

fuzz_target!(|data: &[u8]| {
    let addr = |b: u8| SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, b & 3)), 1000 + u16::from(b & 1));
    let mut r = Reassembler::new();
    let mut fed = 0usize;
    let mut rest = data;
    let mut number = 0u32;
    // Each record: [src, dst, flags, seq(4), len] then `len` payload bytes.
    while let [src, dst, flags, s0, s1, s2, s3, len, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (payload, next) = tail.split_at(n);
        rest = next;
        number += 1;
        let seg = TcpSegment {
            src: addr(*src),
            dst: addr(*dst),
            seq: u32::from_be_bytes([*s0, *s1, *s2, *s3]),
            ack: 0,
            flags: TcpFlags {
                syn: flags & 1 != 0,
                ack: flags & 2 != 0,
                fin: flags & 4 != 0,
                rst: flags & 8 != 0,
                psh: flags & 16 != 0,
            },
            payload,
            payload_len: payload.len() as u32 + u32::from(flags >> 6),
            payload_offset: 0,
            // Zero windows (TCP events N007 reads) and scaled ones, from bytes already there.
            window: if flags & 32 != 0 { 0 } else { u16::from(*len) << 6 },
            window_scale: (flags & 1 != 0).then_some(s0 & 15),
        };
        fed += payload.len();
        r.push(&seg, PacketRef { number, timestamp: u64::from(number) });
    }
    let conns = r.finish();
    let held: usize = conns.iter().flat_map(|c| &c.streams).map(|s| s.data.len()).sum();
    assert!(held <= fed);
    for c in &conns {
        for (stream, dir) in c.streams.iter().zip([Direction::HaproxyToAgent, Direction::AgentToHaproxy]) {
            for item in scan_stream(stream, dir, 1 << 20) {
                let end = match item {
                    StreamItem::Frame(f) => f.span.end,
                    StreamItem::Split(s) => s.tail.end,
                    StreamItem::Skipped { span, .. } | StreamItem::Truncated { span, .. } => span.end,
                    StreamItem::Gap { at, .. } => at,
                };
                assert!(end <= stream.data.len());
            }
        }
    }
});

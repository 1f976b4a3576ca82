//! Deterministic synthetic SPOP traffic in the shape of real HAProxy ↔ agent conversations
//! (the shared corpus): HELLOs, NOTIFYs carrying two messages with 8 and 4 arguments of
//! every type HAProxy emits, ACKs with set-var actions, DISCONNECTs.
//!
//! Used by benchmarks, by the large-capture generator and by tests. The same seed always
//! gives the same bytes (a small xorshift generator, no clock, no OS randomness).

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::wire::{ActionRepr, FrameRepr, FrameType, MessageRepr, Scope, Value};

/// A seeded xorshift64* generator: tiny, deterministic, good enough for traffic shapes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// One element of a non-empty slice, chosen uniformly (`None` for an empty slice).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

/// Which HAProxy generation's id pattern and capabilities to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// HAProxy ≤3.0: `pipelining,async` offered, stream-ids from a process-global counter.
    Legacy,
    /// HAProxy 3.1+: `pipelining`, odd stream-ids 1, 3, 5… per connection, frame-id 1.
    Modern,
}

/// The two byte streams of one SPOP connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversation {
    /// HAProxy → agent bytes.
    pub haproxy: Vec<u8>,
    /// Agent → HAProxy bytes.
    pub agent: Vec<u8>,
    /// Frames per direction, in order: (haproxy, agent).
    pub frames: (usize, usize),
    /// Wire order of all frames: `true` for HAProxy → agent, with each frame's byte range in
    /// its own stream. Lets a capture writer interleave the directions realistically.
    pub order: Vec<(bool, core::ops::Range<usize>)>,
}

impl Conversation {
    fn push(&mut self, from_haproxy: bool, frame: &FrameRepr<'_>) {
        let out = if from_haproxy {
            &mut self.haproxy
        } else {
            &mut self.agent
        };
        let start = out.len();
        // Synthetic frames are small and well-formed: emitting cannot fail.
        if frame.emit(out).is_ok() {
            self.order.push((from_haproxy, start..out.len()));
            if from_haproxy {
                self.frames.0 += 1;
            } else {
                self.frames.1 += 1;
            }
        }
    }
}

const USER_AGENTS: [&str; 4] = [
    "curl/8.5.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Go-http-client/1.1",
    "python-requests/2.31.0",
];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "PROPFIND"];

/// How much each NOTIFY carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One message with 6 small arguments and a one-action ACK, like the shared corpus's
    /// `*-clean` captures (about 80 bytes per NOTIFY).
    Compact,
    /// Two messages with 8 and 4 arguments (headers as BINARY, IPv6, negative INT64) and a
    /// two-action ACK, like the `pyagent` capture (about 300 bytes per NOTIFY).
    Rich,
}

/// One connection: HELLO exchange, `requests` NOTIFY/ACK pairs (ACKs in order), and a
/// HAProxy DISCONNECT (status 0) at the end, with [`Shape::Rich`] NOTIFYs.
/// `first_stream_id` matters for [`Generation::Legacy`], whose ids come from a global counter.
pub fn conversation(
    rng: &mut Rng,
    generation: Generation,
    first_stream_id: u64,
    requests: usize,
) -> Conversation {
    conversation_shaped(rng, generation, first_stream_id, requests, Shape::Rich)
}

/// [`conversation`] with a choice of NOTIFY shape.
pub fn conversation_shaped(
    rng: &mut Rng,
    generation: Generation,
    first_stream_id: u64,
    requests: usize,
    shape: Shape,
) -> Conversation {
    let mut c = Conversation::default();
    let engine_id = format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        rng.next_u64() as u32,
        rng.next_u64() as u16,
        rng.below(0x1000),
        rng.below(0x1000),
        rng.next_u64() & 0xFFFF_FFFF_FFFF
    );
    let offered = match generation {
        Generation::Legacy => "pipelining,async",
        Generation::Modern => "pipelining",
    };
    c.push(
        true,
        &FrameRepr::haproxy_hello(16380, offered, Some(&engine_id), false),
    );
    c.push(false, &FrameRepr::agent_hello("2.0", 16380, "pipelining"));
    for i in 0..requests as u64 {
        let (sid, fid) = match generation {
            Generation::Legacy => (first_stream_id + i, 1),
            Generation::Modern => (2 * i + 1, 1),
        };
        let ua = rng.pick(&USER_AGENTS).copied().unwrap_or("curl/8.5.0");
        let method = rng.pick(&METHODS).copied().unwrap_or("GET");
        let path: String = format!(
            "/api/v1/items/{}?page={}",
            rng.below(100_000),
            rng.below(50)
        );
        let unique = format!(
            "7F000001:{:04X}_7F000001:46A0_{:08X}_{:04X}:1355",
            rng.below(0x10000),
            rng.next_u64() as u32,
            i
        );
        let hdrs = format!(
            "\x04host\x0f127.0.0.1:18080\x06accept\x03*/*\x0auser-agent{}{}\x00\x00",
            char::from(ua.len() as u8),
            ua
        );
        let src = [127, 0, 0, 1 + rng.below(200) as u8];
        let port = 30_000 + rng.below(30_000);
        let (notify, ack) = match shape {
            Shape::Rich => {
                let notify = FrameRepr::notify(
                    sid,
                    fid,
                    vec![
                        MessageRepr::new(
                            "check-client-ip",
                            [
                                ("ip", Value::Ipv4(src)),
                                ("port", Value::Int64(port)),
                                ("ua", Value::String(ua.as_bytes())),
                                ("method", Value::String(method.as_bytes())),
                                ("path", Value::String(path.as_bytes())),
                                ("ssl", Value::Bool(rng.below(2) == 1)),
                                ("len", Value::Int64(rng.below(4096))),
                                ("unique", Value::String(unique.as_bytes())),
                            ],
                        ),
                        MessageRepr::new(
                            "check-headers",
                            [
                                ("hdrs", Value::Binary(hdrs.as_bytes())),
                                (
                                    "ip6",
                                    Value::Ipv6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
                                ),
                                ("nothing", Value::String(b"")),
                                ("big", Value::Int64(u64::MAX)),
                            ],
                        ),
                    ],
                );
                let score = rng.below(100);
                let ack = FrameRepr::ack(
                    sid,
                    fid,
                    vec![
                        ActionRepr::set_var(Scope::Sess, "score", Value::Int64(score)),
                        ActionRepr::set_var(
                            Scope::Txn,
                            "tag",
                            Value::String(if score > 50 { b"ok" } else { b"suspicious" }),
                        ),
                    ],
                );
                (notify, ack)
            }
            Shape::Compact => {
                let short = path.get(..path.len().min(12)).unwrap_or(&path);
                let notify = FrameRepr::notify(
                    sid,
                    fid,
                    vec![MessageRepr::new(
                        "check-client-ip",
                        [
                            ("ip", Value::Ipv4(src)),
                            ("port", Value::Int64(port)),
                            (
                                "ua",
                                Value::String(ua.get(..ua.len().min(10)).unwrap_or(ua).as_bytes()),
                            ),
                            ("method", Value::String(method.as_bytes())),
                            ("path", Value::String(short.as_bytes())),
                            ("ssl", Value::Bool(rng.below(2) == 1)),
                        ],
                    )],
                );
                let ack = FrameRepr::ack(
                    sid,
                    fid,
                    vec![ActionRepr::set_var(Scope::Txn, "n", Value::Int64(i + 1))],
                );
                (notify, ack)
            }
        };
        c.push(true, &notify);
        c.push(false, &ack);
    }
    c.push(
        true,
        &FrameRepr::disconnect(FrameType::HaproxyDisconnect, 0, "normal"),
    );
    c.push(
        false,
        &FrameRepr::disconnect(FrameType::AgentDisconnect, 0, "normal"),
    );
    c
}

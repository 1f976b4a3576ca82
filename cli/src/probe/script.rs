//! The probe's conversation, phase by phase (see the module above for the list).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use spop_codec::capture::spop::SpopConnection;
use spop_codec::wire::{FrameRepr, FrameType, MessageRepr, Payload, Value};

use super::conn::{Clock, Conn, End, Got, Pace};
use super::{open, Plan, Speak, MAX_FRAME_SIZE};

/// HAProxy keeps at most this many NOTIFYs in flight on a pipelined connection (3.1+: streams
/// per connection; ≤3.0: max-waiting-frames).
pub(super) const WINDOW: usize = 20;
/// Connections opened again after the agent broke one, in the edge phase.
const MAX_RECONNECTS: usize = 8;
/// How long HAProxy's side still listens after it closed (a late ACK, a DISCONNECT).
const LINGER: Duration = Duration::from_millis(300);

/// Stream-ids as the chosen HAProxy allocates them.
pub(super) struct Ids {
    speak: Speak,
    /// ≤3.0: the process-wide counter (shared by every connection).
    global: Arc<AtomicU64>,
    /// 3.1+: the next odd id of this connection.
    next: u64,
}

impl Ids {
    pub(super) fn new(speak: Speak, global: &Arc<AtomicU64>) -> Ids {
        Ids {
            speak,
            global: global.clone(),
            next: 1,
        }
    }

    /// The next NOTIFY's (stream-id, frame-id).
    fn next(&mut self) -> (u64, u64) {
        match self.speak {
            Speak::Modern => {
                let s = self.next;
                self.next = self.next.saturating_add(2);
                (s, 1)
            }
            Speak::Legacy => (self.global.fetch_add(1, Ordering::Relaxed), 1),
        }
    }
}

/// A connection past its handshake.
pub(super) struct Session {
    pub conn: Conn,
    ids: Ids,
    pub pipelining: bool,
    pub max_frame: u32,
}

/// How a handshake or an exchange failed.
pub(super) enum Broke {
    /// The connection gave out (the agent closed, reset, sent garbage, or the probe gave up).
    End,
    /// The agent sent AGENT-DISCONNECT.
    Disconnect,
    /// The AGENT-HELLO is unusable: HAProxy disconnected with this status.
    Refused,
}

fn encode(f: &FrameRepr<'_>) -> Vec<u8> {
    // The probe's frames are built from bounded values: encoding cannot fail.
    f.to_bytes().unwrap_or_default()
}

/// HAProxy's reaction to a connection that gave out: an invalid or oversized frame gets a
/// HAPROXY-DISCONNECT with the matching status first; then it closes.
pub(super) fn give_up(conn: &mut Conn, why: End) {
    let status = match why {
        End::Oversized(_) => Some((3, "frame is too big")),
        End::Garbage | End::Flood => Some((4, "invalid frame received")),
        _ => None,
    };
    if let Some((code, text)) = status {
        let bye = encode(&FrameRepr::disconnect(
            FrameType::HaproxyDisconnect,
            code,
            text,
        ));
        let _ = conn.send(&bye, Pace::Whole);
    }
    conn.close(LINGER);
}

/// The first bytes the agent sent, for a "not SPOP" message.
fn preview(bytes: &[u8]) -> String {
    let head = bytes.get(..bytes.len().min(40)).unwrap_or(bytes);
    let text = spop_codec::display::text(head);
    let text = spop_codec::display::escape(text.trim_end()).into_owned();
    format!("{text}{}", if bytes.len() > 40 { "…" } else { "" })
}

/// Sends HAProxy's HELLO at `pace` and reads the AGENT-HELLO. `first`: the session's first
/// connection, where bytes that are not SPOP end the whole probe with an error.
pub(super) fn hello(
    plan: &Plan,
    mut conn: Conn,
    ids: Ids,
    pace: Pace,
    healthcheck: bool,
    first: bool,
) -> Result<Result<Session, (Conn, Broke)>, String> {
    let caps = match plan.speak {
        Speak::Modern => "pipelining",
        Speak::Legacy => "pipelining,async",
    };
    let engine = "8a3f2c1e-5b7d-4e9a-b0c6-d2f4e6a8b0c2";
    let frame = FrameRepr::haproxy_hello(
        MAX_FRAME_SIZE,
        caps,
        (!healthcheck).then_some(engine),
        healthcheck,
    );
    if conn.send(&encode(&frame), pace).is_err() {
        return Ok(Err((conn, Broke::End)));
    }
    let got = conn.recv(Instant::now() + plan.timeout);
    let not_spop = match &got {
        Err(End::Garbage | End::Oversized(_)) => true,
        Ok(g) => !matches!(
            g.frame_type,
            FrameType::AgentHello | FrameType::AgentDisconnect
        ),
        Err(_) => false,
    };
    if first && not_spop {
        return Err(format!(
            "{}: not an SPOP agent: it answered HAProxy's HELLO with \"{}\"",
            plan.address,
            preview(conn.received())
        ));
    }
    let got = match got {
        Ok(g) => g,
        Err(e) => {
            give_up(&mut conn, e);
            return Ok(Err((conn, Broke::End)));
        }
    };
    if got.frame_type == FrameType::AgentDisconnect {
        conn.close(LINGER);
        return Ok(Err((conn, Broke::Disconnect)));
    }
    match agreed(&got) {
        Ok((max_frame, pipelining)) => {
            conn.limit = max_frame;
            Ok(Ok(Session {
                conn,
                ids,
                pipelining,
                max_frame,
            }))
        }
        Err((code, text)) => {
            let bye = encode(&FrameRepr::disconnect(
                FrameType::HaproxyDisconnect,
                code,
                text,
            ));
            let _ = conn.send(&bye, Pace::Whole);
            conn.close(LINGER);
            Ok(Err((conn, Broke::Refused)))
        }
    }
}

/// What an AGENT-HELLO settles, or the status HAProxy refuses it with.
fn agreed(got: &Got) -> Result<(u32, bool), (u64, &'static str)> {
    let frame = got.frame().ok_or((4, "invalid frame received"))?;
    let Payload::KvList(kv) = frame.payload() else {
        return Err((4, "invalid frame received"));
    };
    let version = kv.get(b"version").ok_or((5, "version value not found"))?;
    let v = version
        .value
        .value()
        .as_bytes()
        .ok_or((8, "unsupported version"))?;
    if v.trim_ascii() != b"2.0" {
        return Err((8, "unsupported version"));
    }
    let max = kv
        .get(b"max-frame-size")
        .ok_or((6, "max-frame-size value not found"))?
        .value
        .value()
        .as_u64()
        .ok_or((6, "max-frame-size value not found"))?;
    if !(256..=u64::from(MAX_FRAME_SIZE)).contains(&max) {
        return Err((9, "max-frame-size too big or too small"));
    }
    let caps = kv
        .get(b"capabilities")
        .ok_or((7, "capabilities value not found"))?;
    let pipelining = caps.value.value().as_bytes().is_some_and(|c| {
        c.split(|&b| b == b',')
            .any(|t| t.trim_ascii() == b"pipelining")
    });
    Ok((u32::try_from(max).unwrap_or(MAX_FRAME_SIZE), pipelining))
}

/// Sends one NOTIFY at `pace`; its ids.
fn notify(s: &mut Session, messages: Vec<MessageRepr<'_>>, pace: Pace) -> Result<(u64, u64), End> {
    let (sid, fid) = s.ids.next();
    s.conn
        .send(&encode(&FrameRepr::notify(sid, fid, messages)), pace)?;
    Ok((sid, fid))
}

/// Reads until at most `keep` of the `pending` NOTIFYs wait for their ACK (ACKs for other ids
/// are read past: the engine judges them), or the connection breaks. Each wait for the next
/// frame is bounded by the timeout.
pub(super) fn acks(
    plan: &Plan,
    s: &mut Session,
    pending: &mut BTreeSet<(u64, u64)>,
    keep: usize,
) -> Result<(), Broke> {
    let mut deadline = Instant::now() + plan.timeout;
    while pending.len() > keep {
        match s.conn.recv(deadline) {
            Ok(g) if g.frame_type == FrameType::Ack => {
                if pending.remove(&(g.stream_id, g.frame_id)) {
                    deadline = Instant::now() + plan.timeout;
                }
            }
            Ok(g) if g.frame_type == FrameType::AgentDisconnect => {
                s.conn.close(LINGER);
                return Err(Broke::Disconnect);
            }
            Ok(_) => {}
            Err(e) => {
                give_up(&mut s.conn, e);
                return Err(Broke::End);
            }
        }
    }
    Ok(())
}

/// HAProxy's clean end: HAPROXY-DISCONNECT, then the agent's AGENT-DISCONNECT (whatever comes
/// before it is read past), then close.
pub(super) fn disconnect(plan: &Plan, s: &mut Session) {
    let bye = encode(&FrameRepr::disconnect(
        FrameType::HaproxyDisconnect,
        0,
        "normal",
    ));
    if s.conn.send(&bye, Pace::Whole).is_ok() {
        let deadline = Instant::now() + plan.timeout;
        loop {
            match s.conn.recv(deadline) {
                Ok(g) if g.frame_type == FrameType::AgentDisconnect => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    s.conn.close(LINGER);
}

/// One case of the edge phase: its messages and how its NOTIFY is written.
struct Case {
    messages: Vec<(&'static str, Vec<(&'static str, Value<'static>)>)>,
    pace: Pace,
}

fn case(name: &'static str, args: Vec<(&'static str, Value<'static>)>) -> Case {
    Case {
        messages: vec![(name, args)],
        pace: Pace::Whole,
    }
}

/// A NOTIFY as HAProxy commonly sends one (the load phase's, and the paced cases').
fn typical(n: u64) -> Vec<(&'static str, Vec<(&'static str, Value<'static>)>)> {
    vec![(
        "check-client-ip",
        vec![
            ("ip", Value::Ipv4([192, 0, 2, (n % 250) as u8 + 1])),
            ("port", Value::Int64(30_000 + n % 30_000)),
            ("ua", Value::String(b"curl/8.5.0")),
            ("method", Value::String(b"GET")),
            ("path", Value::String(b"/api/v1/items?page=2")),
            ("ssl", Value::Bool(n.is_multiple_of(2))),
        ],
    )]
}

/// Every typed-data type at its edges, one NOTIFY each (a failure names its value), then the
/// frame shapes: several messages, small writes, byte by byte. The frame at max-frame-size is
/// built per session ([`full_frame`]).
fn cases() -> Vec<Case> {
    let neg = |v: i64| v as u64;
    vec![
        case(
            "probe-int32",
            vec![
                ("min", Value::Int32(neg(i64::from(i32::MIN)))),
                ("max", Value::Int32(i32::MAX as u64)),
                ("minus-one", Value::Int32(neg(-1))),
                ("zero", Value::Int32(0)),
            ],
        ),
        case(
            "probe-int64",
            vec![
                ("min", Value::Int64(neg(i64::MIN))),
                ("max", Value::Int64(i64::MAX as u64)),
                ("minus-one", Value::Int64(neg(-1))),
            ],
        ),
        case(
            "probe-uint",
            vec![
                ("uint32-max", Value::Uint32(u64::from(u32::MAX))),
                ("uint64-max", Value::Uint64(u64::MAX)),
                ("uint64-zero", Value::Uint64(0)),
            ],
        ),
        case("probe-string-empty", vec![("s", Value::String(b""))]),
        case(
            "probe-string-non-ascii",
            vec![("s", Value::String("héllo wörld ✓ 日本語".as_bytes()))],
        ),
        case(
            "probe-binary",
            vec![
                ("nuls", Value::Binary(b"\x00a\x00\x00b\xff\x00")),
                ("empty", Value::Binary(b"")),
            ],
        ),
        case(
            "probe-ipv4",
            vec![
                ("any", Value::Ipv4([0, 0, 0, 0])),
                ("broadcast", Value::Ipv4([255, 255, 255, 255])),
                ("doc", Value::Ipv4([192, 0, 2, 1])),
            ],
        ),
        case(
            "probe-ipv6",
            vec![
                ("any", Value::Ipv6([0; 16])),
                (
                    "loopback",
                    Value::Ipv6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
                ),
                (
                    "doc",
                    Value::Ipv6([
                        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
                    ]),
                ),
            ],
        ),
        case(
            "probe-bool",
            vec![("true", Value::Bool(true)), ("false", Value::Bool(false))],
        ),
        case("probe-null", vec![("nothing", Value::Null)]),
        Case {
            messages: vec![
                ("probe-multi-1", vec![("n", Value::Int64(1))]),
                (
                    "probe-multi-2",
                    vec![("s", Value::String(b"two")), ("ok", Value::Bool(true))],
                ),
                ("probe-multi-3", vec![]),
            ],
            pace: Pace::Whole,
        },
        Case {
            messages: typical(7),
            pace: Pace::Chunks(7),
        },
        Case {
            messages: typical(1),
            pace: Pace::Chunks(1),
        },
    ]
}

/// A NOTIFY whose LENGTH is exactly `max_frame` (a BINARY filler sized to fit).
fn full_frame(s: &mut Session) -> Result<(u64, u64), End> {
    let (sid, fid) = s.ids.next();
    let build = |n: usize, filler: &[u8]| {
        encode(&FrameRepr::notify(
            sid,
            fid,
            vec![MessageRepr::new(
                "probe-max-frame-size",
                [("filler", Value::Binary(filler.get(..n).unwrap_or(filler)))],
            )],
        ))
    };
    let target = s.max_frame as usize;
    let filler = vec![0x5a; target];
    let mut n = target.saturating_sub(build(0, &filler).len().saturating_sub(4));
    // The filler's length varint grows with it: settle on the exact size.
    for _ in 0..4 {
        let len = build(n, &filler).len().saturating_sub(4);
        if len == target {
            break;
        }
        n = (n + target).saturating_sub(len).min(target);
    }
    s.conn.send(&build(n, &filler), Pace::Whole)?;
    Ok((sid, fid))
}

/// The edge phase on one connection at a time (a new one after the agent broke one). Whether
/// the agent got past the handshake at all.
fn edges(
    plan: &Plan,
    clock: &Arc<Clock>,
    global: &Arc<AtomicU64>,
    done: &mut Vec<SpopConnection>,
) -> Result<bool, String> {
    let mut session: Option<Session> = None;
    let mut opened = 0;
    let mut shaken = false;
    let mut steps: Vec<Option<Case>> = cases().into_iter().map(Some).collect();
    // `None`: the frame at max-frame-size, second to last (before the paced ones' end).
    steps.insert(steps.len() - 2, None);
    for step in steps {
        if session.is_none() {
            if opened > MAX_RECONNECTS {
                break;
            }
            let Some(conn) = open(plan, clock, 16) else {
                break;
            };
            // The first HELLO is written byte by byte.
            let pace = if opened == 0 {
                Pace::Chunks(1)
            } else {
                Pace::Whole
            };
            opened += 1;
            match hello(plan, conn, Ids::new(plan.speak, global), pace, false, false)? {
                Ok(s) => {
                    shaken = true;
                    session = Some(s);
                }
                Err((conn, _)) => {
                    done.push(conn.finish(0));
                    break;
                }
            }
        }
        let Some(s) = session.as_mut() else { break };
        let sent = match &step {
            Some(c) => {
                let messages = c
                    .messages
                    .iter()
                    .map(|(name, args)| MessageRepr::new(name, args.iter().copied()))
                    .collect();
                notify(s, messages, c.pace)
            }
            None => full_frame(s),
        };
        let mut pending = BTreeSet::new();
        let ok = match sent {
            Ok(ids) => {
                pending.insert(ids);
                acks(plan, s, &mut pending, 0).is_ok()
            }
            Err(e) => {
                give_up(&mut s.conn, e);
                false
            }
        };
        if !ok {
            if let Some(s) = session.take() {
                done.push(s.conn.finish(0));
            }
        }
    }
    if let Some(mut s) = session.take() {
        disconnect(plan, &mut s);
        done.push(s.conn.finish(0));
    }
    Ok(shaken)
}

/// One load connection: `plan.notifies` NOTIFYs with up to [`WINDOW`] in flight (one without
/// pipelining, as HAProxy does), those still unanswered when the last is sent in flight when
/// HAPROXY-DISCONNECT goes.
fn load(plan: &Plan, clock: &Arc<Clock>, global: &Arc<AtomicU64>) -> Option<SpopConnection> {
    let conn = open(plan, clock, plan.notifies)?;
    let mut s = match hello(
        plan,
        conn,
        Ids::new(plan.speak, global),
        Pace::Whole,
        false,
        false,
    ) {
        Ok(Ok(s)) => s,
        Ok(Err((conn, _))) => return Some(conn.finish(0)),
        Err(_) => return None,
    };
    let window = if s.pipelining { WINDOW } else { 1 };
    let mut pending = BTreeSet::new();
    for n in 0..plan.notifies {
        // Never more in flight than HAProxy allows; the last ones are not waited for.
        if acks(plan, &mut s, &mut pending, window - 1).is_err() {
            return Some(s.conn.finish(0));
        }
        let messages = typical(n as u64)
            .into_iter()
            .map(|(name, args)| MessageRepr::new(name, args))
            .collect();
        match notify(&mut s, messages, Pace::Whole) {
            Ok(ids) => {
                pending.insert(ids);
            }
            Err(e) => {
                give_up(&mut s.conn, e);
                return Some(s.conn.finish(0));
            }
        }
    }
    // With NOTIFYs in flight: where an agent whose writers interleave shows it.
    disconnect(plan, &mut s);
    Some(s.conn.finish(0))
}

/// The idle connection: a handshake, then nothing; the agent may close it (with a DISCONNECT)
/// within `plan.idle`, else HAProxy does.
fn idle(plan: &Plan, clock: &Arc<Clock>, global: &Arc<AtomicU64>) -> Option<SpopConnection> {
    let conn = open(plan, clock, 0)?;
    let mut s = match hello(
        plan,
        conn,
        Ids::new(plan.speak, global),
        Pace::Whole,
        false,
        false,
    ) {
        Ok(Ok(s)) => s,
        Ok(Err((conn, _))) => return Some(conn.finish(0)),
        Err(_) => return None,
    };
    match s.conn.recv(Instant::now() + plan.idle) {
        Err(End::Timeout) => disconnect(plan, &mut s),
        Ok(g) if g.frame_type == FrameType::AgentDisconnect => s.conn.close(LINGER),
        Ok(_) => disconnect(plan, &mut s),
        Err(e) => give_up(&mut s.conn, e),
    }
    Some(s.conn.finish(0))
}

/// The whole conversation; `first` is the connection already open (the health check).
pub fn run(plan: &Plan, clock: &Arc<Clock>, first: Conn) -> Result<Vec<SpopConnection>, String> {
    let global = Arc::new(AtomicU64::new(1));
    let mut done = Vec::new();
    // The health check: HELLO with healthcheck=true, the AGENT-HELLO, and HAProxy closes.
    match hello(
        plan,
        first,
        Ids::new(plan.speak, &global),
        Pace::Whole,
        true,
        true,
    )? {
        Ok(mut s) => {
            s.conn.close(LINGER);
            done.push(s.conn.finish(0));
        }
        Err((conn, _)) => done.push(conn.finish(0)),
    }
    if let Some((path, timing)) = &plan.replay {
        super::replay::run(plan, clock, &global, path, *timing, &mut done)?;
        return Ok(done);
    }
    if !edges(plan, clock, &global, &mut done)? {
        return Ok(done);
    }
    // Load and idle connections at once, each on its own thread.
    let spawned: Vec<thread::JoinHandle<Option<SpopConnection>>> = (0..plan.connections)
        .map(|_| {
            let (plan, clock, global) = (plan.clone(), clock.clone(), global.clone());
            thread::spawn(move || load(&plan, &clock, &global))
        })
        .chain(std::iter::once({
            let (plan, clock, global) = (plan.clone(), clock.clone(), global.clone());
            thread::spawn(move || idle(&plan, &clock, &global))
        }))
        .collect();
    for h in spawned {
        if let Ok(Some(c)) = h.join() {
            done.push(c);
        }
    }
    Ok(done)
}

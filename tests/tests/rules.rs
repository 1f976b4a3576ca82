//! Every rule of the catalogue fires on the shape of the real failure it describes
//! (docs/rules.md, docs/protocol.md §10–§11), built with the codec's encoder and written as a pcap
//! with correct TCP sequence numbers, then loaded and analysed exactly as a user's capture.
//!
//! Each test reads like the wire: `conversation(vec![h2a(hello()), a2h(agent_hello()), …])`
//! is one TCP connection (SYN handshake, then one segment per step, 1 ms apart).
//! [`CASES`] maps every rule to the test that makes it fire; `every_rule_fires_in_its_case`
//! runs them against the catalogue, so a rule added without a test here fails it.

use std::cell::RefCell;
use std::collections::BTreeSet;

use spop_codec::analysis::{
    analyze, analyze_timeline, Analysis, AnalysisOptions, Finding, FrameEntry, Generation,
    Severity, CATALOGUE,
};
use spop_codec::capture::{load, LinkType, LoadOptions};
use spop_codec::wire::ActionBodyRepr;
use spop_codec::wire::{
    ActionRepr, ActionType, Data, Direction, Flags, FrameRepr, FrameType, MessageRepr, PayloadRepr,
    Scope, Value,
};
use spop_tests::pcapgen::{PcapWriter, TcpConversation, TcpPacket};

/// Every rule of the catalogue → the test below that makes it fire and asserts what it says
/// (one test may be the case of several rules). `every_rule_fires_in_its_case` runs each
/// case and fails when a rule has none, when its case does not assert that it fires, or when a
/// code here is not in the catalogue.
const CASES: &[(&str, fn())] = &[
    ("SPOP-F001", f001_length_zero_frame),
    ("SPOP-F002", f002_notify_above_negotiated_size),
    ("SPOP-F003", f003_f012_length_prefix_interleave),
    ("SPOP-F004", f004_ack_without_fin),
    ("SPOP-F005", f005_abort_and_reserved_flags),
    ("SPOP-F006", f006_varint_longer_than_10_bytes),
    ("SPOP-F007", f007_agent_hello_with_stream_id),
    ("SPOP-F008", f008_ack_with_zero_ids),
    ("SPOP-F009", f009_string_length_in_characters),
    ("SPOP-F010", f010_t001_acks_written_into_agent_disconnect),
    ("SPOP-F011", f011_capture_ends_inside_a_frame),
    ("SPOP-F012", f003_f012_length_prefix_interleave),
    ("SPOP-D001", d001_reserved_data_type),
    ("SPOP-D002", d002_bool_with_extra_flag_bits),
    ("SPOP-D003", d003_bool_false_bug),
    ("SPOP-D004", d004_int32_minus_one_as_unsigned),
    ("SPOP-D005", d005_string_with_flag_bits),
    ("SPOP-H001", h001_agent_first_frame_is_ack),
    ("SPOP-H002", h002_notify_before_agent_hello),
    ("SPOP-H003", h003_agent_hello_missing_keys),
    ("SPOP-H004", h004_agent_version_1_0),
    ("SPOP-H005", h005_max_frame_size_out_of_range),
    ("SPOP-H006", h006_max_frame_size_as_string),
    ("SPOP-H007", h007_async_claimed_toward_modern),
    ("SPOP-H008", h008_traffic_on_healthcheck_connection),
    ("SPOP-H009", h009_hello_refused_toward_legacy),
    ("SPOP-X001", x001_ack_for_id_never_sent),
    ("SPOP-X002", x002_duplicate_ack),
    ("SPOP-X003", x003_ack_on_another_connection),
    ("SPOP-X004", x004_notify_never_answered),
    ("SPOP-X005", x005_two_outstanding_without_pipelining),
    ("SPOP-X006", x006_more_than_20_outstanding),
    ("SPOP-X007", x007_bad_actions),
    ("SPOP-X008", x008_slow_ack_with_threshold),
    ("SPOP-X009", x009_ids_off_the_modern_pattern),
    ("SPOP-X010", x010_variable_name_sent_typed),
    ("SPOP-T001", t001_acks_after_agent_disconnect),
    ("SPOP-T002", t002_t003_reload_with_work_in_flight),
    ("SPOP-T003", t002_t003_reload_with_work_in_flight),
    ("SPOP-T004", t004_disconnect_status_explained),
    ("SPOP-T005", t005_malformed_disconnect),
    ("SPOP-C001", c001_http_and_tls_on_the_agent_port),
    ("SPOP-C002", c002_lost_segment),
    ("SPOP-C003", c003_snaplen_truncated_capture),
    ("SPOP-C004", c004_agent_hello_split_after_header),
    ("SPOP-C005", c005_capture_starts_mid_connection),
    ("SPOP-C006", c006_connections_refused_at_the_handshake),
    ("SPOP-C007", c007_text_dump_damaged),
    ("SPOP-N001", n001_agent_down_connects_refused),
    ("SPOP-N002", n002_ack_after_haproxy_closed),
    ("SPOP-N003", n003_processing_timeout_without_pipelining),
    ("SPOP-N004", n004_agent_reset_with_notifies_pending),
    ("SPOP-N005", n005_latency_outlier),
    ("SPOP-N006", n006_legacy_stream_id_jump),
    ("SPOP-N007", n007_agent_stopped_reading),
    ("SPOP-P001", p001_agent_closes_on_a_notify),
    ("SPOP-P002", p002_agent_never_answers),
    ("SPOP-P003", p003_agent_rejects_a_valid_notify),
    ("SPOP-P004", p004_agent_fails_within_its_max_frame_size),
    ("SPOP-P005", p005_unsolicited_hellos),
];

thread_local! {
    /// The codes [`fired`] found on this thread: what the case being run asserted fires.
    static FIRED: RefCell<BTreeSet<&'static str>> = const { RefCell::new(BTreeSet::new()) };
}

// ---------------------------------------------------------------------------------------------
// The wire: steps of a conversation, written as a pcap.
// ---------------------------------------------------------------------------------------------

/// The agent's port.
const AGENT_PORT: u16 = 12345;
/// 2023-11-14T22:13:20Z, in nanoseconds.
const T0: u64 = 1_700_000_000_000_000_000;
/// Time between two packets.
const MS: u64 = 1_000_000;

/// One thing that happens on the wire.
#[derive(Debug, Clone)]
enum Step {
    /// HAProxy writes these bytes (one TCP segment).
    H2A(Vec<u8>),
    /// The agent writes these bytes (one TCP segment).
    A2H(Vec<u8>),
    /// The segment was sent (sequence numbers advance) but the capture missed it.
    Lost(Box<Step>),
    /// HAProxy closes its side.
    HaproxyFin,
    /// The agent closes its side.
    AgentFin,
    /// HAProxy resets the connection.
    HaproxyRst,
    /// The agent resets the connection.
    AgentRst,
    /// The agent announces a zero window (it stops reading), or opens it again.
    AgentWindow(u16),
    /// HAProxy tries a new connection to the agent: its SYN is answered by a RST (nothing
    /// listens), or (`false`) not answered at all.
    Attempt { refused: bool },
    /// Time passes (nanoseconds) before the next packet.
    Pause(u64),
    /// The step happens on connection `n` (opened with a TCP handshake at its first step;
    /// steps without `on` are on connection 0).
    On(usize, Box<Step>),
}

fn h2a(bytes: impl Into<Vec<u8>>) -> Step {
    Step::H2A(bytes.into())
}
fn a2h(bytes: impl Into<Vec<u8>>) -> Step {
    Step::A2H(bytes.into())
}
fn lost(step: Step) -> Step {
    Step::Lost(Box::new(step))
}
fn on(conn: usize, step: Step) -> Step {
    Step::On(conn, Box::new(step))
}

/// A capture to build: the steps, and how it is captured, loaded and analysed.
struct Wire {
    steps: Vec<Step>,
    syn: bool,
    snaplen: Option<u32>,
    load: LoadOptions,
    options: AnalysisOptions,
}

impl Wire {
    fn new(steps: Vec<Step>) -> Self {
        Wire {
            steps,
            syn: true,
            snaplen: None,
            load: LoadOptions::default(),
            options: AnalysisOptions::default(),
        }
    }

    /// The capture starts after the connections did: no TCP handshake is captured.
    fn mid_connection(mut self) -> Self {
        self.syn = false;
        self
    }

    fn snaplen(mut self, snaplen: u32) -> Self {
        self.snaplen = Some(snaplen);
        self
    }

    fn ports(mut self, ports: Vec<u16>) -> Self {
        self.load = LoadOptions {
            ports,
            ..LoadOptions::default()
        };
        self
    }

    fn options(mut self, options: AnalysisOptions) -> Self {
        self.options = options;
        self
    }

    /// The pcap file: Ethernet, one packet per segment, 1 ms apart (plus pauses).
    fn pcap(&self) -> Vec<u8> {
        let mut w = PcapWriter::new(LinkType::ETHERNET).nanos();
        if let Some(s) = self.snaplen {
            w = w.snaplen(s);
        }
        let mut conns: Vec<Option<TcpConversation>> = Vec::new();
        let mut now = T0;
        let write = |w: &mut PcapWriter, now: &mut u64, p: TcpPacket| {
            w.packet(*now, &p.ethernet());
            *now += MS;
        };
        let mut attempts = 0u16;
        for step in &self.steps {
            if let Step::Attempt { refused } = step {
                attempts += 1;
                let mut c = TcpConversation::new(
                    format!("10.0.0.1:{}", 50000 + attempts).as_str(),
                    format!("10.0.0.2:{AGENT_PORT}").as_str(),
                );
                write(&mut w, &mut now, c.syn());
                if *refused {
                    write(&mut w, &mut now, c.server_rst());
                }
                continue;
            }
            let (n, step) = match step {
                Step::On(n, s) => (*n, &**s),
                s => (0, s),
            };
            if conns.len() <= n {
                conns.resize(n + 1, None);
            }
            let c = conns[n].get_or_insert_with(|| {
                let mut c = TcpConversation::new(
                    format!("10.0.0.1:{}", 40000 + n).as_str(),
                    format!("10.0.0.2:{AGENT_PORT}").as_str(),
                );
                if self.syn {
                    for p in c.handshake() {
                        write(&mut w, &mut now, p);
                    }
                }
                c
            });
            match step {
                Step::H2A(b) => write(&mut w, &mut now, c.client(b)),
                Step::A2H(b) => write(&mut w, &mut now, c.server(b)),
                Step::Lost(s) => match &**s {
                    Step::H2A(b) => drop(c.client(b)),
                    Step::A2H(b) => drop(c.server(b)),
                    other => panic!("only data segments get lost, not {other:?}"),
                },
                Step::HaproxyFin => write(&mut w, &mut now, c.client_fin()),
                Step::AgentFin => write(&mut w, &mut now, c.server_fin()),
                Step::HaproxyRst => write(&mut w, &mut now, c.client_rst()),
                Step::AgentRst => write(&mut w, &mut now, c.server_rst()),
                Step::AgentWindow(win) => write(&mut w, &mut now, c.server_ack().window(*win)),
                Step::Attempt { .. } => unreachable!("handled above"),
                Step::Pause(ns) => now += *ns,
                Step::On(..) => panic!("nested on()"),
            }
        }
        w.finish()
    }

    /// Loads and analyses the pcap (`SPOP_RULES_DUMP=1` prints every finding).
    fn analyze(&self) -> Analysis {
        let capture = load(&self.pcap(), &self.load).expect("the pcap loads");
        let a = analyze(capture, &self.options);
        if std::env::var_os("SPOP_RULES_DUMP").is_some() {
            eprintln!("{}", dump(&a));
        }
        a
    }
}

/// One connection from its SYN, analysed with the default options.
fn conversation(steps: Vec<Step>) -> Analysis {
    Wire::new(steps).analyze()
}

/// One connection recorded by `spop-inspect probe` (a probe session, where the SPOP-P rules
/// run), analysed with the default options.
fn probe_session(steps: Vec<Step>) -> Analysis {
    let wire = Wire::new(steps);
    let mut capture = load(&wire.pcap(), &wire.load).expect("the pcap loads");
    capture.shared.push((
        spop_codec::capture::PROBE_SESSION_KEY.to_string(),
        "3.1+".to_string(),
    ));
    analyze(capture, &wire.options)
}

/// A 3.1+ handshake (HAProxy announces "pipelining" and an engine-id), then `rest`.
fn after_handshake(rest: Vec<Step>) -> Vec<Step> {
    let mut steps = vec![h2a(hello()), a2h(agent_hello())];
    steps.extend(rest);
    steps
}

/// A ≤3.0 handshake (HAProxy announces "pipelining,async"), then `rest`.
fn after_legacy_handshake(rest: Vec<Step>) -> Vec<Step> {
    let mut steps = vec![h2a(legacy_hello()), a2h(agent_hello())];
    steps.extend(rest);
    steps
}

// ---------------------------------------------------------------------------------------------
// Frames, as HAProxy and agents write them.
// ---------------------------------------------------------------------------------------------

const ENGINE_ID: &str = "5c77d91d-0396-47a2-ba79-e1b1ff227648";

fn frame(repr: FrameRepr<'_>) -> Vec<u8> {
    repr.to_bytes().expect("encodes")
}

/// HAProxy 3.1+'s HELLO: capabilities "pipelining", an engine-id.
fn hello() -> Vec<u8> {
    frame(FrameRepr::haproxy_hello(
        16380,
        "pipelining",
        Some(ENGINE_ID),
        false,
    ))
}

/// HAProxy ≤3.0's HELLO: capabilities "pipelining,async".
fn legacy_hello() -> Vec<u8> {
    frame(FrameRepr::haproxy_hello(
        16380,
        "pipelining,async",
        Some(ENGINE_ID),
        false,
    ))
}

/// A well-behaved agent's HELLO.
fn agent_hello() -> Vec<u8> {
    frame(FrameRepr::agent_hello("2.0", 16380, "pipelining"))
}

/// An AGENT-HELLO with exactly these pairs.
fn agent_hello_kv(pairs: Vec<(&'static str, Value<'static>)>) -> Vec<u8> {
    frame(FrameRepr {
        frame_type: FrameType::AgentHello,
        flags: Flags::FIN_ONLY,
        stream_id: 0,
        frame_id: 0,
        payload: PayloadRepr::KvList(
            pairs
                .into_iter()
                .map(|(k, v)| (k.as_bytes(), Data::new(v)))
                .collect(),
        ),
    })
}

/// The NOTIFY of `spoe-message check-client-ip args ip=src method=method` on `stream-id`
/// (frame-id 1, as 3.1+ sends).
fn notify(sid: u64) -> Vec<u8> {
    notify_method(sid, "GET")
}

fn notify_method(sid: u64, method: &'static str) -> Vec<u8> {
    frame(FrameRepr::notify(
        sid,
        1,
        vec![MessageRepr::new(
            "check-client-ip",
            [
                ("ip", Value::Ipv4([192, 0, 2, 10])),
                ("method", Value::String(method.as_bytes())),
            ],
        )],
    ))
}

/// The ACK of haproxy#2490's dump: set-var(txn.allowed, true).
fn ack(sid: u64) -> Vec<u8> {
    ack_actions(
        sid,
        1,
        vec![ActionRepr::set_var(
            Scope::Txn,
            "allowed",
            Value::Bool(true),
        )],
    )
}

fn ack_actions(sid: u64, fid: u64, actions: Vec<ActionRepr<'_>>) -> Vec<u8> {
    frame(FrameRepr::ack(sid, fid, actions))
}

/// An ACK setting txn.allowed to a value with exactly this type byte and body.
fn ack_with_value(sid: u64, type_byte: u8, body: &[u8]) -> Vec<u8> {
    let mut payload = vec![0x01, 0x03, 0x02, 0x07];
    payload.extend_from_slice(b"allowed");
    payload.push(type_byte);
    payload.extend_from_slice(body);
    raw_ack(sid, 1, Flags::FIN_ONLY, &payload)
}

/// An ACK with a payload written by hand.
fn raw_ack(sid: u64, fid: u64, flags: Flags, payload: &[u8]) -> Vec<u8> {
    frame(FrameRepr {
        frame_type: FrameType::Ack,
        flags,
        stream_id: sid,
        frame_id: fid,
        payload: PayloadRepr::Raw(payload),
    })
}

fn haproxy_disconnect(status: u64, message: &'static str) -> Vec<u8> {
    frame(FrameRepr::disconnect(
        FrameType::HaproxyDisconnect,
        status,
        message,
    ))
}

fn agent_disconnect(status: u64, message: &'static str) -> Vec<u8> {
    frame(FrameRepr::disconnect(
        FrameType::AgentDisconnect,
        status,
        message,
    ))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reading the analysis.
// ---------------------------------------------------------------------------------------------

fn dump(a: &Analysis) -> String {
    a.findings
        .iter()
        .map(|f| {
            format!(
                "  {} {} frames {:?}: {}\n",
                f.code(),
                f.severity,
                f.frames,
                f.message
            )
        })
        .collect()
}

/// The findings of `code`; fails (listing every finding) if there is none.
fn fired<'a>(a: &'a Analysis, code: &str) -> Vec<&'a Finding> {
    let found: Vec<&Finding> = a.findings.iter().filter(|f| f.code() == code).collect();
    assert!(
        !found.is_empty(),
        "{code} did not fire; findings:\n{}",
        dump(a)
    );
    FIRED.with(|seen| seen.borrow_mut().insert(found[0].code()));
    found
}

/// The one finding of `code`.
fn fired_once<'a>(a: &'a Analysis, code: &str) -> &'a Finding {
    let found = fired(a, code);
    assert_eq!(
        found.len(),
        1,
        "{code} fired {} times:\n{}",
        found.len(),
        dump(a)
    );
    found[0]
}

/// Asserts `code` did not fire.
fn silent(a: &Analysis, code: &str) {
    assert!(
        a.findings.iter().all(|f| f.code() != code),
        "{code} fired; findings:\n{}",
        dump(a)
    );
}

/// The frame a finding is shown under.
fn under<'a>(a: &'a Analysis, f: &Finding) -> &'a FrameEntry {
    let i = *f.frames.first().expect("the finding points at a frame");
    &a.frames[i]
}

/// Asserts the finding is shown under a frame of this type, direction and ids.
#[track_caller]
fn assert_under(a: &Analysis, f: &Finding, ty: FrameType, ids: (u64, u64)) {
    let e = under(a, f);
    assert_eq!(
        (e.frame_type, (e.stream_id, e.frame_id)),
        (ty, ids),
        "{} is under the wrong frame:\n{}",
        f.code(),
        dump(a)
    );
    assert_eq!(Some(e.direction), ty.direction(), "{}", f.code());
}

/// Asserts the message contains every piece.
#[track_caller]
fn says(f: &Finding, pieces: &[&str]) {
    for p in pieces {
        assert!(
            f.message.contains(p),
            "{} message lacks {p:?}: {}",
            f.code(),
            f.message
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The catalogue itself.
// ---------------------------------------------------------------------------------------------

#[test]
fn catalogue_is_well_formed() {
    let mut codes = BTreeSet::new();
    for r in CATALOGUE {
        assert!(codes.insert(r.code), "duplicate code {}", r.code);
        let (family, number) = r.code.split_at(6);
        assert!(
            ["SPOP-F", "SPOP-D", "SPOP-H", "SPOP-X", "SPOP-T", "SPOP-C", "SPOP-N", "SPOP-P"]
                .contains(&family)
                && number.len() == 3
                && number.bytes().all(|b| b.is_ascii_digit()),
            "{}: code shape",
            r.code
        );
        assert!(
            !r.name.is_empty()
                && !r.name.starts_with('-')
                && !r.name.ends_with('-')
                && !r.name.contains("--")
                && r.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}: name {:?} is not kebab-case",
            r.code,
            r.name
        );
        assert!(!r.title.trim().is_empty(), "{}: empty title", r.code);
        assert!(
            !r.explanation.trim().is_empty(),
            "{}: empty explanation",
            r.code
        );
        assert_eq!(
            spop_codec::analysis::rule(r.code),
            Some(*r),
            "{}: rule() finds it",
            r.code
        );
    }
    let names: BTreeSet<&str> = CATALOGUE.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), CATALOGUE.len(), "names are unique");
}

/// The registry: every rule of the catalogue has a case in [`CASES`], and running it makes the
/// rule fire (the case asserts it, through [`fired`]); every code in [`CASES`] is a rule.
#[test]
fn every_rule_fires_in_its_case() {
    for (i, (code, _)) in CASES.iter().enumerate() {
        assert!(
            spop_codec::analysis::rule(code).is_some(),
            "{code} is in CASES but not in the catalogue"
        );
        assert!(
            CASES[..i].iter().all(|(c, _)| c != code),
            "{code} is in CASES twice"
        );
    }
    for r in CATALOGUE {
        let (_, case) = CASES
            .iter()
            .find(|(code, _)| *code == r.code)
            .unwrap_or_else(|| {
                panic!(
                    "{}: no test makes it fire (write one here and add it to CASES)",
                    r.code
                )
            });
        FIRED.with(|seen| seen.borrow_mut().clear());
        case();
        assert!(
            FIRED.with(|seen| seen.borrow().contains(r.code)),
            "{}: its case in CASES ran without asserting that it fires",
            r.code
        );
    }
}

/// The building blocks are clean: a well-behaved 3.1+ conversation gives no finding but the
/// DISCONNECT's status (T004, info).
#[test]
fn clean_conversation_is_silent() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        h2a(notify(3)),
        a2h(ack(3)),
        a2h(ack(1)),
        h2a(haproxy_disconnect(0, "normal")),
        a2h(agent_disconnect(0, "normal")),
        Step::HaproxyFin,
        Step::AgentFin,
    ]));
    assert_eq!(a.connections[0].generation, Generation::Modern);
    let codes: Vec<&str> = a.findings.iter().map(Finding::code).collect();
    assert_eq!(codes, ["SPOP-T004", "SPOP-T004"], "{}", dump(&a));
}

// ---------------------------------------------------------------------------------------------
// Framing.
// ---------------------------------------------------------------------------------------------

/// haproxy#2490: a LENGTH 0 frame among the agent's ACKs (HAProxy ≤2.9.6 spun on it).
#[test]
fn f001_length_zero_frame() {
    let a = conversation(after_legacy_handshake(vec![
        h2a(notify(1)),
        h2a(notify(2)),
        a2h(ack(1)),
        a2h([vec![0, 0, 0, 0], ack(2)].concat()),
    ]));
    let f = fired_once(&a, "SPOP-F001");
    assert_eq!(f.severity, Severity::Error);
    // Shown after the last good frame, pointing at the 4 LENGTH bytes.
    assert_under(&a, f, FrameType::Ack, (1, 1));
    let hello_len = agent_hello().len();
    let runt_at = hello_len + ack(1).len();
    assert_eq!(f.locations[0].direction, Direction::AgentToHaproxy);
    assert_eq!(
        (f.locations[0].span.start, f.locations[0].span.len()),
        (runt_at, 4)
    );
    says(f, &["LENGTH 0", "spun forever"]);
    // The ACK after it still decodes and answers its NOTIFY.
    silent(&a, "SPOP-X004");
    let f012 = fired_once(&a, "SPOP-F012");
    says(f012, &["4 byte(s)"]);
}

/// spoa-mirror#40: HAProxy 3.1.x sent NOTIFYs above the agent's max-frame-size.
#[test]
fn f002_notify_above_negotiated_size() {
    let big_cookie = "x".repeat(1500);
    let big = frame(FrameRepr::notify(
        3,
        1,
        vec![MessageRepr::new(
            "mirror",
            [("cookie", Value::String(big_cookie.as_bytes()))],
        )],
    ));
    let a = conversation(vec![
        h2a(frame(FrameRepr::haproxy_hello(
            65532,
            "pipelining",
            Some(ENGINE_ID),
            false,
        ))),
        a2h(frame(FrameRepr::agent_hello("2.0", 1024, "pipelining"))),
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(big.clone()),
    ]);
    let f = fired_once(&a, "SPOP-F002");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Notify, (3, 1));
    says(
        f,
        &[
            &format!("NOTIFY LENGTH {}", big.len() - 4),
            "negotiated max-frame-size 1024",
            "status 3",
            "status 9",
        ],
    );
}

/// The agent's ACK is above what HAProxy announced (coraza-spoa#217: HAProxy answered "frame
/// is too big"): too big to believe while cutting the stream, but all there and a frame, so it
/// is listed and named as one.
#[test]
fn f002_agent_frame_above_announced_size() {
    let value = "y".repeat(17_000);
    let big = ack_actions(
        1,
        1,
        vec![ActionRepr::set_var(
            Scope::Txn,
            "body",
            Value::String(value.as_bytes()),
        )],
    );
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(big.clone()),
        h2a(haproxy_disconnect(3, "frame is too big")),
    ]));
    let f = fired_once(&a, "SPOP-F002");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    assert_eq!(f.locations[0].span.start, agent_hello().len());
    says(f, &[&format!("ACK LENGTH {}", big.len() - 4), "16380"]);
    silent(&a, "SPOP-F012");
    silent(&a, "SPOP-X004");
}

/// A complete ACK of LENGTH 16,505 on a connection that negotiated max-frame-size 16,380 (the
/// oversized-ack incident capture), in two TCP segments between ordinary exchanges. It was cut as bytes that are
/// not a frame: no row of its own, SPOP-F012 on its bytes, its SPOP-F002 pinned to the ACK
/// before it (at that ACK's time), and its NOTIFY called unanswered. It is a frame: listed at
/// the time of the packet that completed it, too big (SPOP-F002, on it), paired.
#[test]
fn f002_complete_oversized_ack_is_a_frame() {
    // set-var(txn.body) with a STRING sized so that the ACK's LENGTH is 16,505.
    let ack_of = |n: usize| {
        let value = "z".repeat(n);
        ack_actions(
            3,
            1,
            vec![ActionRepr::set_var(
                Scope::Txn,
                "body",
                Value::String(value.as_bytes()),
            )],
        )
    };
    let n = (16_000..16_505)
        .find(|&n| ack_of(n).len() == 4 + 16_505)
        .expect("a value length for LENGTH 16,505");
    let big = ack_of(n);
    let (first, second) = big.split_at(8_000);
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(notify(3)),
        a2h(first.to_vec()),
        a2h(second.to_vec()),
        h2a(notify(5)),
        a2h(ack(5)),
    ]));
    assert_eq!(a.connections[0].negotiated_max_frame_size, Some(16_380));
    let offset = agent_hello().len() + ack(1).len();
    let e = a
        .frames
        .iter()
        .find(|e| e.direction == Direction::AgentToHaproxy && e.offset() == offset)
        .unwrap_or_else(|| panic!("no frame at {offset:#x}:\n{}", dump(&a)));
    assert_eq!(
        (e.frame_type, e.stream_id, e.frame_id, e.length),
        (FrameType::Ack, 3, 1, 16_505)
    );
    assert_eq!(e.layout.head.len(), 4 + 16_505);
    assert!(e.payload_valid());
    // Its time is the second segment's, the packet that completed it: the 10th of the capture
    // (3 for the TCP handshake, then one per step, 1 ms apart).
    assert_eq!(e.packet, 10);
    assert_eq!(e.time, T0 + 9 * MS);
    // Paired with NOTIFY 3, and everything after it decodes as before.
    let notify = &a.frames[e.paired().expect("the ACK answers its NOTIFY")];
    assert_eq!(
        (notify.frame_type, notify.stream_id),
        (FrameType::Notify, 3)
    );
    assert_eq!(a.frames.len(), 8, "{}", dump(&a));
    assert!(a
        .frames
        .iter()
        .all(|f| f.frame_type != FrameType::Notify || f.pair.is_some()));
    let f = fired_once(&a, "SPOP-F002");
    assert_under(&a, f, FrameType::Ack, (3, 1));
    assert_eq!(f.frames, [e.index]);
    assert_eq!(
        (f.locations[0].span.start, f.locations[0].span.len()),
        (offset, 4),
        "the LENGTH bytes"
    );
    says(
        f,
        &[
            "ACK LENGTH 16505",
            "negotiated max-frame-size 16380",
            "status 3",
        ],
    );
    silent(&a, "SPOP-F012");
    silent(&a, "SPOP-X004");
    silent(&a, "SPOP-X001");
}

/// haproxy-go: AGENT-DISCONNECT and an ACK, each written as two writes (LENGTH, body) by two
/// goroutines without a lock: `LEN_D LEN_A BODY_D BODY_A`. Read as SPOP, the first "frame"
/// has type 0x00 (the first byte of the ACK's LENGTH) and flags 0x000013_66 (no FIN), and the
/// next LENGTH is "rred" (the end of "an unknown error occurred").
#[test]
fn f003_f012_length_prefix_interleave() {
    let d = agent_disconnect(99, "an unknown error occurred");
    let k = ack(3);
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(notify(3)),
        a2h(d[..4].to_vec()),
        a2h(k[..4].to_vec()),
        a2h(d[4..].to_vec()),
        a2h(k[4..].to_vec()),
    ]));
    let f = fired_once(&a, "SPOP-F003");
    assert_eq!(f.severity, Severity::Error);
    let e = under(&a, f);
    assert_eq!(
        (e.direction, e.frame_type, e.offset()),
        (
            Direction::AgentToHaproxy,
            FrameType::Unset,
            agent_hello().len() + ack(1).len()
        )
    );
    says(f, &["type 0x00", "misaligned"]);
    // The same misread frame has no FIN and reserved flag bits.
    let f004 = fired_once(&a, "SPOP-F004");
    assert_eq!(f004.frames, f.frames);
    // The flags are the ACK LENGTH's last 3 bytes and the DISCONNECT's type byte.
    let flags = u32::from_be_bytes([k[1], k[2], k[3], 0x66]);
    says(f004, &[&format!("{flags:#010x}"), "status 10"]);
    let f005 = fired_once(&a, "SPOP-F005");
    assert_eq!(f005.frames, f.frames);
    // Where the reader lands next is "rred", not a frame.
    let f012 = fired_once(&a, "SPOP-F012");
    assert_eq!(f012.severity, Severity::Error);
    assert_eq!(f012.frames, f.frames, "shown after the misread frame");
    says(f012, &["\"rred\"", "implausible"]);
    // "rred" is followed by the ACK's body, but it is no oversized ACK.
    silent(&a, "SPOP-F002");
}

/// docs/vectors.md §9 ack_no_fin: `0000000767000000000101`.
#[test]
fn f004_ack_without_fin() {
    let ack_no_fin = hex("0000000767000000000101");
    assert_eq!(ack_no_fin, raw_ack(1, 1, Flags(0), &[]));
    let a = conversation(after_handshake(vec![h2a(notify(1)), a2h(ack_no_fin)]));
    let f = fired_once(&a, "SPOP-F004");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["ACK", "0x00000000", "FIN is clear", "status 10"]);
    // The span is the 4 flag bytes.
    let l = f.locations[0];
    assert_eq!((l.span.start - under(&a, f).offset(), l.span.len()), (5, 4));
}

/// haproxy-spoa-dotnet#2/#3: an agent setting ABORT on its ACK toward 3.1+ (meaningless
/// there); and flags written little-endian (`01 00 00 00`: reserved bit 24, no FIN).
#[test]
fn f005_abort_and_reserved_flags() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(raw_ack(1, 1, Flags(Flags::FIN | Flags::ABORT), &[])),
    ]));
    let f = fired_once(&a, "SPOP-F005");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["ABORT", "3.1+"]);

    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(raw_ack(1, 1, Flags(0x0100_0000), &[])),
    ]));
    let f = fired_once(&a, "SPOP-F005");
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["reserved", "0x01000000"]);
    fired_once(&a, "SPOP-F004");
}

/// An agent's varint encoder that does not stop: an 11-byte varint (`F0 80×9 01`, which
/// HAProxy shifts by 67 bits) as a set-var INT64 value.
#[test]
fn f006_varint_longer_than_10_bytes() {
    let mut eleven = vec![0xF0];
    eleven.extend([0x80; 9]);
    eleven.push(0x01);
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack_with_value(1, 0x04, &eleven)),
    ]));
    let f = fired_once(&a, "SPOP-F006");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["varint longer than 10 bytes"]);
    silent(&a, "SPOP-X007");
}

/// A varint cut by the frame end: the agent computed LENGTH one byte short, so the last byte
/// of UINT32 4294967295 (`FF F0 FE FE 7E`) falls outside the frame.
#[test]
fn f006_varint_truncated_by_frame_end() {
    let mut k = ack_with_value(1, 0x03, &[0xFF, 0xF0, 0xFE, 0xFE, 0x7E]);
    let len = u32::from_be_bytes(k[..4].try_into().unwrap()) - 1;
    k[..4].copy_from_slice(&len.to_be_bytes());
    let a = conversation(after_handshake(vec![h2a(notify(1)), a2h(k)]));
    let f = fired_once(&a, "SPOP-F006");
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["varint truncated"]);
}

/// docs/vectors.md §9 agent_hello_sid1: an AGENT-HELLO with stream-id 1.
#[test]
fn f007_agent_hello_with_stream_id() {
    let v = hex("00000036650000000101000776657273696F6E0803322E300E6D61782D6672616D652D73697A6503FCF0060C6361706162696C69746965730800");
    let a = conversation(vec![h2a(hello()), a2h(v)]);
    let f = fired_once(&a, "SPOP-F007");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentHello, (1, 0));
    says(f, &["AGENT-HELLO", "stream 1/frame 0", "must be 0/0"]);
}

/// docs/vectors.md §9 ack_sid0 and ack_fid0 toward 3.1+.
#[test]
fn f008_ack_with_zero_ids() {
    let ack_sid0 = hex("0000000767000000010001");
    let a = conversation(after_handshake(vec![h2a(notify(1)), a2h(ack_sid0)]));
    let f = fired_once(&a, "SPOP-F008");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Ack, (0, 1));
    says(f, &["stream-id 0", "status 4"]);

    let ack_fid0 = hex("0000000767000000010100");
    let a = conversation(after_handshake(vec![h2a(notify(1)), a2h(ack_fid0)]));
    let f = fired_once(&a, "SPOP-F008");
    assert_under(&a, f, FrameType::Ack, (1, 0));
    says(f, &["frame-id 0", "stream 1/frame 0"]);
}

/// An agent that measures its DISCONNECT message in characters, not bytes: "échec" is
/// announced as 5 bytes but written as 6, so the KV list does not end at the frame end.
#[test]
fn f009_string_length_in_characters() {
    let mut kv = vec![0x0B];
    kv.extend_from_slice(b"status-code");
    kv.extend([0x03, 0x63, 0x07]);
    kv.extend_from_slice(b"message");
    kv.extend([0x08, 0x05]);
    kv.extend_from_slice("échec".as_bytes());
    let d = frame(FrameRepr {
        frame_type: FrameType::AgentDisconnect,
        flags: Flags::FIN_ONLY,
        stream_id: 0,
        frame_id: 0,
        payload: PayloadRepr::Raw(&kv),
    });
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        a2h(d),
        Step::AgentFin,
    ]));
    let f = fired_once(&a, "SPOP-F009");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentDisconnect, (0, 0));
    says(f, &["AGENT-DISCONNECT"]);
}

/// haproxy#2490 / criteo's shared bufio.Writer: two ACKs written into the middle of the
/// AGENT-DISCONNECT's bytes, which then resume.
#[test]
fn f010_t001_acks_written_into_agent_disconnect() {
    let d = agent_disconnect(0, "connection closed by server");
    let (k3, k5) = (ack(3), ack(5));
    let cut = 20;
    let agent_bytes = [d[..cut].to_vec(), k3.clone(), k5.clone(), d[cut..].to_vec()].concat();
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(notify(3)),
        h2a(notify(5)),
        a2h(agent_bytes),
        Step::AgentFin,
    ]));
    let f = fired_once(&a, "SPOP-F010");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentDisconnect, (0, 0));
    let outer = under(&a, f);
    let base = agent_hello().len() + ack(1).len();
    assert_eq!(outer.offset(), base);
    let embedded: Vec<(FrameType, u64)> = f.frames[1..]
        .iter()
        .map(|&i| (a.frames[i].frame_type, a.frames[i].stream_id))
        .collect();
    assert_eq!(embedded, [(FrameType::Ack, 3), (FrameType::Ack, 5)]);
    assert_eq!(
        f.message,
        format!(
            "AGENT-DISCONNECT ({} bytes, offset {base:#x}) contains 2 complete ACK frames (stream 3/frame 1 at +{cut}, stream 5/frame 1 at +{}); the DISCONNECT's own bytes resume at +{} — two writers interleaved their output",
            d.len() - 4,
            cut + k3.len(),
            cut + k3.len() + k5.len()
        )
    );
    // Written at once: one segment, no TCP split to tell.
    assert!(!f.message.contains("haproxy#3478"), "{}", f.message);
    // The ACKs count as sent after the DISCONNECT: the seed incident.
    let t = fired_once(&a, "SPOP-T001");
    assert_eq!(t.severity, Severity::Error);
    assert_under(&a, t, FrameType::AgentDisconnect, (0, 0));
    says(
        t,
        &[
            "2 frame(s)",
            "ACK 3/1, ACK 5/1",
            "2 of them written into the DISCONNECT",
        ],
    );
}

/// The capture stops while the agent's ACK is in flight: only its first 8 bytes are in.
#[test]
fn f011_capture_ends_inside_a_frame() {
    let k = ack(1);
    let a = conversation(after_handshake(vec![h2a(notify(1)), a2h(k[..8].to_vec())]));
    let f = fired_once(&a, "SPOP-F011");
    assert_eq!(f.severity, Severity::Warning);
    // Shown after the agent's last complete frame.
    assert_under(&a, f, FrameType::AgentHello, (0, 0));
    says(
        f,
        &[
            &format!("8 byte(s) present, {} missing", k.len() - 8),
            "agent",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Typed data.
// ---------------------------------------------------------------------------------------------

/// An agent library that maps its own "bytes" type to 10.
#[test]
fn d001_reserved_data_type() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack_with_value(1, 0x0A, b"\x03yes")),
    ]));
    let f = fired_once(&a, "SPOP-D001");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["0x0a", "reserved type 10"]);
    silent(&a, "SPOP-X007");
    silent(&a, "SPOP-F009");
}

/// A BOOL true sent as 0x31: HAProxy tests `(byte & 0xF0) == 0x10` and reads false.
#[test]
fn d002_bool_with_extra_flag_bits() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack_with_value(1, 0x31, &[])),
    ]));
    let f = fired_once(&a, "SPOP-D002");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["0x31", "false although bit 0 says true", "allowed"]);
}

/// docs/vectors.md §9 ack_bool_false_bug_0x10: negasus/haproxy-spoe-go's bool false as 0x10.
#[test]
fn d003_bool_false_bug() {
    let v = hex("000000136700000001010101030207616C6C6F77656410");
    assert_eq!(v, ack_with_value(1, 0x10, &[]));
    let a = conversation(after_handshake(vec![h2a(notify(1)), a2h(v)]));
    let f = fired_once(&a, "SPOP-D003");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(
        f,
        &[
            "txn",
            "allowed",
            "0x10",
            "bool false",
            "unsets the variable",
        ],
    );
}

/// int32 −1 sent as the unsigned 4294967295 (`FF F0 FE FE 7E`) with type INT32.
#[test]
fn d004_int32_minus_one_as_unsigned() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack_actions(
            1,
            1,
            vec![ActionRepr::set_var(
                Scope::Txn,
                "score",
                Value::Int32(4_294_967_295),
            )],
        )),
    ]));
    let f = fired_once(&a, "SPOP-D004");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["INT32 value 4294967295", "score"]);
}

/// A STRING sent as 0x18: HAProxy compares the whole byte with 8 and makes it a BINARY.
#[test]
fn d005_string_with_flag_bits() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack_actions(
            1,
            1,
            vec![ActionRepr {
                action_type: ActionType::SetVar,
                nb_args: 3,
                body: ActionBodyRepr::Var {
                    scope: Scope::Txn,
                    name: b"reason",
                    value: Some(Data {
                        flags: 1,
                        value: Value::String(b"bot"),
                    }),
                },
            }],
        )),
    ]));
    let f = fired_once(&a, "SPOP-D005");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["STRING", "0x18", "reason"]);
}

// ---------------------------------------------------------------------------------------------
// Handshake.
// ---------------------------------------------------------------------------------------------

/// An agent refusing the HELLO with AGENT-DISCONNECT toward 3.1+, which treats any first
/// frame but AGENT-HELLO as invalid (status 4).
#[test]
fn h001_h009_agent_disconnect_first_toward_modern() {
    let a = conversation(vec![
        h2a(hello()),
        a2h(agent_disconnect(8, "unsupported version")),
        Step::HaproxyFin,
    ]);
    assert_eq!(a.connections[0].generation, Generation::Modern);
    let f = fired_once(&a, "SPOP-H001");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentDisconnect, (0, 0));
    says(f, &["AGENT-DISCONNECT", "3.1+", "status 4"]);
    let i = fired_once(&a, "SPOP-H009");
    assert_eq!(i.severity, Severity::Info);
    assert_eq!(i.frames, f.frames);
}

/// An agent that answers before its HELLO (its first frame is an ACK).
#[test]
fn h001_agent_first_frame_is_ack() {
    let a = conversation(vec![
        h2a([hello(), notify(1)].concat()),
        a2h([ack(1), agent_hello()].concat()),
    ]);
    let f = fired_once(&a, "SPOP-H001");
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["first frame is ACK", "not AGENT-HELLO"]);
}

/// A home-made SPOE client that skips the HELLO and starts with a NOTIFY.
#[test]
fn h001_client_starts_without_hello() {
    let a = conversation(vec![
        h2a(notify(1)),
        a2h(agent_disconnect(4, "invalid frame received")),
    ]);
    let f = fired_once(&a, "SPOP-H001");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Notify, (1, 1));
    says(f, &["HAProxy's first frame is NOTIFY, not HAPROXY-HELLO"]);
    // The agent's DISCONNECT answers the bad first frame; it refuses no handshake.
    silent(&a, "SPOP-H009");
}

/// ≤3.0 honours the refusal: H009 (info) only.
#[test]
fn h009_hello_refused_toward_legacy() {
    let a = conversation(vec![
        h2a(legacy_hello()),
        a2h(agent_disconnect(8, "unsupported version")),
        Step::AgentFin,
    ]);
    assert_eq!(a.connections[0].generation, Generation::Legacy);
    let f = fired_once(&a, "SPOP-H009");
    assert_eq!(f.severity, Severity::Info);
    assert_under(&a, f, FrameType::AgentDisconnect, (0, 0));
    says(f, &["refused the handshake"]);
    silent(&a, "SPOP-H001");
}

/// A test client pipelining its first NOTIFY behind the HELLO, before the AGENT-HELLO.
#[test]
fn h002_notify_before_agent_hello() {
    let a = conversation(vec![
        h2a([hello(), notify(1)].concat()),
        a2h(agent_hello()),
        a2h(ack(1)),
    ]);
    let f = fired_once(&a, "SPOP-H002");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Notify, (1, 1));
    says(f, &["NOTIFY stream 1/frame 1 before the AGENT-HELLO"]);
}

/// docs/vectors.md §9 agent_hello_no_version (status 5); no capabilities on a health check
/// (status 7); no max-frame-size toward ≤3.0 (status 6, error) and 3.1+ (warning).
#[test]
fn h003_agent_hello_missing_keys() {
    let no_version = hex("00000029650000000100000E6D61782D6672616D652D73697A6503FCF0060C6361706162696C69746965730800");
    let a = conversation(vec![h2a(hello()), a2h(no_version)]);
    let f = fired_once(&a, "SPOP-H003");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentHello, (0, 0));
    says(f, &["\"version\"", "status 5"]);

    let healthcheck = frame(FrameRepr::haproxy_hello(16380, "", None, true));
    let a = conversation(vec![
        h2a(healthcheck),
        a2h(agent_hello_kv(vec![
            ("version", Value::String(b"2.0")),
            ("max-frame-size", Value::Uint32(16380)),
        ])),
        Step::AgentFin,
    ]);
    let f = fired_once(&a, "SPOP-H003");
    assert_eq!(f.severity, Severity::Error);
    says(f, &["\"capabilities\"", "status 7"]);

    let no_mfs = || {
        a2h(agent_hello_kv(vec![
            ("version", Value::String(b"2.0")),
            ("capabilities", Value::String(b"pipelining")),
        ]))
    };
    let a = conversation(vec![h2a(legacy_hello()), no_mfs()]);
    let f = fired_once(&a, "SPOP-H003");
    assert_eq!(f.severity, Severity::Error, "≤3.0 answers status 6");
    says(f, &["\"max-frame-size\"", "status 6"]);
    let a = conversation(vec![h2a(hello()), no_mfs()]);
    let f = fired_once(&a, "SPOP-H003");
    assert_eq!(f.severity, Severity::Warning, "3.1+ keeps its own value");
}

/// docs/vectors.md §9 agent_hello_v1: version "1.0" (status 8).
#[test]
fn h004_agent_version_1_0() {
    let v = hex("00000036650000000100000776657273696F6E0803312E300E6D61782D6672616D652D73697A6503FCF0060C6361706162696C69746965730800");
    assert_eq!(v, frame(FrameRepr::agent_hello("1.0", 16380, "")));
    let a = conversation(vec![
        h2a(hello()),
        a2h(v),
        h2a(haproxy_disconnect(8, "unsupported version")),
    ]);
    let f = fired_once(&a, "SPOP-H004");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentHello, (0, 0));
    says(f, &["\"1.0\"", "status 8"]);
}

/// docs/vectors.md §9 agent_hello_mfs_255; and an agent answering more than HAProxy announced.
#[test]
fn h005_max_frame_size_out_of_range() {
    let v = hex("00000035650000000100000776657273696F6E0803322E300E6D61782D6672616D652D73697A6503FF000C6361706162696C69746965730800");
    let a = conversation(vec![h2a(hello()), a2h(v)]);
    let f = fired_once(&a, "SPOP-H005");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentHello, (0, 0));
    says(f, &["max-frame-size 255", "announced 16380", "status 9"]);

    let a = conversation(vec![
        h2a(hello()),
        a2h(frame(FrameRepr::agent_hello("2.0", 65536, "pipelining"))),
    ]);
    says(
        fired_once(&a, "SPOP-H005"),
        &["max-frame-size 65536", "announced 16380"],
    );
}

/// docs/vectors.md §9 agent_hello_mfs_as_string: max-frame-size "16380" as a STRING.
#[test]
fn h006_max_frame_size_as_string() {
    let v = hex("00000039650000000100000776657273696F6E0803322E300E6D61782D6672616D652D73697A65080531363338300C6361706162696C69746965730800");
    let a = conversation(vec![h2a(hello()), a2h(v)]);
    let f = fired_once(&a, "SPOP-H006");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentHello, (0, 0));
    says(f, &["\"max-frame-size\" is STRING", "status 4"]);
    silent(&a, "SPOP-H005");
}

/// negasus and haproxy-go always announced "pipelining,async", also toward 3.1+.
#[test]
fn h007_async_claimed_toward_modern() {
    let a = conversation(vec![
        h2a(hello()),
        a2h(frame(FrameRepr::agent_hello(
            "2.0",
            16380,
            "pipelining,async",
        ))),
        h2a(notify(1)),
        a2h(ack(1)),
    ]);
    assert_eq!(a.connections[0].generation, Generation::Modern);
    let f = fired_once(&a, "SPOP-H007");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::AgentHello, (0, 0));
    says(
        f,
        &["\"pipelining,async\"", "async claimed toward HAProxy 3.1+"],
    );
}

/// NOTIFY and ACK on a connection opened by a health check.
#[test]
fn h008_traffic_on_healthcheck_connection() {
    let a = conversation(vec![
        h2a(frame(FrameRepr::haproxy_hello(16380, "", None, true))),
        a2h(frame(FrameRepr::agent_hello("2.0", 16380, ""))),
        h2a(notify(1)),
        a2h(ack(1)),
    ]);
    let found = fired(&a, "SPOP-H008");
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].severity, Severity::Warning);
    assert_under(&a, found[0], FrameType::Notify, (1, 1));
    assert_under(&a, found[1], FrameType::Ack, (1, 1));
    says(found[0], &["NOTIFY on a health-check connection"]);
}

// ---------------------------------------------------------------------------------------------
// Exchange.
// ---------------------------------------------------------------------------------------------

/// An ACK for a stream-id HAProxy never sent (above the highest): 3.1+ answers status 12.
#[test]
fn x001_ack_for_id_never_sent() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        a2h(ack(7)),
    ]));
    let f = fired_once(&a, "SPOP-X001");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Ack, (7, 1));
    says(
        f,
        &["ACK stream 7/frame 1", "above every stream-id", "status 12"],
    );
}

/// An ACK with wrong ids next to the one NOTIFY never answered: both findings name the
/// likely pairing.
#[test]
fn x001_names_the_notify_it_probably_answers() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(notify(3)),
        a2h(ack(7)),
    ]));
    let f = fired_once(&a, "SPOP-X001");
    assert_under(&a, f, FrameType::Ack, (7, 1));
    says(
        f,
        &[
            "ACK stream 7/frame 1",
            "probably the answer to NOTIFY 3/1",
            "with wrong ids",
        ],
    );
    let n = fired_once(&a, "SPOP-X004");
    says(
        n,
        &[
            "NOTIFY stream 3/frame 1",
            "probably answered by ACK 7/1",
            "with wrong ids",
        ],
    );

    // Two NOTIFYs waiting: no pairing is the only plausible one.
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        h2a(notify(3)),
        a2h(ack(7)),
    ]));
    let f = fired_once(&a, "SPOP-X001");
    assert!(!f.message.contains("probably"), "{}", f.message);
    for n in a.findings.iter().filter(|f| f.rule.code == "SPOP-X004") {
        assert!(!n.message.contains("probably"), "{}", n.message);
    }
}

/// docs/vectors.md §9 ack_fid2_for_stream1: frame-id 2 for live stream 1 (3.1+: status 12).
#[test]
fn x001_frame_id_above_live_stream() {
    let v = hex("0000000767000000010102");
    let a = conversation(after_handshake(vec![h2a(notify(1)), a2h(v)]));
    let f = fired_once(&a, "SPOP-X001");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Ack, (1, 2));
    says(f, &["ACK stream 1/frame 2", "status 12"]);
}

/// An ACK for an id at or below the highest sent, with no live stream: skipped silently.
#[test]
fn x001_late_id_is_ignored_by_haproxy() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        h2a(notify(5)),
        a2h(ack(1)),
        a2h(ack(3)),
        a2h(ack(5)),
    ]));
    let f = fired_once(&a, "SPOP-X001");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Ack, (3, 1));
    says(f, &["late or expired", "ignores it"]);
}

/// Toward ≤3.0 the same ACK says what that generation does: it only looks for a match.
#[test]
fn x001_toward_legacy_says_what_legacy_does() {
    let a = conversation(after_legacy_handshake(vec![
        h2a(notify(2)),
        a2h(ack(2)),
        a2h(ack(7)),
    ]));
    assert_eq!(a.connections[0].generation, Generation::Legacy);
    let f = fired_once(&a, "SPOP-X001");
    assert_under(&a, f, FrameType::Ack, (7, 1));
    says(f, &["ACK stream 7/frame 1", "≤3.0 ignores it", "status 12"]);
    assert!(!f.message.contains("3.1+"), "{}", f.message);
}

/// An agent retrying its write: the same ACK twice.
#[test]
fn x002_duplicate_ack() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        a2h(ack(1)),
    ]));
    let f = fired_once(&a, "SPOP-X002");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    // The second ACK, then the first.
    assert_eq!(f.frames.len(), 2);
    assert!(a.frames[f.frames[1]].index < under(&a, f).index);
    assert!(a.frames[f.frames[1]].pair.is_some());
    says(f, &["second ACK for NOTIFY stream 1/frame 1"]);
    silent(&a, "SPOP-X001");
}

/// criteo/haproxy-spoe-go in async mode: the ACK for a NOTIFY of connection 1 comes back on
/// connection 2 (≤3.0 with async agreed routes it; 3.1+ does not).
#[test]
fn x003_ack_on_another_connection() {
    let a = conversation(vec![
        on(0, h2a(legacy_hello())),
        on(
            0,
            a2h(frame(FrameRepr::agent_hello(
                "2.0",
                16380,
                "pipelining,async",
            ))),
        ),
        on(1, h2a(legacy_hello())),
        on(
            1,
            a2h(frame(FrameRepr::agent_hello(
                "2.0",
                16380,
                "pipelining,async",
            ))),
        ),
        on(0, h2a(notify(6))),
        on(1, a2h(ack(6))),
    ]);
    assert_eq!(a.connections.len(), 2);
    let f = fired_once(&a, "SPOP-X003");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Ack, (6, 1));
    assert_eq!(under(&a, f).connection, 1);
    assert_eq!(
        (
            a.frames[f.frames[1]].frame_type,
            a.frames[f.frames[1]].connection
        ),
        (FrameType::Notify, 0)
    );
    says(f, &["on connection 2", "sent on connection 1", "async"]);
    silent(&a, "SPOP-X001");
    // With async agreed (≤3.0) that NOTIFY was answered.
    silent(&a, "SPOP-X004");

    // Toward 3.1+ (no async) the NOTIFY is not answered where HAProxy waits.
    let a = conversation(vec![
        on(0, h2a(hello())),
        on(
            0,
            a2h(frame(FrameRepr::agent_hello(
                "2.0",
                16380,
                "pipelining,async",
            ))),
        ),
        on(1, h2a(hello())),
        on(
            1,
            a2h(frame(FrameRepr::agent_hello(
                "2.0",
                16380,
                "pipelining,async",
            ))),
        ),
        on(0, h2a(notify(1))),
        on(1, a2h(ack(1))),
    ]);
    assert_under(&a, fired_once(&a, "SPOP-X003"), FrameType::Ack, (1, 1));
    let x004 = fired_once(&a, "SPOP-X004");
    assert_eq!(x004.severity, Severity::Warning);
    says(x004, &["its ACK came on connection 2"]);
}

/// crowdsec bouncer#67: the agent never answers a NOTIFY whose method is PROPFIND.
#[test]
fn x004_notify_never_answered() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(notify_method(3, "PROPFIND")),
        h2a(notify(5)),
        a2h(ack(5)),
        Step::HaproxyFin,
    ]));
    let f = fired_once(&a, "SPOP-X004");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Notify, (3, 1));
    says(
        f,
        &["NOTIFY stream 3/frame 1", "before the connection ended"],
    );
}

/// Two NOTIFYs outstanding although HAProxy announced no pipelining (`no option
/// pipelining`); the agent announced it, but only what both announce counts.
#[test]
fn x005_two_outstanding_without_pipelining() {
    let steps = vec![
        h2a(frame(FrameRepr::haproxy_hello(
            16380,
            "",
            Some(ENGINE_ID),
            false,
        ))),
        a2h(frame(FrameRepr::agent_hello(
            "2.0",
            16380,
            "pipelining,async",
        ))),
        h2a(notify(1)),
        h2a(notify(3)),
        a2h(ack(1)),
        a2h(ack(3)),
    ];
    // 1 ms apart: sooner than the `timeout processing` given, so HAProxy pipelined.
    let a = Wire::new(steps)
        .options(AnalysisOptions {
            slow_ack: Some(100 * MS),
            ..AnalysisOptions::default()
        })
        .analyze();
    assert!(a.connections[0].agreed_capabilities.is_empty());
    silent(&a, "SPOP-N003");
    let f = fired_once(&a, "SPOP-X005");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Notify, (3, 1));
    says(f, &["2 NOTIFYs outstanding", "pipelining"]);
}

/// 21 NOTIFYs outstanding on one pipelined connection.
#[test]
fn x006_more_than_20_outstanding() {
    let sids: Vec<u64> = (0..21).map(|i| 2 * i + 1).collect();
    let mut steps: Vec<Step> = sids.iter().map(|&s| h2a(notify(s))).collect();
    steps.extend(sids.iter().map(|&s| a2h(ack(s))));
    let a = conversation(after_handshake(steps));
    let f = fired_once(&a, "SPOP-X006");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Notify, (41, 1));
    says(f, &["21 NOTIFYs outstanding", "20"]);
    silent(&a, "SPOP-X005");
}

/// docs/vectors.md §9 ack_setvar_nbargs2: set-var with NB-ARGS 2; and a scope outside 0..4.
#[test]
fn x007_bad_actions() {
    let v = hex("0000000E6700000001010101020201780201");
    let a = conversation(after_handshake(vec![h2a(notify(1)), a2h(v)]));
    let f = fired_once(&a, "SPOP-X007");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(
        f,
        &["set-var with NB-ARGS 2 (must be 3)", "stops processing"],
    );

    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack_actions(
            1,
            1,
            vec![
                ActionRepr::set_var(Scope::Unknown(7), "allowed", Value::Bool(true)),
                ActionRepr::unset_var(Scope::Txn, "reason"),
            ],
        )),
    ]));
    says(fired_once(&a, "SPOP-X007"), &["scope 7", "must be 0..4"]);
}

/// With a threshold set (e.g. near `timeout processing`), a 1.5 s ACK is reported.
#[test]
fn x008_slow_ack_with_threshold() {
    let steps = after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(notify(3)),
        Step::Pause(1_500 * MS),
        a2h(ack(3)),
    ]);
    let a = Wire::new(steps.clone()).analyze();
    silent(&a, "SPOP-X008");
    let a = Wire::new(steps)
        .options(AnalysisOptions {
            slow_ack: Some(1_000 * MS),
            ..AnalysisOptions::default()
        })
        .analyze();
    let f = fired_once(&a, "SPOP-X008");
    assert_eq!(f.severity, Severity::Info);
    assert_under(&a, f, FrameType::Ack, (3, 1));
    assert_eq!(a.frames[f.frames[1]].frame_type, FrameType::Notify);
    says(
        f,
        &[
            "ACK stream 3/frame 1",
            "1501.000 ms",
            "threshold 1000.000 ms",
        ],
    );
}

/// A 3.1+ HELLO, but a second NOTIFY on stream 3 with frame-id 2 (≤3.0 numbering).
#[test]
fn x009_ids_off_the_modern_pattern() {
    let notify_fid2 = frame(FrameRepr::notify(
        3,
        2,
        vec![MessageRepr::new(
            "check-client-ip",
            [("ip", Value::Ipv4([192, 0, 2, 10]))],
        )],
    ));
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(notify(3)),
        a2h(ack(3)),
        h2a(notify_fid2),
        a2h(ack_actions(3, 2, vec![])),
    ]));
    assert_eq!(a.connections[0].generation, Generation::Modern);
    let f = fired_once(&a, "SPOP-X009");
    assert_eq!(f.severity, Severity::Info);
    assert_under(&a, f, FrameType::Notify, (3, 2));
    says(f, &["NOTIFY stream 3/frame 2", "odd increasing"]);
}

/// The Python haproxyspoa library sends unset-var's name as typed data (0x08 first).
#[test]
fn x010_variable_name_sent_typed() {
    // `02 02 02 | 08 05 "score"`: HAProxy reads 0x08 as an 8-byte name and runs off the end.
    let mut payload = vec![0x02, 0x02, 0x02, 0x08, 0x05];
    payload.extend_from_slice(b"score");
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(raw_ack(1, 1, Flags::FIN_ONLY, &payload)),
    ]));
    let f = fired_once(&a, "SPOP-X010");
    assert_eq!(f.severity, Severity::Info);
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["typed STRING", "ignores this action"]);
    silent(&a, "SPOP-X007");

    // A 7-byte name: `08 07 "allowed"` decodes as the 8-byte name "\x07allowed".
    let mut payload = vec![0x02, 0x02, 0x02, 0x08, 0x07];
    payload.extend_from_slice(b"allowed");
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(raw_ack(1, 1, Flags::FIN_ONLY, &payload)),
    ]));
    let f = fired_once(&a, "SPOP-X010");
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(f, &["typed STRING", "allowed"]);
}

// ---------------------------------------------------------------------------------------------
// Teardown.
// ---------------------------------------------------------------------------------------------

/// negasus/haproxy-spoe-go: on HAPROXY-DISCONNECT it writes AGENT-DISCONNECT at once, then
/// lets in-flight handlers write their ACKs (clean frame boundaries).
#[test]
fn t001_acks_after_agent_disconnect() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        h2a(notify(3)),
        a2h(agent_disconnect(99, "an unknown error occurred")),
        a2h(ack(1)),
        a2h(ack(3)),
        Step::AgentFin,
    ]));
    let f = fired_once(&a, "SPOP-T001");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentDisconnect, (0, 0));
    let after: Vec<(FrameType, u64)> = f.frames[1..]
        .iter()
        .map(|&i| (a.frames[i].frame_type, a.frames[i].stream_id))
        .collect();
    assert_eq!(after, [(FrameType::Ack, 1), (FrameType::Ack, 3)]);
    says(
        f,
        &["2 frame(s) after its AGENT-DISCONNECT: ACK 1/1, ACK 3/1"],
    );
    // The highlights are the ACKs.
    assert_eq!(f.locations.len(), 2);
}

/// The reload (haproxy#2868): the old ≤3.0 worker sends HAPROXY-DISCONNECT(0) with NOTIFYs
/// outstanding, and the agent's ACKs arrive after it (dropped by ≤3.0).
#[test]
fn t002_t003_reload_with_work_in_flight() {
    let a = conversation(after_legacy_handshake(vec![
        h2a(notify(10)),
        h2a(notify(11)),
        h2a(haproxy_disconnect(0, "normal")),
        a2h(ack(10)),
        a2h(ack(11)),
        a2h(agent_disconnect(0, "normal")),
        Step::AgentFin,
    ]));
    let t3 = fired_once(&a, "SPOP-T003");
    assert_eq!(t3.severity, Severity::Warning);
    assert_under(&a, t3, FrameType::HaproxyDisconnect, (0, 0));
    let waiting: Vec<u64> = t3.frames[1..]
        .iter()
        .map(|&i| a.frames[i].stream_id)
        .collect();
    assert_eq!(waiting, [10, 11]);
    says(t3, &["2 NOTIFY(s) are unanswered", "status 0", "st=256"]);

    let t2 = fired(&a, "SPOP-T002");
    assert_eq!(t2.len(), 2);
    assert_eq!(t2[0].severity, Severity::Warning);
    assert_under(&a, t2[0], FrameType::Ack, (10, 1));
    assert_under(&a, t2[1], FrameType::Ack, (11, 1));
    assert_eq!(
        a.frames[t2[0].frames[1]].frame_type,
        FrameType::HaproxyDisconnect
    );
    says(t2[0], &["ACK stream 10/frame 1 after HAPROXY-DISCONNECT"]);
    silent(&a, "SPOP-T001");
}

/// coraza-spoa#217: HAProxy disconnects with status 3 "frame is too big".
#[test]
fn t004_disconnect_status_explained() {
    let a = conversation(after_legacy_handshake(vec![
        h2a(notify(4)),
        a2h(ack(4)),
        h2a(haproxy_disconnect(3, "frame is too big")),
        a2h(agent_disconnect(0, "normal")),
    ]));
    let found = fired(&a, "SPOP-T004");
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].severity, Severity::Info);
    assert_under(&a, found[0], FrameType::HaproxyDisconnect, (0, 0));
    says(
        found[0],
        &[
            "HAProxy disconnects with status 3 \"frame is too big\"",
            "misaligned",
        ],
    );
    assert_under(&a, found[1], FrameType::AgentDisconnect, (0, 0));
    says(
        found[1],
        &["the agent disconnects with status 0 \"normal\""],
    );
}

/// docs/vectors.md §9 agent_disconnect_message_as_int; and a message over 255 bytes.
#[test]
fn t005_malformed_disconnect() {
    let v = hex("0000001F660000000100000B7374617475732D636F64650300076D6573736167650307");
    let a = conversation(after_handshake(vec![a2h(v), Step::AgentFin]));
    let f = fired_once(&a, "SPOP-T005");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::AgentDisconnect, (0, 0));
    says(f, &["\"message\" is UINT32, not STRING"]);

    let long: &'static str = Box::leak("stack trace: ".repeat(25).into_boxed_str());
    let a = conversation(after_handshake(vec![
        a2h(agent_disconnect(99, long)),
        Step::AgentFin,
    ]));
    says(
        fired_once(&a, "SPOP-T005"),
        &[&format!("{} bytes", long.len()), "255"],
    );
}

// ---------------------------------------------------------------------------------------------
// Capture.
// ---------------------------------------------------------------------------------------------

/// haproxy-go#16: curl on the agent's port (named with --port); and ea665cb: a TLS
/// ClientHello hitting the cleartext agent.
#[test]
fn c001_http_and_tls_on_the_agent_port() {
    let a = Wire::new(vec![
        h2a(&b"GET / HTTP/1.1\r\nHost: 10.0.0.2:12345\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"[..]),
        Step::HaproxyFin,
    ])
    .ports(vec![AGENT_PORT])
    .analyze();
    assert_eq!(a.connections.len(), 1);
    let f = fired_once(&a, "SPOP-C001");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.frames.is_empty());
    assert_eq!(f.connection, Some(0));
    assert_eq!(f.locations[0].span.start, 0);
    says(f, &["an HTTP request line", "not SPOP"]);
    says(fired_once(&a, "SPOP-F012"), &["\"GET \""]);

    let client_hello = hex("160301020001000200fc0303aabbccdd");
    let a = Wire::new(vec![h2a(client_hello)])
        .ports(vec![AGENT_PORT])
        .analyze();
    says(fired_once(&a, "SPOP-C001"), &["a TLS handshake record"]);
}

/// A lost segment: NOTIFY 3 is missing from the capture, decoding resumes at NOTIFY 5.
#[test]
fn c002_lost_segment() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        lost(h2a(notify(3))),
        h2a(notify(5)),
        a2h(ack(3)),
        a2h(ack(5)),
    ]));
    let f = fired_once(&a, "SPOP-C002");
    assert_eq!(f.severity, Severity::Warning);
    // Shown after the last frame before the gap.
    assert_under(&a, f, FrameType::Notify, (1, 1));
    let at = hello().len() + notify(1).len();
    assert_eq!(f.locations[0].span.start, at);
    says(
        f,
        &[&format!("{} byte(s)", notify(3).len()), &format!("{at:#x}")],
    );
    // NOTIFY 5 still decodes and pairs.
    silent(&a, "SPOP-X004");
    // The ACK for the lost NOTIFY is not called an error: its NOTIFY is in the gap.
    for f in a.findings.iter().filter(|f| f.code() == "SPOP-X001") {
        assert_eq!(f.severity, Severity::Info, "{}", dump(&a));
        says(f, &["missing from the capture"]);
    }

    // The agent's ACK is the lost segment: its NOTIFY is not called unanswered for sure.
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        lost(a2h(ack(1))),
        h2a(notify(3)),
        a2h(ack(3)),
    ]));
    let f = fired_once(&a, "SPOP-C002");
    assert_under(&a, f, FrameType::AgentHello, (0, 0));
    says(f, &["agent → HAProxy stream"]);
    let x004 = fired_once(&a, "SPOP-X004");
    assert_eq!(x004.severity, Severity::Info);
    assert_under(&a, x004, FrameType::Notify, (1, 1));
    says(x004, &["the ACK may be among them"]);
}

/// tcpdump with a 96-byte snapshot length: every packet longer than that is cut.
#[test]
fn c003_snaplen_truncated_capture() {
    let a = Wire::new(after_handshake(vec![h2a(notify(1)), a2h(ack(1))]))
        .snaplen(96)
        .analyze();
    let f = fired_once(&a, "SPOP-C003");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.frames.is_empty(), "capture-wide");
    // SYN, SYN-ACK, ACK are whole; the HELLOs and the NOTIFY (over 42 bytes of payload) are
    // cut: packets 4, 5, 6.
    says(f, &["3 packet(s)", "#4, #5, #6", "-s 0"]);
}

/// haproxy#3478: a Python agent writes its AGENT-HELLO as the 11-byte header, then the
/// payload, toward HAProxy 3.1+.
#[test]
fn c004_agent_hello_split_after_header() {
    let h = agent_hello();
    let a = conversation(vec![
        h2a(hello()),
        a2h(h[..11].to_vec()),
        a2h(h[11..].to_vec()),
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(notify(3)),
        a2h(ack(3)),
    ]);
    assert_eq!(a.connections[0].generation, Generation::Modern);
    let f = fired_once(&a, "SPOP-C004");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::AgentHello, (0, 0));
    says(
        f,
        &[
            &format!("AGENT-HELLO ({} bytes) came in 2 TCP segments", h.len()),
            "the first ended 11 bytes in, after its 11-byte header",
            "haproxy#3478",
        ],
    );

    // Split before HAProxy has the 11 header bytes: it just waits; not reported.
    let a = conversation(vec![
        h2a(hello()),
        a2h(h[..4].to_vec()),
        a2h(h[4..].to_vec()),
        h2a(notify(1)),
        a2h(ack(1)),
    ]);
    silent(&a, "SPOP-C004");
}

/// Frames written into an AGENT-DISCONNECT also split it across TCP segments after its
/// header: F010 says so; no SPOP-C004 of its own for the same frame.
#[test]
fn c004_on_an_interleaved_frame_is_part_of_f010() {
    let d = agent_disconnect(0, "connection closed by server");
    let k3 = ack(3);
    let cut = 20;
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        h2a(notify(3)),
        a2h(d[..cut].to_vec()),
        a2h(k3.clone()),
        a2h(d[cut..].to_vec()),
        Step::AgentFin,
    ]));
    silent(&a, "SPOP-C004");
    let f = fired_once(&a, "SPOP-F010");
    says(
        f,
        &[
            "3 TCP segments 20 bytes in",
            "haproxy#3478",
            "a side effect, not a second problem",
        ],
    );
}

/// The capture starts in the middle of a NOTIFY on a connection opened long before.
#[test]
fn c005_capture_starts_mid_connection() {
    let n3 = notify(3);
    let a = Wire::new(vec![
        lost(h2a(hello())),
        lost(a2h(agent_hello())),
        lost(h2a(notify(1))),
        lost(a2h(ack(1))),
        lost(h2a(n3[..9].to_vec())),
        h2a(n3[9..].to_vec()),
        h2a(notify(5)),
        a2h(ack(3)),
        a2h(ack(5)),
    ])
    .mid_connection()
    .analyze();
    assert_eq!(a.connections.len(), 1);
    let f = fired_once(&a, "SPOP-C005");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.frames.is_empty());
    assert_eq!(f.connection, Some(0));
    says(f, &["connection 1", "already open"]);
    // What the capture cannot know is not an error: the ACK for NOTIFY 3 (whose start was
    // before the capture) is at most informational.
    assert_eq!(a.counts().0, 0, "{}", dump(&a));
}

/// A reconnect storm: HAProxy refuses the agent's "1.0" HELLO, closes, and tries again.
#[test]
fn c006_connections_refused_at_the_handshake() {
    let refused = |n: usize| {
        vec![
            on(n, h2a(hello())),
            on(
                n,
                a2h(frame(FrameRepr::agent_hello("1.0", 16380, "pipelining"))),
            ),
            on(n, h2a(haproxy_disconnect(8, "unsupported version"))),
            on(n, Step::HaproxyFin),
            on(n, Step::AgentFin),
        ]
    };
    let a = conversation((0..5).flat_map(refused).collect());
    assert_eq!(a.connections.len(), 5);
    let f = fired_once(&a, "SPOP-C006");
    assert_eq!(f.severity, Severity::Warning);
    // Pointing at each connection's HAPROXY-HELLO.
    assert_eq!(f.frames.len(), 5);
    for &i in &f.frames {
        assert_eq!(a.frames[i].frame_type, FrameType::HaproxyHello);
    }
    says(
        f,
        &[
            "5 of 5 connections",
            "5× HAProxy status 8 (unsupported version)",
        ],
    );

    // Below the threshold: a few refusals are not a storm.
    let a = conversation((0..4).flat_map(refused).collect());
    silent(&a, "SPOP-C006");
}

/// A storm whose every connection ends with its own status (statuses are read off the wire):
/// C006 names the ten first kinds of ending and counts the rest, and its count stays whole.
#[test]
fn c006_names_ten_kinds_of_ending_and_counts_the_rest() {
    let refused = |n: usize| {
        vec![
            on(n, h2a(hello())),
            on(
                n,
                a2h(frame(FrameRepr::agent_hello("1.0", 16380, "pipelining"))),
            ),
            on(n, h2a(haproxy_disconnect(100 + n as u64, "bye"))),
            on(n, Step::HaproxyFin),
            on(n, Step::AgentFin),
        ]
    };
    let a = conversation((0..14).flat_map(refused).collect());
    assert_eq!(a.connections.len(), 14);
    let f = fired_once(&a, "SPOP-C006");
    assert_eq!(f.frames.len(), 14);
    says(
        f,
        &[
            "14 of 14 connections",
            "1× HAProxy status 100 (unassigned)",
            "1× HAProxy status 109 (unassigned)",
            "and 4 other kinds of ending",
        ],
    );
    assert!(!f.message.contains("status 110"), "{}", f.message);
}

/// HAProxy's HELLO and a NOTIFY as `xxd` prints them (no ASCII column), one line per 16 bytes.
fn xxd_lines() -> (Vec<u8>, Vec<String>) {
    let mut bytes = FrameRepr::haproxy_hello(16380, "pipelining", Some("engine-1"), false)
        .to_bytes()
        .unwrap();
    bytes.extend(
        FrameRepr::notify(
            1,
            1,
            vec![MessageRepr::new(
                "check",
                [("ip", Value::Ipv4([10, 0, 0, 1]))],
            )],
        )
        .to_bytes()
        .unwrap(),
    );
    let lines = bytes
        .chunks(16)
        .enumerate()
        .map(|(i, c)| {
            let groups: Vec<String> = c
                .chunks(2)
                .map(|g| g.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
            format!("{:08x}: {}", i * 16, groups.join(" "))
        })
        .collect();
    (bytes, lines)
}

fn paste(lines: &[String]) -> Analysis {
    let text = lines.join("\n");
    analyze(
        load(text.as_bytes(), &LoadOptions::default()).unwrap(),
        &AnalysisOptions::default(),
    )
}

/// A pasted dump with two lines swapped, or a line whose offset does not read (`0000001g`):
/// the bytes go where the offsets say (no silent splice), and C007 points at the bytes of the
/// lines concerned, under the frame made of them.
#[test]
fn c007_text_dump_damaged() {
    let (bytes, lines) = xxd_lines();
    assert!(lines.len() >= 5);
    let clean = paste(&lines);
    silent(&clean, "SPOP-C007");
    assert!(
        clean.capture.notes().is_empty(),
        "{:?}",
        clean.capture.notes()
    );
    let types = |a: &Analysis| a.frames.iter().map(|f| f.frame_type).collect::<Vec<_>>();
    assert_eq!(types(&clean), [FrameType::HaproxyHello, FrameType::Notify]);

    // Lines 2 and 3 swapped: put back in order, so the frames are the clean ones.
    let mut swapped = lines.clone();
    swapped.swap(1, 2);
    let a = paste(&swapped);
    assert_eq!(types(&a), types(&clean));
    assert_eq!(a.capture.connections[0].streams[0].data, bytes);
    let found = fired(&a, "SPOP-C007");
    assert_eq!(found.len(), 2, "{}", dump(&a));
    for f in &found {
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.connection, Some(0));
        assert_eq!(f.frames, [0], "shown under the HELLO");
        assert_eq!(f.locations.len(), 1);
        assert_eq!(f.locations[0].direction, Direction::HaproxyToAgent);
    }
    // The jump ahead covers the line placed past the gap (and the gap); the jump back, the
    // line that goes back.
    assert_eq!(found[0].locations[0].span.range(), 16..48);
    says(found[0], &["line 2", "offset 0x20 where 0x10 was expected"]);
    assert_eq!(found[1].locations[0].span.range(), 16..32);
    says(found[1], &["line 3", "the offsets go back"]);
    let notes = a.capture.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("the pasted text is damaged") && notes[0].contains("line 3"));

    // A line whose offset does not read is skipped; the next line keeps its own offset and
    // the 16 bytes of the skipped line are zeros, marked.
    let mut typo = lines.clone();
    typo[1] = typo[1].replacen("00000010", "0000001g", 1);
    let a = paste(&typo);
    let data = &a.capture.connections[0].streams[0].data;
    assert_eq!(data.len(), bytes.len(), "nothing spliced");
    assert_eq!(data[..16], bytes[..16]);
    assert_eq!(data[16..32], [0; 16]);
    assert_eq!(data[32..], bytes[32..]);
    let f = fired_once(&a, "SPOP-C007");
    assert_eq!(f.locations[0].span.range(), 16..48);
    says(f, &["line 3", "16 byte(s) skipped"]);
    let notes = a.capture.notes();
    assert!(
        notes.iter().any(|n| n.contains("line 2: line skipped")),
        "{notes:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The rules' fast path: plain frames are checked from their timeline entries, undecoded.
// ---------------------------------------------------------------------------------------------

/// Typed values as agents send them, plain or not: flag bits on BOOL, NULL and STRING, INT32
/// and UINT32 past 32 bits, a reserved type (an invalid payload).
fn arb_value() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    prop_oneof![
        Just(vec![0x11]),
        Just(vec![0x08, 2, b'o', b'k']),
        Just(vec![0x03, 0x07]),
        Just(vec![0x01]),
        Just(vec![0x31]),
        Just(vec![0x00]),
        Just(vec![0x10]),
        Just(vec![0x02, 0xF5, 0x00]),
        Just([vec![0x02], varint_bytes(u64::from(u32::MAX))].concat()),
        Just([vec![0x03], varint_bytes(1 << 32)].concat()),
        Just(vec![0x05, 0x07]),
        Just(vec![0x06, 127, 0, 0, 1]),
        Just(vec![0x08, 2, b'h', b'i']),
        Just(vec![0x18, 1, b'x']),
        Just(vec![0x0A]),
    ]
}

fn varint_bytes(x: u64) -> Vec<u8> {
    let mut out = Vec::new();
    spop_codec::wire::varint::write(x, &mut out);
    out
}

/// An ACK action: known or unknown type, right or wrong NB-ARGS, known or unknown scope, and
/// names that are ordinary, empty, or start with a control byte (a typed STRING sent as the
/// name, SPOP-X010).
fn arb_action() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    let name = prop_oneof![
        Just(b"allowed".to_vec()),
        Just(Vec::new()),
        Just(b"\x07allowed".to_vec()),
        Just(b"\x01x".to_vec()),
    ];
    // Mostly ordinary, so that frames with exactly one oddity are common.
    let t = prop_oneof![4 => 1u8..=2, 1 => Just(3u8)];
    let nb_args = prop_oneof![4 => Just(None), 1 => (0u8..=4).prop_map(Some)];
    let scope = prop_oneof![4 => 0u8..=4, 1 => 5u8..=9];
    (t, nb_args, scope, name, arb_value()).prop_map(|(t, nb_args, scope, name, value)| {
        let nb_args = nb_args.unwrap_or(if t == 1 { 3 } else { 2 });
        let mut b = vec![t, nb_args];
        if t == 3 {
            b.extend_from_slice(&[0x42, 0x43]);
            return b;
        }
        b.push(scope);
        b.extend(varint_bytes(name.len() as u64));
        b.extend(name);
        if t == 1 {
            b.extend(value);
        }
        b
    })
}

/// A frame after the handshake: an ACK of actions or a NOTIFY of one message, with ids that
/// take one or several varint bytes (or are 0), and flags with or without FIN, ABORT and
/// reserved bits.
fn arb_exchange_frame() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    let id = prop_oneof![Just(0u64), 1u64..5, 200u64..5000, any::<u64>()];
    let flags = prop_oneof![
        Just(Flags::FIN_ONLY),
        Just(Flags(0)),
        Just(Flags(Flags::FIN | Flags::ABORT)),
        Just(Flags(Flags::FIN | 0x100)),
    ];
    let ack = (
        id.clone(),
        id.clone(),
        flags.clone(),
        proptest::collection::vec(arb_action(), 0..4),
    )
        .prop_map(|(sid, fid, flags, actions)| a2h(raw_ack(sid, fid, flags, &actions.concat())));
    let notify = (
        id.clone(),
        id,
        flags,
        proptest::collection::vec(arb_value(), 0..3),
    )
        .prop_map(|(sid, fid, flags, values)| {
            let mut payload = vec![5];
            payload.extend_from_slice(b"check");
            payload.push(values.len() as u8);
            for v in values {
                payload.extend_from_slice(&[1, b'v']);
                payload.extend(v);
            }
            h2a(frame(FrameRepr {
                frame_type: FrameType::Notify,
                flags,
                stream_id: sid,
                frame_id: fid,
                payload: PayloadRepr::Raw(&payload),
            }))
        });
    prop_oneof![ack, notify]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// Frames whose payload is plain are checked from their entries, without decoding them
    /// again: that finds exactly what decoding every frame and running every rule on it does
    /// (same findings, messages and byte spans), whatever the headers and payloads.
    #[test]
    fn plain_frames_checked_undecoded_find_what_decoding_finds(
        steps in proptest::collection::vec(arb_exchange_frame(), 1..8),
        legacy in proptest::bool::ANY,
    ) {
        let steps = if legacy { after_legacy_handshake(steps) } else { after_handshake(steps) };
        let capture = load(&Wire::new(steps).pcap(), &LoadOptions::default()).expect("loads");
        let timeline = analyze_timeline(capture, &AnalysisOptions::default(), &mut |_| {});
        let mut fast = timeline.clone();
        fast.check(&mut |_| {});
        let mut slow = timeline;
        for e in &mut slow.frames {
            e.forget_plain();
        }
        slow.check(&mut |_| {});
        proptest::prop_assert_eq!(&fast.findings, &slow.findings);
    }
}

// ---------------------------------------------------------------------------------------------
// Incidents: what happened around the frames.
// ---------------------------------------------------------------------------------------------

/// The agent was down for a while: HAProxy's connection attempts were refused (RST to SYN),
/// one went unanswered; before and after, SPOP connections worked.
#[test]
fn n001_agent_down_connects_refused() {
    let mut steps = after_handshake(vec![h2a(notify(1)), a2h(ack(1)), Step::AgentRst]);
    for _ in 0..3 {
        steps.push(Step::Pause(1_000 * MS));
        steps.push(Step::Attempt { refused: true });
    }
    steps.push(Step::Attempt { refused: false });
    steps.push(on(1, h2a(hello())));
    steps.push(on(1, a2h(agent_hello())));
    let a = conversation(steps);
    assert_eq!(a.capture.attempts.len(), 4, "attempts are not other TCP");
    assert_eq!(a.capture.other_connections, 0);
    let f = fired_once(&a, "SPOP-N001");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.frames.is_empty() && f.packets.len() == 2);
    says(
        f,
        &[
            "4 connection attempts to 10.0.0.2:12345",
            "refused (RST to SYN) 3 time(s) and never answered 1 time(s)",
            "between 1.0",
            "2 SPOP connection(s) to it worked",
        ],
    );
    // A capture of refused attempts only (the agent down the whole time): still its attempts.
    let a = conversation(vec![
        Step::Attempt { refused: true },
        Step::Attempt { refused: true },
    ]);
    assert!(a.capture.connections.is_empty());
    says(
        fired_once(&a, "SPOP-N001"),
        &["2 connection attempts to 10.0.0.2:12345 were refused (RST to SYN) between 0.000 s and 0.002 s"],
    );
}

/// A slow agent: HAProxy closed the connection, then the agent's ACK came.
#[test]
fn n002_ack_after_haproxy_closed() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        Step::Pause(500 * MS),
        Step::HaproxyFin,
        a2h(ack(1)),
        Step::HaproxyRst,
    ]));
    let f = fired_once(&a, "SPOP-N002");
    assert_under(&a, f, FrameType::Ack, (1, 1));
    says(
        f,
        &[
            "ACK 1/1 sent 0.001 s after HAProxy closed the connection (FIN at",
            "never read",
            "NOTIFY 1/1 (sent at",
            "got no answer",
        ],
    );
    // The clean close of a well-behaved connection says nothing.
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        Step::HaproxyFin,
        Step::AgentFin,
    ]));
    silent(&a, "SPOP-N002");
    silent(&a, "SPOP-N004");
    // HAProxy's DISCONNECT after a killed agent's FIN is a goodbye, not a lost request.
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        a2h(ack(1)),
        Step::AgentFin,
        h2a(haproxy_disconnect(1, "I/O error")),
    ]));
    silent(&a, "SPOP-N002");
}

/// HAProxy 3.1+ without pipelining: the agent sat on NOTIFY 1 past `timeout processing`, so
/// HAProxy sent NOTIFY 3 on the same connection; the late ACK comes after.
#[test]
fn n003_processing_timeout_without_pipelining() {
    let steps = vec![
        h2a(hello()),
        a2h(frame(FrameRepr::agent_hello("2.0", 16380, ""))),
        h2a(notify(1)),
        Step::Pause(500 * MS),
        h2a(notify(3)),
        a2h(ack(1)),
        a2h(ack(3)),
    ];
    let a = Wire::new(steps.clone()).analyze();
    silent(&a, "SPOP-X005");
    let f = fired_once(&a, "SPOP-N003");
    assert_eq!(f.severity, Severity::Warning);
    assert_under(&a, f, FrameType::Notify, (3, 1));
    says(
        f,
        &[
            "NOTIFY 3/1 sent while NOTIFY 1/1 had waited 501.0 ms unanswered",
            "HAProxy gave up on it (timeout processing)",
            "its ACK came 502.0 ms after it, too late",
        ],
    );
    // The user's `timeout processing` is 2 s: HAProxy cannot have given up after 0.5 s.
    let a = Wire::new(steps)
        .options(AnalysisOptions {
            slow_ack: Some(2_000 * MS),
            ..AnalysisOptions::default()
        })
        .analyze();
    silent(&a, "SPOP-N003");
    fired_once(&a, "SPOP-X005");
}

/// The agent was killed with a NOTIFY in flight: a RST, no AGENT-DISCONNECT.
#[test]
fn n004_agent_reset_with_notifies_pending() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        h2a(notify(3)),
        a2h(ack(1)),
        Step::AgentRst,
    ]));
    let f = fired_once(&a, "SPOP-N004");
    assert_under(&a, f, FrameType::Notify, (3, 1));
    assert_eq!(f.packets.len(), 1);
    says(
        f,
        &[
            "the agent reset the connection (RST at",
            "with 1 NOTIFY(s) unanswered (3/1), without a DISCONNECT",
        ],
    );
}

/// One ACK of 30 took 400 ms where the others took 1 ms.
#[test]
fn n005_latency_outlier() {
    let mut rest = Vec::new();
    for i in 0..30u64 {
        let sid = 2 * i + 1;
        rest.push(h2a(notify(sid)));
        if i == 17 {
            rest.push(Step::Pause(400 * MS));
        }
        rest.push(a2h(ack(sid)));
    }
    let a = conversation(after_handshake(rest.clone()));
    let f = fired_once(&a, "SPOP-N005");
    assert_eq!(f.severity, Severity::Info);
    assert_under(&a, f, FrameType::Ack, (35, 1));
    says(
        f,
        &[
            "ACK 35/1 came 401.0 ms after its NOTIFY",
            "the median is 1.000 ms",
        ],
    );
    // The same traffic without the stall: nothing.
    rest.retain(|s| !matches!(s, Step::Pause(_)));
    silent(&conversation(after_handshake(rest)), "SPOP-N005");
}

/// HAProxy ≤3.0's process-wide stream-ids: tens of millions of streams between two NOTIFYs
/// on two connections.
#[test]
fn n006_legacy_stream_id_jump() {
    let a = conversation(vec![
        h2a(legacy_hello()),
        a2h(agent_hello()),
        h2a(notify(7)),
        a2h(ack(7)),
        on(1, h2a(legacy_hello())),
        on(1, a2h(agent_hello())),
        on(1, h2a(notify(48_000_007))),
        on(1, a2h(ack(48_000_007))),
    ]);
    assert_eq!(a.connections[1].generation, Generation::Legacy);
    let f = fired_once(&a, "SPOP-N006");
    assert_under(&a, f, FrameType::Notify, (48_000_007, 1));
    says(
        f,
        &[
            "the stream-id went from 7 (connection 1",
            "to 48000007 (connection 2",
            "47999999 streams in",
            "never reached the agent",
        ],
    );
    // Ids close together (other traffic between NOTIFYs) are normal.
    let a = conversation(after_legacy_handshake(vec![
        h2a(notify(7)),
        a2h(ack(7)),
        h2a(notify(1_200)),
        a2h(ack(1_200)),
    ]));
    silent(&a, "SPOP-N006");
}

/// The agent stopped reading (zero window) for 300 ms.
#[test]
fn n007_agent_stopped_reading() {
    let a = conversation(after_handshake(vec![
        h2a(notify(1)),
        Step::AgentWindow(0),
        Step::Pause(300 * MS),
        Step::AgentWindow(65_535),
        a2h(ack(1)),
    ]));
    let f = fired_once(&a, "SPOP-N007");
    assert!(f.frames.is_empty() && f.packets.len() == 1);
    says(
        f,
        &[
            "the agent stopped reading at",
            "(zero window, packet #",
            "for 0.301 s",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Probe sessions (spop-inspect probe).
// ---------------------------------------------------------------------------------------------

/// A NOTIFY of one message whose one STRING argument is `value`.
fn notify_string(sid: u64, value: &'static [u8]) -> Vec<u8> {
    frame(FrameRepr::notify(
        sid,
        1,
        vec![MessageRepr::new(
            "probe-string-non-ascii",
            [("s", Value::String(value))],
        )],
    ))
}

/// The agent closes on a non-ASCII STRING: the finding names the NOTIFY, its message and its
/// value. The same bytes in a capture are left to the capture rules.
#[test]
fn p001_agent_closes_on_a_notify() {
    let steps = || {
        after_handshake(vec![
            h2a(notify(1)),
            a2h(ack(1)),
            h2a(notify_string(3, "héllo".as_bytes())),
            Step::AgentFin,
            Step::HaproxyFin,
        ])
    };
    let a = probe_session(steps());
    let f = fired_once(&a, "SPOP-P001");
    assert_eq!(f.severity, Severity::Error);
    assert_under(&a, f, FrameType::Notify, (3, 1));
    says(
        f,
        &[
            "closed the connection",
            "NOTIFY 3/1",
            "probe-string-non-ascii",
            "s=STRING",
        ],
    );
    silent(&a, "SPOP-P002");
    // A capture is not a probe session.
    silent(&conversation(steps()), "SPOP-P001");
    // Without a HELLO answered, the HELLO is what it left.
    let a = probe_session(vec![h2a(hello()), Step::AgentRst]);
    says(fired_once(&a, "SPOP-P001"), &["reset", "HAPROXY-HELLO"]);
}

/// The probe gave up on a NOTIFY (closed without a DISCONNECT after its timeout).
#[test]
fn p002_agent_never_answers() {
    let a = probe_session(after_handshake(vec![
        h2a(notify(1)),
        Step::Pause(5_000 * MS),
        Step::HaproxyFin,
    ]));
    let f = fired_once(&a, "SPOP-P002");
    assert_under(&a, f, FrameType::Notify, (1, 1));
    says(f, &["never answered", "NOTIFY 1/1"]);
    silent(&a, "SPOP-P001");
    // A HELLO never answered.
    let a = probe_session(vec![
        h2a(hello()),
        Step::Pause(5_000 * MS),
        Step::HaproxyFin,
    ]);
    says(fired_once(&a, "SPOP-P002"), &["HAPROXY-HELLO"]);
}

/// The agent ends the connection with an error status while a valid NOTIFY waits.
#[test]
fn p003_agent_rejects_a_valid_notify() {
    let a = probe_session(after_handshake(vec![
        h2a(notify(1)),
        a2h(agent_disconnect(4, "invalid frame received")),
        Step::AgentFin,
        Step::HaproxyFin,
    ]));
    let f = fired_once(&a, "SPOP-P003");
    assert_under(&a, f, FrameType::Notify, (1, 1));
    says(f, &["status 4", "invalid frame received", "NOTIFY 1/1"]);
    // Status 0 while NOTIFYs wait is SPOP-T003's, not a rejection.
    let a = probe_session(after_handshake(vec![
        h2a(notify(1)),
        a2h(agent_disconnect(0, "normal")),
        Step::AgentFin,
    ]));
    silent(&a, "SPOP-P003");
}

/// The agent fails on a NOTIFY within its max-frame-size, near it.
#[test]
fn p004_agent_fails_within_its_max_frame_size() {
    let big: &'static [u8] = vec![b'z'; 13_000].leak();
    let near = frame(FrameRepr::notify(
        1,
        1,
        vec![MessageRepr::new(
            "probe-max-frame-size",
            [("filler", Value::Binary(big))],
        )],
    ));
    let a = probe_session(after_handshake(vec![h2a(near), Step::AgentFin]));
    fired_once(&a, "SPOP-P001");
    let f = fired_once(&a, "SPOP-P004");
    assert_under(&a, f, FrameType::Notify, (1, 1));
    says(f, &["within the max-frame-size of 16380"]);
    // A small NOTIFY failed on is not about the size.
    let a = probe_session(after_handshake(vec![h2a(notify(1)), Step::AgentFin]));
    silent(&a, "SPOP-P004");
}

/// HELLOs nobody asked for (a flooding agent).
#[test]
fn p005_unsolicited_hellos() {
    let a = probe_session(after_handshake(vec![
        a2h(agent_hello()),
        a2h(agent_hello()),
        h2a(haproxy_disconnect(0, "normal")),
        a2h(agent_disconnect(0, "normal")),
    ]));
    let f = fired_once(&a, "SPOP-P005");
    says(f, &["2 connection frame(s)", "3 AGENT-HELLO"]);
    silent(
        &conversation(after_handshake(vec![a2h(agent_hello())])),
        "SPOP-P005",
    );
}

/// In a probe session, what the probe does on purpose (a HAPROXY-DISCONNECT status 0 with
/// NOTIFYs in flight) and the agent's answers racing it are information; in a capture they
/// are warnings.
#[test]
fn probe_sessions_soften_the_probes_own_disconnect() {
    let steps = || {
        after_handshake(vec![
            h2a(notify(1)),
            h2a(notify(3)),
            h2a(haproxy_disconnect(0, "normal")),
            a2h(ack(1)),
            a2h(agent_disconnect(0, "normal")),
            Step::AgentFin,
            Step::HaproxyFin,
        ])
    };
    let probe = probe_session(steps());
    let capture = conversation(steps());
    for code in ["SPOP-T002", "SPOP-T003", "SPOP-X004"] {
        assert!(
            fired(&capture, code)
                .iter()
                .all(|f| f.severity == Severity::Warning),
            "{code}"
        );
        let softened = fired(&probe, code);
        assert!(!softened.is_empty(), "{code}");
        assert!(
            softened.iter().all(|f| f.severity == Severity::Info),
            "{code}"
        );
        assert!(
            softened.iter().all(|f| f.message.contains("on purpose")),
            "{code}"
        );
    }
    assert_eq!(probe.counts().1, 0, "{}", dump(&probe));
}

/// The NOTIFY a probe finding names is described within bounds, whatever it carries.
#[test]
fn probe_findings_describe_a_huge_notify_within_bounds() {
    let name: &'static str = "n".repeat(300).leak();
    let args: Vec<(&'static str, Value<'static>)> =
        (0..200).map(|_| (name, Value::String(b"value"))).collect();
    let huge = frame(FrameRepr::notify(1, 1, vec![MessageRepr::new(name, args)]));
    let a = probe_session(after_handshake(vec![h2a(huge), Step::AgentFin]));
    let f = fired_once(&a, "SPOP-P001");
    assert!(f.message.chars().count() < 1000, "{}", f.message.len());
    says(f, &["…"]);
}

//! The incident views' side of the session (it runs in the decode worker): the TCP events of
//! the capture (SYN, FIN, RST, retransmissions, zero windows of the SPOP connections, and the
//! attempts to an agent that carried no SPOP) as list rows and timeline marks, "go to packet",
//! the verdict and the statistics. All of it is the engine's data (`capture::tcp`,
//! `capture::Attempt`, `analysis::verdict`, `analysis::statistics`), put in rows and words.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use spop_codec::analysis::{verdict, Analysis, Severity};
use spop_codec::capture::tcp::TcpEventKind;
use spop_codec::capture::AttemptOutcome;
use spop_codec::display::Fixed;
use spop_codec::report::seconds;
use spop_codec::wire::Direction;

use crate::engine::protocol::{at_least, Filter, Row, Timeline, MAX_MARKS};
use crate::engine::session::Session;

/// The connection of a row that belongs to none: an attempt's TCP event.
pub const NO_CONNECTION: usize = usize::MAX;

/// TCP event kinds, by the number ("class") marks and rows carry.
const KINDS: [TcpEventKind; 7] = [
    TcpEventKind::Syn,
    TcpEventKind::Fin,
    TcpEventKind::Rst,
    TcpEventKind::Retransmission,
    TcpEventKind::ZeroWindow,
    TcpEventKind::WindowOpen,
    TcpEventKind::WindowFull,
];

/// Attempt outcomes; an attempt's mark has class `ATTEMPT + n`.
const OUTCOMES: [AttemptOutcome; 4] = [
    AttemptOutcome::Refused,
    AttemptOutcome::Unanswered,
    AttemptOutcome::Closed,
    AttemptOutcome::Open,
];

/// Classes from here on are attempts (by outcome).
pub const ATTEMPT: u8 = 16;

fn kind_class(k: TcpEventKind) -> u8 {
    KINDS.iter().position(|&x| x == k).unwrap_or(0) as u8
}

fn outcome_class(o: AttemptOutcome) -> u8 {
    ATTEMPT + OUTCOMES.iter().position(|&x| x == o).unwrap_or(0) as u8
}

/// The engine's name of a class (`syn`, `rst`, `zero-window` …; `refused`, `unanswered` …):
/// the marks' CSS class.
pub fn class_name(class: u8) -> &'static str {
    match class.checked_sub(ATTEMPT) {
        Some(o) => OUTCOMES.get(usize::from(o)).map_or("", |o| o.name()),
        None => KINDS.get(usize::from(class)).map_or("", |k| k.name()),
    }
}

/// A class for people: `SYN` (the agent's is a `SYN-ACK`), `FIN`, `RST` …, or an attempt's
/// outcome.
pub fn class_label(class: u8, haproxy: bool) -> &'static str {
    match class {
        0 if haproxy => "SYN",
        0 => "SYN-ACK",
        1 => "FIN",
        2 => "RST",
        3 => "retransmission",
        4 => "zero window",
        5 => "window open",
        6 => "window full",
        _ => class_name(class),
    }
}

/// `HAProxy` or `the agent` (`The agent` at the start of a sentence).
pub fn side(haproxy: bool, start: bool) -> &'static str {
    match (haproxy, start) {
        (true, _) => "HAProxy",
        (false, true) => "The agent",
        (false, false) => "the agent",
    }
}

/// What a TCP event means, in a sentence.
pub fn sentence(class: u8, haproxy: bool) -> String {
    let who = side(haproxy, true);
    match class {
        0 if haproxy => "HAProxy opens a connection".into(),
        0 => "The agent accepts the connection".into(),
        1 => format!("{who} closes its side (FIN): it sends nothing more"),
        2 => format!("{who} resets the connection (RST)"),
        3 => format!("{who} sends a segment again (retransmission)"),
        4 => format!("{who} stops reading (zero window)"),
        5 => format!("{who} reads again (window open)"),
        6 => format!("{who} filled the window the other side offers (window full): it waits"),
        _ => String::new(),
    }
}

/// One TCP event of the capture.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Event {
    /// Capture clock.
    time: u64,
    packet: u32,
    class: u8,
    haproxy: bool,
    owner: Owner,
}

/// What a TCP event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Connection(usize),
    Attempt(usize),
}

/// An item of the list: a frame (timeline index) or a TCP event (index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item {
    Frame(u32),
    Event(u32),
}

/// The session's TCP events, and the list when they are shown in it.
#[derive(Debug, Default)]
pub(crate) struct Tcp {
    /// Every TCP event, in packet order (time order but for a capture whose clock stepped
    /// back).
    pub(crate) events: Vec<Event>,
    /// Findings that point at packets, by packet number (indexes into the findings).
    /// Sorted packet numbers and finding indexes, packed (`packet << 32 | finding`): a
    /// sorted vector of u64 costs the wasm no map code of its own.
    by_packet: Vec<u64>,
    /// The list shows the TCP events.
    pub(crate) show: bool,
    /// The filter of the view.
    pub(crate) filter: Filter,
    /// While shown: the frames of the view and the events the filter lets through, by time.
    pub(crate) list: Vec<Item>,
    /// While shown: where each frame of the view is in `list`.
    frame_pos: Vec<u32>,
}

impl Tcp {
    /// The TCP events of an analysis' capture.
    pub(crate) fn new(a: &Analysis) -> Tcp {
        let mut events = Vec::new();
        for c in &a.capture.connections {
            for (d, e) in c.tcp_events() {
                events.push(Event {
                    time: e.packet.timestamp,
                    packet: e.packet.number,
                    class: kind_class(e.kind),
                    haproxy: d == Direction::HaproxyToAgent,
                    owner: Owner::Connection(c.id),
                });
            }
        }
        for t in &a.capture.attempts {
            for (haproxy, e) in t.events() {
                events.push(Event {
                    time: e.packet.timestamp,
                    packet: e.packet.number,
                    class: kind_class(e.kind),
                    haproxy,
                    owner: Owner::Attempt(t.id),
                });
            }
        }
        // In packet order (the capture's, as Wireshark numbers them; one event per packet at
        // most): packet numbers and positions packed in u64s sort with the engine's own
        // instantiation of `sort_unstable`, not another sort in the wasm.
        let mut order: Vec<u64> = events
            .iter()
            .enumerate()
            .map(|(i, e)| u64::from(e.packet) << 32 | i as u64)
            .collect();
        order.sort_unstable();
        let events = order
            .iter()
            .filter_map(|&k| events.get((k & 0xffff_ffff) as usize).copied())
            .collect();
        Tcp {
            events,
            ..Tcp::default()
        }
    }

    /// Indexes the findings that point at packets (after the rules ran).
    pub(crate) fn index_findings(&mut self, a: &Analysis) {
        self.by_packet.clear();
        for (i, f) in a.findings.iter().enumerate() {
            for &p in &f.packets {
                self.by_packet.push(u64::from(p) << 32 | i as u64);
            }
        }
        self.by_packet.sort_unstable();
    }

    /// The findings (indexes) that point at packet `packet`.
    fn findings_at(&self, packet: u32) -> impl Iterator<Item = usize> + '_ {
        let from = self
            .by_packet
            .partition_point(|&k| k >> 32 < u64::from(packet));
        self.by_packet
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |&&k| k >> 32 == u64::from(packet))
            .map(|&k| (k & 0xffff_ffff) as usize)
    }
}

/// Where "go to packet" landed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketHit {
    /// The row (position in the list), if the list has any.
    pub pos: Option<usize>,
    /// The row is that packet's (not the nearest one).
    pub exact: bool,
    /// Why not, for people.
    pub note: String,
    /// The packet is a TCP event the list does not show.
    pub hidden_event: bool,
}

/// A sentence of "what happened".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictItem {
    /// Its most serious finding's level.
    #[serde(with = "crate::engine::protocol::level_wire")]
    pub level: Option<Severity>,
    /// The sentence.
    pub text: String,
    /// Indexes of the findings it rests on.
    pub findings: Vec<usize>,
}

/// Attempts to one agent with one outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptGroup {
    /// The agent's address.
    pub agent: String,
    /// `refused`, `unanswered`, `closed`, `open` (the engine's names).
    pub outcome: String,
    /// The agent could not be reached (the engine's `AttemptOutcome::failed`).
    pub failed: bool,
    /// How many.
    pub count: usize,
    /// First attempt's first packet: ns since time zero, and its number.
    pub first: (u64, u32),
    /// Last attempt's first packet.
    pub last: (u64, u32),
    /// How the first one ended (`RST by agent`), or `–`.
    pub closed: String,
}

impl Session {
    fn event(&self, e: usize) -> Option<&Event> {
        self.tcp.events.get(e)
    }

    /// The item at a position of the list.
    pub(crate) fn item(&self, pos: usize) -> Option<Item> {
        if self.tcp.show {
            self.tcp.list.get(pos).copied()
        } else {
            self.view.get(pos).map(|&i| Item::Frame(i as u32))
        }
    }

    /// Time (ns since time zero) of the item at a position.
    pub(crate) fn item_time(&self, pos: usize) -> Option<u64> {
        let abs = match self.item(pos)? {
            Item::Frame(i) => self.a.frames.get(i as usize)?.time,
            Item::Event(e) => self.event(e as usize)?.time,
        };
        Some(self.rel(abs))
    }

    fn item_packet(&self, item: Item) -> u32 {
        match item {
            Item::Frame(i) => self.a.frames.get(i as usize).map_or(0, |e| e.packet),
            Item::Event(e) => self.event(e as usize).map_or(0, |e| e.packet),
        }
    }

    /// The list position of the frame at view position `p`.
    pub(crate) fn list_pos(&self, p: usize) -> usize {
        if self.tcp.show {
            self.tcp.frame_pos.get(p).map_or(p, |&x| x as usize)
        } else {
            p
        }
    }

    /// Frames of the view at list positions up to `p`, included.
    pub(crate) fn frames_through(&self, p: usize) -> usize {
        if self.tcp.show {
            self.tcp.frame_pos.partition_point(|&x| x as usize <= p)
        } else {
            p + 1
        }
    }

    /// Frames of the view at list positions before `p`.
    pub(crate) fn frames_before(&self, p: usize) -> usize {
        if self.tcp.show {
            self.tcp.frame_pos.partition_point(|&x| (x as usize) < p)
        } else {
            p
        }
    }

    /// On the timeline: the events of the filter's connection (attempts with no filter).
    fn on_timeline(&self, e: &Event) -> bool {
        match (self.tcp.filter.connection, e.owner) {
            (None, _) => true,
            (Some(c), Owner::Connection(x)) => c == x,
            (Some(_), Owner::Attempt(_)) => false,
        }
    }

    /// In the list (when shown): the timeline's, unless a frame type or stream filter asks for
    /// frames only; then the severity and text filters as for frames.
    fn in_list(&self, e: &Event) -> bool {
        let f = &self.tcp.filter;
        if f.frame_type.is_some() || f.stream_id.is_some() || !self.on_timeline(e) {
            return false;
        }
        if f.min_level.is_some() && !at_least(self.level_at(e.packet), f.min_level) {
            return false;
        }
        let needle = f.text.trim().to_ascii_lowercase();
        needle.is_empty() || {
            let mut text = format!(
                "TCP {} {}",
                class_label(e.class, e.haproxy),
                self.event_summary(e)
            );
            for i in self.tcp.findings_at(e.packet) {
                if let Some(x) = self.a.findings.get(i) {
                    let _ = write!(text, " {} {} {}", x.rule.code, x.rule.name, x.message);
                }
            }
            text.to_ascii_lowercase().contains(&needle)
        }
    }

    /// The worst level of the findings that point at a packet.
    fn level_at(&self, packet: u32) -> Option<Severity> {
        self.tcp
            .findings_at(packet)
            .filter_map(|i| self.a.findings.get(i))
            .map(|f| f.severity)
            .max()
    }

    /// Time span (ns since time zero) of the TCP events on the timeline.
    pub(crate) fn tcp_span(&self) -> (Option<u64>, Option<u64>) {
        let ev = &self.tcp.events;
        let first = ev.iter().find(|e| self.on_timeline(e));
        let last = ev.iter().rev().find(|e| self.on_timeline(e));
        (
            first.map(|e| self.rel(e.time)),
            last.map(|e| self.rel(e.time)),
        )
    }

    /// Rebuilds the list after the view or the events' visibility changed.
    pub(crate) fn rebuild_list(&mut self) {
        let mut list = Vec::new();
        let mut frame_pos = Vec::new();
        if self.tcp.show {
            let shown: Vec<u32> = (0..self.tcp.events.len())
                .filter(|&e| self.tcp.events.get(e).is_some_and(|x| self.in_list(x)))
                .map(|e| e as u32)
                .collect();
            list.reserve(self.view.len() + shown.len());
            frame_pos.reserve(self.view.len());
            let key_of_event = |e: u32| {
                self.event(e as usize)
                    .map_or((0, 0), |x| (x.time, x.packet))
            };
            let mut events = shown.iter().copied().peekable();
            for &i in &self.view {
                let key = self.a.frames.get(i).map_or((0, 0), |e| (e.time, e.packet));
                // Events before the frame's packet first; the frame before the TCP flags of
                // the packet that carried it.
                while let Some(e) = events.next_if(|&e| key_of_event(e) < key) {
                    list.push(Item::Event(e));
                }
                frame_pos.push(list.len() as u32);
                list.push(Item::Frame(i as u32));
            }
            list.extend(events.map(Item::Event));
        }
        self.tcp.list = list;
        self.tcp.frame_pos = frame_pos;
    }

    /// Shows the TCP events in the list, or not.
    pub(crate) fn show_events(&mut self, on: bool) -> crate::engine::protocol::ViewInfo {
        self.tcp.show = on;
        self.rebuild_list();
        self.view_info()
    }

    /// `attempt 3 to 127.0.0.1:12345 (refused): ` for an attempt's event.
    fn event_summary(&self, e: &Event) -> String {
        let mut s = String::new();
        if let Owner::Attempt(i) = e.owner {
            if let Some(t) = self.a.capture.attempts.get(i) {
                let _ = write!(
                    s,
                    "attempt {} to {} ({}): ",
                    i + 1,
                    t.agent,
                    t.outcome().name()
                );
            }
        }
        s.push_str(&sentence(e.class, e.haproxy));
        s
    }

    /// The list row of TCP event `index` at position `pos`.
    pub(crate) fn event_row(&self, pos: usize, index: usize) -> Option<Row> {
        let e = self.event(index)?;
        let t = self.rel(e.time);
        let codes = self
            .tcp
            .findings_at(e.packet)
            .filter_map(|i| self.a.findings.get(i))
            .map(|f| f.rule.code.to_string())
            .collect();
        Some(Row {
            pos,
            index: usize::MAX,
            connection: match e.owner {
                Owner::Connection(c) => c,
                Owner::Attempt(_) => NO_CONNECTION,
            },
            time: seconds(t),
            t,
            to_agent: e.haproxy,
            frame_type: format!("TCP-{}", class_name(e.class)),
            label: format!("TCP {}", class_label(e.class, e.haproxy)),
            ids: String::new(),
            length: 0,
            summary: self.event_summary(e),
            level: self.level_at(e.packet),
            codes,
            embedded_in: None,
            pair: None,
            packet: e.packet,
            delta: 0,
            event: Some(index),
        })
    }

    /// The row of packet `number`, or the nearest one.
    pub(crate) fn goto_packet(&self, number: u32) -> PacketHit {
        let total = self.view_info().total;
        let mut best: Option<(u32, usize)> = None;
        for pos in 0..total {
            let Some(item) = self.item(pos) else { break };
            let d = self.item_packet(item).abs_diff(number);
            if best.is_none_or(|(b, _)| d < b) {
                best = Some((d, pos));
                if d == 0 {
                    break;
                }
            }
        }
        let exact = best.is_some_and(|(d, _)| d == 0);
        let pos = best.map(|(_, p)| p);
        let mut hit = PacketHit {
            pos,
            exact,
            ..PacketHit::default()
        };
        if exact {
            return hit;
        }
        let packets = self.a.capture.packets;
        let hidden = self.tcp.events.iter().find(|e| e.packet == number);
        hit.note = if number == 0 || (packets > 0 && number > packets) {
            format!("The capture has packets #1 to #{packets}")
        } else if let Some(e) = hidden {
            hit.hidden_event = true;
            format!(
                "Packet #{number} is a TCP {} from {}, not in the list",
                class_label(e.class, e.haproxy),
                side(e.haproxy, false)
            )
        } else if self.a.frames.iter().any(|e| e.packet == number) {
            format!("The filters hide the frame of packet #{number}")
        } else {
            format!("Packet #{number} completes no SPOP frame and shows no TCP event")
        };
        if let Some(p) = pos.and_then(|p| self.item(p)) {
            let _ = write!(
                hit.note,
                ": the nearest row is packet #{}",
                self.item_packet(p)
            );
        }
        hit
    }

    /// `FIN by agent`: who closed connection `c` first at the TCP level ([`first_close`]).
    ///
    /// [`first_close`]: spop_codec::capture::spop::SpopConnection::first_close
    pub(crate) fn closed_by(&self, c: usize) -> String {
        let conn = self.a.capture.connections.get(c);
        match conn.and_then(|c| c.first_close()) {
            Some((d, e)) => close_text(d == Direction::HaproxyToAgent, e.kind),
            None => "open".into(),
        }
    }

    /// Every FIN and RST of connection `c`, with packets: `FIN by agent #70, RST by agent #78`.
    pub(crate) fn closes_of(&self, c: usize) -> String {
        let Some(conn) = self.a.capture.connections.get(c) else {
            return String::new();
        };
        let all: Vec<String> = conn
            .tcp_events()
            .filter(|(_, e)| matches!(e.kind, TcpEventKind::Fin | TcpEventKind::Rst))
            .map(|(d, e)| {
                format!(
                    "{} #{}",
                    close_text(d == Direction::HaproxyToAgent, e.kind),
                    e.packet.number
                )
            })
            .collect();
        all.join(", ")
    }

    /// The attempts without SPOP, by agent and outcome, in order of their first one.
    pub(crate) fn attempt_groups(&self) -> Vec<AttemptGroup> {
        let mut groups: Vec<AttemptGroup> = Vec::new();
        for t in &self.a.capture.attempts {
            let (agent, outcome) = (t.agent.to_string(), t.outcome().name());
            let at = (self.rel(t.first.timestamp), t.first.number);
            match groups
                .iter_mut()
                .find(|g| g.agent == agent && g.outcome == outcome)
            {
                Some(g) => {
                    g.count += 1;
                    g.first = g.first.min(at);
                    g.last = g.last.max(at);
                }
                None => groups.push(AttemptGroup {
                    agent,
                    outcome: outcome.into(),
                    failed: t.outcome().failed(),
                    count: 1,
                    first: at,
                    last: at,
                    closed: t
                        .first_close()
                        .map_or("–".into(), |(h, e)| close_text(h, e.kind)),
                }),
            }
        }
        groups
    }

    /// The engine's verdict, once the rules ran.
    pub(crate) fn verdict(&self) -> Vec<VerdictItem> {
        if !self.a.is_checked() {
            return Vec::new();
        }
        verdict(&self.a)
            .into_iter()
            .map(|l| VerdictItem {
                level: Some(l.severity),
                text: l.text,
                findings: l.findings,
            })
            .collect()
    }

    /// A TCP event's details, as markup for the details panel.
    pub(crate) fn event_html(&self, index: usize) -> String {
        let Some(e) = self.event(index) else {
            return format!("<p>No TCP event #{index}.</p>");
        };
        let a = &self.a;
        let t = self.rel(e.time);
        let mut lines = vec![self.event_summary(e)];
        match e.owner {
            Owner::Connection(c) => {
                if let Some(conn) = a.capture.connections.get(c) {
                    let addr =
                        |s: Option<core::net::SocketAddr>| s.map_or("?".into(), |s| s.to_string());
                    lines.push(format!(
                        "Connection {}: HAProxy {} → agent {}",
                        c + 1,
                        addr(conn.haproxy),
                        addr(conn.agent)
                    ));
                    lines.push(format!(
                        "Closed first by: {} ({})",
                        self.closed_by(c),
                        self.closes_of(c)
                    ));
                }
            }
            Owner::Attempt(i) => {
                if let Some(t) = a.capture.attempts.get(i) {
                    lines.push(format!(
                        "Attempt {}: HAProxy {} → agent {}: {} ({} SYN(s)), no SPOP byte",
                        i + 1,
                        t.haproxy,
                        t.agent,
                        t.outcome().name(),
                        t.syns()
                    ));
                }
            }
        }
        let mut html = format!(
            r#"<h2>TCP {} · packet #{}</h2><p class="muted">{} s after the first packet"#,
            class_label(e.class, e.haproxy),
            e.packet,
            Fixed::ratio(t, 9, 6)
        );
        if a.capture.first_packet.is_some() {
            let _ = write!(html, " · {}", crate::engine::draw::clock(e.time, 6));
        }
        html.push_str(r#"</p><ul class="event-lines">"#);
        for l in lines {
            let _ = write!(html, "<li>{}</li>", esc(&l));
        }
        html.push_str("</ul>");
        let findings: Vec<&spop_codec::analysis::Finding> = self
            .tcp
            .findings_at(e.packet)
            .filter_map(|i| a.findings.get(i))
            .collect();
        if !findings.is_empty() {
            html.push_str(r#"<h3>Findings</h3><ul class="findings">"#);
            for f in findings {
                let l = f.severity.name();
                let _ = write!(
                    html,
                    r#"<li class="finding sev-{l}"><span class="sev">{l}</span> <code>{}</code> {}</li>"#,
                    f.rule.code,
                    esc(&f.message)
                );
            }
            html.push_str("</ul>");
        }
        html
    }

    /// The TCP events and attempts of a timeline window, as SVG markup: one mark each when
    /// few, else one mark per class and pixel column. `bins` is the plot's width in pixels.
    pub(crate) fn tcp_marks(&self, out: &mut Timeline, bins: u32) {
        use crate::engine::draw::{glyph, lane_y, LEFT};
        // (dense columns are ticks; one by one, glyphs)
        let (t0, t1) = (out.t0, out.t1);
        let lo = self.tcp.events.partition_point(|e| self.rel(e.time) < t0);
        let hi = self.tcp.events.partition_point(|e| self.rel(e.time) <= t1);
        let attempts = &self.a.capture.attempts;
        // An attempt is one mark, at its first packet.
        let marks: Vec<(&Event, u8)> = self
            .tcp
            .events
            .get(lo..hi.max(lo))
            .unwrap_or(&[])
            .iter()
            .filter(|e| self.on_timeline(e))
            .filter_map(|e| match e.owner {
                Owner::Connection(_) => Some((e, e.class)),
                Owner::Attempt(i) => {
                    let t = attempts.get(i)?;
                    (t.first.number == e.packet).then(|| (e, outcome_class(t.outcome())))
                }
            })
            .collect();
        let n = bins.clamp(1, 4096) as usize;
        let span = t1.saturating_sub(t0).max(1);
        let column = |t: u64| {
            crate::engine::session::bin_of(self.rel(t).saturating_sub(t0), n, span).min(n - 1)
        };
        let svg = &mut out.tcp;
        if marks.len() > MAX_MARKS {
            // One path per class and lane, a mark per column that has one.
            let mut seen: Vec<(u8, Vec<bool>)> = Vec::new();
            for (e, class) in &marks {
                let lc = lane_class(*class, e.haproxy);
                let at = match seen.iter().position(|(c, _)| *c == lc) {
                    Some(i) => i,
                    None => {
                        seen.push((lc, vec![false; n]));
                        seen.len() - 1
                    }
                };
                if let Some(slot) = seen
                    .get_mut(at)
                    .and_then(|(_, v)| v.get_mut(column(e.time)))
                {
                    *slot = true;
                }
            }
            for (lc, cols) in seen {
                let (class, haproxy) = (lc & 0x7f, lc & 0x80 == 0);
                let _ = write!(svg, r#"<path class="tcp dense {}" d=""#, class_name(class));
                // A short tick per column (a glyph per pixel would be a solid band).
                let y = lane_y(class, haproxy);
                for (col, _) in cols.iter().enumerate().filter(|(_, &on)| on) {
                    let _ = write!(
                        svg,
                        "M{},{}v8",
                        Fixed::of(LEFT + col as f64 + 0.5, 1),
                        Fixed::of(y - 4.0, 1)
                    );
                }
                svg.push_str(r#""/>"#);
            }
            return;
        }
        for (e, class) in marks {
            let t = self.rel(e.time);
            let x = LEFT + t.saturating_sub(t0) as f64 / span as f64 * f64::from(bins);
            let y = lane_y(class, e.haproxy);
            let _ = write!(
                svg,
                r#"<g class="tcp {} by-{}" data-packet="{}"><title>packet #{} · "#,
                class_name(class),
                if e.haproxy { "haproxy" } else { "agent" },
                e.packet,
                e.packet
            );
            let _ = match e.owner {
                Owner::Attempt(i) => write!(
                    svg,
                    "attempt {} to {}: {}",
                    i + 1,
                    attempts
                        .get(i)
                        .map_or(String::new(), |t| t.agent.to_string()),
                    class_name(class)
                ),
                Owner::Connection(c) => write!(
                    svg,
                    "TCP {} from {} · connection {}",
                    class_label(class, e.haproxy),
                    side(e.haproxy, false),
                    c + 1
                ),
            };
            let _ = write!(
                svg,
                r#" · {} s</title><circle class="hit" cx="{}" cy="{}" r="7"/><path d=""#,
                Fixed::ratio(t, 9, 6),
                Fixed::of(x, 1),
                Fixed::of(y, 1)
            );
            glyph(class, x, y, svg);
            svg.push_str(r#""/></g>"#);
        }
    }
}

/// Text for markup: `&`, `<`, `>` and quotes escaped.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A class and its lane in one byte: the agent's events have bit 7 set.
pub fn lane_class(class: u8, haproxy: bool) -> u8 {
    if haproxy || class >= ATTEMPT {
        class
    } else {
        class | 0x80
    }
}

/// `FIN by HAProxy`, `RST by agent`.
fn close_text(haproxy: bool, kind: TcpEventKind) -> String {
    format!(
        "{} by {}",
        class_label(kind_class(kind), true),
        if haproxy { "HAProxy" } else { "agent" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::{Request, Response};

    const KILLED: &[u8] =
        include_bytes!("../../../tests/fixtures/incidents/spoe-forge-killed.pcap");

    fn session() -> Session {
        let (s, _) = Session::load(KILLED, &mut |_| {});
        let mut s = s.expect("loads");
        s.check();
        s
    }

    #[test]
    fn every_tcp_event_of_the_engine_is_listed_once_in_time_order() {
        let mut s = session();
        let a = s.analysis();
        let want: usize = a
            .capture
            .connections
            .iter()
            .map(|c| c.tcp_events().count())
            .sum::<usize>()
            + a.capture
                .attempts
                .iter()
                .map(|t| t.events().count())
                .sum::<usize>();
        let frames = a.frames.len();
        let v = s.show_events(true);
        assert_eq!((v.total, v.events), (frames + want, want));
        let rows = s.rows(0, v.total);
        assert_eq!(rows.len(), v.total);
        assert!(rows.windows(2).all(|w| w[0].t <= w[1].t));
        assert_eq!(rows.iter().filter(|r| r.event.is_some()).count(), want);
        // Frames keep their order and are found where the list has them.
        let framed: Vec<usize> = rows
            .iter()
            .filter(|r| r.event.is_none())
            .map(|r| r.index)
            .collect();
        assert_eq!(framed, (0..frames).collect::<Vec<_>>());
        for r in rows.iter().filter(|r| r.event.is_none()) {
            assert_eq!(s.locate(r.index), Some(r.pos));
        }
        let (p, i) = s.next_error(None, true).unwrap_or((0, 0));
        if s.worst.contains(&Some(Severity::Error)) {
            assert_eq!(rows[p].index, i);
        }
        // The deltas add up to the last row's time.
        let sum: u64 = rows.iter().map(|r| r.delta).sum();
        assert_eq!(sum, rows.last().map_or(0, |r| r.t) - rows[0].t);
        // Off again: frames only.
        let v = s.show_events(false);
        assert_eq!((v.total, v.events), (frames, 0));
    }

    #[test]
    fn go_to_packet_finds_frames_and_events_or_the_nearest() {
        let mut s = session();
        let refused = s.a.capture.attempts[0].first.number;
        let hit = s.goto_packet(refused);
        assert!(!hit.exact && hit.hidden_event, "{hit:?}");
        s.show_events(true);
        let hit = s.goto_packet(refused);
        assert!(hit.exact, "{hit:?}");
        let row = &s.rows(hit.pos.unwrap(), 1)[0];
        assert_eq!(row.packet, refused);
        assert_eq!(row.label, "TCP SYN");
        assert!(row.summary.contains("(refused)"), "{}", row.summary);
        let f = &s.a.frames[5];
        let hit = s.goto_packet(f.packet);
        assert!(hit.exact);
        assert_eq!(s.rows(hit.pos.unwrap(), 1)[0].packet, f.packet);
        let far = s.goto_packet(100_000);
        assert!(!far.exact && far.note.contains("#1 to #191"), "{far:?}");
        let Response::Html(h) = s.handle(Request::Event {
            index: row.event.unwrap(),
        }) else {
            panic!("event details")
        };
        assert!(h.contains(&format!("TCP SYN · packet #{refused}")), "{h}");
    }

    #[test]
    fn the_overview_says_who_closed_and_what_happened() {
        let mut s = session();
        let o = s.overview();
        assert_eq!(o.connections[0].closed, "FIN by agent");
        assert_eq!(
            o.connections[0].closes,
            "FIN by agent #70, RST by agent #78"
        );
        let refused = o.attempts.iter().find(|g| g.outcome == "refused").unwrap();
        assert_eq!(refused.count, 24);
        assert_eq!(refused.closed, "RST by agent");
        assert_eq!(o.verdict.len(), verdict(&s.a).len());
        assert_eq!(o.verdict[0].level, Some(Severity::Error));
        assert!(o.tcp_events > 0 && o.zero > 0);
        let engine = spop_codec::analysis::statistics(&s.a);
        let Response::Html(h) = s.handle(Request::Statistics { width: 900 }) else {
            panic!("statistics")
        };
        let p99 = engine.latency.map_or(0, |p| p.p99);
        assert!(h.contains(&format!(r#"data-ns="{p99}""#)), "{h}");
    }

    #[test]
    fn the_timeline_has_the_tcp_events_and_one_mark_per_attempt() {
        let s = session();
        let o = s.overview();
        let t = s.timeline(0, o.view.t1 + 1, 800);
        let count = |what: &str| t.tcp.matches(what).count();
        let attempts: usize = OUTCOMES
            .iter()
            .map(|o| count(&format!(r#"<g class="tcp {} "#, o.name())))
            .sum();
        assert_eq!(attempts, s.a.capture.attempts.len());
        assert!(count(r#"<g class="tcp rst by-agent""#) > 0);
        assert!(count(r#"<g class="tcp refused"#) > 0);
        assert!(!t.tcp.contains("dense"));
    }
}

//! The engine side of the page: one decoded capture and the answers to everything the page
//! asks about it (the rows of the current view, a window of the timeline, a frame's details,
//! the findings of a rule).
//!
//! It runs in the decode worker, so the page only ever holds what is on screen: a million
//! frames stay in the worker, and the page asks for the 40 rows it shows. The same code runs
//! in-thread where workers are unavailable (component tests). Everything here is rendering
//! of the engine's data: names, summaries, pairs and findings all come from `spop-codec`.

use std::fmt::Write as _;

use spop_codec::analysis::{analyze_timeline, Analysis, AnalysisOptions, Finding, Severity};
use spop_codec::capture::{load_with_progress, Capture, LoadError, LoadOptions};
use spop_codec::display::Fixed;
use spop_codec::fields::{fields, FieldNode};
use spop_codec::report::seconds;
use spop_codec::share::TIMEOUT_PROCESSING_KEY;
use spop_codec::time::HaproxyTime;
use spop_codec::wire::Direction;
use spop_codec::{Progress, Span};

use crate::engine::protocol::{
    at_least, level_digit, order_time, worse, Bin, ConnectionRow, Details, Embedded, Filter,
    FindingItem, Mark, Node, Overview, PacketRun, Request, Response, Row, RuleGroup, Settings,
    Timeline, ViewInfo, MAX_MARKS,
};

/// A frame's text as the filter searches it, written part by part (type, summary, findings),
/// lowercased as it comes: the search stops at the first part that brings the needle, so a
/// frame that matches by its type is not formatted further.
struct Search<'n> {
    needle: &'n str,
    text: String,
}

impl Search<'_> {
    /// Appends one part; true once the text has the needle.
    fn has(&mut self, part: impl FnOnce(&mut String) -> std::fmt::Result) -> bool {
        // The needle may straddle the previous part: search from its length back.
        let mut from = self.text.len().saturating_sub(self.needle.len());
        while !self.text.is_char_boundary(from) {
            from -= 1;
        }
        let start = self.text.len();
        let _ = part(&mut self.text);
        if let Some(new) = self.text.get_mut(start..) {
            new.make_ascii_lowercase();
        }
        self.text
            .get(from..)
            .is_some_and(|t| t.contains(self.needle))
    }
}

/// Which of `n` bins over `span` ns holds a frame `d` ns into the window: `d * n / span`,
/// in u64 unless the product needs more (spans beyond about 50 days). A u128 division is a
/// library call on wasm32, and this runs for every frame in the window.
pub(crate) fn bin_of(d: u64, n: usize, span: u64) -> usize {
    let x = match d.checked_mul(n as u64) {
        Some(p) => p / span.max(1),
        None => (u128::from(d) * n as u128 / u128::from(span.max(1))) as u64,
    };
    usize::try_from(x).unwrap_or(usize::MAX)
}

/// One decoded capture and the current view of it.
pub struct Session {
    pub(crate) a: Analysis,
    /// Time zero (ns, capture clock).
    start: u64,
    /// Whether the input has times (the engine's [`Analysis::has_times`]).
    timed: bool,
    /// Worst level of the findings shown under each frame.
    pub(crate) worst: Vec<Option<Severity>>,
    /// Timeline indexes of the frames in the view, in order.
    pub(crate) view: Vec<usize>,
    /// TCP events, and the list when they are shown in it.
    pub(crate) tcp: crate::engine::incident::Tcp,
    /// The filter that made `view`, if the findings have not changed since.
    viewed: Option<Filter>,
    /// Findings by rule code, in the groups' order: indexes into `a.findings`.
    by_rule: Vec<(&'static str, Vec<usize>)>,
}

impl Session {
    /// Decodes any supported input, reporting progress. An input that cannot be read gives
    /// an overview with `error` set and no session.
    pub fn load(input: &[u8], progress: &mut dyn FnMut(Progress)) -> (Option<Session>, Overview) {
        Session::load_with(input, &Settings::default(), progress)
    }

    /// [`Session::load`] with the page's settings.
    pub fn load_with(
        input: &[u8],
        settings: &Settings,
        progress: &mut dyn FnMut(Progress),
    ) -> (Option<Session>, Overview) {
        if input.iter().all(u8::is_ascii_whitespace) {
            return (
                None,
                Overview {
                    error: Some("the input is empty".into()),
                    ..Overview::default()
                },
            );
        }
        Session::from_capture_with(
            load_with_progress(input, &LoadOptions::default(), progress),
            settings,
            progress,
        )
    }

    /// A session over a loaded capture (for instance a file read in chunks through
    /// [`spop_codec::capture::Loader`]), or the overview saying why there is none.
    pub fn from_capture(
        loaded: Result<Capture, LoadError>,
        progress: &mut dyn FnMut(Progress),
    ) -> (Option<Session>, Overview) {
        Session::from_capture_with(loaded, &Settings::default(), progress)
    }

    /// [`Session::from_capture`] with the page's settings.
    pub fn from_capture_with(
        loaded: Result<Capture, LoadError>,
        settings: &Settings,
        progress: &mut dyn FnMut(Progress),
    ) -> (Option<Session>, Overview) {
        let capture = match loaded {
            Ok(c) => c,
            Err(e) => {
                return (
                    None,
                    Overview {
                        error: Some(e.to_string()),
                        ..Overview::default()
                    },
                )
            }
        };
        // The timeline first: the page shows it and then asks for the rules (Request::Check).
        // A link restores filters and findings-related state, so its rules run now.
        let carried = settings
            .bundle_decides
            .then(|| {
                let (_, v) = capture
                    .shared
                    .iter()
                    .find(|(k, _)| k == TIMEOUT_PROCESSING_KEY)?;
                v.parse::<HaproxyTime>().ok()
            })
            .flatten();
        let options = AnalysisOptions {
            slow_ack: carried
                .map(HaproxyTime::as_nanos)
                .or(settings.timeout_processing),
            ..AnalysisOptions::default()
        };
        let mut a = analyze_timeline(capture, &options, progress);
        if !a.capture.shared.is_empty() {
            a.check(progress);
        }
        let session = Session::new(a);
        let mut overview = session.overview();
        if !session.a.capture.shared.is_empty() {
            overview.restored = Some(session.restore(&session.a.capture.shared));
        }
        (Some(session), overview)
    }

    /// A session over an analysis.
    pub fn new(a: Analysis) -> Session {
        // Time zero: the engine's, as in the CLI and the Markdown report (a connection's TCP
        // handshake before it shows at 0).
        let start = a.time_zero();
        let timed = a.has_times();
        let view = (0..a.frames.len()).collect();
        let tcp = crate::engine::incident::Tcp::new(&a);
        let mut s = Session {
            a,
            start,
            timed,
            worst: Vec::new(),
            view,
            tcp,
            viewed: None,
            by_rule: Vec::new(),
        };
        s.index_findings();
        s
    }

    /// Runs the rules if they have not run, and indexes their findings.
    pub fn check(&mut self) {
        if !self.a.is_checked() {
            self.a.check(&mut |_| {});
            self.index_findings();
        }
    }

    /// The worst level under each frame and the findings by rule, from `a.findings`.
    fn index_findings(&mut self) {
        // The findings are part of what a filter matches.
        self.viewed = None;
        let a = &self.a;
        let mut worst = vec![None; a.frames.len()];
        let mut by_rule: Vec<(&'static str, Vec<usize>)> = Vec::new();
        for (i, f) in a.findings.iter().enumerate() {
            if let Some(w) = f.frames.first().and_then(|&i| worst.get_mut(i)) {
                *w = worse(*w, Some(f.severity));
            }
            match by_rule.iter_mut().find(|(c, _)| *c == f.rule.code) {
                Some((_, list)) => list.push(i),
                None => by_rule.push((f.rule.code, vec![i])),
            }
        }
        // Most severe rules first, then by code.
        let group_level = |list: &[usize]| {
            list.iter()
                .filter_map(|&i| a.findings.get(i))
                .map(|f| f.severity)
                .max()
        };
        spop_codec::sort::sort_by(&mut by_rule, |(ca, la), (cb, lb)| {
            level_digit(group_level(lb))
                .cmp(&level_digit(group_level(la)))
                .then_with(|| ca.cmp(cb))
        });
        self.worst = worst;
        self.by_rule = by_rule;
        self.tcp.index_findings(&self.a);
    }

    /// The analysis.
    pub fn analysis(&self) -> &Analysis {
        &self.a
    }

    pub(crate) fn rel(&self, t: u64) -> u64 {
        t.saturating_sub(self.start)
    }

    /// Where frame `index` (at capture time `t`) is on the timeline: its time since time
    /// zero, or, for an input without times, its place in frame order ([`order_time`]).
    fn timeline_time(&self, index: usize, t: u64) -> u64 {
        if self.timed {
            self.rel(t)
        } else {
            order_time(index)
        }
    }

    /// Time zero (capture clock).
    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// Timeline indexes of the current view.
    pub(crate) fn view(&self) -> &[usize] {
        &self.view
    }

    /// The overview of the capture.
    pub fn overview(&self) -> Overview {
        let a = &self.a;
        let (e, w, i) = a.counts();
        let notes = a.capture.notes();
        let types: Vec<_> = a.frame_types().collect();
        let connections = a
            .connections
            .iter()
            .map(|c| ConnectionRow {
                id: c.id,
                haproxy: c.haproxy.map_or("?".into(), |s| s.to_string()),
                agent: c.agent.map_or("?".into(), |s| s.to_string()),
                start: seconds(self.rel(c.start)),
                duration: seconds(c.end.saturating_sub(c.start)),
                to_agent: c.frames_to_agent,
                to_haproxy: c.frames_to_haproxy,
                version: c
                    .agent_hello
                    .as_ref()
                    .and_then(|h| h.version.clone())
                    .unwrap_or_else(|| "–".into()),
                max_frame_size: c
                    .negotiated_max_frame_size
                    .map_or("–".into(), |m| m.to_string()),
                capabilities: if c.agreed_capabilities.is_empty() {
                    "–".into()
                } else {
                    c.agreed_capabilities
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                end: c.end_reason.to_string(),
                closed: self.closed_by(c.id),
                closes: self.closes_of(c.id),
                generation: c.generation.label().into(),
                latency: c.latency().map_or("–".into(), |(m, x)| {
                    format!("{} / {}", duration(m), duration(x))
                }),
                latency_ns: c.latency(),
                healthcheck: c.is_healthcheck(),
                errors: c.errors,
                warnings: c.warnings,
            })
            .collect();
        let groups = self
            .by_rule
            .iter()
            .filter_map(|(_, list)| {
                let first = a.findings.get(*list.first()?)?;
                let rule = first.rule;
                Some(RuleGroup {
                    code: rule.code.into(),
                    name: rule.name.into(),
                    level: list
                        .iter()
                        .filter_map(|&i| a.findings.get(i))
                        .map(|f| f.severity)
                        .max(),
                    title: rule.title.into(),
                    explanation: rule.explanation.into(),
                    count: list.len(),
                    omitted: a
                        .omitted
                        .iter()
                        .filter(|o| o.rule.code == rule.code)
                        .map(|o| o.count)
                        .sum(),
                })
            })
            .collect();
        Overview {
            input: a.capture.input.to_string(),
            packets: a.capture.packets,
            frames: a.frames.len(),
            other_connections: a.capture.other_connections,
            counts: [e, w, i],
            duration: a.frames.last().map_or(0, |f| self.rel(f.time)),
            view: self.view_info(),
            checked: a.is_checked(),
            connections,
            groups,
            omitted: spop_codec::report::markdown::omitted_line(a),
            frame_types: types.iter().map(|t| t.to_string()).collect(),
            notes,
            fingerprint: self.fingerprint(),
            restored: None,
            timeout_processing: a.options.slow_ack,
            verdict: self.verdict(),
            attempts: self.attempt_groups(),
            tcp_events: self.tcp.events.len(),
            zero: a.capture.first_packet.map_or(0, |_| self.start),
            timed: self.timed,
            // A capture of failed attempts only (the agent down all along) is shown too.
            error: a
                .capture
                .no_spop()
                .filter(|_| a.capture.attempts.is_empty()),
        }
    }

    /// Answers one question.
    pub fn handle(&mut self, req: Request) -> Response {
        // Until the rules ran (see Request::Check), only what draws the timeline and the list
        // is answered without them; anything about findings runs them first.
        let needs_findings = match &req {
            Request::Rows { .. }
            | Request::Timeline { .. }
            | Request::Details { .. }
            | Request::Locate { .. }
            | Request::Resolve { .. }
            | Request::Memory => false,
            Request::Filter(f) => f.min_level.is_some() || !f.text.trim().is_empty(),
            Request::Events(_) | Request::GotoPacket { .. } | Request::Statistics { .. } => false,
            _ => true,
        };
        if needs_findings {
            self.check();
        }
        match req {
            Request::Check => Response::Checked(Box::new(self.overview())),
            Request::Filter(f) => Response::View(self.filter(&f)),
            Request::Rows { start, count } => Response::Rows {
                start,
                rows: self.rows(start, count),
            },
            Request::Timeline { t0, t1, bins } => Response::Timeline(self.timeline(t0, t1, bins)),
            Request::Details { frame } => match self.details(frame) {
                Some(d) => Response::Details(Box::new(d)),
                None => Response::Error(format!("no frame #{}", frame + 1)),
            },
            Request::Locate { frame } => Response::Position(self.locate(frame)),
            Request::NextFinding {
                from,
                forward,
                min_level,
                count,
            } => Response::Found(self.next_finding(from, forward, min_level, count)),
            Request::Findings {
                code,
                offset,
                count,
            } => {
                let items = self.findings(&code, offset, count);
                Response::Findings {
                    code,
                    offset,
                    items,
                }
            }
            Request::Share { state, scope } => Response::Shared(self.share(&state, scope)),
            Request::Resolve { keys } => Response::Resolved(self.resolve(&keys)),
            Request::Report { state, name, link } => {
                Response::Report(self.report(&state, &name, link.as_deref()))
            }
            Request::Memory => Response::Memory(wasm_memory()),
            Request::Events(on) => Response::View(self.show_events(on)),
            Request::GotoPacket { number } => Response::Packet(self.goto_packet(number)),
            Request::Event { index } => Response::Html(self.event_html(index)),
            Request::Statistics { width } => Response::Html(crate::engine::stats::html(
                &spop_codec::analysis::statistics(&self.a),
                f64::from(width),
            )),
            Request::FindingList { ids } => Response::FindingList(
                ids.iter()
                    .take(1000)
                    .filter_map(|&i| self.a.findings.get(i))
                    .map(Self::finding_item)
                    .collect(),
            ),
        }
    }

    /// Applies a filter to the view.
    pub fn filter(&mut self, f: &Filter) -> ViewInfo {
        let needle = f.text.trim().to_ascii_lowercase();
        let mut search = Search {
            needle: &needle,
            text: String::new(),
        };
        // Typing into the text filter: when only the text grew around the previous one, every
        // frame it lets through was in the previous view, so only those are searched (each is
        // formatted to be searched: about a second for 800,000 frames in the browser).
        let narrower = self.viewed.as_ref().is_some_and(|v| {
            Filter {
                text: f.text.clone(),
                ..v.clone()
            } == *f
                && needle.contains(&v.text.trim().to_ascii_lowercase())
        });
        let candidates = match narrower {
            true => core::mem::take(&mut self.view),
            false => (0..self.a.frames.len()).collect(),
        };
        self.viewed = Some(f.clone());
        let a = &self.a;
        let worst = &self.worst;
        self.view = candidates
            .into_iter()
            .filter_map(|i| a.frames.get(i))
            .filter(|e| {
                f.connection.is_none_or(|c| e.connection == c)
                    && f.stream_id.is_none_or(|s| e.stream_id == s)
                    && f.frame_type
                        .as_deref()
                        .is_none_or(|t| e.frame_type.name() == t || e.frame_type.to_string() == t)
                    && (f.min_level.is_none()
                        || at_least(worst.get(e.index).copied().flatten(), f.min_level))
            })
            .filter(|e| {
                if needle.is_empty() {
                    return true;
                }
                search.text.clear();
                search.has(|t| write!(t, "{} ", e.frame_type))
                    || search.has(|t| {
                        a.with_frame(e.index, |fr| write!(t, "{}", fr.summary()))
                            .unwrap_or(Ok(()))
                    })
                    || a.findings_at(e.index).iter().any(|x| {
                        search.has(|t| write!(t, " {} {} {}", x.rule.code, x.rule.name, x.message))
                    })
            })
            .map(|e| e.index)
            .collect();
        self.tcp.filter = f.clone();
        self.rebuild_list();
        self.view_info()
    }

    /// The current view's size.
    pub fn view_info(&self) -> ViewInfo {
        let t = |p: Option<&usize>| {
            p.and_then(|&i| Some((i, self.a.frames.get(i)?)))
                .map(|(i, e)| self.timeline_time(i, e.time))
        };
        // The TCP events of the view's connections count too: a capture of refused attempts
        // has its time span in them.
        let (e0, e1) = if self.timed {
            self.tcp_span()
        } else {
            (None, None)
        };
        let (f0, f1) = (t(self.view.first()), t(self.view.last()));
        let events = if self.tcp.show {
            self.tcp.list.len() - self.view.len()
        } else {
            0
        };
        ViewInfo {
            total: self.view.len() + events,
            events,
            all: self.a.frames.len(),
            t0: f0.into_iter().chain(e0).min().unwrap_or(0),
            t1: f1.into_iter().chain(e1).max().unwrap_or(0),
        }
    }

    /// Rows of the view.
    pub fn rows(&self, start: usize, count: usize) -> Vec<Row> {
        let end = start
            .saturating_add(count.min(1000))
            .min(self.view_info().total);
        (start.min(end)..end)
            .filter_map(|pos| {
                let mut row = match self.item(pos)? {
                    crate::engine::incident::Item::Frame(i) => self.frame_row(pos, i as usize)?,
                    crate::engine::incident::Item::Event(e) => self.event_row(pos, e as usize)?,
                };
                // Time since the previous row (Wireshark's "since previous displayed").
                let before = pos
                    .checked_sub(1)
                    .and_then(|p| self.item_time(p))
                    .unwrap_or(row.t);
                row.delta = row.t.saturating_sub(before);
                Some(row)
            })
            .collect()
    }

    /// The list row of frame `i` at position `pos`.
    fn frame_row(&self, pos: usize, i: usize) -> Option<Row> {
        let a = &self.a;
        let e = a.frames.get(i)?;
        let findings = a.findings_at(i);
        Some(Row {
            pos,
            index: i,
            connection: e.connection,
            time: seconds(self.rel(e.time)),
            t: self.rel(e.time),
            to_agent: e.direction == Direction::HaproxyToAgent,
            frame_type: e.frame_type.to_string(),
            label: e.type_label(),
            ids: format!("{}/{}", e.stream_id, e.frame_id),
            length: e.length,
            summary: a
                .with_frame(i, |f| f.summary().to_string())
                .unwrap_or_default(),
            level: self.worst.get(i).copied().flatten(),
            codes: findings.iter().map(|f| f.rule.code.to_string()).collect(),
            embedded_in: e.outer(),
            pair: e.paired().map(|p| (p, a.pair_latency(e))),
            packet: e.packet,
            delta: 0,
            event: None,
        })
    }

    /// The view between `t0` and `t1` (ns since the first frame).
    pub fn timeline(&self, t0: u64, t1: u64, bins: u32) -> Timeline {
        let a = &self.a;
        let time = |i: usize| a.frames.get(i).map_or(0, |e| self.timeline_time(i, e.time));
        let lo = self.view.partition_point(|&i| time(i) < t0);
        let hi = self.view.partition_point(|&i| time(i) <= t1);
        let window = self.view.get(lo..hi.max(lo)).unwrap_or(&[]);
        let mut out = Timeline {
            t0,
            t1,
            count: window.len(),
            marks: Vec::new(),
            bins: Vec::new(),
            tcp: String::new(),
        };
        // Without times, TCP events have no place on an axis of frame order.
        if self.timed {
            self.tcp_marks(&mut out, bins);
        }
        if window.len() <= MAX_MARKS {
            out.marks = window
                .iter()
                .filter_map(|&i| {
                    let e = a.frames.get(i)?;
                    let ack = e
                        .paired()
                        .filter(|_| e.frame_type == spop_codec::wire::FrameType::Notify)
                        .and_then(|p| Some((p, self.timeline_time(p, a.frames.get(p)?.time))));
                    Some(Mark {
                        index: i,
                        t: self.timeline_time(i, e.time),
                        to_agent: e.direction == Direction::HaproxyToAgent,
                        frame_type: e.frame_type.to_string(),
                        level: self.worst.get(i).copied().flatten(),
                        ack,
                    })
                })
                .collect();
        } else {
            let n = bins.clamp(1, 4096) as usize;
            let span = (t1.saturating_sub(t0)).max(1);
            out.bins = vec![Bin::default(); n];
            for &i in window {
                let Some(e) = a.frames.get(i) else { continue };
                let x = bin_of(self.timeline_time(i, e.time).saturating_sub(t0), n, span);
                if let Some(b) = out.bins.get_mut(x.min(n - 1)) {
                    if e.direction == Direction::HaproxyToAgent {
                        b.to_agent += 1;
                    } else {
                        b.to_haproxy += 1;
                    }
                    b.level = worse(b.level, self.worst.get(i).copied().flatten());
                }
            }
        }
        out
    }

    /// Where frame `frame` is in the view.
    pub fn locate(&self, frame: usize) -> Option<usize> {
        let p = self.view.binary_search(&frame).ok()?;
        Some(self.list_pos(p))
    }

    /// The next (or previous) frame of the view with an error-level finding: its position in
    /// the list (which may hold TCP events too) and its timeline index.
    pub fn next_error(&self, from: Option<usize>, forward: bool) -> Option<(usize, usize)> {
        self.next_finding(from, forward, Some(Severity::Error), 1)
    }

    /// The `count`th next (or previous) frame of the view whose worst finding is at least
    /// `min_level` (the furthest one when fewer are left): its position in the list and its
    /// timeline index.
    pub fn next_finding(
        &self,
        from: Option<usize>,
        forward: bool,
        min_level: Option<Severity>,
        count: usize,
    ) -> Option<(usize, usize)> {
        let min_level = worse(min_level, Some(Severity::Info));
        let count = count.max(1);
        let stops =
            |&(_, &i): &(usize, &usize)| at_least(self.worst.get(i).copied().flatten(), min_level);
        let found = if forward {
            let start = from.map_or(0, |p| self.frames_through(p));
            self.view
                .iter()
                .enumerate()
                .skip(start)
                .filter(stops)
                .take(count)
                .last()
                .map(|(p, &i)| (p, i))
        } else {
            let end = from.map_or(self.view.len(), |p| self.frames_before(p));
            self.view
                .get(..end.min(self.view.len()))?
                .iter()
                .enumerate()
                .rev()
                .filter(stops)
                .take(count)
                .last()
                .map(|(p, &i)| (p, i))
        };
        found.map(|(p, i)| (self.list_pos(p), i))
    }

    pub(crate) fn finding_item(f: &Finding) -> FindingItem {
        FindingItem {
            code: f.rule.code.into(),
            name: f.rule.name.into(),
            level: Some(f.severity),
            message: f.message.clone(),
            frame: f.frames.first().copied(),
            connection: f.connection,
            spans: f.locations.iter().map(|l| l.span).collect(),
            packets: f.packets.clone(),
        }
    }

    /// A page of one rule's findings.
    pub fn findings(&self, code: &str, offset: usize, count: usize) -> Vec<FindingItem> {
        self.by_rule
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, list)| {
                list.iter()
                    .skip(offset)
                    .take(count.min(1000))
                    .filter_map(|&i| self.a.findings.get(i))
                    .map(Self::finding_item)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A frame's details.
    pub fn details(&self, index: usize) -> Option<Details> {
        let a = &self.a;
        let entry = *a.frames.get(index)?;
        let tree: Vec<FieldNode> = a.with_frame(index, fields).unwrap_or_default();
        fn node(f: &FieldNode, map: &dyn Fn(Span) -> Vec<Span>) -> Node {
            Node {
                label: f.label.clone(),
                value: f.value.clone(),
                spans: map(f.span),
                children: f.children.iter().map(|c| node(c, map)).collect(),
            }
        }
        let map = |s: Span| entry.map_span(s).collect::<Vec<_>>();
        let data = a.stream_data(entry.connection, entry.direction)?;
        let extent = entry.extent();
        let bytes = data.get(extent.range()).unwrap_or(&[]).to_vec();
        let stream = a
            .capture
            .connections
            .get(entry.connection)
            .map(|c| c.stream(entry.direction));
        // Runs of bytes carried by one packet.
        let mut packets: Vec<PacketRun> = Vec::new();
        for o in extent.start..extent.end {
            let packet = stream.and_then(|s| s.packet_at(o)).map_or(0, |p| p.number);
            match packets.last_mut() {
                Some(run) if run.packet == packet && run.bytes.end == o => run.bytes.end = o + 1,
                _ => packets.push(PacketRun {
                    bytes: Span::at(o, 1),
                    packet,
                }),
            }
        }
        let embedded = a
            .frames_of(entry.connection)
            .filter(|e| e.outer() == Some(index))
            .map(|e| Embedded {
                bytes: e.extent(),
                frame: e.index,
                frame_type: e.frame_type.to_string(),
            })
            .collect();
        let findings = a
            .findings_at(index)
            .iter()
            .map(Self::finding_item)
            .collect();
        Some(Details {
            index,
            frame_type: entry.frame_type.to_string(),
            key: a.key_of(index).map(|k| k.to_string()).unwrap_or_default(),
            t: self.rel(entry.time),
            title: format!(
                "{} · connection {} · {} bytes at stream offset {} · {} · {} s",
                entry.direction.label(),
                entry.connection + 1,
                extent.len(),
                extent.start,
                a.segments_phrase(index),
                Fixed::ratio(self.rel(entry.time), 9, 6)
            ),
            tree: tree.iter().map(|f| node(f, &map)).collect(),
            base: extent.start,
            bytes,
            packets,
            embedded,
            findings,
            embedded_in: entry.outer(),
            pair: entry.paired(),
        })
    }
}

/// The size in bytes of this wasm instance's memory (the worker's in the decode worker, the
/// page's in the page). Wasm memory only ever grows, so this is also its peak. `None` outside
/// wasm (native unit tests).
pub fn wasm_memory() -> Option<u64> {
    #[cfg(target_arch = "wasm32")]
    {
        // Pages of 64 KiB; read straight from the instance, no JS involved.
        Some(core::arch::wasm32::memory_size::<0>() as u64 * 65_536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

/// A duration in ns, for people: `850 µs`, `12.3 ms`, `1.20 s`.
pub fn duration(ns: u64) -> String {
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{} µs", Fixed::ratio(ns, 3, 0))
    } else if ns < 1_000_000_000 {
        format!("{} ms", Fixed::ratio(ns, 6, 1))
    } else {
        format!("{} s", Fixed::ratio(ns, 9, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERLEAVED: &[u8] =
        include_bytes!("../../../tests/fixtures/haproxy26-interleaved-disconnect.pcap");
    const CLEAN34: &[u8] = include_bytes!("../../../tests/fixtures/haproxy34-clean.pcapng");
    /// An AGENT-DISCONNECT and an ACK pasted as hex, in two lines (two writes): no packets.
    const HEX_STREAM: &str = "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564\n000000156700000001F3BC780101030207616C6C6F77656411";

    /// A loaded session after the page's Check: the overview with findings.
    fn session(bytes: &[u8]) -> (Session, Overview) {
        let mut steps = Vec::new();
        let (s, o) = Session::load(bytes, &mut |p| steps.push(p.fraction()));
        assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
        assert!(!o.checked, "a load answers before the rules run");
        let mut s = s.expect("loads");
        let Response::Checked(o) = s.handle(Request::Check) else {
            panic!("Check answers Checked")
        };
        assert!(o.checked);
        (s, *o)
    }

    #[test]
    fn the_timeline_comes_first_and_findings_on_demand() {
        let (s, first) = Session::load(INTERLEAVED, &mut |_| {});
        let mut s = s.expect("loads");
        assert!(!first.checked);
        assert_eq!(first.counts, [0, 0, 0]);
        assert!(first.groups.is_empty());
        assert_eq!(first.view.total, first.frames);
        // Drawing needs no rules.
        assert!(!s.rows(0, 10).is_empty());
        let _ = s.handle(Request::Timeline {
            t0: 0,
            t1: first.duration,
            bins: 100,
        });
        assert!(!s.analysis().is_checked());
        // A question about findings runs them.
        let Response::Found(Some(_)) = s.handle(Request::NextFinding {
            from: None,
            forward: true,
            min_level: Some(Severity::Error),
            count: 1,
        }) else {
            panic!("the capture has an error")
        };
        assert!(s.analysis().is_checked());
        let Response::Checked(o) = s.handle(Request::Check) else {
            panic!("Checked")
        };
        assert!(o.counts[0] > 0);
        assert!(o.groups.iter().any(|g| g.code == "SPOP-F010"));
        assert_eq!(
            (o.frames, o.view, o.fingerprint.clone()),
            (first.frames, first.view, first.fingerprint.clone())
        );
    }

    /// The list counts time from the engine's time zero (the capture's first packet, as in
    /// Wireshark), as the CLI and the Markdown report do (a report pasted from "Copy as
    /// Markdown" shows the times the list showed).
    #[test]
    fn the_list_and_the_report_share_time_zero() {
        let (s, _) = session(INTERLEAVED);
        let a = s.analysis();
        let md = spop_codec::report::markdown::markdown(a, &Default::default());
        let rows = s.rows(0, a.frames.len());
        let zero = a.capture.first_packet.map(|p| p.timestamp);
        assert_eq!(zero, Some(a.time_zero()));
        // The first frame comes after the TCP handshake.
        assert_eq!(
            rows.first().map(|r| r.t),
            a.frames.first().map(|f| f.time - a.time_zero())
        );
        assert!(rows.first().is_some_and(|r| r.t > 0));
        // The report's timeline excerpts show the frames with findings.
        let with_findings: Vec<&Row> = rows
            .iter()
            .filter(|r| !s.analysis().findings_at(r.index).is_empty())
            .collect();
        assert!(with_findings.iter().any(|r| r.t > 0));
        for r in with_findings {
            let shown = format!("{}", spop_codec::display::Fixed::ratio(r.t, 9, 6));
            assert!(md.contains(&shown), "{shown} in\n{md}");
        }
    }

    #[test]
    fn overview_of_the_interleaved_capture() {
        let (s, o) = session(INTERLEAVED);
        assert_eq!(o.frames, s.analysis().frames.len());
        assert!(o.error.is_none());
        assert!(!o.connections.is_empty());
        let f010 = o
            .groups
            .iter()
            .find(|g| g.code == "SPOP-F010")
            .expect("F010");
        assert_eq!(f010.level, Some(Severity::Error));
        assert!(!f010.explanation.is_empty());
        // Most severe groups first.
        assert!(o.groups.windows(2).all(|w| w[0].level >= w[1].level));
        assert!(o.frame_types.contains(&"AGENT-DISCONNECT".to_string()));
    }

    #[test]
    fn filters_narrow_the_view_and_rows_follow() {
        let (mut s, o) = session(CLEAN34);
        let all = s.view_info().total;
        assert_eq!(all, o.frames);
        let v = s.filter(&Filter {
            frame_type: Some("NOTIFY".into()),
            ..Filter::default()
        });
        assert!(v.total > 0 && v.total < all);
        assert!(s.rows(0, 1000).iter().all(|r| r.frame_type == "NOTIFY"));
        let rows = s.rows(0, 3);
        assert_eq!(rows.len(), 3.min(v.total));
        assert_eq!(rows[0].pos, 0);
        let first = rows[0].index;
        assert_eq!(s.locate(first), Some(0));
        let v = s.filter(&Filter {
            text: "notify".into(),
            ..Filter::default()
        });
        assert!(v.total > 0);
        let v = s.filter(&Filter {
            text: "no such thing anywhere".into(),
            ..Filter::default()
        });
        assert_eq!(v.total, 0);
        assert!(s.rows(0, 10).is_empty());
        assert_eq!(s.filter(&Filter::default()).total, all);
        // Out-of-range pages are empty, not a panic.
        assert!(s.rows(all + 5, 10).is_empty());
    }

    #[test]
    fn next_finding_stops_at_the_chosen_severity_and_counts_repeats() {
        let (s, _) = session(INTERLEAVED);
        let at_least = |l: Option<Severity>| -> Vec<usize> {
            s.view
                .iter()
                .copied()
                .filter(|&i| s.worst[i] >= l)
                .collect()
        };
        let (errors, warnings) = (
            at_least(Some(Severity::Error)),
            at_least(Some(Severity::Warning)),
        );
        assert!(warnings.len() > errors.len(), "{warnings:?} {errors:?}");
        // Every finding frame at level 2, in order, one step at a time.
        let mut from = None;
        let mut walked = Vec::new();
        while let Some((p, i)) = s.next_finding(from, true, Some(Severity::Warning), 1) {
            walked.push(i);
            from = Some(p);
        }
        assert_eq!(walked, warnings);
        // Three presses at once land where three single steps do; too many stop at the last.
        assert_eq!(
            s.next_finding(None, true, Some(Severity::Warning), 3)
                .map(|f| f.1),
            Some(warnings[2])
        );
        assert_eq!(
            s.next_finding(None, true, Some(Severity::Warning), 1000)
                .map(|f| f.1),
            warnings.last().copied()
        );
        assert_eq!(
            s.next_finding(None, false, Some(Severity::Warning), 2)
                .map(|f| f.1),
            Some(warnings[warnings.len() - 2])
        );
    }

    #[test]
    fn details_count_segments_as_the_engine_does() {
        let (s, _) = session(INTERLEAVED);
        let split = s
            .analysis()
            .frames
            .iter()
            .find(|e| e.layout.is_split())
            .expect("an interleaved frame")
            .index;
        let d = s.details(split).expect("details");
        assert!(d.title.contains(" · 2 TCP segment(s) · "), "{}", d.title);
        assert_eq!(s.analysis().segments_phrase(split), "2 TCP segment(s)");
        let (s, o) = session(HEX_STREAM.as_bytes());
        assert_eq!(o.packets, 0);
        let d = s.details(0).expect("details");
        assert!(
            d.title.contains(spop_codec::capture::NO_PACKETS),
            "{}",
            d.title
        );
    }

    #[test]
    fn next_error_walks_the_errors_both_ways() {
        let (s, _) = session(INTERLEAVED);
        let (p, i) = s.next_error(None, true).expect("an error");
        assert_eq!(s.worst[i], Some(Severity::Error));
        assert_eq!(s.view[p], i);
        // Nothing before the first error.
        assert_eq!(s.next_error(Some(p), false), None);
        if let Some((q, _)) = s.next_error(Some(p), true) {
            assert!(q > p);
            assert_eq!(s.next_error(Some(q), false).map(|(r, _)| r), Some(p));
        }
        let (last, _) = s.next_error(None, false).expect("an error");
        assert!(last >= p);
        assert_eq!(s.next_error(Some(last), true), None);
    }

    #[test]
    fn timeline_draws_marks_or_bins() {
        let (s, o) = session(CLEAN34);
        assert!(o.timed);
        let t = s.timeline(0, o.duration, 800);
        assert_eq!(t.count, o.frames);
        assert_eq!(t.marks.len(), o.frames.min(MAX_MARKS));
        let paired = t.marks.iter().filter(|m| m.ack.is_some()).count();
        assert!(paired > 0, "NOTIFYs are linked to their ACKs");
        assert!(t
            .marks
            .iter()
            .all(|m| m.ack.is_none_or(|(_, at)| at >= m.t)));
        // A dense window is binned, and the bins hold every frame.
        let mut rng = spop_codec::synth::Rng::new(7);
        let conv = spop_codec::synth::conversation(
            &mut rng,
            spop_codec::synth::Generation::Modern,
            1,
            MAX_MARKS,
        );
        let (s, o) = session(&conv.haproxy);
        assert!(o.frames > MAX_MARKS);
        // A raw stream has no times: its window is frame order, which the view spans.
        assert!(!o.timed);
        assert_eq!(
            (o.view.t0, o.view.t1),
            (order_time(0), order_time(o.frames - 1))
        );
        let t = s.timeline(o.view.t0, o.view.t1, 100);
        assert!(t.marks.is_empty());
        assert_eq!(t.bins.len(), 100);
        let sum: u32 = t.bins.iter().map(|b| b.to_agent + b.to_haproxy).sum();
        assert_eq!(sum as usize, o.frames);
        // Frame order spreads them over the columns (times of 0 put them all in one).
        assert!(t.bins.iter().all(|b| b.to_agent + b.to_haproxy > 0));
    }

    #[test]
    fn a_growing_text_filter_searches_the_previous_view_and_finds_the_same() {
        let text = |t: &str| Filter {
            text: t.into(),
            ..Filter::default()
        };
        let notify = |t: &str| Filter {
            frame_type: Some("NOTIFY".into()),
            ..text(t)
        };
        // Each filter in turn on one session, against the same filter on a fresh one.
        let steps = [
            text("a"),
            text("ac"),
            text(" ACK "),
            text("ack s"),
            text("a"),
            notify("a"),
            text("spop-"),
            // The rules have run from here: their codes match now.
            text("spop-f"),
            text("spop-f01"),
            text("spop-f0"),
        ];
        let (mut typing, _) = Session::load(INTERLEAVED, &mut |_| {});
        let typing = typing.as_mut().expect("loads");
        for (n, f) in steps.iter().enumerate() {
            // The rules run midway: their findings are searched from then on.
            if n == 7 {
                typing.check();
            }
            let (fresh, _) = Session::load(INTERLEAVED, &mut |_| {});
            let mut fresh = fresh.expect("loads");
            if n >= 7 {
                fresh.check();
            }
            assert_eq!(typing.filter(f), fresh.filter(f), "{f:?}");
            assert_eq!(typing.view, fresh.view, "{f:?}");
        }
        assert!(!typing.view.is_empty() && typing.view.len() < typing.a.frames.len());
    }

    #[test]
    fn the_text_filter_finds_what_the_whole_text_has() {
        let (mut s, _) = session(INTERLEAVED);
        // The text of each frame as a whole, as the filter defines it.
        let a = s.analysis();
        let whole: Vec<String> = a
            .frames
            .iter()
            .map(|e| {
                let mut t = format!("{} ", e.frame_type);
                let _ = a.with_frame(e.index, |fr| write!(t, "{}", fr.summary()));
                for x in a.findings_at(e.index) {
                    let _ = write!(t, " {} {} {}", x.rule.code, x.rule.name, x.message);
                }
                t.to_ascii_lowercase()
            })
            .collect();
        // Needles within the type, across type and summary, in the summary, in findings, and
        // none.
        for needle in [
            "ACK",
            "notify ",
            "y stream",
            "K S",
            "spop-f010",
            "written",
            "zz",
        ] {
            let want: Vec<usize> = (0..whole.len())
                .filter(|&i| whole[i].contains(&needle.to_ascii_lowercase()))
                .collect();
            s.filter(&Filter {
                text: needle.into(),
                ..Filter::default()
            });
            assert_eq!(s.view, want, "{needle}");
        }
    }

    #[test]
    fn a_needle_across_parts_and_after_wide_characters_is_found() {
        let found = |parts: &[&str], needle: &str| {
            let mut s = Search {
                needle,
                text: String::new(),
            };
            parts.iter().any(|p| s.has(|t| t.write_str(p)))
        };
        assert!(found(&["NOT", "IFY"], "notify"));
        assert!(found(&["a ", "é", "X"], "éx"));
        assert!(found(&["ééé", "ab"], "éab"));
        assert!(!found(&["ab", "c"], "abd"));
    }

    #[test]
    fn bins_are_the_exact_quotient_at_any_span() {
        let exact = |d: u64, n: usize, span: u64| u128::from(d) * n as u128 / u128::from(span);
        for span in [
            1,
            999,
            1 << 40,
            u64::MAX / 4096,
            u64::MAX / 4096 + 1,
            u64::MAX,
        ] {
            for n in [1, 800, 4096] {
                for d in [0, 1, span / 3, span / 2, span - 1, span] {
                    assert_eq!(
                        bin_of(d, n, span) as u128,
                        exact(d, n, span),
                        "{d} {n} {span}"
                    );
                }
            }
        }
    }

    #[test]
    fn details_map_fields_to_stream_bytes_both_ways() {
        let (s, _) = session(INTERLEAVED);
        let a = s.analysis();
        let parent = a
            .frames
            .iter()
            .find(|e| a.frames.iter().any(|x| x.outer() == Some(e.index)))
            .expect("a frame with others written inside");
        let d = s.details(parent.index).expect("details");
        assert!(!d.embedded.is_empty());
        assert!(d.embedded.iter().all(|e| e.frame_type == "ACK"));
        assert_eq!(d.bytes.len(), parent.extent().len());
        // Every byte of the extent is carried by some packet run, in order.
        assert_eq!(d.packets.first().map(|p| p.bytes.start), Some(d.base));
        assert_eq!(
            d.packets.last().map(|p| p.bytes.end),
            Some(d.base + d.bytes.len())
        );
        // Field → bytes → field.
        for (i, top) in d.tree.iter().enumerate() {
            for &Span { start: s0, .. } in &top.spans {
                let path = Node::path_at(&d.tree, s0).expect("a field there");
                assert_eq!(path[0], i, "{}", top.label);
            }
        }
        // Embedded bytes belong to no field of the parent.
        let e = &d.embedded[0];
        assert_eq!(Node::path_at(&d.tree, e.bytes.start), None);
        assert!(d.findings.iter().any(|f| f.code == "SPOP-F010"));
    }

    #[test]
    fn garbage_and_empty_inputs_explain_themselves() {
        let (s, o) = Session::load(b"   ", &mut |_| {});
        assert!(s.is_none() && o.error.is_some());
        let (s, o) = Session::load(&[0xde, 0xad, 0xbe, 0xef, 1, 2, 3], &mut |_| {});
        assert!(s.is_none());
        assert!(o.error.unwrap().contains("not a pcap"));
    }

    #[test]
    fn findings_pages() {
        let (s, o) = session(INTERLEAVED);
        for g in &o.groups {
            let all = s.findings(&g.code, 0, 1000);
            assert_eq!(all.len(), g.count);
            assert_eq!(s.findings(&g.code, 1, 1).len(), usize::from(g.count > 1));
        }
        assert!(s.findings("SPOP-NOPE", 0, 10).is_empty());
    }
}

//! The page's state in share bundles and reports: notes, marks, selection, filters, panel and
//! timeline window become a bundle's key/value state (frames named by their lasting
//! [`FrameKey`]), and come back resolved against whatever capture the bundle opens as.
//!
//! Keys: `note:<frame>` (text), `mark:<frame>` (`1`), `select` (frame), `filter.connection`,
//! `filter.type`, `filter.stream`, `filter.level`, `filter.text`, `panel`, `window` (`t0,t1`
//! in ns since time zero), `name` (what the capture was called, a file name), `field` (the
//! selected field's path in the details' tree, child indexes joined by `.`), and `timeout.processing` (the SPOP-X008 threshold the rules ran with,
//! [`TIMEOUT_PROCESSING_KEY`], read when the bundle is loaded: [`Session::from_capture_with`]).
//! Unknown keys are ignored, so older pages read newer links.

use std::collections::BTreeMap;

use spop_codec::analysis::{Analysis, FrameKey};
use spop_codec::capture::bundle::Bundle;
use spop_codec::report::markdown::{markdown, Annotation, MarkdownOptions};
use spop_codec::share::TIMEOUT_PROCESSING_KEY;
use spop_codec::time::HaproxyTime;

use crate::engine::protocol::{
    digit_level, level_digit, Filter, Note, ShareLink, ShareScope, ShareState,
};
use crate::engine::session::Session;

/// Longest capture name a link restores (characters): a name, not a payload.
const MAX_NAME: usize = 200;
/// Deepest field path a link restores (the engine's trees are a few levels deep).
const MAX_FIELD_DEPTH: usize = 16;

/// A 64-bit FNV-1a hash: stable across builds and versions (std's hasher is not), which
/// local storage keys need. Written out because it is four lines.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// FNV-1a over 64-bit words rather than bytes: hashing byte by byte was a noticeable part
    /// of the way to the first screen of a large capture in wasm.
    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(0x0100_0000_01b3);
        self.0 ^= self.0 >> 29;
    }
}

impl Session {
    /// Identifies the capture's SPOP content: the same frames at the same times give the same
    /// fingerprint whether read from a pcap, a bundle or a link.
    pub fn fingerprint(&self) -> String {
        let a = self.analysis();
        let mut h = Fnv::new();
        h.word(a.frames.len() as u64);
        for e in &a.frames {
            h.word(e.time);
            h.word(((e.connection as u64) << 32) | u64::from(e.length));
            h.word(e.offset() as u64);
            h.word(((e.direction as u64) << 8) | u64::from(e.frame_type.as_u8()));
        }
        format!("{:016x}", h.0)
    }

    /// The connections of a scope, in ascending order.
    fn scope_connections(&self, scope: ShareScope) -> Vec<usize> {
        let a = self.analysis();
        match scope {
            ShareScope::All => (0..a.connections.len()).collect(),
            ShareScope::Connection(c) => {
                (c < a.connections.len()).then_some(c).into_iter().collect()
            }
            ShareScope::View => {
                let mut seen: Vec<usize> = self
                    .view()
                    .iter()
                    .filter_map(|&i| a.frames.get(i))
                    .map(|e| e.connection)
                    .collect();
                seen.sort_unstable();
                seen.dedup();
                seen
            }
        }
    }

    /// A share link's bundle for a scope, with the page's state translated to it.
    pub fn share(&self, state: &ShareState, scope: ShareScope) -> ShareLink {
        let a = self.analysis();
        let keep = self.scope_connections(scope);
        // `keep` is in ascending order: a connection's place in it is its new index.
        let map = |c: usize| keep.binary_search(&c).ok();
        // Time zero as the bundle's analysis will take it (`Analysis::time_zero`): the
        // capture's first packet, which the bundle carries, or for inputs without packets the
        // first frame, which moves when the earliest connections are left out.
        let first_frame = keep
            .iter()
            .filter_map(|&c| a.frames_of(c).next())
            .map(|e| e.time)
            .min();
        let zero = match (a.capture.first_packet, first_frame) {
            (Some(p), Some(f)) => p.timestamp.min(f),
            (Some(p), None) => p.timestamp,
            (None, f) => f.unwrap_or(self.start()),
        };
        let shift = zero.saturating_sub(self.start());
        let mut bundle = Bundle::from_capture_connections(&a.capture, &keep);
        let (state_kv, notes) = encode(a, state, &map, shift);
        // After what the engine put there (a probe session's marker).
        bundle.state.extend(state_kv);
        ShareLink {
            scope,
            connections: keep.len(),
            frames: keep.iter().map(|&c| a.frames_of(c).count()).sum(),
            notes,
            text: bundle.to_text(),
        }
    }

    /// Frames named by key (notes from local storage), with what the page shows of them.
    pub fn resolve(&self, keys: &[String]) -> Vec<Option<Note>> {
        keys.iter()
            .map(|k| {
                let key = k.parse::<FrameKey>().ok()?;
                self.note_for(self.analysis().frame_by_key(key)?)
            })
            .collect()
    }

    fn note_for(&self, frame: usize) -> Option<Note> {
        let a = self.analysis();
        let e = a.frames.get(frame)?;
        Some(Note {
            frame,
            key: a.key_of(frame)?.to_string(),
            t: self.rel(e.time),
            frame_type: e.frame_type.to_string(),
            text: String::new(),
            marked: false,
        })
    }

    /// A bundle's state, resolved against this capture. Keys naming frames it does not have
    /// are dropped.
    pub fn restore(&self, kv: &[(String, String)]) -> ShareState {
        let a = self.analysis();
        let frame = |k: &str| a.frame_by_key(k.parse::<FrameKey>().ok()?);
        // Text and mark by frame, in a map of the page's notes' type (one copy of its code).
        let mut marks: BTreeMap<usize, Note> = BTreeMap::new();
        let mut state = ShareState::default();
        for (k, v) in kv {
            if let Some(f) = k.strip_prefix("note:").and_then(frame) {
                marks.entry(f).or_default().text = v.clone();
            } else if let Some(f) = k.strip_prefix("mark:").and_then(frame) {
                marks.entry(f).or_default().marked = v == "1";
            } else {
                match k.as_str() {
                    "select" => state.selected = frame(v),
                    "filter.connection" => {
                        state.filter.connection =
                            v.parse().ok().filter(|&c| c < a.connections.len());
                    }
                    "filter.type" => state.filter.frame_type = Some(v.clone()),
                    "filter.stream" => state.filter.stream_id = v.parse().ok(),
                    "filter.level" => state.filter.min_level = digit_level(v.parse().unwrap_or(0)),
                    "filter.text" => state.filter.text = v.clone(),
                    "panel" => state.panel = v.clone(),
                    "name" => state.name = v.chars().take(MAX_NAME).collect(),
                    "field" => {
                        state.field = v
                            .split('.')
                            .map(str::parse)
                            .collect::<Result<Vec<usize>, _>>()
                            .unwrap_or_default();
                        state.field.truncate(MAX_FIELD_DEPTH);
                    }
                    "window" => {
                        state.window = v
                            .split_once(',')
                            .and_then(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)))
                            .filter(|(x, y)| x < y);
                    }
                    _ => {}
                }
            }
        }
        state.notes = marks
            .into_iter()
            .filter(|(_, n)| n.marked || !n.text.is_empty())
            .filter_map(|(f, n)| {
                Some(Note {
                    text: n.text,
                    marked: n.marked,
                    ..self.note_for(f)?
                })
            })
            .collect();
        state
    }

    /// The Markdown report with the page's notes and, if given, a share link.
    pub fn report(&self, state: &ShareState, name: &str, link: Option<&str>) -> String {
        let annotations: Vec<Annotation> = state
            .notes
            .iter()
            .map(|n| Annotation {
                frame: n.frame,
                note: n.text.clone(),
                marked: n.marked,
            })
            .collect();
        markdown(
            self.analysis(),
            &MarkdownOptions {
                name,
                annotations: &annotations,
                link,
            },
        )
    }
}

/// The page's state as bundle key/values for the connections `map` keeps (old index → new),
/// times moved back by `shift`; and how many notes went in.
fn encode(
    a: &Analysis,
    state: &ShareState,
    map: &dyn Fn(usize) -> Option<usize>,
    shift: u64,
) -> (Vec<(String, String)>, usize) {
    let key = |frame: usize| {
        let mut k = a.key_of(frame)?;
        k.connection = map(k.connection)?;
        Some(k.to_string())
    };
    let mut kv = Vec::new();
    let mut count = 0;
    for n in &state.notes {
        let Some(k) = key(n.frame) else { continue };
        if n.text.is_empty() && !n.marked {
            continue;
        }
        count += 1;
        if !n.text.is_empty() {
            kv.push((format!("note:{k}"), n.text.clone()));
        }
        if n.marked {
            kv.push((format!("mark:{k}"), "1".into()));
        }
    }
    if let Some(k) = state.selected.and_then(key) {
        kv.push(("select".into(), k));
        if !state.field.is_empty() {
            let path: Vec<String> = state.field.iter().map(usize::to_string).collect();
            kv.push(("field".into(), path.join(".")));
        }
    }
    if !state.name.is_empty() {
        kv.push(("name".into(), state.name.clone()));
    }
    let Filter {
        connection,
        frame_type,
        stream_id,
        min_level,
        text,
    } = &state.filter;
    if let Some(c) = connection.and_then(map) {
        kv.push(("filter.connection".into(), c.to_string()));
    }
    if let Some(t) = frame_type {
        kv.push(("filter.type".into(), t.clone()));
    }
    if let Some(s) = stream_id {
        kv.push(("filter.stream".into(), s.to_string()));
    }
    if min_level.is_some() {
        kv.push(("filter.level".into(), level_digit(*min_level).to_string()));
    }
    if !text.is_empty() {
        kv.push(("filter.text".into(), text.clone()));
    }
    if !state.panel.is_empty() {
        kv.push(("panel".into(), state.panel.clone()));
    }
    if let Some((t0, t1)) = state.window {
        kv.push((
            "window".into(),
            format!("{},{}", t0.saturating_sub(shift), t1.saturating_sub(shift)),
        ));
    }
    // The threshold the rules ran with: the link shows the same findings.
    if let Some(t) = a.options.slow_ack {
        kv.push((
            TIMEOUT_PROCESSING_KEY.into(),
            HaproxyTime::from_nanos(t).to_string(),
        ));
    }
    (kv, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spop_codec::analysis::Severity;

    const MULTI: &[u8] = include_bytes!("../../../tests/fixtures/haproxy26-pyagent.pcap");

    fn load(bytes: &[u8]) -> (Session, crate::engine::protocol::Overview) {
        let (s, o) = Session::load(bytes, &mut |_| {});
        let mut s = s.expect("loads");
        if o.checked {
            // A link: its rules ran with the load (its state may filter by findings).
            return (s, o);
        }
        s.check();
        let o = s.overview();
        (s, o)
    }

    fn note(s: &Session, frame: usize, text: &str, marked: bool) -> Note {
        Note {
            text: text.into(),
            marked,
            ..s.note_for(frame).expect("frame")
        }
    }

    #[test]
    fn a_link_restores_notes_selection_filters_panel_and_window() {
        let (mut s, o) = load(MULTI);
        assert!(o.connections.len() > 1, "needs several connections");
        let filter = Filter {
            frame_type: Some("NOTIFY".into()),
            text: "notify".into(),
            ..Filter::default()
        };
        s.filter(&filter);
        let frame = s.view()[1];
        let state = ShareState {
            notes: vec![
                note(&s, 0, "HELLO here", false),
                note(&s, frame, "", true),
                note(&s, 3, "both\nlines, \"quotes\" = & # ```", true),
            ],
            selected: Some(frame),
            filter: filter.clone(),
            panel: "notes".into(),
            window: Some((1_000, 2_000_000)),
            name: "haproxy26-pyagent.pcap".into(),
            field: vec![2, 0, 1],
        };
        let link = s.share(&state, ShareScope::All);
        assert_eq!(link.notes, 3);
        assert_eq!(link.frames, s.analysis().frames.len());
        let url = format!("https://example.org/x/#spop={}", link.text);
        let (t, o2) = load(url.as_bytes());
        assert_eq!(
            o2.fingerprint, o.fingerprint,
            "same content, same fingerprint"
        );
        assert_eq!(o2.frames, o.frames);
        assert_eq!(o2.counts, o.counts);
        let r = o2.restored.expect("state");
        let mut expected = state.clone();
        expected.notes.sort_by_key(|n| n.frame);
        assert_eq!(r, expected);
        assert_eq!(
            t.report(&r, "x", Some(&url)).matches("HELLO here").count(),
            1
        );
    }

    #[test]
    fn one_connection_keeps_its_notes_renumbered_and_moves_time_zero() {
        let (s, o) = load(MULTI);
        let last = o.connections.len() - 1;
        let in_last: Vec<usize> = s.analysis().frames_of(last).map(|e| e.index).collect();
        let other = s.analysis().frames_of(0).next().expect("frame").index;
        let (f0, f1) = (in_last[0], in_last[in_last.len() - 1]);
        let t = s.note_for(f1).expect("frame").t;
        let state = ShareState {
            notes: vec![
                note(&s, f0, "first", false),
                note(&s, f1, "last", true),
                note(&s, other, "elsewhere", false),
            ],
            selected: Some(f1),
            filter: Filter {
                connection: Some(last),
                ..Filter::default()
            },
            panel: "details".into(),
            window: Some((t.saturating_sub(10), t + 10)),
            ..ShareState::default()
        };
        let link = s.share(&state, ShareScope::Connection(last));
        assert_eq!(
            (link.connections, link.frames, link.notes),
            (1, in_last.len(), 2)
        );
        let (t2, o2) = load(link.text.as_bytes());
        assert_eq!(o2.connections.len(), 1);
        let r = o2.restored.expect("state");
        let texts: Vec<_> = r
            .notes
            .iter()
            .map(|n| (n.frame, n.text.as_str(), n.marked))
            .collect();
        assert_eq!(
            texts,
            [(0, "first", false), (in_last.len() - 1, "last", true)]
        );
        assert_eq!(r.selected, Some(in_last.len() - 1));
        assert_eq!(r.filter.connection, Some(0));
        // The window still holds the selected frame after time zero moved.
        let (w0, w1) = r.window.expect("window");
        let t_new = t2.note_for(in_last.len() - 1).expect("frame").t;
        assert!(w0 <= t_new && t_new <= w1, "{w0} {t_new} {w1}");
        // A scope naming no connection shares nothing, without a panic.
        assert_eq!(s.share(&state, ShareScope::Connection(999)).connections, 0);
    }

    /// A link carries the `timeout processing` its rules ran with, and opens with it unless
    /// the page reloads it with a value of its own.
    #[test]
    fn a_link_carries_the_timeout_processing() {
        use crate::engine::protocol::Settings;
        let ms = |n: u64| n * 1_000_000;
        let settings = |t: Option<u64>, bundle_decides| Settings {
            timeout_processing: t,
            bundle_decides,
        };
        let (s, o) = Session::load_with(MULTI, &settings(Some(0), true), &mut |_| {});
        assert_eq!(o.timeout_processing, Some(0));
        let mut s = s.expect("loads");
        s.check();
        let slow = s
            .overview()
            .groups
            .iter()
            .find(|g| g.code == "SPOP-X008")
            .map(|g| g.count);
        assert!(slow.is_some_and(|n| n > 0), "every ACK is later than 0");
        let link = s.share(&ShareState::default(), ShareScope::All);
        let bundle = Bundle::from_text(&link.text).expect("bundle");
        assert_eq!(bundle.get("timeout.processing"), Some("0ms"));
        // Opened elsewhere, whatever that page's own setting.
        for own in [None, Some(ms(5_000))] {
            let (t, o) =
                Session::load_with(link.text.as_bytes(), &settings(own, true), &mut |_| {});
            assert_eq!(o.timeout_processing, Some(0));
            let count = t
                .expect("loads")
                .overview()
                .groups
                .iter()
                .find(|g| g.code == "SPOP-X008")
                .map(|g| g.count);
            assert_eq!(count, slow);
        }
        // Reloaded with the person's new value.
        let (_, o) = Session::load_with(
            link.text.as_bytes(),
            &settings(Some(ms(5_000)), false),
            &mut |_| {},
        );
        assert_eq!(o.timeout_processing, Some(ms(5_000)));
        assert!(!o.groups.iter().any(|g| g.code == "SPOP-X008"));
        // Without one, a link leaves the page's value alone and says nothing.
        let (plain, _) = Session::load(MULTI, &mut |_| {});
        let text = plain
            .expect("loads")
            .share(&ShareState::default(), ShareScope::All)
            .text;
        assert_eq!(
            Bundle::from_text(&text)
                .expect("bundle")
                .get("timeout.processing"),
            None
        );
        let (_, o) = Session::load_with(text.as_bytes(), &settings(Some(ms(7)), true), &mut |_| {});
        assert_eq!(o.timeout_processing, Some(ms(7)));
    }

    #[test]
    fn stored_keys_resolve_and_unknown_state_is_ignored() {
        let (s, _) = load(MULTI);
        let k = s.analysis().key_of(5).expect("key").to_string();
        let found = s.resolve(&[k, "99h0".into(), "garbage".into()]);
        assert_eq!(found[0].as_ref().map(|n| n.frame), Some(5));
        assert!(found[1].is_none() && found[2].is_none());
        let r = s.restore(&[
            ("select".into(), "nonsense".into()),
            ("window".into(), "9,1".into()),
            ("filter.level".into(), "77".into()),
            ("filter.connection".into(), "4000".into()),
            ("from-the-future".into(), "x".into()),
            ("note:0h999999".into(), "gone".into()),
        ]);
        assert_eq!(r.selected, None);
        assert_eq!(r.window, None);
        assert_eq!(r.filter.min_level, Some(Severity::Error));
        assert_eq!(r.filter.connection, None);
        assert!(r.notes.is_empty());
    }
}

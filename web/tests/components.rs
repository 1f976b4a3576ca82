//! Component tests of the inspector, in a real browser (headless Chromium through
//! `wasm-bindgen-test-runner`, see `.cargo/config.toml`):
//!
//! ```sh
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test -p spop-web --target wasm32-unknown-unknown --tests
//! ```
//!
//! Each test mounts a fresh [`Inspector`] over the in-thread engine ([`Backend::local`]) into
//! its own element, drives it through the DOM like a person would (clicks, typing, choosing
//! in a select) and polls the DOM until the asynchronous answers have been rendered. Where a
//! test needs to know what the page *should* show (which bytes a field covers, where a
//! finding points), it asks a [`Session`] of its own over the same capture: the page must
//! show what the engine says.
//!
//! Natively this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeSet;

use leptos::prelude::*;
use spop_codec::Span;
use spop_web::engine::protocol::{Details, Node};
use spop_web::engine::session::Session;
use spop_web::{Backend, Inspector};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, HtmlSelectElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

/// 3 connections, 20 frames, 4 errors / 2 warnings / 2 info; agents wrote ACKs inside their
/// AGENT-DISCONNECT (SPOP-F010).
const INTERLEAVED: &[u8] =
    include_bytes!("../../tests/fixtures/haproxy26-interleaved-disconnect.pcap");
const INTERLEAVED_NAME: &str = "haproxy26-interleaved-disconnect.pcap";

/// How long to wait for the page to show something before failing.
const WAIT_MS: f64 = 5_000.0;
/// How often to look.
const POLL_MS: i32 = 10;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Resolves after `ms` milliseconds (a JS timer: lets the page's tasks, effects and
/// animation frames run).
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    JsFuture::from(promise).await.expect("timer");
}

/// Puts an example capture in the page the way the single file carries it (a data block, see
/// `spop_web::ui::start::example_bytes`): the test runner serves no `pkg/examples/`.
fn carry_example(name: &str, bytes: &[u8]) {
    use base64::Engine as _;
    let doc = document();
    let id = format!("{}{name}", spop_web::EXAMPLE_BLOCK);
    if doc.get_element_by_id(&id).is_some() {
        return;
    }
    let block = doc.create_element("script").expect("a script element");
    block
        .set_attribute("type", "application/octet-stream")
        .expect("type");
    block.set_id(&id);
    block.set_text_content(Some(
        &base64::engine::general_purpose::STANDARD.encode(bytes),
    ));
    doc.body()
        .expect("a body")
        .append_child(&block)
        .expect("added");
}

/// An [`Inspector`] mounted into a fresh element of the page.
struct App {
    root: HtmlElement,
}

impl App {
    fn mount() -> App {
        let doc = document();
        let root: HtmlElement = doc.create_element("div").expect("a div").unchecked_into();
        // Room for the timeline and the frame list (the test page has no style sheet).
        root.set_attribute("style", "width: 1200px").expect("style");
        doc.body()
            .expect("a body")
            .append_child(&root)
            .expect("mounted");
        // The handle is leaked, not dropped: unmounting would dispose the signals that
        // answers still in flight from the engine may touch. Each test's element is removed
        // from the page when the test ends, and every query is scoped to it.
        leptos::mount::mount_to(root.clone(), || {
            view! { <Inspector backend=Backend::local() /> }
        })
        .forget();
        carry_example(INTERLEAVED_NAME, INTERLEAVED);
        App { root }
    }

    fn all(&self, selector: &str) -> Vec<Element> {
        let list = self
            .root
            .query_selector_all(selector)
            .unwrap_or_else(|e| panic!("bad selector {selector}: {e:?}"));
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|n| n.dyn_into::<Element>().ok())
            .collect()
    }

    fn find(&self, selector: &str) -> Option<Element> {
        self.root
            .query_selector(selector)
            .unwrap_or_else(|e| panic!("bad selector {selector}: {e:?}"))
    }

    fn count(&self, selector: &str) -> usize {
        self.all(selector).len()
    }

    /// The text of the first match ("" when there is none).
    fn text(&self, selector: &str) -> String {
        self.find(selector)
            .and_then(|e| e.text_content())
            .unwrap_or_default()
    }

    /// A short picture of the page, for failure messages.
    fn snapshot(&self) -> String {
        let html = self.root.inner_html();
        let mut end = html.len().min(3_000);
        while !html.is_char_boundary(end) {
            end -= 1;
        }
        html[..end].to_string()
    }

    /// Waits until `probe` returns something, or fails the test after [`WAIT_MS`].
    async fn until<T>(&self, what: &str, mut probe: impl FnMut(&App) -> Option<T>) -> T {
        let start = js_sys::Date::now();
        loop {
            if let Some(v) = probe(self) {
                return v;
            }
            if js_sys::Date::now() - start > WAIT_MS {
                panic!(
                    "timed out after {WAIT_MS} ms waiting for {what}; the page:\n{}",
                    self.snapshot()
                );
            }
            sleep(POLL_MS).await;
        }
    }

    /// Waits for an element.
    async fn wait_for(&self, selector: &str) -> Element {
        self.until(&format!("`{selector}`"), |app| app.find(selector))
            .await
    }

    /// Clicks an element (a real, bubbling click event).
    fn click(&self, el: &Element) {
        match el.dyn_ref::<HtmlElement>() {
            Some(h) => h.click(),
            // SVG elements have no `click()`.
            None => {
                let init = web_sys::MouseEventInit::new();
                init.set_bubbles(true);
                init.set_cancelable(true);
                let ev = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init)
                    .expect("a click event");
                el.dispatch_event(&ev).expect("dispatched");
            }
        }
    }

    /// Clicks the first match of `selector`, which must exist.
    fn click_on(&self, selector: &str) {
        let el = self
            .find(selector)
            .unwrap_or_else(|| panic!("no `{selector}` to click in:\n{}", self.snapshot()));
        self.click(&el);
    }

    /// Clicks the example whose button mentions `name`, and waits for the loaded capture.
    async fn open_example(&self, name: &str) {
        let button = self
            .all("button.example")
            .into_iter()
            .find(|b| b.text_content().unwrap_or_default().contains(name))
            .unwrap_or_else(|| panic!("no example button for {name}"));
        self.click(&button);
        // Loaded, and its rules run (the timeline comes first, the findings after).
        self.wait_for(".summary-line .counts .sev-error").await;
    }

    /// The `data-offset`s of the hex bytes matching `selector`.
    fn offsets(&self, selector: &str) -> BTreeSet<usize> {
        self.all(selector)
            .iter()
            .map(|b| {
                b.get_attribute("data-offset")
                    .and_then(|o| o.parse().ok())
                    .expect("a byte with a data-offset")
            })
            .collect()
    }

    /// The timeline index of the selected row of the frame list.
    fn selected_frame(&self) -> Option<usize> {
        self.find(".row.selected")
            .and_then(|r| r.get_attribute("data-frame"))
            .and_then(|f| f.parse().ok())
    }

    /// Waits for the details panel to show frame `index` (timeline index) of type `kind`.
    async fn wait_for_details(&self, index: usize, kind: &str) {
        let want = format!("Frame #{} · {kind}", index + 1);
        self.until(&format!("the details of \"{want}\""), |app| {
            (app.text("#details h2") == want).then_some(())
        })
        .await;
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.root.remove();
    }
}

/// Fires a bubbling DOM event (`input`, `change`) at an element.
fn fire(el: &Element, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict(kind, &init).expect("an event");
    el.dispatch_event(&ev).expect("dispatched");
}

/// The engine over a capture, as the page's backend has it: what the page should show.
/// The engine's session on `input`, its rules run (as the page has them once loaded).
fn engine(input: &[u8]) -> Session {
    let mut s = Session::load(input, &mut |_| {})
        .0
        .expect("the capture loads");
    s.check();
    s
}

/// Stream offsets shown in a frame's bytes that fall in `spans`.
fn offsets_in(d: &Details, spans: &[Span]) -> BTreeSet<usize> {
    (d.base..d.base + d.bytes.len())
        .filter(|&o| spans.iter().any(|s| s.start <= o && o < s.end))
        .collect()
}

/// The field tree in the order the page draws its buttons (depth first), with paths.
fn preorder(tree: &[Node], prefix: &[usize], out: &mut Vec<(Vec<usize>, Node)>) {
    for (i, n) in tree.iter().enumerate() {
        let mut path = prefix.to_vec();
        path.push(i);
        out.push((path.clone(), n.clone()));
        preorder(&n.children, &path, out);
    }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn start_screen_offers_paste_file_and_examples() {
    let app = App::mount();
    let input = app.wait_for("textarea#input").await;
    let input: HtmlTextAreaElement = input.dyn_into().expect("a textarea");
    assert_eq!(input.value(), "", "the paste area starts empty");
    let file = app.find("input#file").expect("an open-file input");
    assert_eq!(file.get_attribute("type").as_deref(), Some("file"));
    let examples = app.all("button.example");
    assert_eq!(examples.len(), 4, "three capture files and one pasted hex");
    assert!(examples.iter().any(|b| b
        .text_content()
        .unwrap_or_default()
        .contains(INTERLEAVED_NAME)));
    // Nothing of the workspace yet, and no error.
    assert!(app.find(".summary-line").is_none());
    assert!(app.find(".toolbar").is_none());
    assert!(app.find("#frames").is_none());
    assert!(app.find(".input-error").is_none());
}

#[wasm_bindgen_test]
async fn example_loads_the_overview_and_selects_the_first_error() {
    let app = App::mount();
    app.open_example(INTERLEAVED_NAME).await;
    let summary = app.text(".summary-line");
    assert!(
        summary.contains("3 connection(s) · 20 frame(s)"),
        "summary: {summary}"
    );
    assert!(summary.contains("4 error(s)"), "summary: {summary}");
    assert!(summary.contains("2 warning(s)"), "summary: {summary}");
    assert!(summary.contains("2 info"), "summary: {summary}");
    assert_eq!(app.text(".summary-line .source"), INTERLEAVED_NAME);
    // The start screen is gone.
    assert!(app.find("textarea#input").is_none());

    // "All connections" and one row per connection; two of them have errors.
    assert_eq!(app.count("table.conn-table tr.conn"), 4);
    assert_eq!(app.count("table.conn-table tr.conn.all.selected"), 1);
    assert_eq!(app.count("table.conn-table tr.conn.has-error"), 2);

    // The frame list shows every frame, in order.
    app.until("20 rows in the frame list", |app| {
        (app.count("#frames .row") == 20).then_some(())
    })
    .await;
    let frames: Vec<usize> = app
        .all("#frames .row")
        .iter()
        .filter_map(|r| r.get_attribute("data-frame")?.parse().ok())
        .collect();
    assert_eq!(frames, (0..20).collect::<Vec<_>>());
    assert_eq!(app.text("#view-count"), "20 frames");

    // The page starts where the trouble is: the first frame with an error is selected.
    let selected = app
        .until("a selected row", |app| app.selected_frame())
        .await;
    let first_error = app
        .find("#frames .row.lvl-error")
        .and_then(|r| r.get_attribute("data-frame"))
        .and_then(|f| f.parse::<usize>().ok())
        .expect("a row with an error");
    assert_eq!(selected, first_error);
    let (_, expected) = engine(INTERLEAVED)
        .next_error(None, true)
        .expect("the capture has errors");
    assert_eq!(selected, expected);
    assert_eq!(app.count("#frames .row.selected"), 1);
    let row = app.find("#frames .row.selected").expect("the selected row");
    assert_eq!(row.get_attribute("aria-selected").as_deref(), Some("true"));
    // Its details are open.
    app.wait_for_details(selected, "AGENT-DISCONNECT").await;
    assert_eq!(
        app.find("#tab-details")
            .and_then(|t| t.get_attribute("aria-selected"))
            .as_deref(),
        Some("true")
    );
}

#[wasm_bindgen_test]
async fn findings_panel_explains_and_jumps_to_the_bytes() {
    let app = App::mount();
    app.open_example(INTERLEAVED_NAME).await;
    let first = app
        .until("a selected row", |app| app.selected_frame())
        .await;
    app.wait_for_details(first, "AGENT-DISCONNECT").await;
    assert!(
        app.find(".byte.marked").is_none(),
        "nothing marked before a jump"
    );

    app.click_on("#tab-findings");
    let group = app.wait_for(r#"li.group[data-code="SPOP-F010"]"#).await;
    assert_eq!(app.count("li.group"), {
        let engine = engine(INTERLEAVED);
        engine.overview().groups.len()
    });
    // Most severe first: the group is an error group.
    assert!(group.class_list().contains("sev-error"));
    // Collapsed until asked.
    let sel = |rest: &str| format!(r#"li.group[data-code="SPOP-F010"] {rest}"#);
    assert!(app.find(&sel(".explanation")).is_none());
    app.click_on(&sel("button.group-head"));
    let explanation = app.wait_for(&sel("p.explanation")).await;
    assert!(
        explanation.text_content().unwrap_or_default().trim().len() > 20,
        "the rule is explained"
    );
    assert_eq!(
        app.find(&sel("button.group-head"))
            .and_then(|b| b.get_attribute("aria-expanded"))
            .as_deref(),
        Some("true")
    );

    // One "jump" per finding of the rule, as the engine lists them.
    let engine = engine(INTERLEAVED);
    let items = engine.findings("SPOP-F010", 0, 100);
    assert_eq!(items.len(), 2);
    let jumps = app
        .until("the findings of SPOP-F010", |app| {
            let jumps = app.all(&sel("li.finding button.jump"));
            (jumps.len() == items.len()).then_some(jumps)
        })
        .await;
    // Jump to a finding of another frame than the one selected.
    let (button, item) = jumps
        .iter()
        .zip(&items)
        .find(|(_, item)| item.frame != Some(first))
        .expect("a finding elsewhere than the selected frame");
    let frame = item.frame.expect("the finding is shown under a frame");
    assert_eq!(
        button.text_content().unwrap_or_default(),
        format!("frame #{}", frame + 1)
    );
    app.click(button);

    // The details of the AGENT-DISCONNECT open, its finding's bytes marked.
    app.wait_for_details(frame, "AGENT-DISCONNECT").await;
    assert_eq!(
        app.find("#tab-details")
            .and_then(|t| t.get_attribute("aria-selected"))
            .as_deref(),
        Some("true")
    );
    let d = engine.details(frame).expect("details");
    let want = offsets_in(&d, &item.spans);
    assert!(!want.is_empty(), "the finding points at bytes of its frame");
    app.until("the finding's bytes marked", |app| {
        (app.offsets(".byte.marked") == want).then_some(())
    })
    .await;
    // The ACKs written inside the DISCONNECT are struck out.
    let foreign: BTreeSet<usize> = d
        .embedded
        .iter()
        .flat_map(|e| e.bytes.range().collect::<Vec<_>>())
        .collect();
    assert_eq!(d.embedded.len(), 2);
    assert_eq!(app.offsets(".byte.foreign"), foreign);
    assert_eq!(app.count("#details .byte"), d.bytes.len());
    // The list follows.
    app.until("the row of the finding's frame selected", |app| {
        (app.selected_frame() == Some(frame)).then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn details_highlight_fields_and_bytes_both_ways() {
    let app = App::mount();
    app.open_example(INTERLEAVED_NAME).await;
    // The selected frame: the first error, an AGENT-DISCONNECT with two ACKs inside.
    let frame = app
        .until("a selected row", |app| app.selected_frame())
        .await;
    app.wait_for_details(frame, "AGENT-DISCONNECT").await;
    let engine = engine(INTERLEAVED);
    let d = engine.details(frame).expect("details");
    assert!(!d.embedded.is_empty());
    let fields = app
        .until("the field tree", |app| {
            let b = app.all("#details ul.tree button.field");
            (!b.is_empty()).then_some(b)
        })
        .await;
    let mut nodes = Vec::new();
    preorder(&d.tree, &[], &mut nodes);
    assert_eq!(fields.len(), nodes.len(), "one button per field");
    assert!(app.find(".byte.lit").is_none(), "nothing lit before a pick");

    // Field → bytes: each field lights exactly its bytes (in pieces, around the ACKs).
    for (button, (path, node)) in fields.iter().zip(&nodes) {
        assert_eq!(
            button
                .query_selector(".field-label")
                .ok()
                .flatten()
                .and_then(|l| l.text_content())
                .unwrap_or_default(),
            node.label,
            "{path:?}"
        );
        let want = offsets_in(&d, &node.spans);
        assert!(!want.is_empty(), "field {} has bytes", node.label);
        app.click(button);
        app.until(&format!("the bytes of field {} lit", node.label), |app| {
            (app.offsets(".byte.lit") == want).then_some(())
        })
        .await;
        assert!(button.class_list().contains("selected"));
        assert_eq!(app.count("button.field.selected"), 1);
        assert_eq!(
            app.count(".byte.lit.foreign"),
            0,
            "ACK bytes are no field's"
        );
    }

    // Bytes → field: a byte selects the deepest field there.
    let own: Vec<usize> = (d.base..d.base + d.bytes.len())
        .filter(|o| !d.embedded.iter().any(|e| e.bytes.contains(*o)))
        .collect();
    for o in own {
        let path = Node::path_at(&d.tree, o).expect("every own byte is some field's");
        let k = nodes
            .iter()
            .position(|(p, _)| *p == path)
            .expect("a drawn field");
        app.click_on(&format!(r#"#details .byte[data-offset="{o}"]"#));
        app.until(
            &format!("byte {o:#x} selecting field {}", nodes[k].1.label),
            |app| {
                let selected = app.all("#details ul.tree button.field");
                let on: Vec<usize> = selected
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.class_list().contains("selected"))
                    .map(|(i, _)| i)
                    .collect();
                (on == [k]).then_some(())
            },
        )
        .await;
        assert!(app.offsets(".byte.lit").contains(&o));
    }

    // A byte of an ACK written inside opens that ACK.
    let inside = &d.embedded[0];
    app.click_on(&format!(
        r#"#details .byte.foreign[data-offset="{}"]"#,
        inside.bytes.start
    ));
    app.wait_for_details(inside.frame, "ACK").await;
    app.until("the ACK's row selected", |app| {
        (app.selected_frame() == Some(inside.frame)).then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn toolbar_type_filter_narrows_and_clear_restores() {
    let app = App::mount();
    app.open_example(INTERLEAVED_NAME).await;
    app.until("20 rows", |app| {
        (app.count("#frames .row") == 20).then_some(())
    })
    .await;
    assert!(app.find("#clear-filters").is_none(), "no filter yet");

    let select: HtmlSelectElement = app
        .find("#filter-type")
        .expect("the type filter")
        .dyn_into()
        .expect("a select");
    let options: Vec<String> = (0..select.length())
        .filter_map(|i| select.item(i))
        .filter_map(|o| o.get_attribute("value"))
        .collect();
    assert!(options.contains(&"NOTIFY".to_string()), "{options:?}");
    select.set_value("NOTIFY");
    fire(&select, "change");

    let notifies = engine(INTERLEAVED)
        .rows(0, 100)
        .iter()
        .filter(|r| r.frame_type == "NOTIFY")
        .count();
    assert_eq!(notifies, 5);
    let want = format!("{notifies} of 20 frames");
    app.until(&format!("\"{want}\" and as many rows"), |app| {
        (app.text("#view-count") == want && app.count("#frames .row") == notifies).then_some(())
    })
    .await;
    let types: Vec<String> = app
        .all("#frames .row .type")
        .iter()
        .map(|t| t.text_content().unwrap_or_default())
        .collect();
    assert!(types.iter().all(|t| t == "NOTIFY"), "{types:?}");

    app.click_on("#clear-filters");
    app.until("the whole capture back", |app| {
        (app.text("#view-count") == "20 frames" && app.count("#frames .row") == 20).then_some(())
    })
    .await;
    assert!(app.find("#clear-filters").is_none());
    assert_eq!(select.value(), "", "the select shows \"all\" again");
}

#[wasm_bindgen_test]
async fn timeline_draws_every_frame_and_notify_ack_links() {
    let app = App::mount();
    app.open_example(INTERLEAVED_NAME).await;
    let engine = engine(INTERLEAVED);
    let v = engine.view_info();
    let window = engine.timeline(v.t0, v.t1, 1_000);
    assert_eq!(window.count, 20);
    let links = window.marks.iter().filter(|m| m.ack.is_some()).count();
    assert!(links > 0);

    app.until("20 arrows and their links on the timeline", |app| {
        (app.count("section.timeline g.mark") == 20
            && app.count("section.timeline g.link") == links)
            .then_some(())
    })
    .await;
    let info = app.text("#timeline-info");
    assert!(info.starts_with("20 frame(s) in "), "{info}");
    let marked: BTreeSet<usize> = app
        .all("section.timeline g.mark")
        .iter()
        .filter_map(|m| m.get_attribute("data-frame")?.parse().ok())
        .collect();
    assert_eq!(marked, (0..20).collect());
    // Errors are drawn as such.
    assert_eq!(
        app.count("section.timeline g.mark.lvl-error"),
        app.count("#frames .row.lvl-error")
    );

    // The selected frame is marked, and clicking an arrow selects its frame.
    let selected = app
        .until("a selected row", |app| app.selected_frame())
        .await;
    app.until("the selected arrow", |app| {
        let m = app.find("section.timeline g.mark.selected")?;
        (m.get_attribute("data-frame") == Some(selected.to_string())).then_some(())
    })
    .await;
    app.click_on(r#"section.timeline g.mark[data-frame="0"]"#);
    app.wait_for_details(0, "HAPROXY-HELLO").await;
    app.until("the first row selected", |app| {
        (app.selected_frame() == Some(0)).then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn unreadable_text_is_explained_on_the_start_screen() {
    let app = App::mount();
    let input: HtmlTextAreaElement = app
        .wait_for("textarea#input")
        .await
        .dyn_into()
        .expect("a textarea");
    assert!(app.find(".input-error").is_none());
    input.set_value("this is not a capture, only words & punctuation!");
    fire(&input, "input");
    let error = app.wait_for(".input-error").await;
    let message = error.text_content().unwrap_or_default();
    assert!(message.starts_with("pasted text: "), "{message}");
    assert!(message.len() > "pasted text: ".len() + 5, "{message}");
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    // Still on the start screen, the text kept for fixing.
    assert!(app.find(".summary-line").is_none());
    let input: HtmlTextAreaElement = app
        .find("textarea#input")
        .expect("the paste area")
        .dyn_into()
        .expect("a textarea");
    assert_eq!(
        input.value(),
        "this is not a capture, only words & punctuation!"
    );
}

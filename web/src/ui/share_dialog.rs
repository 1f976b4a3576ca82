//! The share dialog: the link (its size, and smaller shares when it is too big for chat tools),
//! the `.spop` bundle download, and the Markdown report. Links carry everything after `#`, so
//! nothing reaches a server; the engine builds the bundle in the worker.

use base64::Engine as _;
use leptos::prelude::*;
use spop_codec::display::Fixed;
use wasm_bindgen::{JsCast, JsValue};

use crate::engine::draw::thousands;
use crate::engine::protocol::{Request, Response, ShareLink, ShareScope};
use crate::ui::state::Ui;
use crate::ui::storage;

/// The share dialog's state.
#[derive(Clone, Copy)]
pub struct ShareDialogState {
    /// Whether it is open.
    pub open: RwSignal<bool>,
    /// Links above this many KiB get the "share less" offers.
    pub limit: RwSignal<u32>,
}

impl ShareDialogState {
    /// Closed, with the limit this browser keeps.
    pub(crate) fn new() -> ShareDialogState {
        ShareDialogState {
            open: RwSignal::new(false),
            limit: RwSignal::new(crate::ui::storage::share_limit()),
        }
    }
}

/// Captures with more frames than this open the dialog on one connection.
const LARGE_CAPTURE: usize = 100_000;

/// Chromium's longest URL; other browsers allow less.
const BROWSER_URL_LIMIT: usize = 2 << 20;

/// A size in KiB, for people.
pub fn kib(bytes: usize) -> String {
    let k = bytes as f64 / 1024.0;
    if k < 10.0 {
        format!("{} KiB", Fixed::of(k, 1))
    } else {
        format!("{} KiB", thousands(k.round() as usize))
    }
}

/// The full link for a bundle text.
fn link_of(text: &str) -> String {
    spop_codec::share::link_with_text(&storage::base_address(), text)
}

/// Copies text to the clipboard; `done` learns whether it worked.
fn copy(text: String, done: impl FnOnce(bool) + 'static) {
    let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
        done(false);
        return;
    };
    let promise = clipboard.write_text(&text);
    leptos::task::spawn_local(async move {
        done(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
    });
}

/// Offers `bytes` as a download called `name`.
fn download(name: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/vnd.spop-inspector.bundle");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = document().create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)
}

/// `capture.pcap (1,234 bytes)` → `capture.spop`.
fn bundle_name(source: &str) -> String {
    let name = source.split(" (").next().unwrap_or(source).trim();
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{}.spop", if stem.is_empty() { "capture" } else { &stem })
}

fn scope_label(link: &ShareLink) -> String {
    let what = match link.scope {
        ShareScope::All => "the whole capture".to_string(),
        ShareScope::Connection(c) => format!("connection #{}", c + 1),
        ShareScope::View => "the connections in view".to_string(),
    };
    format!(
        "{what}: {} connection(s), {} frame(s), {} note(s)",
        thousands(link.connections),
        thousands(link.frames),
        link.notes
    )
}

/// The share dialog.
#[component]
pub fn ShareDialog() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || ui.share.open.get().then(|| view! { <Dialog /> })
}

#[component]
fn Dialog() -> impl IntoView {
    let ui = expect_context::<Ui>();
    // A large capture never fits in a link (and takes seconds to pack): start with the
    // selected frame's connection.
    let large = ui
        .overview
        .with_untracked(|o| o.as_ref().is_some_and(|o| o.frames > LARGE_CAPTURE));
    let start = ui
        .filter
        .with_untracked(|f| f.connection)
        .or_else(|| ui.selection.cursor.get_untracked().map(|c| c.connection))
        .filter(|&c| c != crate::engine::incident::NO_CONNECTION)
        .filter(|_| large)
        .map_or(ShareScope::All, ShareScope::Connection);
    let scope = RwSignal::new(start);
    let link = RwSignal::new(None::<ShareLink>);
    let status = RwSignal::new(String::new());
    // Why there is no link, when the decoder could not make one.
    let unavailable = RwSignal::new(None::<String>);
    let markdown = RwSignal::new(None::<String>);
    // The link follows the scope (and is rebuilt when the dialog opens).
    Effect::new(move |_| {
        let s = scope.get();
        link.set(None);
        unavailable.set(None);
        ui.ask(
            Request::Share {
                state: ui.share_state(),
                scope: s,
            },
            move |r| match r {
                Response::Shared(l) if scope.try_get_untracked() == Some(l.scope) => {
                    link.set(Some(l));
                }
                Response::Failed(f) => {
                    unavailable.try_set(Some(format!("No link: {}.", f.sentence())));
                }
                Response::Error(e) => {
                    unavailable.try_set(Some(format!("No link: {e}.")));
                }
                _ => {}
            },
        );
    });
    let url = move || link.with(|l| l.as_ref().map(|l| link_of(&l.text)));
    let size = move || url().map_or(0, |u| u.len());
    let too_big = move || size() > ui.share.limit.get() as usize * 1024;
    // Back to the button that opened it (the dialog holds the focus while open).
    let close = move || {
        ui.share.open.set(false);
        crate::ui::keyboard::focus("#share-button");
    };
    // The dialog takes the focus, so the keyboard (and a screen reader) starts in it.
    request_animation_frame(|| crate::ui::keyboard::focus(".share"));
    let copy_link = move |_| {
        let Some(u) = url() else { return };
        copy(u, move |ok| {
            status.try_set(if ok {
                "Link copied to the clipboard.".into()
            } else {
                "The browser refused the clipboard: select the link and copy it.".into()
            });
        });
    };
    let copy_markdown = move |_| {
        let include = (!too_big()).then(url).flatten();
        let name = ui.source.get_untracked();
        ui.ask(
            Request::Report {
                state: ui.share_state(),
                name,
                link: include,
            },
            move |r| match r {
                Response::Report(md) => {
                    markdown.try_set(Some(md.clone()));
                    copy(md, move |ok| {
                        status.try_set(if ok {
                            "Markdown report copied to the clipboard.".into()
                        } else {
                            "The browser refused the clipboard: copy the report below.".into()
                        });
                    });
                }
                Response::Failed(f) => {
                    status.try_set(format!("No report: {}.", f.sentence()));
                }
                Response::Error(e) => {
                    status.try_set(format!("No report: {e}."));
                }
                _ => {}
            },
        );
    };
    let save = move |_| {
        let Some(text) = link.with_untracked(|l| l.as_ref().map(|l| l.text.clone())) else {
            return;
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .unwrap_or_default();
        let name = bundle_name(&ui.source.get_untracked());
        status.set(match download(&name, &bytes) {
            Ok(()) => format!(
                "Saved {name} ({}): open it here like any capture.",
                kib(bytes.len())
            ),
            Err(_) => "The browser refused the download.".into(),
        });
    };
    // Smaller shares: the selected frame's connection, and the connections in view.
    let connection = move || {
        ui.filter
            .with(|f| f.connection)
            .or_else(|| ui.selection.cursor.get().map(|c| c.connection))
            .filter(|&c| c != crate::engine::incident::NO_CONNECTION)
    };
    let filtered = move || {
        let v = ui.view.get();
        v.total - v.events < v.all && ui.filter.with(|f| f.connection.is_none())
    };
    let multi = move || {
        ui.overview
            .with(|o| o.as_ref().is_some_and(|o| o.connections.len() > 1))
    };
    view! {
        <div class="overlay" on:click=move |_| close()>
            <div class="share" role="dialog" aria-modal="true" aria-labelledby="share-title" tabindex="-1" on:click=|ev| ev.stop_propagation()>
                <h2 id="share-title">"Share"</h2>
                <p class="muted">
                    "The link holds the SPOP conversations (not the raw capture: packet headers and other traffic are left out), your notes and marks, the selection and the filters. It is all after the #, which browsers never send to a server."
                </p>
                {move || match link.get() {
                    None if unavailable.with(Option::is_some) => view! {
                        <p class="input-error" id="share-unavailable" role="alert">{move || unavailable.get()}</p>
                    }.into_any(),
                    None => view! { <p class="muted" id="share-preparing">{move || if large && scope.get() == ShareScope::All {
                        "Packing the whole capture… (a few seconds for a large one)"
                    } else {
                        "Preparing the link…"
                    }}</p> }.into_any(),
                    Some(l) => view! {
                        <div class="share-link">
                            <input id="share-link" readonly aria-label="Share link" prop:value=url on:focus=|ev| {
                                if let Some(t) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) { t.select(); }
                            } />
                            <button id="copy-link" class="primary" on:click=copy_link>"Copy link"</button>
                        </div>
                        <p id="share-size"><strong>{kib(size())}</strong>" · "{scope_label(&l)}</p>
                    }.into_any(),
                }}
                {move || (link.with(Option::is_some) && too_big()).then(|| view! {
                    <div class="share-warning" id="share-too-big" role="alert">
                        <p>{format!(
                            "This link is {}, above {} KiB{}: chat tools, issue trackers and some browsers cut long links. Share a part of the capture, or attach the bundle file instead.",
                            kib(size()),
                            ui.share.limit.get(),
                            if storage::share_limit_set() { ", the size you chose" } else { ", where links start getting cut" },
                        )}</p>
                        {(size() > BROWSER_URL_LIMIT).then(|| view! {
                            <p><strong>"Browsers do not open links over 2 MiB: this one will not work as a link at all."</strong></p>
                        })}
                    </div>
                })}
                <div class="share-scopes" role="group" aria-label="What to share">
                    <button id="share-all" aria-pressed=move || (scope.get() == ShareScope::All).to_string() on:click=move |_| scope.set(ShareScope::All)>"Whole capture"</button>
                    {move || connection().filter(|_| multi()).map(|c| view! {
                        <button id="share-connection" aria-pressed=move || (scope.get() == ShareScope::Connection(c)).to_string() on:click=move |_| scope.set(ShareScope::Connection(c))>{format!("Only this connection (#{})", c + 1)}</button>
                    })}
                    {move || (filtered() && multi()).then(|| view! {
                        <button id="share-view" aria-pressed=move || (scope.get() == ShareScope::View).to_string() on:click=move |_| scope.set(ShareScope::View)>"Only this selection (connections in view)"</button>
                    })}
                </div>
                <div class="share-actions">
                    <button id="download-bundle" on:click=save disabled=move || link.with(Option::is_none)>"Download bundle (.spop)"</button>
                    <button id="copy-markdown" on:click=copy_markdown disabled=move || link.with(Option::is_none)>"Copy as Markdown"</button>
                    <label class="share-limit" title="Above this size the dialog warns that the link may be cut and offers to share less">
                        "Warn when a link is over "
                        <input id="share-limit" type="number" min="1" max="65536" class="narrow"
                            prop:value=move || ui.share.limit.get().to_string()
                            on:change=move |ev| {
                                if let Ok(k) = event_target_value(&ev).trim().parse::<u32>() {
                                    if k > 0 {
                                        ui.share.limit.set(k);
                                        storage::save_share_limit(k);
                                    }
                                }
                            } />
                        " KiB"
                    </label>
                </div>
                {move || storage::from_file().then(|| view! {
                    <p class="muted">"This page was opened from a file, so the link points at your copy. Anyone can paste it into their spop-inspector (or open the bundle) to see the same thing."</p>
                })}
                <p class="share-status" id="share-status" role="status" aria-live="polite">{move || status.get()}</p>
                {move || markdown.get().map(|md| view! {
                    <textarea id="markdown" readonly rows="10" aria-label="Markdown report">{md}</textarea>
                })}
                <div class="dialog-buttons"><button id="share-close" on:click=move |_| close()>"Close"</button></div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{bundle_name, kib};

    #[test]
    fn sizes_and_names() {
        assert_eq!(kib(512), "0.5 KiB");
        assert_eq!(kib(32 * 1024), "32 KiB");
        assert_eq!(kib(1_500_000), "1,465 KiB");
        assert_eq!(bundle_name("capture.pcap (1,234 bytes)"), "capture.spop");
        assert_eq!(bundle_name("pasted text"), "pasted-text.spop");
        assert_eq!(bundle_name(""), "capture.spop");
    }
}

//! The page shell: the inspector's frame (header, workspace, dialogs) around the views.

use leptos::prelude::*;
use spop_codec::display::Fixed;

use crate::engine::draw::thousands;
use crate::ui::backend::Backend;
use crate::ui::state::{Panel, Ui};
use crate::ui::{
    connections, details, findings, layout, list, listbar, notes, prefs, share_dialog, start,
    state, stats, storage, timeline, toolbar, verdict,
};

/// The application root, decoding in a worker.
#[component]
pub fn App() -> impl IntoView {
    view! { <Inspector backend=Backend::new() /> }
}

/// The inspector over a given engine (component tests pass [`Backend::local`]).
#[component]
pub fn Inspector(backend: Backend) -> impl IntoView {
    let ui = Ui::new(backend);
    provide_context(ui);
    provide_context(prefs::Prefs::new());
    crate::ui::keyboard::install_shortcuts(ui);
    state::install_stats(ui);
    // A share link opens what its sender saw; so does one pasted into the address bar later.
    if let Some(link) = storage::link_in_address() {
        ui.load_link(&link);
    }
    let hash = window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(link) = storage::link_in_address() {
            if !ui.showing_link(&link) {
                ui.load_link(&link);
            }
        }
    });
    // Back and Forward move between the start screen and the captures shown.
    let history = window_event_listener(leptos::ev::popstate, move |_| ui.history_moved());
    on_cleanup(move || {
        hash.remove();
        history.remove();
    });
    // A file dragged over the page: the whole page is the drop target, and says so.
    let dropping = RwSignal::new(false);
    let carries_files = |ev: &web_sys::DragEvent| {
        ev.data_transfer()
            .is_some_and(|d| d.types().includes(&"Files".into(), 0))
    };
    let on_drag_over = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        if carries_files(&ev) && !dropping.get_untracked() {
            dropping.set(true);
        }
    };
    // Leaving the window (not one element for another) has no element to go to.
    let on_drag_leave = move |ev: web_sys::DragEvent| {
        if ev.related_target().is_none() {
            dropping.set(false);
        }
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        dropping.set(false);
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            ui.open_file(file);
        }
    };
    // A memo: the overview is replaced when the rules' findings arrive, which must not
    // rebuild the workspace.
    let loaded = Memo::new(move |_| {
        ui.overview
            .with(|o| o.as_ref().is_some_and(|o| o.error.is_none()))
    });
    let loaded = move || loaded.get();
    view! {
        <div
            class="app"
            on:dragover=on_drag_over
            on:dragleave=on_drag_leave
            on:drop=on_drop
        >
            {move || dropping.get().then(|| view! {
                <div class="drop-target" aria-hidden="true"><p>"Drop the file to inspect it"</p></div>
            })}
            <header class="bar">
                <h1>
                    <button class="home" title="Back to the start screen" on:click=move |_| ui.home()>
                        "spop-inspector"
                    </button>
                </h1>
                {move || loaded().then(|| view! { <Summary /> })}
                {move || loaded().then(|| view! {
                    <button id="share-button" class="primary" title="Share link, bundle file, Markdown report" on:click=move |_| ui.share.open.set(true)>"Share…"</button>
                })}
                <button class="icon help-button" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" on:click=move |_| ui.help.update(|h| *h = !*h)>"?"</button>
            </header>
            {move || if loaded() {
                view! { <Workspace /> }.into_any()
            } else {
                view! { <start::Start /> }.into_any()
            }}
            <Progress />
            <Help />
            <share_dialog::ShareDialog />
        </div>
    }
}

/// What is inspected: name, format, counts.
#[component]
fn Summary() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || {
        ui.overview.get().map(|o| {
            let [e, w, i] = o.counts;
            view! {
                <div class="summary-line" role="status">
                    <strong class="source" title=ui.source.get()>{ui.source.get()}</strong>
                    <span class="muted">{o.input.clone()}</span>
                    <span>{format!("{} connection(s) · {} frame(s) · {}", thousands(o.connections.len()), thousands(o.frames), if o.packets == 0 { spop_codec::capture::NO_PACKETS.to_string() } else { format!("{} packet(s)", thousands(o.packets as usize)) })}</span>
                    {if o.checked {
                        view! {
                            <span class="counts">
                                <span class="sev-error">{format!("{e} error(s)")}</span>
                                <span class="sev-warning">{format!("{w} warning(s)")}</span>
                                <span class="sev-info">{format!("{i} info")}</span>
                            </span>
                        }.into_any()
                    } else if ui.lifecycle.failure.with(|f| f.as_ref().is_some_and(|f| f.rules)) {
                        view! { <span class="counts sev-warning" id="unchecked">"rules not checked"</span> }.into_any()
                    } else {
                        view! { <span class="counts muted" id="checking">"checking the rules…"</span> }.into_any()
                    }}
                </div>
            }
        })
    }
}

/// The loaded capture: overview, timeline and frames on the left, details and findings on
/// the right.
#[component]
fn Workspace() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let prefs = expect_context::<prefs::Prefs>();
    // Narrow windows (the stylesheet's 1000 px) show the frames or the side panel, one at
    // a time, under one row of tabs (the details would otherwise start below the fold).
    let narrow_now = || {
        web_sys::window()
            .and_then(|w| w.inner_width().ok())
            .and_then(|w| w.as_f64())
            .is_some_and(|w| w <= 1000.0)
    };
    let narrow = RwSignal::new(narrow_now());
    let resize = window_event_listener(leptos::ev::resize, move |_| narrow.set(narrow_now()));
    on_cleanup(move || resize.remove());
    let side_shown = RwSignal::new(false);
    // Enter on a frame, a double click, "f", a finding's frame: the side panel comes forward.
    let panel = Memo::new(move |_| ui.panel.get());
    Effect::new(move |first: Option<()>| {
        panel.track();
        let focus = ui.selection.focus_details.get();
        if first.is_some() || focus {
            side_shown.set(true);
        }
    });
    let side_w = layout::side_kept();
    let tab = move |p: Panel, label: &'static str| {
        let on = move || ui.panel.get() == p && (!narrow.get() || side_shown.get());
        view! {
            <button
                role="tab"
                id=format!("tab-{}", p.id())
                aria-controls="side-panel"
                aria-selected=move || on().to_string()
                class:active=on
                on:click=move |_| {
                    ui.panel.set(p);
                    side_shown.set(true);
                }
            >{label}{move || match p {
                Panel::Findings => ui.overview.with(|o| o.as_ref().filter(|o| o.checked).map(|o| format!(" ({})", o.groups.iter().map(|g| g.count + g.omitted).sum::<usize>()))),
                Panel::Notes => Some(format!(" ({})", ui.notes.with(|n| n.len()))),
                Panel::Details => None,
            }}</button>
        }
    };
    view! {
        <Failure />
        <toolbar::Toolbar />
        {move || ui.overview.with(|o| o.as_ref().map(|o| o.notes.clone())).filter(|n| !n.is_empty()).map(|notes| view! {
            <ul class="notes" aria-label="Capture notes">{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
        })}
        <verdict::Verdict />
        <div
            class="workspace"
            class:side-shown=side_shown
            style:--side-w=move || side_w.get().map(|w| format!("{}px", w as i64))
        >
            <div class="tabs side-tabs" role="tablist" aria-label="Frames and side panel">
                <button
                    role="tab"
                    id="tab-frames"
                    class="narrow-only"
                    aria-controls="frames"
                    aria-selected=move || (narrow.get() && !side_shown.get()).to_string()
                    class:active=move || !side_shown.get()
                    on:click=move |_| side_shown.set(false)
                >"Capture"</button>
                {tab(Panel::Details, "Details")}
                {tab(Panel::Findings, "Findings")}
                {tab(Panel::Notes, "Notes")}
            </div>
            <div class="left">
                // Frames or statistics, and the settings of the frames' views.
                <listbar::ListBar />
                <div class="frames-view" hidden=move || prefs.stats.get()>
                    <connections::Connections />
                    <timeline::Timeline />
                    <list::FrameList />
                </div>
                {move || prefs.stats.get().then(|| view! { <stats::Statistics /> })}
            </div>
            <layout::Splitter side=side_w />
            <aside class="right" aria-label="Frame details and findings">
                <div class="panel" id="side-panel" role="tabpanel" aria-labelledby=move || format!("tab-{}", ui.panel.get().id())>
                    {move || match ui.panel.get() {
                        Panel::Details => view! { <details::Details /> }.into_any(),
                        Panel::Findings => view! { <findings::Findings /> }.into_any(),
                        Panel::Notes => view! { <notes::Notes /> }.into_any(),
                    }}
                </div>
            </aside>
        </div>
    }
}

/// The decoder failed under the capture shown: what failed, what is still shown, Retry and
/// another capture.
#[component]
fn Failure() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || {
        ui.lifecycle.failure.get().map(|t| {
            let rules = t.rules;
            view! {
                <div class="engine-failure" id="engine-failure" role="alert">
                    <p>
                        <strong>{t.message}</strong>" "
                        <span class="muted">{move || if ui.lifecycle.restoring.get() {
                            "Restarting the decoder…"
                        } else if rules {
                            "The timeline and frames are still shown, without findings."
                        } else {
                            "The capture was decoded again in a new decoder."
                        }}</span>
                    </p>
                    <button id="retry" class="primary" on:click=move |_| ui.reload_input()>"Retry"</button>
                    <button id="load-another" on:click=move |_| ui.home()>"Open another capture"</button>
                </div>
            }
        })
    }
}

/// The decoding progress bar, with cancel.
#[component]
fn Progress() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || {
        ui.lifecycle.loading.get().map(|(fraction, stage)| {
            view! {
                <div class="overlay">
                    <div class="progress-box" role="dialog" aria-modal="true" aria-label="Decoding">
                        <p>{move || format!("Decoding {}…", ui.source.get())}</p>
                        <progress id="progress" max="1" value=Fixed::of(fraction, 4).to_string() aria-label="Decoding progress"></progress>
                        <p class="muted stage">{format!("{} % · {stage}", Fixed::of(fraction * 100.0, 0))}</p>
                        <button id="cancel" on:click=move |_| ui.cancel()>"Cancel"</button>
                    </div>
                </div>
            }
        })
    }
}

/// The shortcuts dialog (`?`).
#[component]
fn Help() -> impl IntoView {
    let ui = expect_context::<Ui>();
    const KEYS: [(&str, &str); 12] = [
        ("↓ / j", "next frame (next field in the details)"),
        ("↑ / k", "previous frame (previous field in the details)"),
        ("PgDn / PgUp", "a page down / up"),
        ("Home / End", "first / last frame"),
        ("Enter", "open the frame's details"),
        (
            "n / N",
            "next / previous finding (at the severity chosen beside the buttons)",
        ),
        ("/", "filter by text"),
        ("f", "findings panel"),
        ("m", "mark / unmark the frame"),
        ("− / + / 0", "zoom the timeline out / in / to fit"),
        ("?", "this help"),
        ("Esc", "close, or leave the filter or the details"),
    ];
    move || {
        ui.help.get().then(|| {
            view! {
                <div class="overlay" on:click=move |_| ui.help.set(false)>
                    <div class="help" role="dialog" aria-modal="true" aria-labelledby="help-title" on:click=|ev| ev.stop_propagation()>
                        <h2 id="help-title">"Keyboard shortcuts"</h2>
                        <dl>
                            {KEYS.into_iter().map(|(k, what)| view! { <dt><kbd>{k}</kbd></dt><dd>{what}</dd> }).collect_view()}
                        </dl>
                        <p class="muted">"Drop a file anywhere, or paste (Ctrl+V) a capture outside the filter boxes to inspect it."</p>
                        <button on:click=move |_| ui.help.set(false) autofocus>"Close"</button>
                    </div>
                </div>
            }
        })
    }
}

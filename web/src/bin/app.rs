//! The browser entry point: mounts the inspector into the page.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(spop_web::App);
}

// The decode worker: the same wasm engine as the page, off the main thread, so a 100 MB
// capture never freezes the page. The page talks to it via web/src/ui/backend.rs; the build copies it into pkg/.
import init, { worker_main } from "./app.js";

// The page's compiled module comes as the first message (web/wasm.js, `start`); worker_main's
// answers begin after it, the first one {ready: true}.
const module = await new Promise((resolve) => {
  self.onmessage = (event) => {
    self.onmessage = null;
    resolve(event.data);
  };
});
await init({ module_or_path: module });
// The engine failing under way (a wasm trap: out of memory, a panic) is told to the page as a
// message saying what it was; the page starts a fresh worker.
self.addEventListener("error", (event) => {
  event.preventDefault();
  self.postMessage({ failed: String(event.message ?? event.error ?? "") });
});
worker_main();

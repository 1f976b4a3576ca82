// The decode worker: the same wasm engine as the page, off the main thread, so a 100 MB
// capture never freezes the page. The page talks to it via web/src/ui/backend.rs; the build copies it into pkg/.
import init, { worker_main } from "./app.js";
import { appWasm } from "./wasm.js";

await init({ module_or_path: appWasm() });
// The engine failing under way (a wasm trap: out of memory, a panic) is told to the page as a
// message saying what it was; the page starts a fresh worker.
self.addEventListener("error", (event) => {
  event.preventDefault();
  self.postMessage({ failed: String(event.message ?? event.error ?? "") });
});
worker_main();

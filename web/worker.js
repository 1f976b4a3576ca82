// The decode worker: the same wasm engine as the page, off the main thread, so a 100 MB
// capture never freezes the page. The page talks to it through web/src/backend.rs; the build copies it into pkg/.
import init, { worker_main } from "./app.js";

await init();
worker_main();

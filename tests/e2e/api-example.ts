// The JavaScript API from TypeScript: api.test.mjs type-checks this file against pkg/spop_inspector.d.ts
// with `tsc --noEmit --strict`. Each `@ts-expect-error` line must fail to compile (tsc reports
// a directive that is not needed), which proves the API is typed, not `any`.
import init, { inspect, rules } from "../../pkg/spop_inspector.js";
import type { FrameReport, InspectOptions, InspectReport, Int64, Rule, ValueReport } from "../../pkg/spop_inspector.js";

/** The findings of a capture at `url`, one line each, worst first. */
export async function findingsOf(url: string, options: InspectOptions = {}): Promise<string[]> {
  await init();
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const report: InspectReport = inspect(bytes, options);
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return [...report.findings]
    .sort((a, b) => rank[a.severity] - rank[b.severity])
    .map((f) => `${f.severity} ${f.code} ${f.name}: ${f.message}`);
}

/** Every NOTIFY message name with its arguments, as `name(arg=value, …)`. */
export function messages(report: InspectReport): string[] {
  const out: string[] = [];
  for (const frame of report.frames) {
    // `payload` is a union on `kind`: only a messages payload has `messages`.
    if (frame.payload.kind !== "messages") continue;
    for (const m of frame.payload.messages) {
      out.push(`${m.name}(${m.args.map((a) => `${a.name}=${show(a.value)}`).join(", ")})`);
    }
  }
  return out;
}

/** A typed value as text: 64-bit integers beyond 2^53 come as bigint, exact. */
function show(value: ValueReport): string {
  return value === null ? "null" : typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Each NOTIFY's ACK latency in milliseconds, by stream-id. */
export function latencies(report: InspectReport): Map<Int64, number> {
  const byStream = new Map<Int64, number>();
  for (const f of report.frames) {
    if (f.type === "ACK" && f.latency_ms !== null) byStream.set(f.stream_id, f.latency_ms);
  }
  return byStream;
}

/** The rules of one severity. */
export const errorRules = (): Rule[] => rules().filter((r) => r.severity === "error");

/** The frames a finding points at. */
export const framesOf = (report: InspectReport, finding: number): FrameReport[] =>
  report.findings[finding].frames.map((i) => report.frames[i]);

export function misuse(bytes: Uint8Array, report: InspectReport): void {
  // @ts-expect-error: the input is bytes (for text: new TextEncoder().encode(text))
  inspect("00000000: 0000 0070 0100 0000 0100 0012 7375 7070");
  // @ts-expect-error: an unknown option (it is `ports`)
  inspect(bytes, { port: [12345] });
  // @ts-expect-error: slowAckMs is a number of milliseconds
  inspect(bytes, { slowAckMs: "50" });
  // @ts-expect-error: a frame is an object, not a string
  const first: string = report.frames[0];
  // @ts-expect-error: a stream-id may be a bigint, so it needs narrowing before arithmetic
  const next: number = report.frames[0].stream_id + 1;
  // @ts-expect-error: a raw payload has no messages
  if (report.frames[0].payload.kind === "raw") console.log(report.frames[0].payload.messages);
  // @ts-expect-error: severities are "error", "warning" and "info"
  if (report.findings[0].severity === "fatal") console.log(first, next);
  // @ts-expect-error: rules() takes no argument
  rules("SPOP-F001");
}

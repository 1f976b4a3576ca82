//! The engine's JavaScript API, exported from `pkg/spop_inspector.js` (by `main.rs`):
//! `inspect(bytes, options)` gives the report of the CLI's `--format json` as plain JS
//! objects, and `rules()` the rule catalogue of `spop-inspect rules --format json`.
//!
//! 64-bit integers (stream and frame ids, max-frame-size, INT64/UINT64 values) are JS numbers
//! while a number holds them exactly (|n| ≤ 2^53 − 1) and `BigInt`s beyond, so no value is
//! ever rounded; for every other value the result deep-equals `JSON.parse` of the CLI's JSON.

use js_sys::{Array, Object, Uint8Array};
use serde::ser::{self, Serialize, Serializer};
use spop_codec::analysis::{analyze, AnalysisOptions, CATALOGUE};
use spop_codec::capture::{load, LoadOptions};
use spop_codec::report::Report;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Options of `inspect`: the CLI's flags of the same meaning. */
export interface InspectOptions {
  /** TCP ports of the SPOP agent (`--port`). Default: SPOP is recognised on any port by its HAPROXY-HELLO. */
  ports?: number[];
  /** Your SPOE engine's `timeout processing` as HAProxy writes it (`"500ms"`, `"2s"`; a bare number is milliseconds): ACKs later than it are SPOP-X008 findings (`--timeout-processing`). Default: none. */
  timeoutProcessing?: string | number;
  /** The same threshold in milliseconds (`--slow-ack`); give one of the two. */
  slowAckMs?: number;
}

/** A 64-bit integer: a number while exact (|n| ≤ Number.MAX_SAFE_INTEGER), a bigint beyond. */
export type Int64 = number | bigint;

/** `"haproxy-to-agent"` or `"agent-to-haproxy"`. */
export type Direction = "haproxy-to-agent" | "agent-to-haproxy";

/** How serious a finding is. */
export type Severity = "error" | "warning" | "info";

/** The report of `spop-inspect --format json`. */
export interface InspectReport {
  /** What the input was. */
  input: InputReport;
  /** Counts. */
  summary: SummaryReport;
  /** What happened, in a few ranked sentences, most serious first. */
  verdict: VerdictReport[];
  /** Per SPOP connection; `frames[].connection` and `findings[].connection` are indexes here. */
  connections: ConnectionReport[];
  /** Connection attempts to the agents that carried no SPOP (refused, unanswered, closed, open). */
  attempts: AttemptReport[];
  /** Every frame, in time order. */
  frames: FrameReport[];
  /** Every finding kept (at most 10,000 per rule); `frames[].findings` are indexes here. */
  findings: FindingReport[];
  /** Findings counted but not listed, by rule and severity: present only when a rule fired
   * more than 10,000 times. The summary's counts include them. */
  findings_omitted?: OmittedReport[];
  /** Latency and time-series statistics (times in nanoseconds). */
  stats: StatisticsReport;
}

/** Findings of one rule and severity counted but not listed. */
export interface OmittedReport {
  code: string;
  name: string;
  severity: Severity;
  count: number;
}

/** One sentence of the verdict. */
export interface VerdictReport {
  /** The most serious finding it rests on (`"info"` for a clean capture's lines). */
  severity: Severity;
  /** The sentence. */
  text: string;
  /** Indexes in `findings` of the findings it sums up (at most 256). */
  findings: number[];
}

/** What one side of a TCP connection did. */
export interface TcpEventReport {
  /** Its first SYN (a SYN-ACK from the agent), first FIN, first RST, a retransmission, a zero
   * receive window, the window opening again. */
  kind: "syn" | "fin" | "rst" | "retransmission" | "zero-window" | "window-open" | "window-full";
  /** Who sent it. */
  by: "haproxy" | "agent";
  /** Packet number (1-based, as Wireshark numbers them). */
  packet: number;
  /** Seconds since the epoch. */
  time: number;
}

/** A TCP connection (or attempt) to an agent's address that carried no SPOP byte. */
export interface AttemptReport {
  /** Its index in `attempts`. */
  id: number;
  /** HAProxy's `ip:port`. */
  haproxy: string;
  /** The agent's `ip:port`. */
  agent: string;
  /** `refused`: RST to the SYN; `unanswered`: nothing came back; `closed`: made and closed
   * before any SPOP byte; `open`: still open at the end of the capture. */
  outcome: "refused" | "unanswered" | "closed" | "open";
  /** SYNs HAProxy sent. */
  syns: number;
  /** First packet, seconds since the epoch. */
  start: number;
  /** Last packet, seconds since the epoch. */
  end: number;
  tcp_events: TcpEventReport[];
}

/** NOTIFY→ACK latency percentiles, nanoseconds. */
export interface PercentilesReport {
  /** Answered NOTIFYs with times. */
  count: number;
  /** Median (of an even count, the mean of the middle two). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One time bin of `stats.bins`. */
export interface StatisticsBinReport {
  /** Start, nanoseconds since time zero (the capture's first packet). */
  start: number;
  /** Most NOTIFYs outstanding at once in the bin. */
  outstanding: number;
  /** Most SPOP connections open at once in the bin. */
  connections: number;
  /** Connection attempts that failed (refused or unanswered) in the bin. */
  refused: number;
  /** Frames in the bin. */
  frames: number;
}

/** Statistics, as Wireshark's Service Response Time and I/O graphs give them. */
export interface StatisticsReport {
  /** All answered NOTIFYs; null without any with times. */
  latency: PercentilesReport | null;
  /** NOTIFYs per latency bucket (upper bounds 0.1, 0.2, 0.5 … 10,000 ms; the last bucket is
   * slower); empty when `latency` is null. */
  histogram: number[];
  /** Per message name, busiest first: `[name, percentiles]`. */
  by_message: [string, PercentilesReport][];
  /** Per connection index (connections without latencies left out): `[index, percentiles]`. */
  by_connection: [number, PercentilesReport][];
  /** Width of a time bin, nanoseconds (0 for inputs without times). */
  bin_width: number;
  /** The time series, at most 120 bins from time zero to the last packet. */
  bins: StatisticsBinReport[];
}

/** The detected input format. */
export interface InputReport {
  /** Stable machine name (`pcap`, `pcapng`, `xxd/pcap`, `tshark-follow-hex`, `raw`, …). */
  format: string;
  /** For people. */
  label: string;
  /** What the findings do not say about the input: a file that ends badly, packets that could
   * not be used fully. */
  notes: string[];
}

/** Counts. */
export interface SummaryReport {
  /** Packets read (0 for stream inputs). */
  packets: number;
  /** SPOP connections. */
  connections: number;
  /** TCP connections that are not SPOP. */
  other_connections: number;
  /** Connection attempts to the agents without SPOP (`attempts`). */
  attempts: number;
  /** Of those, refused or unanswered. */
  failed_attempts: number;
  frames: number;
  errors: number;
  warnings: number;
  infos: number;
}

/** One SPOP connection. */
export interface ConnectionReport {
  /** Its index in `connections`. */
  id: number;
  /** HAProxy's `ip:port` (null for pasted streams). */
  haproxy: string | null;
  /** The agent's `ip:port` (null for pasted streams). */
  agent: string | null;
  generation: "<=3.0" | "3.1+" | "unknown";
  /** Why that generation. */
  generation_evidence: string[];
  /** First packet, seconds since the epoch. */
  start: number;
  /** Last packet, seconds since the epoch. */
  end: number;
  /** How it ended, for people (e.g. `AGENT-DISCONNECT status 0 "normal"`). */
  ended: string;
  /** HAProxy's announced max-frame-size. */
  announced_max_frame_size: Int64 | null;
  /** The agent's max-frame-size, when valid (the limit in force). */
  negotiated_max_frame_size: Int64 | null;
  /** Capabilities HAProxy offered. */
  capabilities_offered: string | null;
  /** Capabilities both announced. */
  capabilities_agreed: string[];
  /** HAProxy's engine-id. */
  engine_id: string | null;
  /** A health-check connection. */
  healthcheck: boolean;
  /** The agent's version string. */
  agent_version: string | null;
  frames_to_agent: number;
  frames_to_haproxy: number;
  /** NOTIFYs sent. */
  notifies: number;
  /** NOTIFYs answered. */
  answered: number;
  /** Most NOTIFYs outstanding at once. */
  max_outstanding: number;
  /** Median NOTIFY→ACK latency, milliseconds. */
  median_latency_ms: number | null;
  /** Slowest NOTIFY→ACK latency, milliseconds. */
  max_latency_ms: number | null;
  errors: number;
  warnings: number;
  /** Its TCP events (SYN, FIN, RST, retransmissions, zero windows), in packet order. */
  tcp_events: TcpEventReport[];
}

/** One frame. */
export interface FrameReport {
  /** Its index in `frames`. */
  index: number;
  /** Index in `connections`. */
  connection: number;
  direction: Direction;
  /** Frame type as in the protocol: `"HAPROXY-HELLO"`, `"NOTIFY"`, `"ACK"`, `"AGENT-DISCONNECT"`, … */
  type: string;
  stream_id: Int64;
  frame_id: Int64;
  /** LENGTH. */
  length: number;
  /** FLAGS. */
  flags: number;
  /** Seconds since the epoch, of the packet that completed the frame. */
  time: number;
  /** That packet's number. */
  packet: number;
  /** TCP segments that carried the frame's own bytes; null for an input without packets. */
  segments: number | null;
  /** Offset of its first byte in its stream. */
  offset: number;
  /** For a frame split by others: where its bytes resume. */
  resumes_at: number | null;
  /** For a frame written into another one: that frame's index. */
  embedded_in: number | null;
  /** The matching NOTIFY/ACK. */
  pair: number | null;
  /** For an ACK: milliseconds since its NOTIFY. */
  latency_ms: number | null;
  /** One-line summary. */
  summary: string;
  payload: PayloadReport;
  /** Indexes in `findings` of the findings shown under this frame. */
  findings: number[];
}

/** A decoded payload; `error` is the first grammar violation. */
export type PayloadReport =
  | { kind: "kv"; items: NamedValue[]; error: string | null }
  | { kind: "messages"; messages: MessageReport[]; error: string | null }
  | { kind: "actions"; actions: ActionReport[]; error: string | null }
  | { kind: "raw"; hex: string };

/** A typed data type, as in the protocol. */
export type DataType = "NULL" | "BOOL" | "INT32" | "UINT32" | "INT64" | "UINT64" | "IPV4" | "IPV6" | "STRING" | "BINARY";

/** A typed value: INT32/INT64 signed as HAProxy reads them, STRING as text, IPV4/IPV6 in text form, BINARY in hex. */
export type ValueReport = null | boolean | Int64 | string;

/** A key or argument and its typed value. */
export interface NamedValue {
  name: string;
  type: DataType;
  value: ValueReport;
}

/** A NOTIFY message. */
export interface MessageReport {
  name: string;
  args: NamedValue[];
}

/** An ACK action. */
export interface ActionReport {
  action: "set-var" | "unset-var" | "unknown";
  /** Action type byte. */
  action_type: number;
  /** NB-ARGS as sent. */
  nb_args: number;
  /** Variable scope (`"txn"` …), for set-var/unset-var. */
  scope: string | null;
  /** Variable name. */
  name: string | null;
  /** set-var's value. */
  value: NamedValue | null;
  /** An unknown action's argument bytes, in hex. */
  raw: string | null;
}

/** A finding. */
export interface FindingReport {
  /** Rule code, e.g. `SPOP-F010`. */
  code: string;
  /** Rule name, e.g. `interleaved-frames`. */
  name: string;
  severity: Severity;
  /** Rule title. */
  title: string;
  /** Index in `connections`. */
  connection: number | null;
  /** Indexes in `frames`; the first is the frame it is shown under. */
  frames: number[];
  /** What happened. */
  message: string;
  /** The bytes it points at. */
  locations: LocationReport[];
  /** Packets it points at (TCP events, e.g. a refused SYN); absent when none. */
  packets?: number[];
}

/** Bytes of one direction's stream of a connection. */
export interface LocationReport {
  connection: number;
  direction: Direction;
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
}

/** A validation rule, as `spop-inspect rules --format json` lists it. */
export interface Rule {
  /** Stable code, e.g. `SPOP-F010`. */
  code: string;
  /** Short kebab-case name. */
  name: string;
  /** Default severity. */
  severity: Severity;
  /** One line: when it fires. */
  title: string;
  /** What went wrong, why it matters, and what HAProxy does about it. */
  explanation: string;
}
"#;

/// What `inspect` accepts as its `options` (see `InspectOptions` in the TypeScript types).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// `ports`: the agent's TCP ports (the CLI's `--port`).
    pub ports: Vec<u16>,
    /// `slowAckMs`: the SPOP-X008 threshold in milliseconds (the CLI's `--slow-ack`).
    pub slow_ack_ms: Option<f64>,
    /// `timeoutProcessing`: the same threshold as HAProxy writes it (the CLI's
    /// `--timeout-processing`).
    pub timeout_processing: Option<spop_codec::time::HaproxyTime>,
}

const OPTION_NAMES: &str = "ports, timeoutProcessing, slowAckMs";

impl Options {
    /// Reads the options object; `undefined` and `null` mean the defaults. Unknown keys and
    /// wrong types are errors rather than ignored, so a typo never silently changes nothing.
    pub fn from_js(js: &JsValue) -> Result<Options, String> {
        let mut options = Options::default();
        if js.is_undefined() || js.is_null() {
            return Ok(options);
        }
        if !js.is_object() || Array::is_array(js) {
            return Err(format!(
                "inspect: options must be an object ({OPTION_NAMES}), got {}",
                describe(js)
            ));
        }
        for key in Object::keys(js.unchecked_ref::<Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            let value = js_sys::Reflect::get(js, &JsValue::from_str(&key)).unwrap_or_default();
            // An explicitly undefined option is an absent one, as in an object spread.
            if value.is_undefined() {
                continue;
            }
            match key.as_str() {
                "ports" => options.ports = ports(&value)?,
                "slowAckMs" => options.slow_ack_ms = Some(slow_ack_ms(&value)?),
                "timeoutProcessing" => options.timeout_processing = Some(timeout(&value)?),
                _ => {
                    return Err(format!(
                        "inspect: unknown option `{key}` (the options are {OPTION_NAMES})"
                    ))
                }
            }
        }
        if options.slow_ack_ms.is_some() && options.timeout_processing.is_some() {
            return Err(String::from(
                "inspect: give options.timeoutProcessing or options.slowAckMs, not both",
            ));
        }
        Ok(options)
    }

    /// The SPOP-X008 threshold in nanoseconds, from whichever option gave it.
    pub fn slow_ack(&self) -> Option<u64> {
        self.timeout_processing
            .map(spop_codec::time::HaproxyTime::as_nanos)
            // As the CLI's --slow-ack converts it.
            .or(AnalysisOptions::slow_ack_ms(self.slow_ack_ms))
    }
}

/// `timeoutProcessing`: HAProxy's time syntax, or a number of milliseconds as HAProxy reads a
/// bare number.
fn timeout(value: &JsValue) -> Result<spop_codec::time::HaproxyTime, String> {
    // A number as JavaScript writes it (Rust's float printer is not in the page's wasm).
    let text = match (value.as_string(), value.as_f64()) {
        (Some(s), _) => s,
        (None, Some(_)) => js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    text.parse().map_err(|e| {
        format!(
            "inspect: options.timeoutProcessing must be a time as HAProxy writes it (500ms, 2s, 1m; a number is milliseconds): {e}, got {}",
            describe(value)
        )
    })
}

fn ports(value: &JsValue) -> Result<Vec<u16>, String> {
    let error = || {
        format!(
            "inspect: options.ports must be an array of TCP ports (integers 0 to 65535), got {}",
            describe(value)
        )
    };
    let array = value.dyn_ref::<Array>().ok_or_else(error)?;
    array
        .iter()
        .map(|p| {
            p.as_f64()
                .filter(|n| n.fract() == 0.0 && (0.0..=65535.0).contains(n))
                .map(|n| n as u16)
                .ok_or_else(error)
        })
        .collect()
}

fn slow_ack_ms(value: &JsValue) -> Result<f64, String> {
    value
        .as_f64()
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .ok_or_else(|| {
            format!(
                "inspect: options.slowAckMs must be a number of milliseconds (finite, 0 or more), got {}",
                describe(value)
            )
        })
}

/// A short description of a JS value for error messages: its JSON, or its type.
fn describe(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .filter(|s| s.len() <= 60)
        .unwrap_or_else(|| value.js_typeof().as_string().unwrap_or_default())
}

/// The report of `spop-inspect --format json` for `bytes`, or the engine's message for
/// unreadable input.
pub fn report(bytes: &[u8], options: &Options) -> Result<Report, String> {
    let capture = load(
        bytes,
        &LoadOptions {
            ports: options.ports.clone(),
            ..LoadOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let analysis = analyze(
        capture,
        &AnalysisOptions {
            slow_ack: options.slow_ack(),
            ..AnalysisOptions::default()
        },
    );
    Ok(Report::new(&analysis))
}

/// `inspect(bytes, options)`: the report as plain JS objects, or a thrown `Error`.
pub fn inspect(bytes: &JsValue, options: &JsValue) -> Result<JsValue, JsError> {
    let bytes = bytes.dyn_ref::<Uint8Array>().ok_or_else(|| {
        JsError::new(&format!(
            "inspect: bytes must be a Uint8Array (for text, new TextEncoder().encode(text)), got {}",
            describe(bytes)
        ))
    })?;
    let options = Options::from_js(options).map_err(|e| JsError::new(&e))?;
    let report = report(&bytes.to_vec(), &options).map_err(|e| JsError::new(&e))?;
    to_js(&report)
}

/// `rules()`: the rule catalogue as plain JS objects.
pub fn rules() -> Result<JsValue, JsError> {
    to_js(&CATALOGUE)
}

/// Plain objects for structs and maps, `null` for `None`, as `JSON.parse` would give.
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    Exact(value)
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("inspect: {e}")))
}

/// `Number.MAX_SAFE_INTEGER`: the largest integer up to which every integer is a JS number.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// Serializes a value with its 64-bit integers as 64-bit integers while a JS number holds
/// them exactly, and as 128-bit integers beyond: serde-wasm-bindgen renders the first as
/// numbers and the second as `BigInt`s (by default it refuses them; with its bigint option
/// every 64-bit field would be a `BigInt`, even a stream-id of 1). serde_json writes both
/// the same digits, so the shape is the CLI's.
struct Exact<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> Serialize for Exact<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(ExactIntegers(serializer))
    }
}

/// The serializer (and its compound parts) behind [`Exact`]: forwards everything, routing
/// unsafe 64-bit integers to the 128-bit methods and wrapping nested values in [`Exact`].
struct ExactIntegers<S>(S);

impl<S: Serializer> Serializer for ExactIntegers<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = ExactIntegers<S::SerializeSeq>;
    type SerializeTuple = ExactIntegers<S::SerializeTuple>;
    type SerializeTupleStruct = ExactIntegers<S::SerializeTupleStruct>;
    type SerializeTupleVariant = ExactIntegers<S::SerializeTupleVariant>;
    type SerializeMap = ExactIntegers<S::SerializeMap>;
    type SerializeStruct = ExactIntegers<S::SerializeStruct>;
    type SerializeStructVariant = ExactIntegers<S::SerializeStructVariant>;

    fn serialize_i64(self, v: i64) -> Result<S::Ok, S::Error> {
        if v.unsigned_abs() <= MAX_SAFE {
            self.0.serialize_i64(v)
        } else {
            self.0.serialize_i128(v.into())
        }
    }
    fn serialize_u64(self, v: u64) -> Result<S::Ok, S::Error> {
        if v <= MAX_SAFE {
            self.0.serialize_u64(v)
        } else {
            self.0.serialize_u128(v.into())
        }
    }
    fn serialize_bool(self, v: bool) -> Result<S::Ok, S::Error> {
        self.0.serialize_bool(v)
    }
    fn serialize_i8(self, v: i8) -> Result<S::Ok, S::Error> {
        self.0.serialize_i8(v)
    }
    fn serialize_i16(self, v: i16) -> Result<S::Ok, S::Error> {
        self.0.serialize_i16(v)
    }
    fn serialize_i32(self, v: i32) -> Result<S::Ok, S::Error> {
        self.0.serialize_i32(v)
    }
    fn serialize_i128(self, v: i128) -> Result<S::Ok, S::Error> {
        self.0.serialize_i128(v)
    }
    fn serialize_u8(self, v: u8) -> Result<S::Ok, S::Error> {
        self.0.serialize_u8(v)
    }
    fn serialize_u16(self, v: u16) -> Result<S::Ok, S::Error> {
        self.0.serialize_u16(v)
    }
    fn serialize_u32(self, v: u32) -> Result<S::Ok, S::Error> {
        self.0.serialize_u32(v)
    }
    fn serialize_u128(self, v: u128) -> Result<S::Ok, S::Error> {
        self.0.serialize_u128(v)
    }
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        self.0.serialize_f32(v)
    }
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        self.0.serialize_f64(v)
    }
    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        self.0.serialize_char(v)
    }
    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        self.0.serialize_str(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        self.0.serialize_bytes(v)
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Exact(value))
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_struct(name)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(name, index, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Exact(value))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_variant(name, index, variant, &Exact(value))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(ExactIntegers)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(ExactIntegers)
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len).map(ExactIntegers)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0
            .serialize_tuple_variant(name, index, variant, len)
            .map(ExactIntegers)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(ExactIntegers)
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(name, len).map(ExactIntegers)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0
            .serialize_struct_variant(name, index, variant, len)
            .map(ExactIntegers)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

impl<S: ser::SerializeSeq> ser::SerializeSeq for ExactIntegers<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_element(&Exact(value))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: ser::SerializeTuple> ser::SerializeTuple for ExactIntegers<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_element(&Exact(value))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: ser::SerializeTupleStruct> ser::SerializeTupleStruct for ExactIntegers<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_field(&Exact(value))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: ser::SerializeTupleVariant> ser::SerializeTupleVariant for ExactIntegers<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_field(&Exact(value))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: ser::SerializeMap> ser::SerializeMap for ExactIntegers<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), S::Error> {
        self.0.serialize_key(&Exact(key))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_value(&Exact(value))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: ser::SerializeStruct> ser::SerializeStruct for ExactIntegers<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        self.0.serialize_field(key, &Exact(value))
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.0.skip_field(key)
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

impl<S: ser::SerializeStructVariant> ser::SerializeStructVariant for ExactIntegers<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        self.0.serialize_field(key, &Exact(value))
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.0.skip_field(key)
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTURES: [&[u8]; 3] = [
        include_bytes!("../../../../tests/fixtures/haproxy26-interleaved-disconnect.pcap"),
        include_bytes!("../../../../tests/fixtures/haproxy26-pyagent.pcap"),
        include_bytes!("../../../../tests/fixtures/haproxy34-clean.pcapng"),
    ];

    /// A SPOP varint (the protocol's encoding: 4 bits, then 7 bits a byte).
    fn varint(mut x: u64, out: &mut Vec<u8>) {
        if x < 240 {
            out.push(x as u8);
            return;
        }
        out.push((x as u8) | 240);
        x = (x - 240) >> 4;
        while x >= 128 {
            out.push((x as u8) | 128);
            x = (x - 128) >> 7;
        }
        out.push(x as u8);
    }

    /// A raw NOTIFY whose ids and arguments are beyond what a JS number holds exactly.
    fn big_notify() -> Vec<u8> {
        let mut body = vec![3, 0, 0, 0, 1];
        varint(u64::MAX, &mut body);
        varint(1 << 53, &mut body);
        body.extend([1, b'm', 2, 1, b'u', 0x05]);
        varint(u64::MAX, &mut body);
        body.extend([1, b'i', 0x04]);
        varint(i64::MIN as u64, &mut body);
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend(body);
        frame
    }

    #[test]
    fn exact_writes_what_serde_json_writes() {
        for bytes in CAPTURES.into_iter().chain([big_notify().as_slice()]) {
            let r = report(bytes, &Options::default()).expect("readable");
            assert_eq!(
                serde_json::to_string(&Exact(&r)).expect("serializes"),
                serde_json::to_string(&r).expect("serializes")
            );
        }
        assert_eq!(
            serde_json::to_string(&Exact(&CATALOGUE)).expect("serializes"),
            serde_json::to_string(&CATALOGUE).expect("serializes")
        );
    }

    #[test]
    fn the_big_values_are_in_the_report() {
        let r = report(&big_notify(), &Options::default()).expect("readable");
        let json = serde_json::to_string(&r).expect("serializes");
        for needle in [
            "\"stream_id\":18446744073709551615",
            "\"frame_id\":9007199254740992",
            "\"value\":18446744073709551615",
            "\"value\":-9223372036854775808",
        ] {
            assert!(json.contains(needle), "{needle} in {json}");
        }
    }

    #[test]
    fn options_change_the_report_as_the_cli_flags_do() {
        let bytes = CAPTURES[1];
        let plain = report(bytes, &Options::default()).expect("readable");
        let x008 = |r: &Report| r.findings.iter().any(|f| f.code == "SPOP-X008");
        assert!(!x008(&plain));
        let slow = report(
            bytes,
            &Options {
                slow_ack_ms: Some(0.0),
                ..Options::default()
            },
        )
        .expect("readable");
        assert!(x008(&slow));
        let timeout = |t: &str| Options {
            timeout_processing: Some(t.parse().expect("a time")),
            ..Options::default()
        };
        assert_eq!(timeout("1ms").slow_ack(), Some(1_000_000));
        assert!(x008(&report(bytes, &timeout("0ms")).expect("readable")));
        assert!(!x008(&report(bytes, &timeout("1m")).expect("readable")));
        // Naming HAProxy's port as the agent's turns the roles around, as --port does.
        let haproxy = plain.connections[0]
            .haproxy
            .clone()
            .expect("a pcap has addresses");
        let port = haproxy.rsplit(':').next().and_then(|p| p.parse().ok());
        let swapped = report(
            bytes,
            &Options {
                ports: port.into_iter().collect(),
                ..Options::default()
            },
        )
        .expect("readable");
        assert_eq!(swapped.connections[0].agent, Some(haproxy));
    }

    #[test]
    fn unreadable_input_gives_the_engine_message() {
        let bytes = [0xde, 0xad, 0xbe, 0xef, 1, 2, 3];
        let engine = load(&bytes, &LoadOptions::default())
            .expect_err("unreadable")
            .to_string();
        assert_eq!(report(&bytes, &Options::default()), Err(engine));
    }
}

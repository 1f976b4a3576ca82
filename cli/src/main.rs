//! `spop-inspect`: decode and validate SPOP traffic in a terminal or a CI pipeline.

mod json;
mod manual;
mod probe;
mod progress;
mod read;
mod text;

use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use spop_codec::analysis::{analyze, analyze_loaded, Analysis, AnalysisOptions, CATALOGUE};
use spop_codec::capture::bundle::Bundle;
use spop_codec::capture::{LoadOptions, Loader};
use spop_codec::display::Escaped;
use spop_codec::report::markdown::{self, size, MarkdownOptions};
use spop_codec::report::Report;
use spop_codec::share;
use spop_codec::time::{HaproxyTime, TimeError};
use spop_codec::Progress;

/// Decode and validate SPOP (HAProxy Stream Processing Offload Protocol) traffic.
///
/// Reads a packet capture (pcap, pcapng), text (hex in any common dump format: xxd,
/// hexdump -C, od, tcpdump -X, tshark/Wireshark Follow TCP Stream, gdb arrays, VTest sendhex,
/// agent debug lines, base64) or a raw SPOP byte stream. Prints every connection's timeline
/// with each finding under the frame it concerns. Shares it as a link to the web inspector
/// (--link) or a .spop bundle file (--bundle).
#[derive(Parser, Debug)]
#[command(name = "spop-inspect", version, after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    inspect: InspectArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List every validation rule (code, severity, name, title); with --format markdown or
    /// json, the explanations too.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print a completion script for SHELL, e.g.
    /// `spop-inspect completions bash > ~/.local/share/bash-completion/completions/spop-inspect`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Probe an agent: connect to it as HAProxy does, run a scripted conversation (every
    /// data type at its edges, frames at max-frame-size, small writes, pipelining on parallel
    /// connections, a DISCONNECT with NOTIFYs in flight, an idle connection), record it and
    /// report it like a capture. Exit status as for a capture; 2 when the agent cannot be
    /// probed (refused, unresolvable, not SPOP).
    Probe(ProbeArgs),
    /// Print the manual page (roff), e.g.
    /// `spop-inspect man > ~/.local/share/man/man1/spop-inspect.1`.
    Man,
}

/// `spop-inspect probe`.
#[derive(clap::Args, Debug)]
struct ProbeArgs {
    /// The agent: HOST:PORT, or a unix socket path (containing `/`, or `unix:PATH`).
    address: String,
    /// Which HAProxy to speak as: 3.1 (and later: capabilities `pipelining`, odd stream-ids per
    /// connection) or 3.0 (and earlier: `pipelining,async`, process-wide stream-ids).
    #[arg(long = "haproxy", value_enum, default_value = "3.1")]
    speak: probe::Speak,
    /// The longest wait for anything from the agent (connect, HELLO, each ACK), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = seconds)]
    timeout: f64,
    /// Connections run in parallel in the load phase.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    connections: u16,
    /// NOTIFYs per connection in the load phase (up to 20 in flight at once, as HAProxy).
    #[arg(long, value_name = "N", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    notifies: u32,
    /// How long the idle connection waits for the agent to close it, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0, value_parser = seconds)]
    idle: f64,
    /// Replay HAProxy's NOTIFYs of this capture (in order, on as many connections as it has)
    /// instead of the scripted cases.
    #[arg(long, value_name = "CAPTURE")]
    replay: Option<PathBuf>,
    /// With --replay: keep the capture's timing between NOTIFYs (default: as fast as the
    /// agent answers); a pause longer than --timeout is shortened to it.
    #[arg(long, requires = "replay")]
    replay_timing: bool,
    #[command(flatten)]
    report: ReportArgs,
}

/// A duration in seconds (fractions allowed), from a millisecond to a day: below that a wait
/// would round to nothing (every read ending at once).
fn seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("not a number of seconds: {s}"))?;
    if (0.001..=86_400.0).contains(&v) {
        Ok(v)
    } else {
        Err(String::from(
            "give a number of seconds from 0.001 (1 ms) to 86400",
        ))
    }
}

/// Runs `probe`: the session recorded and analysed.
fn probe(args: &ProbeArgs) -> Result<(Analysis, String), String> {
    let plan = probe::Plan {
        address: args.address.clone(),
        target: probe::target(&args.address)?,
        speak: args.speak,
        timeout: std::time::Duration::from_secs_f64(args.timeout),
        connections: usize::from(args.connections),
        notifies: args.notifies as usize,
        idle: std::time::Duration::from_secs_f64(args.idle),
        replay: args.replay.clone().map(|p| (p, args.replay_timing)),
    };
    let capture = probe::run(&plan)?;
    let options = AnalysisOptions {
        slow_ack: args.report.timeout_processing.map(HaproxyTime::as_nanos),
        ..AnalysisOptions::default()
    };
    Ok((
        analyze(capture, &options),
        format!("probe of {}", args.address),
    ))
}

/// `rules --format`: the catalogue's formats, described for the catalogue (the report's
/// descriptions would speak of timelines).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum RulesFormat {
    /// One line per rule: code, severity, name, title.
    Text,
    /// Every rule with its explanation, as a JSON array.
    Json,
    /// A table of the rules, then each rule's explanation, as Markdown.
    Markdown,
}

#[derive(clap::Args, Debug)]
struct InspectArgs {
    /// File to read, or `-` for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Further inputs: refused with a message (one report per run), where clap would read the
    /// second file name as an unknown subcommand.
    #[arg(hide = true)]
    more: Vec<PathBuf>,
    /// TCP port of the SPOP agent (repeatable). Default: recognise SPOP on any port by its
    /// HAPROXY-HELLO.
    #[arg(long = "port", value_name = "PORT")]
    ports: Vec<u16>,
    /// Threads for reassembling and analysing a large capture (0: one per core; at most 64). The
    /// report is the same for any number.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=64))]
    threads: u16,
    #[command(flatten)]
    report: ReportArgs,
}

/// How to report: shared by the inspection of an input and by `probe`.
#[derive(clap::Args, Debug)]
struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with status 1 when findings of this severity (or worse) exist.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Colour the text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Your SPOE engine's `timeout processing`: report ACKs that came later than this after
    /// their NOTIFY (SPOP-X008 slow-ack). Written as HAProxy writes it: 500ms, 2s, 1m; a bare
    /// number is milliseconds. `--slow-ack MS` (milliseconds, e.g. 50 or 2.5) is the same
    /// option under its older name.
    #[arg(long, value_name = "TIME", visible_alias = "slow-ack", value_parser = haproxy_time)]
    timeout_processing: Option<HaproxyTime>,
    /// Show only this connection (1-based, as numbered in the output) in the text and Markdown
    /// reports; with --link or --bundle, share only it. The exit status still counts every
    /// connection's findings.
    #[arg(long, value_name = "N")]
    connection: Option<usize>,
    /// Show at most this many frames per connection in the text timeline (0: all); frames
    /// with errors or warnings show past it, the rest is counted in one line.
    #[arg(long, value_name = "FRAMES", default_value_t = 200)]
    limit: usize,
    /// Print a link to the web inspector at BASE_URL that opens this capture (its SPOP
    /// conversations ride in the URL fragment, never sent to a server) instead of the report;
    /// with --format markdown, print the report with the link in it.
    #[arg(long, value_name = "BASE_URL")]
    link: Option<String>,
    /// Write the capture's SPOP conversations as a .spop bundle to FILE (what the web
    /// inspector downloads; both tools open it) instead of the text or JSON report.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Human-readable timeline.
    Text,
    /// The report as JSON (stable, documented in docs/json.md).
    Json,
    /// A report to paste into a bug tracker.
    Markdown,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FailOn {
    /// Exit 1 when there are errors.
    Error,
    /// Exit 1 when there are errors or warnings.
    Warning,
    /// Always exit 0 when the input could be read.
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Color {
    /// When standard output is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

const EXAMPLES: &str = "Examples:
  spop-inspect capture.pcap                       timeline and findings
  spop-inspect --port 12345 capture.pcapng        SPOP on a known agent port
  spop-inspect --format markdown capture.pcap     a report for a bug tracker
  spop-inspect --format json capture.pcap | jq '.findings[] | .code'
  spop-inspect --fail-on warning capture.pcap     in CI: exit 1 on warnings too
  spop-inspect --connection 3 --limit 0 cap.pcap  one connection, every frame
  spop-inspect --timeout-processing 500ms cap.pcap
                                                  flag ACKs later than HAProxy's timeout processing
  spop-inspect --slow-ack 50 capture.pcap         the same, in milliseconds: ACKs slower than 50 ms
  spop-inspect --link https://example.org/spop/ cap.pcap
                                                  a link that opens the capture in the browser
  spop-inspect --link URL --connection 2 cap.pcap a link to one connection (shorter)
  spop-inspect --format markdown --link URL cap.pcap
                                                  a bug report with the link in it
  spop-inspect --bundle cap.spop cap.pcap         the SPOP part as a .spop file to attach
  spop-inspect cap.spop                           read a bundle back
  tshark -r cap.pcap -q -z follow,tcp,hex,0 | spop-inspect -
  spop-inspect rules                              the rule catalogue
  spop-inspect probe 127.0.0.1:12345              play HAProxy against an agent and report it
  spop-inspect probe --fail-on warning /run/agent.sock
                                                  the same on a unix socket, for an agent's CI

Exit status: 0 clean, 1 findings at the --fail-on level, 2 unreadable input or no SPOP in it
(or an unwritable --bundle file).";

/// `--timeout-processing` (`--slow-ack`): a time as HAProxy writes it, the engine's reading.
fn haproxy_time(s: &str) -> Result<HaproxyTime, String> {
    s.parse().map_err(|e: TimeError| e.to_string())
}

/// Links longer than this are cut by chat tools and some browsers.
const LONG_LINK: usize = 32 << 10;

/// Reads the input (a file, or `-` for standard input) into the engine's loader, in 256 KiB
/// chunks read on a thread of their own ([`read::read`]): a pcap or pcapng file is never held
/// whole, only what TCP reassembly keeps.
fn load_input(
    path: &PathBuf,
    options: LoadOptions,
    progress: &mut dyn FnMut(Progress),
) -> io::Result<Loader> {
    let (reader, total): (Box<dyn Read + Send>, Option<u64>) = if path.as_os_str() == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let file = std::fs::File::open(path)?;
        let total = file.metadata().ok().map(|m| m.len());
        (Box::new(file), total)
    };
    let mut loader = Loader::new(options);
    if let Some(total) = total.and_then(|t| usize::try_from(t).ok()) {
        loader = loader.with_total(total);
    }
    read::read(reader, loader, progress)
}

fn inspect(args: &InspectArgs) -> Result<(Analysis, String), String> {
    let stdin = args.input.as_os_str() == "-";
    let name = if stdin {
        "standard input".to_string()
    } else {
        args.input.display().to_string()
    };
    // Nothing piped in and no file named: waiting on the terminal would look like a hang.
    if stdin && io::stdin().is_terminal() {
        return Err(String::from(
            "no input: name a capture file, or pipe one in (`spop-inspect -` reads standard input); see --help",
        ));
    }
    let at = |e: &dyn std::fmt::Display| format!("{name}: {e}");
    // On standard error when it is a terminal, cleared when this returns, before any output.
    let mut bar = progress::Bar::new(!stdin);
    let loader = load_input(
        &args.input,
        LoadOptions {
            ports: args.ports.clone(),
            threads: usize::from(args.threads),
        },
        &mut |p| bar.update(p),
    )
    .map_err(|e| at(&e))?;
    let options = AnalysisOptions {
        slow_ack: args.report.timeout_processing.map(HaproxyTime::as_nanos),
        threads: usize::from(args.threads),
        ..AnalysisOptions::default()
    };
    let mut analysis =
        analyze_loaded(loader, &options, &mut |p| bar.update(p)).map_err(|e| at(&e))?;
    // A share bundle says which `timeout processing` its author judged with: unless told
    // otherwise, judge as they did (what the link shows in the page).
    let shared = analysis
        .capture
        .shared
        .iter()
        .find(|(k, _)| k == share::TIMEOUT_PROCESSING_KEY)
        .and_then(|(_, v)| v.parse::<HaproxyTime>().ok());
    if let (None, Some(t)) = (args.report.timeout_processing, shared) {
        let options = AnalysisOptions {
            slow_ack: Some(t.as_nanos()),
            ..options
        };
        analysis = analyze(analysis.capture, &options);
    }
    // Nothing to inspect: say why (an unsupported link type, other traffic), as unreadable.
    if let Some(why) = analysis.capture.no_spop() {
        return Err(at(&why));
    }
    Ok((analysis, name))
}

/// The exit status `code` once the output is written, whether or not its reader stayed: a
/// closed pipe (`| head`) is not an error worth a message.
fn written(result: io::Result<()>, code: ExitCode) -> Result<ExitCode, String> {
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(code),
    }
}

fn run(cli: &Cli, out: &mut dyn Write) -> Result<ExitCode, String> {
    if let Some(Command::Completions { shell }) = &cli.command {
        manual::completions(*shell, <Cli as clap::CommandFactory>::command(), out);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(Command::Man) = &cli.command {
        let command = <Cli as clap::CommandFactory>::command();
        return written(manual::man(command, EXAMPLES, out), ExitCode::SUCCESS);
    }
    if let Some(Command::Probe(args)) = &cli.command {
        let (analysis, name) = probe(args)?;
        return report(&analysis, &name, &args.report, out);
    }
    if let Some(Command::Rules { format }) = &cli.command {
        let result = match format {
            RulesFormat::Json => serde_json::to_writer_pretty(&mut *out, CATALOGUE)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out)),
            RulesFormat::Markdown => out.write_all(markdown::rules().as_bytes()),
            RulesFormat::Text => text::rules(out),
        };
        return written(result, ExitCode::SUCCESS);
    }
    let args = &cli.inspect;
    if !args.more.is_empty() {
        let names: Vec<String> = std::iter::once(&args.input)
            .chain(&args.more)
            .map(|p| p.display().to_string())
            .collect();
        return Err(format!(
            "one input per run, got {}: {}. Inspect each in turn, e.g. `for f in *.pcap; do spop-inspect \"$f\"; done`",
            names.len(),
            names.join(", ")
        ));
    }
    let (analysis, name) = inspect(args)?;
    report(&analysis, &name, &args.report, out)
}

/// Writes the report of `analysis` (of input `name`) as `args` ask, shares it, and says which
/// exit status it deserves: for a capture and for a probe session alike.
fn report(
    analysis: &Analysis,
    name: &str,
    args: &ReportArgs,
    out: &mut dyn Write,
) -> Result<ExitCode, String> {
    if let Some(n) = args.connection {
        if n == 0 || n > analysis.connections.len() {
            return Err(format!(
                "--connection {n}: the capture has {} SPOP connection(s)",
                analysis.connections.len()
            ));
        }
    }
    // What --link and --bundle share: the capture's SPOP part, or the one connection asked for.
    // With the threshold it was analysed with, which the web inspector applies.
    let bundle = (args.link.is_some() || args.bundle.is_some()).then(|| {
        let mut b = match args.connection {
            Some(n) => Bundle::from_capture_connections(&analysis.capture, &[n - 1]),
            None => Bundle::from_capture(&analysis.capture),
        };
        if let Some(t) = args.timeout_processing {
            b.state
                .push((share::TIMEOUT_PROCESSING_KEY.into(), t.to_string()));
        }
        b
    });
    if let (Some(path), Some(b)) = (&args.bundle, &bundle) {
        let bytes = b.to_bytes();
        std::fs::write(path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!(
            "spop-inspect: wrote {} ({}, {} SPOP connection(s))",
            Escaped(&path.display().to_string()),
            size(bytes.len()),
            b.connections.len()
        );
    }
    let link = args
        .link
        .as_deref()
        .zip(bundle.as_ref())
        .map(|(base, b)| share::link(base, b));
    if let Some(l) = &link {
        if l.len() > LONG_LINK {
            eprintln!("spop-inspect: {}", long_link_hint(analysis, args, l.len()));
        }
    }
    let (errors, warnings, _) = analysis.counts();
    let fail = match args.fail_on {
        FailOn::Error => errors > 0,
        FailOn::Warning => errors + warnings > 0,
        FailOn::Never => false,
    };
    let code = if fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    let result = match (args.format, &link) {
        (Format::Markdown, _) => {
            let report = match args.connection {
                // The report covers what the link and the bundle carry: that connection alone,
                // analysed as the web inspector will analyse it.
                Some(n) => {
                    let one = bundle.unwrap_or_else(|| {
                        Bundle::from_capture_connections(&analysis.capture, &[n - 1])
                    });
                    let mut capture = one.to_capture();
                    capture.input = analysis.capture.input;
                    let part = analyze(capture, &analysis.options);
                    markdown::markdown(
                        &part,
                        &MarkdownOptions {
                            name: &format!("{name}, connection {n}"),
                            link: link.as_deref(),
                            ..MarkdownOptions::default()
                        },
                    )
                }
                None => markdown::markdown(
                    analysis,
                    &MarkdownOptions {
                        name,
                        link: link.as_deref(),
                        ..MarkdownOptions::default()
                    },
                ),
            };
            out.write_all(report.as_bytes())
        }
        (_, Some(l)) => writeln!(out, "{l}"),
        _ if args.bundle.is_some() => Ok(()),
        (Format::Json, None) => json::write(&mut *out, &Report::streamed(analysis))
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        (Format::Text, None) => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                // NO_COLOR counts when set to something (no-color.org), not when empty.
                Color::Auto => {
                    io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            let view = text::View {
                color,
                connection: args.connection.map(|n| n - 1),
                limit: args.limit,
            };
            text::report(out, analysis, &view)
        }
    };
    written(result, code)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = run(&cli, &mut out);
    let flushed = out.flush();
    match result.and_then(|code| written(flushed, code)) {
        Ok(code) => code,
        Err(e) => {
            // Messages quote the input (a file name, an excerpt of pasted text): the engine
            // escapes what it quotes, and standard error gets the same escape once more as a
            // last line of defence (idempotent: escaped text is plain ASCII there).
            eprintln!("spop-inspect: {}", Escaped(&e));
            ExitCode::from(2)
        }
    }
}

/// Why a long link may not arrive whole, and what to share instead.
fn long_link_hint(a: &Analysis, args: &ReportArgs, len: usize) -> String {
    let mut hint = format!(
        "the link is {}: chat tools and some browsers cut links longer than about {}.",
        size(len),
        size(LONG_LINK)
    );
    // The connection with the most SPOP bytes is what makes the link long.
    let largest = a
        .capture
        .connections
        .iter()
        .max_by_key(|c| c.streams.iter().map(|s| s.data.len()).sum::<usize>());
    if let (None, Some(c), true) = (args.connection, largest, a.capture.connections.len() > 1) {
        let bytes: usize = c.streams.iter().map(|s| s.data.len()).sum();
        hint.push_str(&format!(
            " Share one connection with --connection N (the largest is --connection {}, {} of SPOP data),",
            c.id + 1,
            size(bytes)
        ));
        hint.push_str(" or share the .spop file (--bundle FILE) instead.");
    } else {
        hint.push_str(" Share the .spop file (--bundle FILE) instead.");
    }
    hint
}

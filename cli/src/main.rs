//! `spop-inspect`: decode and validate SPOP traffic in a terminal or a CI pipeline.

mod markdown;
mod text;

use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use spop_codec::analysis::{analyze, Analysis, AnalysisOptions, Severity, CATALOGUE};
use spop_codec::capture::{load, LoadOptions};
use spop_codec::report::Report;

/// Decode and validate SPOP (HAProxy Stream Processing Offload Protocol) traffic.
///
/// Reads a packet capture (pcap, pcapng), text (hex in any common dump format: xxd,
/// hexdump -C, od, tcpdump -X, tshark/Wireshark Follow TCP Stream, gdb arrays, VTest sendhex,
/// agent debug lines, base64) or a raw SPOP byte stream. Prints every connection's timeline
/// with each finding under the frame it concerns.
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
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(clap::Args, Debug)]
struct InspectArgs {
    /// File to read, or `-` for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// TCP port of the SPOP agent (repeatable). Default: recognise SPOP on any port by its
    /// HAPROXY-HELLO.
    #[arg(long = "port", value_name = "PORT")]
    ports: Vec<u16>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with status 1 when findings of this severity (or worse) exist.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Colour the text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Report ACKs slower than this many milliseconds (SPOP-X008).
    #[arg(long, value_name = "MS")]
    slow_ack: Option<f64>,
    /// Show only this connection (1-based, as numbered in the output).
    #[arg(long, value_name = "N")]
    connection: Option<usize>,
    /// Show at most this many frames per connection in the text timeline (0: all).
    #[arg(long, value_name = "FRAMES", default_value_t = 200)]
    limit: usize,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Human-readable timeline.
    Text,
    /// The report as JSON (stable, documented in the README).
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
  spop-inspect --slow-ack 50 capture.pcap         flag ACKs slower than 50 ms
  tshark -r cap.pcap -q -z follow,tcp,hex,0 | spop-inspect -
  spop-inspect rules                              the rule catalogue

Exit status: 0 clean, 1 findings at the --fail-on level, 2 unreadable input.";

fn read_input(path: &PathBuf) -> io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

fn inspect(args: &InspectArgs) -> Result<(Analysis, String), String> {
    let input = read_input(&args.input).map_err(|e| format!("{}: {e}", args.input.display()))?;
    let capture = load(
        &input,
        &LoadOptions {
            ports: args.ports.clone(),
        },
    )
    .map_err(|e| format!("{}: {e}", args.input.display()))?;
    let options = AnalysisOptions {
        slow_ack: args.slow_ack.map(|ms| (ms * 1e6) as u64),
        ..AnalysisOptions::default()
    };
    let name = if args.input.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        args.input.display().to_string()
    };
    Ok((analyze(capture, &options), name))
}

fn run(cli: &Cli, out: &mut dyn Write) -> Result<ExitCode, String> {
    let io_err = |e: io::Error| e.to_string();
    if let Some(Command::Rules { format }) = &cli.command {
        match format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, CATALOGUE).map_err(|e| e.to_string())?;
                writeln!(out).map_err(io_err)?;
            }
            Format::Markdown => markdown::rules(out).map_err(io_err)?,
            Format::Text => text::rules(out).map_err(io_err)?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let args = &cli.inspect;
    let (analysis, name) = inspect(args)?;
    if let Some(n) = args.connection {
        if n == 0 || n > analysis.connections.len() {
            return Err(format!(
                "--connection {n}: the capture has {} SPOP connection(s)",
                analysis.connections.len()
            ));
        }
    }
    match args.format {
        Format::Json => {
            serde_json::to_writer(&mut *out, &Report::new(&analysis)).map_err(|e| e.to_string())?;
            writeln!(out).map_err(io_err)?;
        }
        Format::Markdown => markdown::report(out, &analysis, &name).map_err(io_err)?,
        Format::Text => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
            let view = text::View {
                color,
                connection: args.connection.map(|n| n - 1),
                limit: args.limit,
            };
            text::report(out, &analysis, &view).map_err(io_err)?;
        }
    }
    let (errors, warnings, _) = analysis.counts();
    let fail = match args.fail_on {
        FailOn::Error => errors > 0,
        FailOn::Warning => errors + warnings > 0,
        FailOn::Never => false,
    };
    Ok(if fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = run(&cli, &mut out);
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(code), Ok(())) => code,
        // A closed pipe (`| head`) is not an error worth a message.
        (Ok(code), Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => code,
        (Ok(_), Err(e)) => {
            eprintln!("spop-inspect: {e}");
            ExitCode::from(2)
        }
        (Err(e), _) => {
            eprintln!("spop-inspect: {e}");
            ExitCode::from(2)
        }
    }
}

/// `error`, `warning`, `info` with their counts, for summaries.
pub(crate) fn counts_line(errors: usize, warnings: usize, infos: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {} info",
        plural(errors, "error"),
        plural(warnings, "warning"),
        infos
    )
}

pub(crate) fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

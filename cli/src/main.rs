//! `spop-inspect`: decode SPOP traffic in a terminal or a CI pipeline.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use spop_codec::capture::text::{self, TextContent};
use spop_codec::wire::{Frames, Limits};

/// Decode SPOP (HAProxy Stream Processing Offload Protocol) frames.
///
/// The input is a raw SPOP byte stream (binary) or text: hex in any common dump format
/// (plain hex, xxd, hexdump -C, od), base64, or tshark/Wireshark Follow TCP Stream output.
#[derive(Parser, Debug)]
#[command(name = "spop-inspect", version, after_help = EXAMPLES)]
struct Args {
    /// File to read, or `-` for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
}

const EXAMPLES: &str = "Examples:
  spop-inspect agent-stream.bin
  echo '0000000767000000010101' | spop-inspect
  tshark -r capture.pcap -q -z follow,tcp,hex,0 | spop-inspect -";

fn read_input(path: &PathBuf) -> io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

/// The byte streams in the input: parsed text, or the bytes themselves.
fn streams(input: Vec<u8>) -> Result<(String, Vec<Vec<u8>>), String> {
    if !text::looks_like_text(&input) {
        return Ok(("raw SPOP byte stream".to_string(), vec![input]));
    }
    let text = String::from_utf8_lossy(&input);
    let parsed = text::parse(&text).map_err(|e| e.to_string())?;
    let streams = match parsed.content {
        TextContent::Bytes(b) => vec![b],
        TextContent::Connections(conns) => conns
            .iter()
            .flat_map(|c| [c.peer_bytes(0), c.peer_bytes(1)])
            .filter(|b| !b.is_empty())
            .collect(),
        TextContent::Packets(_) => {
            return Err(
                "packet-level text (tcpdump output) needs the TCP payload instead: \
                        use `tshark -q -z follow,tcp,hex,N`"
                    .to_string(),
            )
        }
    };
    Ok((parsed.format.label().to_string(), streams))
}

fn run(args: &Args, out: &mut impl Write) -> Result<bool, String> {
    let input = read_input(&args.input).map_err(|e| format!("{}: {e}", args.input.display()))?;
    if input.is_empty() {
        return Err(format!("{}: empty input", args.input.display()));
    }
    let (format, streams) = streams(input)?;
    let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| e.to_string());
    w(out, format!("input: {format}, {} stream(s)", streams.len()))?;
    let mut clean = true;
    for (i, stream) in streams.iter().enumerate() {
        w(out, format!("\nstream {} ({} bytes)", i + 1, stream.len()))?;
        let mut frames = Frames::new(stream, 0, Limits::default());
        for f in frames.by_ref() {
            match f {
                Ok(f) => {
                    w(
                        out,
                        format!(
                            "  {:#07x}  {:<18} sid={:<6} fid={:<3} len={:<5} {}",
                            f.span().start,
                            f.frame_type().to_string(),
                            f.stream_id(),
                            f.frame_id(),
                            f.length(),
                            f.summary()
                        ),
                    )?;
                    clean &= f.payload_error().is_none();
                }
                Err(e) => {
                    w(out, format!("  error: {e}"))?;
                    clean = false;
                }
            }
        }
        if !frames.rest().is_empty() {
            w(
                out,
                format!(
                    "  {} byte(s) left undecoded at offset {:#x}",
                    frames.rest().len(),
                    frames.offset()
                ),
            )?;
            clean = false;
        }
    }
    Ok(clean)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let stdout = io::stdout();
    match run(&args, &mut stdout.lock()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("spop-inspect: {e}");
            ExitCode::from(2)
        }
    }
}

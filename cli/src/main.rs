//! `spop-inspect`: decode SPOP traffic in a terminal or a CI pipeline.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use spop_codec::capture::spop::StreamItem;
use spop_codec::capture::{load, LoadOptions};
use spop_codec::wire::{decode_frame, Direction, Limits, Status};

/// Decode SPOP (HAProxy Stream Processing Offload Protocol) traffic.
///
/// The input is a packet capture (pcap, pcapng), text (hex in any common dump format, xxd,
/// hexdump -C, od, base64, tcpdump -X, tshark/Wireshark Follow TCP Stream, gdb arrays, VTest
/// sendhex, agent debug lines) or a raw SPOP byte stream.
#[derive(Parser, Debug)]
#[command(name = "spop-inspect", version, after_help = EXAMPLES)]
struct Args {
    /// File to read, or `-` for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// TCP port(s) of the SPOP agent; by default SPOP is recognised on any port.
    #[arg(long = "port", value_name = "PORT")]
    ports: Vec<u16>,
}

const EXAMPLES: &str = "Examples:
  spop-inspect capture.pcap
  spop-inspect --port 12345 capture.pcapng
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

/// Seconds.micros since the first packet.
fn rel_time(ns: u64, start: u64) -> String {
    let d = ns.saturating_sub(start);
    format!("{:>4}.{:06}", d / 1_000_000_000, (d % 1_000_000_000) / 1000)
}

fn run(args: &Args, out: &mut impl Write) -> Result<bool, String> {
    let input = read_input(&args.input).map_err(|e| format!("{}: {e}", args.input.display()))?;
    let options = LoadOptions {
        ports: args.ports.clone(),
    };
    let capture = load(&input, &options).map_err(|e| format!("{}: {e}", args.input.display()))?;
    let mut text = String::new();
    let mut clean = true;
    use std::fmt::Write as _;
    let _ = writeln!(
        text,
        "input: {}; {} packet(s), {} SPOP connection(s), {} other TCP connection(s)",
        capture.input,
        capture.packets,
        capture.connections.len(),
        capture.other_connections
    );
    let start = capture
        .connections
        .iter()
        .map(|c| c.first.timestamp)
        .min()
        .unwrap_or(0);
    for conn in &capture.connections {
        let who = match (conn.haproxy, conn.agent) {
            (Some(h), Some(a)) => format!("HAProxy {h} → agent {a}"),
            _ => "addresses unknown".to_string(),
        };
        let _ = writeln!(text, "\nconnection {} ({who})", conn.id + 1);
        let mut lines = Vec::new();
        for dir in [Direction::HaproxyToAgent, Direction::AgentToHaproxy] {
            let data = &conn.stream(dir).data;
            let arrow = match dir {
                Direction::HaproxyToAgent => "→",
                Direction::AgentToHaproxy => "←",
            };
            for item in conn.items(dir) {
                let packet = item.packet(conn.stream(dir));
                let time = packet.timestamp;
                let decoded = item.frame_bytes(data);
                let frame = decoded.as_deref().and_then(|b| {
                    match decode_frame(b, item.offset(), Limits::default()) {
                        Ok(Status::Complete(f)) => Some(f),
                        _ => None,
                    }
                });
                let line = match (frame, item) {
                    (Some(f), _) => {
                        clean &=
                            f.payload_error().is_none() && !matches!(item, StreamItem::Split(_));
                        let mut line = format!(
                            "{} {arrow} {:<18} sid={:<6} fid={:<3} {}",
                            rel_time(time, start),
                            f.frame_type().to_string(),
                            f.stream_id(),
                            f.frame_id(),
                            f.summary()
                        );
                        if let StreamItem::Split(_) = item {
                            line.push_str(&format!("\n                ({item})"));
                        }
                        line
                    }
                    (None, other) => {
                        clean = false;
                        format!("{} {arrow} {other}", rel_time(time, start))
                    }
                };
                lines.push(((time, packet.number), line));
            }
        }
        lines.sort_by_key(|l| l.0);
        for (_, l) in lines {
            let _ = writeln!(text, "  {l}");
        }
    }
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(clean && !capture.connections.is_empty())
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

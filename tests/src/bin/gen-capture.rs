//! Writes a realistic SPOP capture of a given size: HAProxy ↔ agent conversations (HELLOs,
//! NOTIFY/ACK pairs, DISCONNECTs) over many TCP connections, several open at once so their
//! packets interleave as in real traffic. Used by the benchmarks and the large-input tests.
//!
//! ```text
//! gen-capture OUT.pcap [--size 100M] [--shape compact|rich] [--parallel 8] [--requests 500] [--seed 1]
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use spop_codec::synth::{conversation_shaped, Conversation, Generation, Rng, Shape};
use spop_tests::pcapgen::TcpConversation;

struct Options {
    out: String,
    size: u64,
    shape: Shape,
    parallel: usize,
    requests: usize,
    seed: u64,
}

fn parse_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        out: String::new(),
        size: 100 << 20,
        shape: Shape::Compact,
        parallel: 8,
        requests: 500,
        seed: 1,
    };
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--size" => o.size = parse_size(&value()?).ok_or("bad --size")?,
            "--shape" => {
                o.shape = match value()?.as_str() {
                    "compact" => Shape::Compact,
                    "rich" => Shape::Rich,
                    other => return Err(format!("unknown shape {other}")),
                }
            }
            "--parallel" => o.parallel = value()?.parse().map_err(|_| "bad --parallel")?,
            "--requests" => o.requests = value()?.parse().map_err(|_| "bad --requests")?,
            "--seed" => o.seed = value()?.parse().map_err(|_| "bad --seed")?,
            "-h" | "--help" => return Err(String::new()),
            out if o.out.is_empty() && !out.starts_with('-') => o.out = out.to_string(),
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    if o.out.is_empty() {
        return Err("no output file".into());
    }
    Ok(o.parallel.max(1)).map(|p| Options { parallel: p, ..o })
}

/// One connection being written: its frames in wire order and its TCP state.
struct Live {
    conv: Conversation,
    tcp: TcpConversation,
    next: usize,
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gen-capture: {e}");
            }
            eprintln!("usage: gen-capture OUT.pcap [--size 100M] [--shape compact|rich] [--parallel 8] [--requests 500] [--seed 1]");
            return ExitCode::from(2);
        }
    };
    match generate(&o) {
        Ok((bytes, packets, frames, conns)) => {
            eprintln!(
                "{}: {bytes} bytes, {packets} packets, {frames} SPOP frames, {conns} connections",
                o.out
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-capture: {}: {e}", o.out);
            ExitCode::from(1)
        }
    }
}

fn generate(o: &Options) -> std::io::Result<(u64, u64, u64, u64)> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&o.out)?);
    // pcap header: little-endian, microseconds, Ethernet.
    out.write_all(&[
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ])?;
    let mut written = 24u64;
    let mut time_us: u64 = 1_795_000_000_000_000;
    let (mut packets, mut frames, mut conns) = (0u64, 0u64, 0u64);
    let mut rng = Rng::new(o.seed);
    let mut live: Vec<Live> = Vec::new();
    let mut next_port = 20_000u16;
    let mut next_sid = 0u64;
    // Packet spacing has its own generator so the traffic does not depend on it.
    let mut clock = Rng::new(o.seed.wrapping_add(1));
    let mut record =
        |out: &mut BufWriter<File>, bytes: &[u8], written: &mut u64| -> std::io::Result<()> {
            time_us += 20 + clock.below(80);
            let (s, us) = ((time_us / 1_000_000) as u32, (time_us % 1_000_000) as u32);
            let len = bytes.len() as u32;
            for v in [s, us, len, len] {
                out.write_all(&v.to_le_bytes())?;
            }
            out.write_all(bytes)?;
            *written += 16 + bytes.len() as u64;
            Ok(())
        };
    let mut turn = 0usize;
    loop {
        // Keep `parallel` connections open while there is room for more.
        while live.len() < o.parallel && written < o.size {
            let conv =
                conversation_shaped(&mut rng, Generation::Legacy, next_sid, o.requests, o.shape);
            next_sid += o.requests as u64;
            let client = format!("127.0.0.1:{next_port}");
            next_port = if next_port == 60_000 {
                20_000
            } else {
                next_port + 1
            };
            let mut tcp = TcpConversation::new(client.as_str(), "127.0.0.1:12345")
                .isn(rng.next_u64() as u32, rng.next_u64() as u32);
            for p in tcp.handshake() {
                record(&mut out, &p.ethernet(), &mut written)?;
                packets += 1;
            }
            conns += 1;
            live.push(Live { conv, tcp, next: 0 });
        }
        if live.is_empty() {
            break;
        }
        turn = (turn + 1) % live.len();
        let Some(l) = live.get_mut(turn) else { break };
        // Write the connection's next frame as one TCP segment.
        if let Some((from_haproxy, range)) = l.conv.order.get(l.next).cloned() {
            l.next += 1;
            let bytes = if from_haproxy {
                &l.conv.haproxy[range]
            } else {
                &l.conv.agent[range]
            };
            let p = if from_haproxy {
                l.tcp.client(bytes)
            } else {
                l.tcp.server(bytes)
            };
            record(&mut out, &p.ethernet(), &mut written)?;
            packets += 1;
            frames += 1;
        } else {
            for p in [l.tcp.client_fin(), l.tcp.server_fin(), l.tcp.client_ack()] {
                record(&mut out, &p.ethernet(), &mut written)?;
                packets += 1;
            }
            live.swap_remove(turn);
        }
    }
    out.flush()?;
    Ok((written, packets, frames, conns))
}

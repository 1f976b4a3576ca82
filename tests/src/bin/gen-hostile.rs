//! Writes hostile inputs.
//!
//! ```text
//! gen-hostile OUT.pcap                         the hostile-strings capture (spop_tests::hostile)
//! gen-hostile --shape NAME [--size N] OUT      a shape of spop_tests::shapes, N bytes expanded:
//!     resync-paste    an xxd line of fake frame starts and `*` (CPU; N up to 16M)
//!     broken-dump     a hexdump -C of broken 16-byte frames and `*` (memory; N up to 16M)
//!     broken-link     a share link of broken 12-byte frames (memory; N up to 64M)
//!     unpaired-link   a share link of unpaired NOTIFYs and ACKs with distinct ids (N up to 64M)
//!     broken-bundle, unpaired-bundle   the same as .spop bundle files
//!     huge-gaps       a .spop bundle claiming two gaps of 2^63 bytes
//!     connections     a .spop bundle of N empty connections (default: the most accepted)
//!     stacked-gaps    a .spop bundle of N one-byte gaps at one offset (default: 16 M)
//!     oversized-ack   a pcap with a complete 16,505-byte ACK (max-frame-size 16380)
//! ```
//!
//! Sizes take a K or M suffix; the default is the cap the input kind expands to.

use std::process::ExitCode;

use spop_tests::shapes;

fn size(s: &str) -> Option<usize> {
    let (n, unit) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1 << 10),
        b'm' | b'M' => (&s[..s.len() - 1], 1 << 20),
        _ => (s, 1),
    };
    n.parse::<usize>().ok()?.checked_mul(unit)
}

fn run(args: &[String]) -> Result<(String, Vec<u8>), String> {
    match args {
        [out] => Ok((out.clone(), spop_tests::hostile::capture())),
        [flag, name, rest @ ..] if flag == "--shape" => {
            let (n, out) = match rest {
                [s, n, out] if s == "--size" => (Some(size(n).ok_or("bad --size")?), out),
                [out] => (None, out),
                _ => return Err("usage: gen-hostile --shape NAME [--size N] OUT".into()),
            };
            let dump_cap = 16 << 20;
            // What a bundle may inflate to, less room for its own fields.
            let bundle_cap = (64 << 20) - 4096;
            let bytes = match name.as_str() {
                "resync-paste" => shapes::resync_paste(n.unwrap_or(dump_cap)).into_bytes(),
                "broken-dump" => shapes::broken_frames_dump(n.unwrap_or(dump_cap)).into_bytes(),
                "broken-link" => {
                    shapes::broken_frames_link(n.unwrap_or(bundle_cap) / 12).into_bytes()
                }
                "unpaired-link" => shapes::unpaired_ids_link(n.unwrap_or(bundle_cap)).into_bytes(),
                "broken-bundle" => {
                    shapes::broken_frames_bundle(n.unwrap_or(bundle_cap) / 12).to_bytes()
                }
                "unpaired-bundle" => {
                    shapes::unpaired_ids_bundle(n.unwrap_or(bundle_cap)).to_bytes()
                }
                "huge-gaps" => shapes::huge_gaps_bundle().to_bytes(),
                "connections" => shapes::empty_connections_bundle(
                    n.unwrap_or(spop_codec::capture::bundle::MAX_CONNECTIONS),
                )
                .to_bytes(),
                "stacked-gaps" => {
                    shapes::stacked_gaps_bundle(n.unwrap_or(bundle_cap / 4)).to_bytes()
                }
                "oversized-ack" => shapes::oversized_ack_pcap(),
                other => return Err(format!("unknown shape {other}")),
            };
            Ok((out.clone(), bytes))
        }
        _ => Err("usage: gen-hostile OUT.pcap | gen-hostile --shape NAME [--size N] OUT".into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, bytes) = match run(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("gen-hostile: {e}");
            return ExitCode::from(2);
        }
    };
    match std::fs::write(&out, &bytes) {
        Ok(()) => {
            if args.len() > 1 {
                eprintln!("{out}: {} bytes", bytes.len());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-hostile: {out}: {e}");
            ExitCode::from(1)
        }
    }
}

//! Writes the hostile-strings capture (see `spop_tests::hostile`): `gen-hostile OUT.pcap`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: gen-hostile OUT.pcap");
        return ExitCode::from(2);
    };
    match std::fs::write(&out, spop_tests::hostile::capture()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-hostile: {out}: {e}");
            ExitCode::from(1)
        }
    }
}

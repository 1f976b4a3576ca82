//! What an installed command line is expected to have: `--version`, shell completions, a
//! manual page, captures read from a pipe as from a file, and a progress bar on standard error
//! only when it is a terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_spop-inspect");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

/// `spop-inspect ARGS` with `stdin` written to it through a pipe, a few hundred bytes at a time
/// as a capture tool writes it.
fn run(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    for chunk in stdin.chunks(300) {
        pipe.write_all(chunk).unwrap();
        pipe.flush().unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.code().is_some_and(|c| c < 2),
        "exit {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn version_is_the_crate_version() {
    for flag in ["--version", "-V"] {
        let out = ok(&run(&[flag], b"", &[]));
        assert_eq!(out, format!("spop-inspect {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let mut scripts = Vec::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(&run(&["completions", shell], b"", &[]));
        // Every option, the subcommands and the formats' values are offered.
        for word in [
            "slow-ack",
            "fail-on",
            "format",
            "rules",
            "completions",
            "markdown",
        ] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
        scripts.push(script);
    }
    assert!(
        scripts[0].contains("complete -F _spop__inspect"),
        "{}",
        scripts[0]
    );
    assert!(scripts[1].starts_with("#compdef spop-inspect\n"));
    assert!(scripts[2].contains("complete -c spop-inspect"));
    // The bash script is valid bash (bash is there wherever the tests run).
    let mut check = Command::new("bash")
        .args(["-n"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(scripts[0].as_bytes())
        .unwrap();
    let checked = check.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    // An unknown shell is refused as a usage error.
    let refused = run(&["completions", "tcsh"], b"", &[]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn man_page_documents_options_subcommands_examples_and_exit_status() {
    let page = ok(&run(&["man"], b"", &[]));
    assert!(
        page.lines().any(|l| l.starts_with(".TH spop-inspect 1 ")),
        "{page}"
    );
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
        ".SH EXAMPLES",
        ".SH \"EXIT STATUS\"",
        ".SH VERSION",
    ] {
        assert!(page.contains(section), "{section} missing");
    }
    // Options as roff writes them (hyphens escaped), and an example line left unfilled.
    assert!(page.contains("\\-\\-slow\\-ack"));
    assert!(page.contains(".nf\n  spop\\-inspect capture.pcap "));
    // No page is announced for `help`, which has none.
    assert!(!page.contains("spop\\-inspect\\-help"));

    // man renders it without a warning, where man is installed.
    if let Ok(render) = Command::new("man")
        .args(["--warnings", "-l", "-"])
        .env("MANWIDTH", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        let mut render = render;
        render
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let out = render.wait_with_output().unwrap();
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("EXIT STATUS"), "{text}");
            assert!(text.contains("--slow-ack"), "{text}");
            assert_eq!(String::from_utf8_lossy(&out.stderr), "", "man's warnings");
        }
    }
}

#[test]
fn a_capture_piped_in_reads_as_the_file_does() {
    for name in [
        "haproxy26-interleaved-disconnect.pcap",
        "haproxy34-clean.pcapng",
        "haproxy26-pyagent.pcap",
    ] {
        let path = fixture(name);
        let bytes = std::fs::read(&path).unwrap();
        let file = path.to_str().unwrap();
        for format in ["json", "markdown"] {
            let args = ["--format", format, "--fail-on", "never"];
            let from_file = ok(&run(&[&args[..], &[file]].concat(), b"", &[]));
            let from_pipe = ok(&run(&[&args[..], &["-"]].concat(), &bytes, &[]));
            // The Markdown report names its input; JSON names none.
            let from_pipe = from_pipe.replace("standard input", file);
            assert_eq!(from_pipe, from_file, "{name} {format}");
        }
        // No input named at all is standard input too.
        let json = ok(&run(
            &["--format", "json", "--fail-on", "never"],
            &bytes,
            &[],
        ));
        let want = ok(&run(
            &["--format", "json", "--fail-on", "never", file],
            b"",
            &[],
        ));
        assert_eq!(json, want, "{name}");
    }
}

/// Single-quoted for sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn the_progress_bar_is_drawn_on_a_terminal_only_and_never_on_stdout() {
    let pcap = fixture("haproxy26-interleaved-disconnect.pcap");
    let pcap = pcap.to_str().unwrap();
    let want = ok(&run(
        &["--format", "json", "--fail-on", "never", pcap],
        b"",
        &[],
    ));
    // Draw from the start (a fixture is read faster than the usual delay).
    let now = [("SPOP_INSPECT_PROGRESS_DELAY_MS", "0")];

    // Not a terminal (a pipe, as in CI): not a byte on standard error, for a file or a pipe.
    for format in ["json", "text"] {
        let args = ["--format", format, "--fail-on", "never"];
        let piped = run(&[&args[..], &[pcap]].concat(), b"", &now);
        ok(&piped);
        assert_eq!(String::from_utf8_lossy(&piped.stderr), "", "{format}");
        let bytes = std::fs::read(pcap).unwrap();
        let piped = run(&[&args[..], &["-"]].concat(), &bytes, &now);
        ok(&piped);
        assert_eq!(String::from_utf8_lossy(&piped.stderr), "", "{format}, -");
    }

    // Standard error a terminal: `script` (util-linux) runs the command in a pseudo-terminal
    // and copies what it writes there (its standard error) to its own output, while the
    // report goes to a file.
    let dir = std::env::temp_dir().join(format!("spop-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.json");
    let pty = |input: &str, env: &[(&str, &str)]| -> Option<(String, String)> {
        let command = format!(
            "{} --format json --fail-on never {input} > {}",
            sh_quote(BIN),
            sh_quote(report.to_str().unwrap())
        );
        let out = Command::new("script")
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .envs(env.iter().copied())
            .env("TERM", "xterm")
            .stdin(Stdio::null())
            .output()
            .ok()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let terminal = String::from_utf8_lossy(&out.stdout).into_owned();
        Some((terminal, std::fs::read_to_string(&report).unwrap()))
    };
    let Some((terminal, json)) = pty(&sh_quote(pcap), &now) else {
        eprintln!("no `script` (util-linux) here: the terminal half is not run");
        return;
    };
    assert_eq!(json, want, "standard output is the same report");
    for stage in ["reading packets", "%"] {
        assert!(terminal.contains(stage), "{stage:?} in {terminal:?}");
    }
    // Cleared at the end: the last thing written erases the bar's line.
    assert!(
        terminal.trim_end_matches(['\r', '\n']).ends_with("\x1b[2K"),
        "{terminal:?}"
    );

    // From a pipe, whose size is unknown: the bytes read, then the stages.
    let (terminal, json) = pty(&format!("- < {}", sh_quote(pcap)), &now).unwrap();
    assert_eq!(json, want);
    assert!(terminal.contains("reading packets: "), "{terminal:?}");
    assert!(
        terminal.contains("running the validation rules"),
        "{terminal:?}"
    );

    // A capture read in a moment (the usual delay) shows no bar at all.
    let (terminal, json) = pty(&sh_quote(pcap), &[]).unwrap();
    assert_eq!(json, want);
    assert_eq!(terminal, "", "no bar for a small capture");
    let _ = std::fs::remove_dir_all(&dir);
}

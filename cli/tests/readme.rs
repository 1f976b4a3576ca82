//! The README's sample of the text output is what the CLI prints: the same lines, in the same
//! order, none left out. A line the README shortens (ending in `…`) must start the real line.

use std::process::Command;

/// The README's ```text block that starts with `$ COMMAND`: the command and the lines after it.
fn sample(readme: &str, command_prefix: &str) -> Option<(String, Vec<String>)> {
    let start = readme.find(&format!("```text\n$ {command_prefix}"))?;
    let block = readme.get(start + "```text\n".len()..)?;
    let block = block.get(..block.find("\n```")?)?;
    let mut lines = block.lines();
    let command = lines.next()?.strip_prefix("$ ")?.to_string();
    Some((command, lines.map(String::from).collect()))
}

#[test]
fn the_readme_sample_is_the_real_output() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let (command, want) = sample(&readme, "spop-inspect ").expect("a sample of the text output");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
        .args(&args)
        .current_dir(root)
        .output()
        .unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got.len(), want.len(), "line count: {got:#?}");
    for (g, w) in got.iter().zip(&want) {
        match w.strip_suffix('…') {
            Some(prefix) => assert!(g.starts_with(prefix), "README: {w}\nreal:   {g}"),
            None => assert_eq!(g, w),
        }
    }
}

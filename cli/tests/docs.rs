//! The documents the code points to are in the repository and say what the code does:
//! `docs/rules.md` is exactly what `spop-inspect rules --format markdown` prints, every
//! `docs/….md` named in a source, script or page exists, and nothing points to the developers'
//! old notes outside the repository anymore.

use std::path::{Path, PathBuf};
use std::process::Command;

const REGENERATE: &str = "cargo run -p spop-inspect -- rules --format markdown > docs/rules.md";

/// Files whose text is searched for document pointers.
const EXTENSIONS: &[&str] = &["rs", "md", "sh", "mjs", "html", "toml"];

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).to_path_buf()
}

#[test]
fn rules_md_is_the_generated_catalogue() {
    let out = Command::new(env!("CARGO_BIN_EXE_spop-inspect"))
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let committed = std::fs::read(root().join("docs/rules.md")).unwrap_or_default();
    if committed != out.stdout {
        let got = String::from_utf8_lossy(&committed);
        let want = String::from_utf8_lossy(&out.stdout);
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(g, w)| g != w)
            .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
        panic!(
            "docs/rules.md is not the rule catalogue the code generates (first difference at \
             line {}: {:?} in the file, {:?} generated); regenerate it with `{REGENERATE}`",
            first + 1,
            got.lines().nth(first).unwrap_or("<end of file>"),
            want.lines().nth(first).unwrap_or("<end of output>"),
        );
    }
}

/// What `.gitignore` leaves out (build outputs, dependencies, fuzz corpora): root-anchored
/// paths and names ignored anywhere. Hidden directories, `target` and `node_modules` are
/// always skipped.
struct Ignored {
    anchored: Vec<PathBuf>,
    names: Vec<String>,
}

impl Ignored {
    fn read(root: &Path) -> Ignored {
        let mut ignored = Ignored {
            anchored: Vec::new(),
            names: vec!["target".into(), "node_modules".into()],
        };
        let text = std::fs::read_to_string(root.join(".gitignore")).unwrap_or_default();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.trim_end_matches('/');
            match line.strip_prefix('/') {
                Some(path) => ignored.anchored.push(root.join(path)),
                None => ignored.names.push(line.into()),
            }
        }
        ignored
    }

    fn skips(&self, path: &Path) -> bool {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.starts_with('.')
            || self.names.iter().any(|n| n == name)
            || self.anchored.iter().any(|a| a == path)
    }
}

/// Every searched file of the repository, with its text.
fn files() -> Vec<(PathBuf, String)> {
    let root = root();
    let ignored = Ignored::read(&root);
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if ignored.skips(&path) {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e))
            {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.push((path, text));
                }
            }
        }
    }
    assert!(
        out.iter().any(|(p, _)| p.ends_with("README.md")),
        "the walk found the repository"
    );
    out
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

/// Every `docs/….md` path in `text`, whole (`../../docs/vectors.md` keeps its `../../`).
fn docs_paths(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("docs/") {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_path_char(c))
            .last()
            .map_or(at, |(i, _)| i);
        let end = text[at..]
            .char_indices()
            .find(|&(_, c)| !is_path_char(c))
            .map_or(text.len(), |(i, _)| at + i);
        let token = text[start..end].trim_end_matches('.');
        if token.ends_with(".md") && !found.contains(&token) {
            found.push(token);
        }
    }
    found
}

/// Where a path named in `file` points: relative to the file when it starts with `./` or
/// `../`, else relative to the repository root. `None` for absolute paths and URLs.
fn resolve(root: &Path, file: &Path, token: &str) -> Option<PathBuf> {
    if token.starts_with('/') {
        return None;
    }
    if token.starts_with("./") || token.starts_with("../") {
        return Some(file.parent()?.join(token));
    }
    Some(root.join(token))
}

#[test]
fn every_docs_path_named_exists() {
    let root = root();
    let mut missing = Vec::new();
    let mut seen = 0;
    for (path, text) in files() {
        for token in docs_paths(&text) {
            let Some(target) = resolve(&root, &path, token) else {
                continue;
            };
            seen += 1;
            if !target.is_file() {
                missing.push(format!(
                    "{}: {token}",
                    path.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "documents named but not in the repository:\n{}",
        missing.join("\n")
    );
    assert!(
        seen > 10,
        "the code points to docs/ about a dozen times; found {seen}"
    );
}

/// Relative links between the documents of `docs/` (`[rules.md](rules.md)`) resolve too.
#[test]
fn links_between_docs_resolve() {
    let root = root();
    let mut broken = Vec::new();
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let target = &rest[..rest.find(')').unwrap_or(rest.len())];
            let target = target.split('#').next().unwrap_or("");
            if target.is_empty() || target.contains(':') || !target.ends_with(".md") {
                continue;
            }
            if !path.parent().unwrap().join(target).is_file() {
                broken.push(format!(
                    "{}: {target}",
                    path.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links in docs/:\n{}",
        broken.join("\n")
    );
}

#[test]
fn nothing_points_to_the_old_notes() {
    // Built at run time so this file does not name them itself.
    let old: Vec<String> = ["PROTOCOL", "VECTORS", "RULES"]
        .iter()
        .map(|n| format!("{n}.md"))
        .collect();
    let root = root();
    let mut found = Vec::new();
    for (path, text) in files() {
        for (n, line) in text.lines().enumerate() {
            if let Some(name) = old.iter().find(|o| line.contains(o.as_str())) {
                found.push(format!(
                    "{}:{}: {name}",
                    path.strip_prefix(&root).unwrap().display(),
                    n + 1
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "pointers to documents outside the repository (use docs/protocol.md, docs/vectors.md \
         or docs/rules.md):\n{}",
        found.join("\n")
    );
}

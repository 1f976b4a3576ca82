//! The two publishable crates package for crates.io: their metadata is what crates.io asks for
//! and shows (description, license, keywords, categories, a README that exists), the CLI names
//! the engine by version as well as path, and `cargo package` builds both crates offline with
//! only their sources and README in them.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The cargo running these tests (cargo sets `CARGO`), or the one on the PATH.
fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

fn metadata() -> Value {
    let out = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn package<'a>(meta: &'a Value, name: &str) -> &'a Value {
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name}"))
}

/// crates.io's category slugs that fit these crates (a category outside its list is refused
/// at publication).
const CATEGORIES: &[&str] = &[
    "command-line-utilities",
    "development-tools",
    "development-tools::debugging",
    "encoding",
    "network-programming",
    "no-std",
    "parser-implementations",
    "wasm",
];

#[test]
fn both_crates_have_the_metadata_crates_io_shows() {
    let meta = metadata();
    for name in ["spop-codec", "spop-inspect"] {
        let p = package(&meta, name);
        let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
        assert!(s("description").len() > 20, "{name}: description");
        assert_eq!(s("license"), "MIT OR Apache-2.0", "{name}: license");
        assert!(
            s("repository").starts_with("https://"),
            "{name}: repository"
        );
        assert!(s("homepage").starts_with("https://"), "{name}: homepage");
        assert!(p["publish"].is_null(), "{name} is publishable");

        let keywords: Vec<&str> = p["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!((1..=5).contains(&keywords.len()), "{name}: {keywords:?}");
        for k in &keywords {
            // crates.io: at most 20 characters, ASCII letters, digits, `_`, `-`, `+`, a letter first.
            assert!(
                k.len() <= 20
                    && k.starts_with(|c: char| c.is_ascii_alphabetic())
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c)),
                "{name}: keyword {k:?}"
            );
        }
        let categories = p["categories"].as_array().unwrap();
        assert!(
            (1..=5).contains(&categories.len()),
            "{name}: {categories:?}"
        );
        for c in categories {
            assert!(
                CATEGORIES.contains(&c.as_str().unwrap()),
                "{name}: category {c}"
            );
        }

        let manifest = PathBuf::from(s("manifest_path"));
        let readme = manifest.parent().unwrap().join(s("readme"));
        let text = std::fs::read_to_string(&readme)
            .unwrap_or_else(|e| panic!("{name}: readme {}: {e}", readme.display()));
        assert!(
            text.starts_with(&format!("# {name}\n")),
            "{name}: {readme:?}"
        );
    }
    let codec = package(&meta, "spop-codec");
    assert_eq!(codec["documentation"], "https://docs.rs/spop-codec");

    // The CLI depends on the engine by version too: a path alone cannot be published.
    let cli = package(&meta, "spop-inspect");
    let dep = cli["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "spop-codec" && d["kind"].is_null())
        .expect("spop-inspect depends on spop-codec");
    let version = codec["version"].as_str().unwrap();
    assert_eq!(dep["req"], format!("^{version}"), "{dep}");
    assert!(
        dep["path"].is_string(),
        "and by path in the workspace: {dep}"
    );
}

#[test]
fn cargo_package_makes_small_crates_of_sources_and_readme() {
    // The engine's file list: its sources and README, not its tests, benches or seeds.
    let out = cargo()
        .args([
            "package",
            "-p",
            "spop-codec",
            "--list",
            "--allow-dirty",
            "--offline",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let files = String::from_utf8(out.stdout).unwrap();
    let files: Vec<&str> = files.lines().collect();
    for want in ["Cargo.toml", "README.md", "src/lib.rs", "src/wire/mod.rs"] {
        assert!(files.contains(&want), "{want} in {files:?}");
    }
    for f in &files {
        assert!(
            !f.starts_with("tests/")
                && !f.starts_with("benches/")
                && !f.starts_with("proptest-regressions/"),
            "{f} is packaged"
        );
    }

    // Both crates together (the CLI's spop-codec 0.1.0 is the one packaged beside it), in a
    // target directory of their own so as not to wait on the one these tests run from.
    let target = std::env::temp_dir().join(format!("spop-packaging-{}", std::process::id()));
    let out = cargo()
        .args([
            "package",
            "-p",
            "spop-codec",
            "-p",
            "spop-inspect",
            "--no-verify",
            "--allow-dirty",
            "--offline",
            "--target-dir",
        ])
        .arg(&target)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let crates: Vec<(String, u64)> = ["spop-codec", "spop-inspect"]
        .iter()
        .map(|name| {
            let file = target.join(format!(
                "package/{name}-{}.crate",
                env!("CARGO_PKG_VERSION")
            ));
            (
                name.to_string(),
                std::fs::metadata(&file).map_or(0, |m| m.len()),
            )
        })
        .collect();
    let _ = std::fs::remove_dir_all(&target);
    assert!(out.status.success(), "cargo package failed:\n{stderr}");
    for (name, size) in crates {
        assert!(
            size > 0 && size < 400 << 10,
            "{name}: {size} bytes\n{stderr}"
        );
    }
}

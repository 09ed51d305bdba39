//! Embeds the demo cluster (a fixture in bundle layout) so `mayadiag collect --demo` works from
//! the binary alone, and every `checks/*.yaml` so a new check file needs no Rust edit.

use std::fs;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let demo = root.join("tests/fixtures/clusters/demo");
    println!("cargo:rerun-if-changed={}", demo.display());
    let mut files = Vec::new();
    walk(&demo, &mut files);
    let mut code = String::from(
        "/// The demo cluster's files: (path relative to the bundle root, content).\npub static DEMO_FILES: &[(&str, &[u8])] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&demo).map(|r| r.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        code.push_str(&format!("    ({:?}, include_bytes!({:?})),\n", rel, f.display().to_string()));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("demo_files.rs");
    if let Err(e) = fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
    embed_checks(&root);
}

/// `BUILTIN_FILES` for src/checks/load.rs: every `checks/*.yaml`, sorted by name.
fn embed_checks(root: &Path) {
    let dir = root.join("checks");
    // A directory's mtime changes when a file is added or removed, so a new check file rebuilds.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> =
        fs::read_dir(&dir).map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"));
    files.sort();
    let mut code = String::from(
        "/// The built-in check files (`checks/*.yaml`, found by build.rs), embedded in the binary.\npub const BUILTIN_FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        code.push_str(&format!("    ({:?}, include_str!({:?})),\n", format!("checks/{name}"), f.display().to_string()));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("builtin_checks.rs");
    if let Err(e) = fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}

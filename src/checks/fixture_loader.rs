//! Test-only reader of bundle-layout fixture directories into a [`Snapshot`], used until the
//! bundle reader (`crate::bundle::read_bundle`) is available to the check tests.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::builtin_by_bundle_name;
use crate::snapshot::{LogKey, LogMeta, LogPatterns, Snapshot, SnapshotBuilder, SnapshotMeta, Source};

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn items(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        Value::Object(mut m) => match m.remove("items") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> =
        std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    out.sort();
    out
}

fn walk_logs(root: &Path, dir: &Path, patterns: &LogPatterns, b: &mut SnapshotBuilder) {
    for p in files(dir) {
        if p.is_dir() {
            walk_logs(root, &p, patterns, b);
        } else if let Some(key) = p.strip_prefix(root).ok().and_then(|r| LogKey::from_bundle_path(&r.to_string_lossy()))
        {
            let bytes = std::fs::read(&p).unwrap_or_default();
            b.add_log(key, LogMeta { bytes: bytes.len() as u64 }, patterns.scan(&bytes));
        }
    }
}

/// Load a fixture directory.
pub fn load(dir: &Path, patterns: &LogPatterns) -> Snapshot {
    let manifest = read_json(&dir.join("mayadiag/manifest.json"));
    let collected_at: DateTime<Utc> =
        manifest["collected_at"].as_str().and_then(|s| s.parse().ok()).expect("collected_at");
    let version = dir.join("cluster-info/cluster_version.json");
    let cluster_version = version.exists().then(|| read_json(&version)["string"].as_str().unwrap_or("").to_string());
    let mut b = SnapshotBuilder::new(SnapshotMeta { source: Source::Mayadiag, collected_at, cluster_version });
    let res = dir.join("cluster-resources");
    for p in files(&res) {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if p.is_dir() && name == "custom-resources" {
            for crp in files(&p) {
                let crname = crp.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let id = crname.strip_suffix(".json").unwrap_or(&crname).to_string();
                let list: Vec<_> = if crp.is_dir() {
                    files(&crp).iter().flat_map(|f| items(read_json(f))).collect()
                } else {
                    items(read_json(&crp))
                };
                for o in list {
                    b.add_object(&id, o);
                }
            }
        } else if p.is_dir() {
            if let Some(r) = builtin_by_bundle_name(&name) {
                for f in files(&p).into_iter().filter(|f| f.is_file()) {
                    for o in items(read_json(&f)) {
                        b.add_object(&r.id(), o);
                    }
                }
            }
            if name == "pods" {
                walk_logs(&res, &p.join("logs"), patterns, &mut b);
            }
        } else if let Some(r) = name.strip_suffix(".json").and_then(builtin_by_bundle_name) {
            for o in items(read_json(&p)) {
                b.add_object(&r.id(), o);
            }
        }
    }
    for p in files(&dir.join("node-reports")) {
        b.add_node_report(read_json(&p));
    }
    b.finish()
}

//! Reads a bundle (`.tar.gz` or directory; ours or troubleshoot.sh's) in one streaming pass.
//!
//! [`visit_bundle`] hands each regular file to a callback with its path relative to the bundle's
//! top directory; [`read_bundle`] uses it to build the [`Snapshot`] the checks run on, scanning
//! logs for the check set's patterns on the way so no log is kept in memory.

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::BundleError;
use super::layout::{self, Entry};
use crate::snapshot::{LogMeta, LogPatterns, Snapshot, SnapshotBuilder, SnapshotMeta, Source};

/// Deepest directory nesting we follow in an unpacked bundle (guards against loops).
const MAX_DEPTH: usize = 16;

/// Call `visit(relative_path, bytes)` for every regular file of the bundle, in archive order
/// (tar.gz) or sorted path order (directory).
pub fn visit_bundle(
    path: &Path,
    mut visit: impl FnMut(&str, Vec<u8>) -> Result<(), BundleError>,
) -> Result<(), BundleError> {
    let meta = fs::metadata(path).map_err(|source| BundleError::Open { path: path.to_path_buf(), source })?;
    if meta.is_dir() { visit_dir(path, &mut visit) } else { visit_tar(path, &mut visit) }
}

/// What [`visit_bundle`] calls for every file: `(relative path, bytes)`.
type Visitor<'a> = dyn FnMut(&str, Vec<u8>) -> Result<(), BundleError> + 'a;

fn corrupt(path: &Path, reason: impl Into<String>) -> BundleError {
    BundleError::Corrupt { path: path.to_path_buf(), reason: reason.into() }
}

fn visit_tar(path: &Path, visit: &mut Visitor<'_>) -> Result<(), BundleError> {
    let file = File::open(path).map_err(|source| BundleError::Open { path: path.to_path_buf(), source })?;
    let mut magic = [0u8; 2];
    let mut peek = BufReader::new(file);
    peek.read_exact(&mut magic).map_err(|_| corrupt(path, "the file is empty or too short"))?;
    if magic != [0x1f, 0x8b] {
        return Err(corrupt(path, "not gzip-compressed"));
    }
    let file = File::open(path).map_err(|source| BundleError::Open { path: path.to_path_buf(), source })?;
    let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, file));
    let mut archive = tar::Archive::new(gz);
    let entries = archive.entries().map_err(|e| corrupt(path, e.to_string()))?;
    let mut top: Option<String> = None;
    let mut seen_any = false;
    for entry in entries {
        let mut entry = entry.map_err(|e| corrupt(path, format!("truncated or damaged archive: {e}")))?;
        if entry.header().entry_type() != tar::EntryType::Regular
            && entry.header().entry_type() != tar::EntryType::GNUSparse
        {
            continue;
        }
        let name = entry.path().map_err(|e| corrupt(path, e.to_string()))?.to_string_lossy().replace('\\', "/");
        let name = name.trim_start_matches("./").to_string();
        if top.is_none() {
            top = Some(top_dir_of(&name));
        }
        let rel = match top.as_deref() {
            Some(t) if !t.is_empty() => {
                name.strip_prefix(t).and_then(|r| r.strip_prefix('/')).unwrap_or(&name).to_string()
            }
            _ => name.clone(),
        };
        let mut data = Vec::with_capacity(entry.size().min(64 << 20) as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| corrupt(path, format!("truncated archive while reading {name}: {e}")))?;
        seen_any = true;
        visit(&rel, data)?;
    }
    if !seen_any {
        return Err(corrupt(path, "the archive holds no files"));
    }
    Ok(())
}

/// The top directory of a bundle archive, judged from its first file: empty when files sit at the
/// root (`cluster-resources/...`).
fn top_dir_of(first: &str) -> String {
    match first.split_once('/') {
        Some((head, _)) if !matches!(head, "cluster-resources" | "cluster-info" | "mayadiag" | "node-reports") => {
            head.to_string()
        }
        _ => String::new(),
    }
}

fn visit_dir(path: &Path, visit: &mut Visitor<'_>) -> Result<(), BundleError> {
    let root = bundle_root(path)?;
    let mut files = Vec::new();
    let mut stack: Vec<(PathBuf, usize)> = vec![(root.clone(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            continue;
        }
        let rd = fs::read_dir(&dir).map_err(|source| BundleError::Open { path: dir.clone(), source })?;
        for item in rd {
            let item = item.map_err(|source| BundleError::Open { path: dir.clone(), source })?;
            let ft = item.file_type().map_err(|source| BundleError::Open { path: item.path(), source })?;
            if ft.is_dir() {
                stack.push((item.path(), depth + 1));
            } else if ft.is_file() {
                files.push(item.path());
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(corrupt(path, "the directory holds no files"));
    }
    for file in files {
        let rel = file.strip_prefix(&root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        let data = fs::read(&file).map_err(|source| BundleError::Open { path: file.clone(), source })?;
        visit(&rel, data)?;
    }
    Ok(())
}

/// The directory holding `cluster-resources/` (the given one, or its single subdirectory).
fn bundle_root(path: &Path) -> Result<PathBuf, BundleError> {
    let looks_like_root = |p: &Path| p.join("cluster-resources").is_dir() || p.join("version.yaml").is_file();
    if looks_like_root(path) {
        return Ok(path.to_path_buf());
    }
    let subdirs: Vec<PathBuf> = fs::read_dir(path)
        .map_err(|source| BundleError::Open { path: path.to_path_buf(), source })?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| e.path())
        .collect();
    match subdirs.as_slice() {
        [only] if looks_like_root(only) => Ok(only.clone()),
        _ => Err(corrupt(path, "no cluster-resources/ directory or version.yaml found")),
    }
}

/// Make sure a listed object says what it is (troubleshoot and kubectl lists may omit it).
pub fn ensure_type_meta(obj: &mut Value, api_version: &str, kind: &str) {
    if let Some(map) = obj.as_object_mut() {
        if !map.get("kind").is_some_and(Value::is_string) {
            map.insert("kind".into(), Value::String(kind.to_string()));
        }
        if !map.get("apiVersion").is_some_and(Value::is_string) {
            map.insert("apiVersion".into(), Value::String(api_version.to_string()));
        }
    }
}

/// Read a whole bundle into a snapshot. A member that does not parse is recorded as a gap (the
/// rest of the bundle still counts); a bundle that cannot be read at all is an error.
pub fn read_bundle(path: &Path, patterns: &LogPatterns) -> Result<Snapshot, BundleError> {
    let mut builder = SnapshotBuilder::new(SnapshotMeta {
        source: Source::Troubleshoot,
        collected_at: Utc::now(),
        cluster_version: None,
    });
    let mut collected_at: Option<DateTime<Utc>> = None;
    let mut newest_event: Option<DateTime<Utc>> = None;
    visit_bundle(path, |rel, data| {
        let entry = layout::classify(rel);
        let holds_data =
            matches!(entry, Entry::Builtin { .. } | Entry::Custom { .. } | Entry::Log(_) | Entry::NodeReport { .. });
        if let Some(reason) = crate::redact::parse_dropped_file_note(&data).filter(|_| holds_data) {
            // A file the collector dropped because its redaction failed: the same gap it recorded.
            builder.add_gap(rel, crate::redact::dropped_gap_reason(&reason));
            return Ok(());
        }
        match entry {
            Entry::Builtin { resource, .. } => match layout::parse_items(&data, false) {
                Ok(items) => {
                    for mut item in items {
                        ensure_type_meta(&mut item, &resource.api_version(), resource.kind);
                        if resource.plural == "events" {
                            newest_event = newest_event.max(layout::newest_event_time([&item]));
                        }
                        builder.add_object(&resource.id(), item);
                    }
                }
                Err(reason) => builder.add_gap(rel, format!("unreadable in bundle: {reason}")),
            },
            Entry::Custom { resource_id, yaml, .. } => match layout::parse_items(&data, yaml) {
                Ok(items) => items.into_iter().for_each(|item| builder.add_object(&resource_id, item)),
                Err(reason) => builder.add_gap(rel, format!("unreadable in bundle: {reason}")),
            },
            Entry::Log(key) => {
                let hits = patterns.scan(&data);
                builder.add_log(key, LogMeta { bytes: data.len() as u64 }, hits);
            }
            Entry::NodeReport { .. } => match serde_json::from_slice::<Value>(&data) {
                Ok(report) => builder.add_node_report(report),
                Err(e) => builder.add_gap(rel, format!("unreadable in bundle: {e}")),
            },
            Entry::Errors { what } => {
                if let Ok(Value::Array(errors)) = serde_json::from_slice::<Value>(&data) {
                    for e in errors {
                        let reason = match e {
                            Value::String(s) => s,
                            other => other
                                .get("reason")
                                .and_then(Value::as_str)
                                .map(str::to_string)
                                .unwrap_or_else(|| other.to_string()),
                        };
                        builder.add_gap(what.clone(), reason);
                    }
                }
            }
            Entry::ClusterVersion => {
                if let Ok(v) = serde_json::from_slice::<Value>(&data) {
                    let version = v.pointer("/info/gitVersion").or_else(|| v.get("string")).and_then(Value::as_str);
                    builder.meta_mut().cluster_version = version.map(str::to_string);
                }
            }
            Entry::Manifest => {
                builder.meta_mut().source = Source::Mayadiag;
                if let Ok(v) = serde_json::from_slice::<Value>(&data) {
                    collected_at = v.get("collected_at").and_then(Value::as_str).and_then(|s| s.parse().ok());
                }
            }
            Entry::Analysis | Entry::Version | Entry::Other => {}
        }
        Ok(())
    })?;
    builder.meta_mut().collected_at = collected_at.or(newest_event).unwrap_or_else(Utc::now);
    Ok(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_reference_troubleshoot_bundles() {
        for name in ["testdata-sb.tar.gz", "baseline.tar.gz"] {
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/troubleshoot-bundles").join(name);
            if !path.exists() {
                continue;
            }
            let snap = read_bundle(&path, &LogPatterns::empty()).unwrap();
            assert_eq!(snap.meta.source, Source::Troubleshoot);
            assert!(!snap.objects("nodes").is_empty(), "{name}: nodes");
            assert!(!snap.objects("pods").is_empty(), "{name}: pods");
            assert!(snap.meta.cluster_version.is_some(), "{name}: version");
            assert!(snap.objects("pods").iter().all(|p| p["kind"] == "Pod"));
        }
    }

    #[test]
    fn dropped_files_become_the_collectors_gap() {
        let dir = tempfile::tempdir().unwrap();
        let pods = dir.path().join("cluster-resources/pods");
        fs::create_dir_all(&pods).unwrap();
        fs::write(dir.path().join("version.yaml"), "kind: SupportBundle\n").unwrap();
        let rel = "cluster-resources/pods/openebs.json";
        fs::write(dir.path().join(rel), crate::redact::dropped_file_note(rel, "nested too deep")).unwrap();
        let snap = read_bundle(dir.path(), &LogPatterns::empty()).unwrap();
        assert_eq!(snap.gaps().len(), 1);
        assert_eq!(snap.gaps()[0].what, rel);
        assert_eq!(snap.gaps()[0].reason, crate::redact::dropped_gap_reason("nested too deep"));
    }

    #[test]
    fn corrupt_and_missing_bundles_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.tar.gz");
        fs::write(&bad, b"not a bundle").unwrap();
        let err = read_bundle(&bad, &LogPatterns::empty()).unwrap_err().to_string();
        assert!(err.contains("not gzip"), "{err}");
        let truncated = dir.path().join("t.tar.gz");
        let good =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/troubleshoot-bundles/baseline.tar.gz");
        if let Ok(bytes) = fs::read(&good) {
            fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
            let err = read_bundle(&truncated, &LogPatterns::empty()).unwrap_err().to_string();
            assert!(err.contains("truncated") || err.contains("damaged"), "{err}");
        }
        let err = read_bundle(&dir.path().join("missing.tar.gz"), &LogPatterns::empty()).unwrap_err().to_string();
        assert!(err.contains("missing.tar.gz"), "{err}");
    }
}

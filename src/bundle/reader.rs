//! Reads a bundle (`.tar.gz` or directory; ours or troubleshoot.sh's) in bounded memory and time.
//!
//! [`OpenBundle::open`] first finds the bundle root anywhere in the archive (the directory that
//! holds `version.yaml` or `cluster-resources/`) and refuses inputs without one, so a Helm chart or
//! an `analysis.json` alone is never read as "a cluster with no problem". [`OpenBundle::visit`]
//! then streams the members under the root: members the caller does not want are skipped without
//! being inflated into memory, each member and the total inflated size are capped
//! ([`ReadLimits`]; a cap hit is reported as a gap, not an error), multi-member gzip is read
//! throughout and the gzip CRC and length of every member are verified to the end of the file.

use std::cell::Cell;
use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::BundleError;
use super::layout::{self, Entry};
use crate::snapshot::{LogPatterns, Snapshot, SnapshotBuilder, SnapshotMeta, Source};

/// Deepest directory nesting we follow in an unpacked bundle (guards against loops).
const MAX_DEPTH: usize = 16;

/// Deepest bundle root we look for inside an archive or directory (`a/b/c/version.yaml`).
const MAX_ROOT_DEPTH: usize = 4;

/// Most subdirectories looked at per directory while searching for the root.
const MAX_SUBDIRS: usize = 256;

/// Caps on what reading one bundle may inflate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// A member bigger than this (uncompressed) is not read; it becomes a gap.
    pub max_member_bytes: u64,
    /// Reading stops after this many inflated bytes (the whole tar stream); the rest is a gap.
    pub max_inflated_bytes: u64,
}

impl ReadLimits {
    /// Default per-member cap: far above any list or log `collect` writes (logs are capped at
    /// 5 MiB each), far below what would strain a laptop.
    pub const DEFAULT_MAX_MEMBER: u64 = 64 << 20;
    /// Default total cap: about 10x the largest bundle `collect` writes by default (1 GiB
    /// uncompressed is its own cap), a few seconds of inflating.
    pub const DEFAULT_MAX_INFLATED: u64 = 4 << 30;
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits { max_member_bytes: Self::DEFAULT_MAX_MEMBER, max_inflated_bytes: Self::DEFAULT_MAX_INFLATED }
    }
}

/// One member handed to a visitor.
#[derive(Debug)]
pub struct Member<'a> {
    /// Path relative to the bundle root.
    pub rel: &'a str,
    /// The whole (uncompressed) content, at most [`ReadLimits::max_member_bytes`].
    pub data: Vec<u8>,
}

/// A limit that was hit while reading: what was not read and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitGap {
    /// The member (path relative to the root), or `bundle` for the total cap.
    pub what: String,
    /// Why it was not read, naming the flag that raises the cap.
    pub reason: String,
}

/// What a visit saw besides the members.
#[derive(Debug, Clone, Default)]
pub struct VisitOutcome {
    /// Limits hit.
    pub gaps: Vec<LimitGap>,
    /// Newest tar member modification time, seconds since the epoch (not set for directories:
    /// unpacking stamps files with the time of unpacking).
    pub newest_mtime: Option<u64>,
}

/// A bundle whose root has been found.
#[derive(Debug, Clone)]
pub struct OpenBundle {
    path: PathBuf,
    form: Form,
    limits: ReadLimits,
}

#[derive(Debug, Clone)]
enum Form {
    /// An unpacked bundle: the root directory.
    Dir(PathBuf),
    /// A tar.gz: the root's path inside the archive (`""` when files sit at the top).
    Tar(String),
}

fn corrupt(path: &Path, reason: impl Into<String>) -> BundleError {
    BundleError::Corrupt { path: path.to_path_buf(), reason: reason.into() }
}

fn no_root(path: &Path) -> BundleError {
    BundleError::NotABundle { path: path.to_path_buf() }
}

fn human(bytes: u64) -> String {
    crate::units::human_bytes(bytes)
}

/// Counts inflated bytes and fails the stream once the total cap is passed (the flag tells the
/// reader it was the cap, not damage).
struct Capped<R> {
    inner: R,
    read: u64,
    limit: u64,
    hit: Rc<Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read >= self.limit {
            self.hit.set(true);
            return Err(io::Error::other("inflated-size limit reached"));
        }
        let room = usize::try_from(self.limit - self.read).unwrap_or(usize::MAX).min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// A tar stream over a (multi-member) gzip file, capped in inflated bytes.
type CappedTar = tar::Archive<Capped<flate2::read::MultiGzDecoder<BufReader<File>>>>;

/// A tar stream over the (multi-member) gzip file, capped at `limit` inflated bytes, and the flag
/// that says the cap was hit.
fn open_tar(path: &Path, limit: u64) -> Result<(CappedTar, Rc<Cell<bool>>), BundleError> {
    let open = || File::open(path).map_err(|source| BundleError::Open { path: path.to_path_buf(), source });
    let mut magic = [0u8; 2];
    open()?.read_exact(&mut magic).map_err(|_| corrupt(path, "the file is empty or too short"))?;
    if magic != [0x1f, 0x8b] {
        return Err(corrupt(path, "not gzip-compressed"));
    }
    let hit = Rc::new(Cell::new(false));
    let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, open()?));
    Ok((tar::Archive::new(Capped { inner: gz, read: 0, limit, hit: hit.clone() }), hit))
}

/// The bundle root a member path reveals: the directories before `cluster-resources/` or
/// `version.yaml`.
fn root_of(name: &str, is_dir: bool) -> Option<String> {
    let parts: Vec<&str> =
        name.trim_start_matches("./").trim_end_matches('/').split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let at = parts
        .iter()
        .position(|p| *p == "cluster-resources")
        .filter(|&i| i + 1 < parts.len() || is_dir)
        .or_else(|| (parts.last() == Some(&"version.yaml") && !is_dir).then(|| parts.len() - 1))?;
    (at <= MAX_ROOT_DEPTH).then(|| parts[..at].join("/"))
}

/// A member's name normalised (`./` and `\` removed).
fn member_name(entry: &tar::Entry<'_, impl Read>) -> Option<String> {
    let name = entry.path().ok()?.to_string_lossy().replace('\\', "/");
    Some(name.trim_start_matches("./").to_string())
}

impl OpenBundle {
    /// Find the bundle root of a tar.gz or directory; refuse inputs without one.
    pub fn open(path: &Path, limits: ReadLimits) -> Result<OpenBundle, BundleError> {
        let meta = fs::metadata(path).map_err(|source| BundleError::Open { path: path.to_path_buf(), source })?;
        let form = if meta.is_dir() { Form::Dir(dir_root(path)?) } else { Form::Tar(tar_root(path, limits)?) };
        Ok(OpenBundle { path: path.to_path_buf(), form, limits })
    }

    /// The bundle as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hand every regular member under the root that `want` accepts (by relative path) to
    /// `visit`, in archive order (tar.gz) or sorted path order (directory).
    pub fn visit(
        &self,
        want: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(Member<'_>) -> Result<(), BundleError>,
    ) -> Result<VisitOutcome, BundleError> {
        match &self.form {
            Form::Dir(root) => self.visit_dir(root, want, visit),
            Form::Tar(root) => self.visit_tar(root, want, visit),
        }
    }

    fn member_too_large(&self, rel: &str, size: u64) -> LimitGap {
        LimitGap {
            what: rel.to_string(),
            reason: format!(
                "not read: {} uncompressed is over the {} per-file limit (raise it with --max-member-size)",
                human(size),
                human(self.limits.max_member_bytes)
            ),
        }
    }

    fn total_reached(&self) -> LimitGap {
        LimitGap {
            what: "bundle".into(),
            reason: format!(
                "reading stopped after {} inflated; later files were not read (raise it with --max-inflated-size)",
                human(self.limits.max_inflated_bytes)
            ),
        }
    }

    fn visit_tar(
        &self,
        root: &str,
        want: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(Member<'_>) -> Result<(), BundleError>,
    ) -> Result<VisitOutcome, BundleError> {
        let path = &self.path;
        let (mut archive, hit) = open_tar(path, self.limits.max_inflated_bytes)?;
        let mut outcome = VisitOutcome::default();
        let damaged = |e: io::Error| {
            if hit.get() { None } else { Some(corrupt(path, format!("truncated or damaged archive: {e}"))) }
        };
        {
            let entries = archive.entries().map_err(|e| corrupt(path, e.to_string()))?;
            for entry in entries {
                let mut entry = match entry {
                    Ok(e) => e,
                    Err(e) => match damaged(e) {
                        Some(err) => return Err(err),
                        None => {
                            outcome.gaps.push(self.total_reached());
                            return Ok(outcome);
                        }
                    },
                };
                let kind = entry.header().entry_type();
                if kind != tar::EntryType::Regular
                    && kind != tar::EntryType::GNUSparse
                    && kind != tar::EntryType::Continuous
                {
                    continue;
                }
                let Some(name) = member_name(&entry) else { continue };
                let rel = if root.is_empty() {
                    name.as_str()
                } else {
                    match name.strip_prefix(root).and_then(|r| r.strip_prefix('/')) {
                        Some(r) => r,
                        None => continue,
                    }
                };
                if rel.is_empty() || !want(rel) {
                    continue;
                }
                if let Ok(mtime) = entry.header().mtime() {
                    outcome.newest_mtime = outcome.newest_mtime.max(Some(mtime));
                }
                let size = entry.size();
                if size > self.limits.max_member_bytes {
                    outcome.gaps.push(self.member_too_large(rel, size));
                    continue;
                }
                let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                if let Err(e) = (&mut entry).take(self.limits.max_member_bytes).read_to_end(&mut data) {
                    match damaged(e) {
                        Some(_) => return Err(corrupt(path, format!("truncated archive while reading {name}"))),
                        None => {
                            outcome.gaps.push(self.total_reached());
                            return Ok(outcome);
                        }
                    }
                }
                let rel = rel.to_string();
                visit(Member { rel: &rel, data })?;
            }
        }
        // The tar end marker comes before the gzip trailer: read to the end of the file so each
        // gzip member's CRC and length are checked (a damaged trailer is damage).
        let mut rest = archive.into_inner();
        if let Err(e) = io::copy(&mut rest, &mut io::sink()) {
            if hit.get() {
                outcome.gaps.push(self.total_reached());
            } else {
                return Err(corrupt(path, format!("damaged gzip stream after the last file ({e})")));
            }
        }
        Ok(outcome)
    }

    fn visit_dir(
        &self,
        root: &Path,
        want: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(Member<'_>) -> Result<(), BundleError>,
    ) -> Result<VisitOutcome, BundleError> {
        let mut files = Vec::new();
        let mut stack: Vec<(PathBuf, usize)> = vec![(root.to_path_buf(), 0)];
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
        let mut outcome = VisitOutcome::default();
        let mut total = 0u64;
        for file in files {
            let rel = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
            if !want(&rel) {
                continue;
            }
            let open_err = |source| BundleError::Open { path: file.clone(), source };
            let handle = File::open(&file).map_err(open_err)?;
            let meta = handle.metadata().map_err(open_err)?;
            if meta.len() > self.limits.max_member_bytes {
                outcome.gaps.push(self.member_too_large(&rel, meta.len()));
                continue;
            }
            if total.saturating_add(meta.len()) > self.limits.max_inflated_bytes {
                outcome.gaps.push(self.total_reached());
                break;
            }
            let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
            handle.take(self.limits.max_member_bytes).read_to_end(&mut data).map_err(open_err)?;
            total += data.len() as u64;
            visit(Member { rel: &rel, data })?;
        }
        Ok(outcome)
    }
}

/// Call `visit(relative_path, bytes)` for every regular file under the bundle root with the
/// default limits. A limit hit is an error here: callers that rewrite a bundle (redact) must not
/// silently leave a file out.
pub fn visit_bundle(
    path: &Path,
    mut visit: impl FnMut(&str, Vec<u8>) -> Result<(), BundleError>,
) -> Result<(), BundleError> {
    let bundle = OpenBundle::open(path, ReadLimits::default())?;
    let outcome = bundle.visit(&|_| true, &mut |m| visit(m.rel, m.data))?;
    match outcome.gaps.into_iter().next() {
        Some(gap) => Err(BundleError::Member { path: path.to_path_buf(), member: gap.what, reason: gap.reason }),
        None => Ok(()),
    }
}

/// Find the root inside a tar.gz: the first member that reveals one decides (troubleshoot and
/// mayadiag put `version.yaml` or `cluster-resources/` near the front, so this stops early).
fn tar_root(path: &Path, limits: ReadLimits) -> Result<String, BundleError> {
    let (mut archive, hit) = open_tar(path, limits.max_inflated_bytes)?;
    let entries = archive.entries().map_err(|e| corrupt(path, e.to_string()))?;
    let mut seen_any = false;
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(_) if hit.get() => break,
            Err(e) => return Err(corrupt(path, format!("truncated or damaged archive: {e}"))),
        };
        seen_any = true;
        let is_dir = entry.header().entry_type() == tar::EntryType::Directory;
        if let Some(root) = member_name(&entry).and_then(|n| root_of(&n, is_dir)) {
            return Ok(root);
        }
    }
    if !seen_any {
        return Err(corrupt(path, "the archive holds no files"));
    }
    Err(no_root(path))
}

/// The directory holding `cluster-resources/` or `version.yaml`: the given one or the shallowest
/// one level below it (an unpacked archive's top directory; several candidates: refuse).
fn dir_root(path: &Path) -> Result<PathBuf, BundleError> {
    let looks_like_root = |p: &Path| p.join("cluster-resources").is_dir() || p.join("version.yaml").is_file();
    let mut level = vec![path.to_path_buf()];
    for _ in 0..2 {
        let found: Vec<&PathBuf> = level.iter().filter(|p| looks_like_root(p)).collect();
        match found.as_slice() {
            [one] => return Ok((*one).clone()),
            [] => {}
            _ => {
                return Err(corrupt(path, "it holds several bundles; point at one of them"));
            }
        }
        let mut next = Vec::new();
        for dir in &level {
            let Ok(rd) = fs::read_dir(dir) else { continue };
            // Bounded: pointing at a home directory must not walk it.
            next.extend(
                rd.filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path())
                    .take(MAX_SUBDIRS),
            );
        }
        next.sort();
        level = next;
    }
    Err(no_root(path))
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
    read_bundle_with(path, patterns, ReadLimits::default())
}

/// Whether a reader of objects, logs and metadata wants a member (the rest is never inflated
/// into memory).
pub fn holds_data(rel: &str) -> bool {
    !matches!(layout::classify(rel), Entry::Other | Entry::Version | Entry::Analysis | Entry::DiscoveryGroups)
}

/// [`read_bundle`] with explicit limits; a limit hit is a gap in the snapshot.
pub fn read_bundle_with(path: &Path, patterns: &LogPatterns, limits: ReadLimits) -> Result<Snapshot, BundleError> {
    let bundle = OpenBundle::open(path, limits)?;
    let mut builder = SnapshotBuilder::new(SnapshotMeta {
        source: Source::Troubleshoot,
        collected_at: Utc::now(),
        cluster_version: None,
    });
    let mut collected_at: Option<DateTime<Utc>> = None;
    let mut newest_event: Option<DateTime<Utc>> = None;
    let mut custom = layout::CustomFiles::default();
    let outcome = bundle.visit(&holds_data, &mut |member| {
        let (rel, data) = (member.rel, member.data);
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
            Entry::Custom { resource_id, namespace, yaml } => {
                if yaml && custom.has_json(&resource_id, namespace.as_deref()) {
                    return Ok(());
                }
                match layout::parse_items(&data, yaml) {
                    Ok(items) => custom.add(resource_id, namespace, yaml, items),
                    Err(reason) => builder.add_gap(rel, format!("unreadable in bundle: {reason}")),
                }
            }
            Entry::Log(key) => builder.add_log_text(key, &data, patterns),
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
            Entry::Analysis | Entry::Version | Entry::DiscoveryResources | Entry::DiscoveryGroups | Entry::Other => {}
        }
        Ok(())
    })?;
    for (id, items) in custom.into_objects() {
        items.into_iter().for_each(|item| builder.add_object(&id, item));
    }
    for gap in outcome.gaps {
        builder.add_gap(gap.what, gap.reason);
    }
    let newest_mtime = outcome.newest_mtime.and_then(plausible_mtime);
    builder.meta_mut().collected_at = collected_at.or(newest_mtime).or(newest_event).unwrap_or_else(Utc::now);
    Ok(builder.finish())
}

/// A member mtime as the collection time of a foreign bundle: troubleshoot stamps every member
/// with the moment it archived it; zero or future stamps (tools that clear them) say nothing.
pub fn plausible_mtime(secs: u64) -> Option<DateTime<Utc>> {
    let t = DateTime::<Utc>::from_timestamp(i64::try_from(secs).ok()?, 0)?;
    (t.timestamp() > 946_684_800 && t <= Utc::now() + chrono::Duration::days(1)).then_some(t)
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

    /// A tar of `(name, bytes)` members (uncompressed).
    fn tar_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(1_700_000_000);
            header.set_cksum();
            builder.append_data(&mut header, name, data.as_slice()).unwrap_or_else(|e| panic!("{e}"));
        }
        builder.into_inner().unwrap_or_else(|e| panic!("{e}"))
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap_or_else(|e| panic!("{e}"));
        gz.finish().unwrap_or_else(|e| panic!("{e}"))
    }

    const POD: &str = r#"{"kind":"PodList","items":[{"metadata":{"name":"p1","namespace":"openebs"}}]}"#;

    fn small_bundle() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("b/version.yaml", b"kind: SupportBundle\n".to_vec()),
            ("b/cluster-resources/pods/openebs.json", POD.as_bytes().to_vec()),
            ("b/cluster-resources/pods/logs/openebs/p1/c.log", b"hello\n".to_vec()),
        ]
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    #[test]
    fn root_is_found_behind_a_readme_and_inputs_without_one_are_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut members = vec![("README.md", b"# read me first\n".to_vec())];
        members.extend(small_bundle());
        let path = write(dir.path(), "readme-first.tar.gz", &gzip(&tar_of(&members)));
        let snap = read_bundle(&path, &LogPatterns::empty()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(snap.objects("pods").len(), 1);
        assert_eq!(snap.logs().len(), 1);
        // The tar mtime is the collection time of a bundle without a manifest.
        assert_eq!(snap.meta.collected_at.timestamp(), 1_700_000_000);

        let chart = write(
            dir.path(),
            "chart.tar.gz",
            &gzip(&tar_of(&[("x/Chart.yaml", b"name: x\n".to_vec()), ("x/analysis.json", b"[]".to_vec())])),
        );
        let err = read_bundle(&chart, &LogPatterns::empty()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("not a support bundle"), "{err}");
        let empty_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(empty_dir.path(), "analysis.json", b"[]");
        let err = read_bundle(empty_dir.path(), &LogPatterns::empty()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("not a support bundle"), "{err}");
    }

    #[test]
    fn multi_member_gzip_reads_like_one_member() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let tar = tar_of(&small_bundle());
        let (a, b) = tar.split_at(700);
        let mut two = gzip(a);
        two.extend(gzip(b));
        let path = write(dir.path(), "multi.tar.gz", &two);
        let snap = read_bundle(&path, &LogPatterns::empty()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(snap.objects("pods").len(), 1);
        assert_eq!(snap.logs().len(), 1);
    }

    #[test]
    fn a_damaged_gzip_trailer_is_damage() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut bytes = gzip(&tar_of(&small_bundle()));
        let crc_at = bytes.len() - 8;
        bytes[crc_at] ^= 0xff;
        let path = write(dir.path(), "crc.tar.gz", &bytes);
        let err = read_bundle(&path, &LogPatterns::empty()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("damaged"), "{err}");
        let mut bytes = gzip(&tar_of(&small_bundle()));
        let len_at = bytes.len() - 2;
        bytes[len_at] ^= 0x01;
        let path = write(dir.path(), "len.tar.gz", &bytes);
        assert!(read_bundle(&path, &LogPatterns::empty()).is_err());
    }

    #[test]
    fn bombs_and_oversized_members_become_gaps_not_memory() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut members = small_bundle();
        // 8 MiB of spaces in a member we would parse, 8 MiB in one we ignore.
        members.push(("b/cluster-resources/pods/big.json", vec![b' '; 8 << 20]));
        members.push(("b/host-collectors/blob.bin", vec![0; 8 << 20]));
        let path = write(dir.path(), "bomb.tar.gz", &gzip(&tar_of(&members)));
        let limits = ReadLimits { max_member_bytes: 1 << 20, max_inflated_bytes: 64 << 20 };
        let snap = read_bundle_with(&path, &LogPatterns::empty(), limits).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(snap.objects("pods").len(), 1);
        let gaps: Vec<_> = snap.gaps().iter().map(|g| (g.what.as_str(), g.reason.as_str())).collect();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0].0, "cluster-resources/pods/big.json");
        assert!(gaps[0].1.contains("--max-member-size"), "{gaps:?}");

        // The total cap stops reading and says so; what was read before still counts.
        let limits = ReadLimits { max_member_bytes: 64 << 20, max_inflated_bytes: 4 << 20 };
        let snap = read_bundle_with(&path, &LogPatterns::empty(), limits).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(snap.objects("pods").len(), 1);
        assert!(snap.gaps().iter().any(|g| g.what == "bundle" && g.reason.contains("--max-inflated-size")));
    }

    #[test]
    fn json_custom_resources_win_over_their_yaml_copy() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cr = r#"[{"apiVersion":"x.io/v1","kind":"W","metadata":{"name":"w1","namespace":"ns"}}]"#;
        let yaml = "- apiVersion: x.io/v1\n  kind: W\n  metadata:\n    name: w1\n    namespace: ns\n";
        for order in [[".yaml", ".json"], [".json", ".yaml"]] {
            let mut members = small_bundle();
            for ext in order {
                let data = if ext == ".json" { cr.as_bytes().to_vec() } else { yaml.as_bytes().to_vec() };
                members.push((
                    if ext == ".json" {
                        "b/cluster-resources/custom-resources/ws.x.io/ns.json"
                    } else {
                        "b/cluster-resources/custom-resources/ws.x.io/ns.yaml"
                    },
                    data,
                ));
            }
            let path = write(dir.path(), "dup.tar.gz", &gzip(&tar_of(&members)));
            let snap = read_bundle(&path, &LogPatterns::empty()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(snap.objects("ws.x.io").len(), 1, "{order:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Truncated, flipped or spliced archives never panic and stay within the caps.
        #[test]
        fn mutated_archives_never_panic(cut in 0usize..4000, flip in 0usize..4000, byte in 0u8..=255, splice in proptest::collection::vec(0u8..=255, 0..64)) {
            let mut bytes = gzip(&tar_of(&small_bundle()));
            let at = flip % bytes.len();
            bytes[at] ^= byte;
            let at = cut % bytes.len();
            bytes.splice(at..at, splice);
            bytes.truncate(cut.max(1).min(bytes.len()));
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let path = write(dir.path(), "m.tar.gz", &bytes);
            let limits = ReadLimits { max_member_bytes: 1 << 20, max_inflated_bytes: 8 << 20 };
            let _ = read_bundle_with(&path, &LogPatterns::empty(), limits);
            let _ = crate::serve::store::Store::load_with(&path, limits);
        }
    }
}

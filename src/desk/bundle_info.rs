//! What the desk needs from a bundle: its size and sha256, and three members read straight from
//! the tar.gz stream (never extracted to disk): `mayadiag/analysis.json`, `mayadiag/summary.md`
//! and `mayadiag/manifest.json`. Missing members and fields are tolerated.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::DeskError;

/// Members bigger than this are not read (a summary is a few KiB).
const MAX_MEMBER_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SeverityInfo {
    pub level: Option<u8>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ObjectRef {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Finding {
    pub check: Option<String>,
    pub title: Option<String>,
    pub engine: Option<String>,
    pub status: Option<String>,
    pub sev: Option<u8>,
    pub object: Option<ObjectRef>,
    pub message: Option<String>,
    pub evidence: Vec<serde_json::Value>,
    pub remediation: Option<String>,
}

impl Finding {
    /// fail/warn findings are problems; pass and unknown are not.
    pub fn is_problem(&self) -> bool {
        matches!(self.status.as_deref(), Some("fail") | Some("warn"))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EngineInfo {
    pub engine: Option<String>,
    pub state: Option<String>,
    pub version: Option<String>,
}

/// The part of an incident the desk uses: its Sev and title (most severe first in analysis.json).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IncidentInfo {
    pub sev: Option<u8>,
    pub title: Option<String>,
}

/// The part of `analysis.json` the desk uses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Analysis {
    pub severity: SeverityInfo,
    pub findings: Vec<Finding>,
    /// The diagnosis's incidents (absent in bundles written before it).
    pub incidents: Vec<IncidentInfo>,
    pub engines: Vec<EngineInfo>,
    pub cluster_version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RedactionInfo {
    pub enabled: Option<bool>,
    pub total: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ManifestInfo {
    pub redaction: Option<RedactionInfo>,
}

/// A bundle as the desk sees it.
#[derive(Debug, Clone)]
pub struct BundleInfo {
    pub path: PathBuf,
    /// The bundle's file name (used for the upload).
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    pub analysis: Option<Analysis>,
    pub summary_md: Option<String>,
    pub manifest: Option<ManifestInfo>,
    /// Problems reading members (shown, not fatal).
    pub warnings: Vec<String>,
}

impl BundleInfo {
    /// The Sev: the analysis' level, else the most severe problem finding, else 3.
    pub fn sev(&self) -> u8 {
        let Some(analysis) = &self.analysis else { return 3 };
        analysis
            .severity
            .level
            .or_else(|| analysis.findings.iter().filter(|f| f.is_problem()).filter_map(|f| f.sev).min())
            .unwrap_or(3)
            .min(3)
    }

    /// fail/warn findings, most severe first (fail before warn, then Sev, then file order).
    pub fn problem_findings(&self) -> Vec<&Finding> {
        let Some(analysis) = &self.analysis else { return Vec::new() };
        let mut problems: Vec<&Finding> = analysis.findings.iter().filter(|f| f.is_problem()).collect();
        problems.sort_by_key(|f| (f.status.as_deref() != Some("fail"), f.sev.unwrap_or(3)));
        problems
    }
}

fn bundle_error(path: &Path, message: impl std::fmt::Display) -> DeskError {
    DeskError::Bundle { path: path.to_path_buf(), message: message.to_string() }
}

/// sha256 (hex) and size of a file, streaming.
pub fn file_sha256(path: &Path) -> Result<(String, u64), DeskError> {
    let mut file = std::fs::File::open(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => DeskError::BundleNotFound { path: path.to_path_buf() },
        _ => bundle_error(path, error),
    })?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(|error| bundle_error(path, error))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Read the bundle's identity and its mayadiag/ members.
pub fn read_bundle(path: &Path) -> Result<BundleInfo, DeskError> {
    let (sha256, size) = file_sha256(path)?;
    if !path.is_file() {
        return Err(bundle_error(path, "not a regular file"));
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bundle_error(path, "has no file name"))?;
    let mut info = BundleInfo {
        path: path.to_path_buf(),
        file_name,
        size,
        sha256,
        analysis: None,
        summary_md: None,
        manifest: None,
        warnings: Vec::new(),
    };
    // The same reader as analyze: root found anywhere, multi-member gzip, CRC checked, only the
    // three wanted members inflated into memory.
    let limits = crate::bundle::ReadLimits { max_member_bytes: MAX_MEMBER_BYTES, ..Default::default() };
    let bundle = crate::bundle::OpenBundle::open(path, limits).map_err(|error| bundle_error(path, error))?;
    let wanted = |rel: &str| matches!(rel, "mayadiag/analysis.json" | "mayadiag/summary.md" | "mayadiag/manifest.json");
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    let outcome = bundle
        .visit(&wanted, &mut |member| {
            members.push((member.rel.to_string(), member.data));
            Ok(())
        })
        .map_err(|error| bundle_error(path, error))?;
    info.warnings.extend(outcome.gaps.into_iter().map(|gap| format!("{}: {}", gap.what, gap.reason)));
    for (member, bytes) in members {
        match member.as_str() {
            "mayadiag/analysis.json" => match serde_json::from_slice::<Analysis>(&bytes) {
                Ok(analysis) => info.analysis = Some(analysis),
                Err(error) => info.warnings.push(format!("{member}: {error}")),
            },
            "mayadiag/manifest.json" => match serde_json::from_slice::<ManifestInfo>(&bytes) {
                Ok(manifest) => info.manifest = Some(manifest),
                Err(error) => info.warnings.push(format!("{member}: {error}")),
            },
            _ => info.summary_md = Some(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }
    if info.analysis.is_none() {
        info.warnings.push("the bundle has no mayadiag/analysis.json; the ticket will say Sev 3".into());
    }
    Ok(info)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Write a small bundle with the given members under `top/`.
    pub(crate) fn write_bundle(path: &Path, top: &str, members: &[(&str, &[u8])]) {
        let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("{e}"));
        let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut builder = tar::Builder::new(encoder);
        for (name, data) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, format!("{top}/{name}"), *data).unwrap_or_else(|e| panic!("{e}"));
        }
        let encoder = builder.into_inner().unwrap_or_else(|e| panic!("{e}"));
        encoder.finish().unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn reads_members_and_tolerates_missing_fields() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("b.tar.gz");
        let analysis = br#"{"severity":{"level":1},"findings":[
            {"check":"a","status":"warn","sev":2,"message":"warned"},
            {"check":"b","status":"fail","sev":1,"message":"offline","object":{"kind":"CStorVolume"}},
            {"check":"c","status":"pass","sev":0}],
            "engines":[{"engine":"cstor","version":"3.6.0"}]}"#;
        write_bundle(
            &path,
            "bundle-1",
            &[
                ("mayadiag/analysis.json", analysis),
                ("mayadiag/summary.md", b"# Summary\n"),
                ("mayadiag/manifest.json", br#"{"redaction":{"enabled":true,"total":7}}"#),
                ("cluster-resources/pods/default.json", b"{}"),
            ],
        );
        let info = read_bundle(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.sev(), 1);
        let problems = info.problem_findings();
        assert_eq!(problems.iter().map(|f| f.check.as_deref()).collect::<Vec<_>>(), vec![Some("b"), Some("a")]);
        assert_eq!(info.summary_md.as_deref(), Some("# Summary\n"));
        assert_eq!(info.manifest.and_then(|m| m.redaction).and_then(|r| r.total), Some(7));
        assert_eq!(info.size, std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0));
        assert_eq!(info.sha256.len(), 64);
    }

    #[test]
    fn missing_and_broken_bundles() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = read_bundle(&dir.path().join("nope.tar.gz")).err();
        assert_eq!(missing.map(|e| e.exit_code()), Some(2));
        let junk = dir.path().join("junk.tar.gz");
        std::fs::write(&junk, b"not gzip").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(read_bundle(&junk), Err(DeskError::Bundle { .. })));
        let empty = dir.path().join("empty.tar.gz");
        write_bundle(&empty, "x", &[("mayadiag/analysis.json", b"{}"), ("version.yaml", b"")]);
        let info = read_bundle(&empty).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.sev(), 3);
        // Not a support bundle at all (no version.yaml, no cluster-resources/): refused.
        let chart = dir.path().join("chart.tar.gz");
        write_bundle(&chart, "x", &[("Chart.yaml", b"name: x\n"), ("mayadiag/analysis.json", b"{}")]);
        let err = read_bundle(&chart).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("not a support bundle"), "{err}");
    }

    #[test]
    fn multi_member_gzip_bundles_are_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let single = dir.path().join("one.tar.gz");
        write_bundle(
            &single,
            "b",
            &[("version.yaml", b""), ("mayadiag/analysis.json", br#"{"severity":{"level":1},"findings":[]}"#)],
        );
        // Re-compress the same tar as two gzip members, as pigz or `cat a.gz b.gz` produce.
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&single).unwrap_or_else(|e| panic!("{e}")))
            .read_to_end(&mut tar)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut two = Vec::new();
        for part in [&tar[..600], &tar[600..]] {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, part).unwrap_or_else(|e| panic!("{e}"));
            two.extend(gz.finish().unwrap_or_else(|e| panic!("{e}")));
        }
        let multi = dir.path().join("multi.tar.gz");
        std::fs::write(&multi, two).unwrap_or_else(|e| panic!("{e}"));
        let info = read_bundle(&multi).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.sev(), 1);
    }
}

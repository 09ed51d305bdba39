//! The HTML report: one self-contained page per bundle (`mayadiag/report.html`, and
//! `mayadiag report BUNDLE`). Verdict, incidents (or failing findings) with the bundle file and
//! the kubectl command that prove each one, a components × nodes health grid with pools, the
//! volumes from PVC to pods, a timeline of Warning events and restarts, and the collection facts.
//!
//! The page is built with maud: markup checked at compile time, and every value that came from
//! the cluster escaped by construction (object names, log lines and event messages can hold
//! markup). CSS and the small script are inline and a Content-Security-Policy forbids any
//! network access; the page reads fully with JavaScript off (the script only sorts and filters).

mod page;
mod timeline;
pub mod view;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::bundle::FileEntry;
use crate::collect::manifest::{CollectorStatus, Manifest, RedactionSummary, Skip, Truncation};
use crate::report::Analysis;
use crate::snapshot::Snapshot;

/// Where `collect` puts the page inside the bundle.
pub const REPORT_PATH: &str = "mayadiag/report.html";

/// What the bundle's manifest says about its collection, read leniently: troubleshoot.sh bundles
/// have no manifest, and fixtures have a partial one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ManifestFacts {
    /// `mayadiag`.
    pub tool: Option<String>,
    /// Tool version.
    pub version: Option<String>,
    /// Command-line arguments.
    pub args: Vec<String>,
    /// Wall time of the collection.
    pub duration_ms: Option<u64>,
    /// Namespaces collected.
    pub namespaces: Vec<String>,
    /// Per-collector outcome.
    pub collectors: Vec<CollectorStatus>,
    /// Logs cut to the limit.
    pub truncations: Vec<Truncation>,
    /// What was skipped.
    pub skips: Vec<Skip>,
    /// Redaction summary.
    pub redaction: Option<RedactionSummary>,
    /// Files in the bundle.
    pub files: Vec<FileEntry>,
}

impl ManifestFacts {
    /// From the manifest `collect` is about to write.
    pub fn from_manifest(m: &Manifest) -> ManifestFacts {
        serde_json::to_value(m).ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
    }

    /// The value of `--flag V` or `--flag=V` in the recorded arguments.
    pub fn arg_value(&self, flag: &str) -> Option<String> {
        let mut args = self.args.iter();
        while let Some(a) = args.next() {
            if a == flag {
                return args.next().cloned();
            }
            if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_string());
            }
        }
        None
    }

    /// `--since` of the collection (24h when not recorded: collect's default).
    pub fn since(&self) -> Duration {
        self.arg_value("--since")
            .and_then(|v| crate::units::parse_duration(&v).ok())
            .and_then(|d| Duration::from_std(d).ok())
            .unwrap_or_else(|| Duration::hours(24))
    }
}

/// Everything one page is built from.
pub struct ReportInput<'a> {
    /// The analysis (verdict, findings, incidents).
    pub analysis: &'a Analysis,
    /// The snapshot it ran on.
    pub snapshot: &'a Snapshot,
    /// The manifest facts (default for troubleshoot.sh bundles).
    pub facts: &'a ManifestFacts,
    /// The customer's description, when given now rather than at collection.
    pub description: Option<&'a str>,
    /// Bundle name for the title (empty: the page is inside the bundle).
    pub bundle_name: &'a str,
}

/// Render the page.
pub fn render(input: &ReportInput) -> String {
    page::render(input).into_string()
}

/// The page `collect` writes into the bundle, from the manifest it is about to write.
pub fn render_collected(analysis: &Analysis, snapshot: &Snapshot, manifest: &Manifest) -> String {
    let facts = ManifestFacts::from_manifest(manifest);
    render(&ReportInput { analysis, snapshot, facts: &facts, description: None, bundle_name: "" })
}

/// Errors of `mayadiag report`.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    /// The page could not be written.
    #[error("cannot write the report to {}: {source} (check the directory exists and is writable, or pick another -o)", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Read the manifest facts of a bundle (default when it has none, or an unreadable one).
pub fn read_facts(bundle: &Path) -> Result<ManifestFacts, crate::bundle::BundleError> {
    let mut facts = ManifestFacts::default();
    crate::bundle::visit_bundle(bundle, |rel, data| {
        if rel == "mayadiag/manifest.json" {
            facts = serde_json::from_slice(&data).unwrap_or_default();
        }
        Ok(())
    })?;
    Ok(facts)
}

/// The time the page is about: the snapshot's collection time.
fn collected(snap: &Snapshot) -> DateTime<Utc> {
    snap.meta.collected_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_arguments() {
        let facts = ManifestFacts {
            args: vec!["collect".into(), "--since=6h".into(), "--description".into(), "volumes <gone>".into()],
            ..Default::default()
        };
        assert_eq!(facts.since(), Duration::hours(6));
        assert_eq!(facts.arg_value("--description").as_deref(), Some("volumes <gone>"));
        assert_eq!(ManifestFacts::default().since(), Duration::hours(24));
    }
}

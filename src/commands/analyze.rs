//! `mayadiag analyze BUNDLE`.

use std::path::Path;

use serde_json::Value;

use super::shared::{fail_on, first_member, load_checks, print_analysis, severity_input, warn_unknown_coverage};
use crate::cli::{AnalyzeArgs, OutputFormat};
use crate::failure::Failure;
use crate::report::analyze;

/// `mayadiag analyze BUNDLE`: the same checks on a received bundle.
pub async fn run(args: AnalyzeArgs) -> Result<i32, Failure> {
    let set = load_checks(&args.check)?;
    let patterns = set.log_patterns();
    let path = args.bundle.clone();
    let limits = args.read.limits();
    let (snap, provenance) = tokio::task::spawn_blocking(move || {
        let snap = crate::bundle::read_bundle_with(&path, &patterns, limits)?;
        let provenance = Provenance::of(&path, &snap);
        Ok::<_, crate::bundle::BundleError>((snap, provenance))
    })
    .await
    .map_err(Failure::runtime)?
    .map_err(Failure::runtime)?;
    let analysis = analyze(&set, &snap, &severity_input(&args.check, args.description.as_ref()));
    match args.format {
        OutputFormat::Text | OutputFormat::Markdown => {
            println!("{}\n", crate::term::escape_line(&provenance.header()));
            print_analysis(&analysis, args.format, None);
        }
        OutputFormat::Json | OutputFormat::Yaml => print_analysis(
            &analysis,
            args.format,
            Some(("source", serde_json::to_value(&provenance).unwrap_or(Value::Null))),
        ),
    }
    warn_unknown_coverage(&analysis, args.format);
    Ok(analysis.exit_code(fail_on(args.fail_on)))
}

/// Which bundle `analyze` read: its path, the tool that wrote it and when it was collected.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Provenance {
    /// The bundle as given.
    pub bundle: String,
    /// `mayadiag 0.1.0`, `troubleshoot.sh v0.107.1`, or `an unknown tool` (from `version.yaml`).
    pub written_by: String,
    /// When the cluster was read (RFC 3339): the manifest's time, or the newest event's.
    pub collected_at: String,
}

impl Provenance {
    /// From the bundle's `version.yaml`, which mayadiag writes first (`versionNumber:
    /// mayadiag-0.1.0`), so the read stops after one entry instead of inflating the whole bundle.
    fn of(path: &Path, snap: &crate::snapshot::Snapshot) -> Provenance {
        let version = first_member(path, "version.yaml")
            .and_then(|data| String::from_utf8(data).ok())
            .and_then(|text| serde_saphyr::from_str::<Value>(&text).ok())
            .and_then(|v| v.pointer("/spec/versionNumber").and_then(Value::as_str).map(str::to_string));
        let written_by = match version {
            Some(v) if v.starts_with("mayadiag-") => v.replacen("mayadiag-", "mayadiag ", 1),
            Some(v) => format!("troubleshoot.sh {v}"),
            None => "an unknown tool (no version.yaml)".to_string(),
        };
        Provenance {
            bundle: path.display().to_string(),
            written_by,
            collected_at: snap.meta.collected_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// `bundle: PATH (written by mayadiag 0.1.0, collected 2026-11-30T12:05:00Z)`.
    fn header(&self) -> String {
        format!("bundle: {} (written by {}, collected {})", self.bundle, self.written_by, self.collected_at)
    }
}

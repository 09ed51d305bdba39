//! `mayadiag/manifest.json`: what the bundle holds and how it was made — tool version, arguments,
//! timings, every file with its size and sha256, collector statuses, truncations, skips and
//! redaction counts. Written last, so it can list everything before it.

use serde::{Deserialize, Serialize};

use crate::bundle::FileEntry;

/// Outcome of one collector (one kind, one namespace, one log group).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CollectorStatus {
    /// What was collected (`pods`, `events/openebs`, `cstorvolumes.cstor.openebs.io`, `logs`).
    pub name: String,
    /// `ok`, `partial`, `failed` or `skipped`.
    pub status: String,
    /// Objects or logs collected.
    pub items: u64,
    /// Wall time.
    pub duration_ms: u64,
    /// Why it failed or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A log cut to `--max-log-bytes`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Truncation {
    /// Bundle path.
    pub file: String,
    /// Bytes kept (the newest).
    pub kept_bytes: u64,
    /// Bytes received.
    pub received_bytes: u64,
}

/// Something not collected on purpose or by failure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Skip {
    /// What.
    pub what: String,
    /// Why (for 403: the verb and resource that was missing).
    pub reason: String,
}

/// Redaction summary in the manifest (details in `mayadiag/redaction-report.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RedactionSummary {
    /// Redaction was on.
    pub enabled: bool,
    /// `--no-redact --yes` was given.
    pub disabled_by_user: bool,
    /// Values masked.
    pub total: u64,
    /// Per rule.
    pub per_rule: std::collections::BTreeMap<String, u64>,
    /// Files replaced by a note because their redaction failed.
    pub dropped_files: u64,
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// `mayadiag`.
    pub tool: String,
    /// Tool version.
    pub version: String,
    /// Command-line arguments (secrets never come from argv).
    pub args: Vec<String>,
    /// When collection started (RFC 3339); the reference time for analysis.
    pub collected_at: String,
    /// Wall time of the whole collection.
    pub duration_ms: u64,
    /// API server URL (redacted like everything else).
    pub server: String,
    /// API server version.
    pub cluster_version: Option<String>,
    /// Namespaces collected and why.
    pub namespaces: Vec<String>,
    /// Per-collector outcome.
    pub collectors: Vec<CollectorStatus>,
    /// Logs cut to the limit.
    pub truncations: Vec<Truncation>,
    /// What was skipped and why.
    pub skips: Vec<Skip>,
    /// Redaction summary.
    pub redaction: RedactionSummary,
    /// Every file before this one, in archive order.
    pub files: Vec<FileEntry>,
}

//! The diagnosis layer: correlates findings along the storage dependency graph the Snapshot holds
//! (node → engine node components → pool/VG/zpool → volume/replica → PV → PVC → pods → workloads;
//! ChaosEngine → runner/helper → ChaosResult → target) into [`Incident`]s: one root cause with its
//! node and quoted evidence, the chain of findings it explains, the impact ("is it storage?"
//! verdicts) and the Sev with the rubric row that fired (docs/severity.md).
//!
//! Findings stay small and per-object; incidents are built from them here, and the Sev suggestion
//! reads incidents. Views (text, JSON, markdown, HTML) render [`Incident`]s; they never re-derive.

mod build;
pub mod graph;
pub mod rubric;
pub mod verdict;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::checks::{Finding, ObjectRef};
use crate::snapshot::Snapshot;

pub use build::explained;

/// One root cause and everything it explains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable id within one analysis (`inc-1`, `inc-2`, … in Sev order).
    pub id: String,
    /// Sev 0–3 by the rubric.
    pub sev: u8,
    /// The rubric row that fired: `0a`, `0b`, `0c`, `0d`, `1`, `2`, `3`.
    pub rule: String,
    /// One line for people: what is wrong, at the root.
    pub title: String,
    /// The deepest failing element.
    pub root_cause: RootCause,
    /// The findings this incident explains, root first.
    pub chain: Vec<FindingRef>,
    /// Workloads and PVCs it hurts.
    pub impact: Vec<Impact>,
    /// What to do, root cause first.
    pub remediation: String,
}

/// The deepest failing element of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    /// The object at fault.
    pub object: ObjectRef,
    /// Its node, when it has one.
    pub node: Option<String>,
    /// Quoted log lines, events or status fields that show it.
    pub evidence: Vec<String>,
}

/// A pointer to one finding of the same analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRef {
    /// Check id.
    pub check: String,
    /// The finding's object.
    pub object: ObjectRef,
}

impl FindingRef {
    /// The reference to a finding.
    pub fn to(f: &Finding) -> FindingRef {
        FindingRef { check: f.check.clone(), object: f.object.clone() }
    }
}

/// "Is it storage?": one workload (or chaos target) and what decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Impact {
    /// `Kind namespace/name` of the workload (or the pod when it has no controller).
    pub workload: String,
    /// `namespace/name` of the PVC involved, if any.
    pub pvc: Option<String>,
    /// `storage`, `not storage` or `unknown`.
    pub verdict: Verdict,
    /// The facts that decided the verdict.
    pub facts: Vec<String>,
}

/// Whether a workload's trouble comes from its storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    /// The volume path is at fault.
    #[serde(rename = "storage")]
    Storage,
    /// The volume is healthy and mounted; the application's own error explains it.
    #[serde(rename = "not storage")]
    NotStorage,
    /// The facts do not decide.
    #[serde(rename = "unknown")]
    Unknown,
}

/// Build the incidents of one analysis, most severe first. Findings no incident explains stay as
/// they are. Nothing here depends on the order of objects or findings.
pub fn diagnose(findings: &[Finding], snap: &Snapshot) -> Vec<Incident> {
    build::incidents(findings, snap)
}

/// Cut a message at a word boundary near `max` characters, and undo JSON string escapes (`\"`)
/// that quoted API errors carry.
pub fn clip(s: &str, max: usize) -> String {
    let s = s.replace("\\\"", "\"").replace("\\n", " ");
    if s.chars().count() <= max {
        return s;
    }
    let cut: String = s.chars().take(max).collect();
    let at = cut.rfind(char::is_whitespace).filter(|&i| i > max / 2).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

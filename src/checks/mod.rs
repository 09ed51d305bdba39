//! The check engine: health checks written as data (`checks/*.yaml`), run on a [`Snapshot`].
//!
//! A check names an analyzer `kind` (typed Rust in [`analyzers`]) with parameters, the Sev it
//! implies, a message template, remediation and a docs link. [`run_checks`] runs every check and
//! returns findings in a deterministic order; `severity` and `report` turn them into a Sev
//! suggestion and reports.

pub mod analyzers;
pub mod engine;
pub mod load;
pub mod model;

#[cfg(test)]
mod tests_classes;
#[cfg(test)]
mod tests_fm;

use serde::{Deserialize, Serialize};

pub use crate::snapshot::ObjectRef;
use crate::snapshot::{LogPatterns, Snapshot};
pub use load::CheckLoadError;
use model::{Analyzer, CheckMeta};

/// Outcome of a check on one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Something is broken.
    Fail,
    /// Something looks wrong or risky.
    Warn,
    /// Checked and fine.
    Pass,
}

/// One result of one check on one object.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Finding {
    /// Check id.
    pub check: String,
    /// Check title.
    pub title: String,
    /// Engine id the finding is about.
    pub engine: String,
    /// fail / warn / pass.
    pub status: Status,
    /// Sev 0–3 this finding implies.
    pub sev: u8,
    /// The object it is about.
    pub object: ObjectRef,
    /// What is wrong, naming the object.
    pub message: String,
    /// Quoted evidence: event messages, log lines, status fields.
    pub evidence: Vec<String>,
    /// What to do.
    pub remediation: String,
    /// Documentation link.
    pub docs: String,
    /// The node the object is on or about (a pod's node, a PV's pinned node, a node itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The severity-rubric row this check's failure falls under (`0a`..`0d`, `1`, `2`, `3`;
    /// docs/severity.md), from the check's `rubric:` field. The diagnosis layer may refine it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<String>,
}

/// One loaded check.
#[derive(Debug, Clone)]
pub struct Check {
    /// Common fields.
    pub meta: CheckMeta,
    /// The analyzer and its parameters.
    pub analyzer: Analyzer,
    /// `file:line` it was defined at.
    pub origin: String,
}

/// A validated set of checks, unique by id.
#[derive(Debug, Clone)]
pub struct CheckSet {
    checks: Vec<Check>,
}

impl CheckSet {
    /// The checks shipped in the binary.
    pub fn builtin() -> Result<CheckSet, CheckLoadError> {
        CheckSet::load(None)
    }

    /// The built-in checks plus the `*.yaml` files of `extra_dir`, which add checks or replace
    /// built-in ones with the same id.
    pub fn load(extra_dir: Option<&std::path::Path>) -> Result<CheckSet, CheckLoadError> {
        let mut checks = Vec::new();
        let mut builtin = Vec::new();
        for (file, text) in load::BUILTIN_FILES {
            builtin.extend(load::parse_file(file, text)?);
        }
        load::reject_duplicates(&builtin)?;
        merge(&mut checks, builtin);
        if let Some(dir) = extra_dir {
            let mut extra = Vec::new();
            for (file, text) in load::read_dir(dir)? {
                extra.extend(load::parse_file(&file, &text)?);
            }
            load::reject_duplicates(&extra)?;
            merge(&mut checks, extra);
        }
        load::validate_references(&checks)?;
        Ok(CheckSet { checks })
    }

    /// Build a set from already parsed checks (tests, `--checks` only sets).
    pub fn from_checks(checks: Vec<Check>) -> Result<CheckSet, CheckLoadError> {
        let mut merged = Vec::new();
        merge(&mut merged, checks);
        load::validate_references(&merged)?;
        Ok(CheckSet { checks: merged })
    }

    /// `(check id, regex)` of every log-pattern check, compiled for the log scanners.
    pub fn log_patterns(&self) -> LogPatterns {
        let pairs = self
            .checks
            .iter()
            .filter_map(|c| match &c.analyzer {
                Analyzer::LogPattern(p) => Some((c.meta.id.clone(), p.regex.0.as_str().to_string())),
                _ => None,
            })
            .collect();
        // Every regex was compiled when the check was loaded, so this cannot fail.
        LogPatterns::new(pairs).unwrap_or_else(|_| LogPatterns::empty())
    }

    /// Check ids, in definition order.
    pub fn ids(&self) -> Vec<&str> {
        self.checks.iter().map(|c| c.meta.id.as_str()).collect()
    }

    /// The checks.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }
}

fn merge(into: &mut Vec<Check>, new: Vec<Check>) {
    for check in new {
        match into.iter_mut().find(|c| c.meta.id == check.meta.id) {
            Some(existing) => *existing = check,
            None => into.push(check),
        }
    }
}

/// Run every check on the snapshot. Findings are ordered by Sev, status, check id, object.
pub fn run_checks(set: &CheckSet, snap: &Snapshot) -> Vec<Finding> {
    engine::run(set, snap)
}

//! `check`, `analyze` and `redact` commands, and the check-engine glue shared with `collect`.
//! TEMPORARY until the check engine lands: analysis is empty.

use serde_json::{Value, json};

use crate::app::Failure;
use crate::cli::{AnalyzeArgs, CheckArgs, CheckOptions, RedactArgs};
use crate::snapshot::{LogPatterns, Snapshot};

/// What `collect` writes and prints from the analysis.
pub struct AnalysisOutput {
    /// `analysis.json` and `summary.md` bytes.
    pub files: Option<(Vec<u8>, Vec<u8>)>,
    /// The JSON report (`-o json`), with a `human` rendering for text output.
    pub report: Value,
}

/// The log patterns of the check set.
pub fn log_patterns(_opts: &CheckOptions) -> Result<LogPatterns, Failure> {
    Ok(LogPatterns::empty())
}

/// Run the checks on a snapshot.
pub fn analyze_snapshot(_snap: &Snapshot, _opts: &CheckOptions) -> Result<AnalysisOutput, Failure> {
    Ok(AnalysisOutput { files: None, report: json!({"severity": {"level": 3, "reasons": []}, "findings": []}) })
}

/// `mayadiag check`.
pub async fn check(_args: CheckArgs) -> Result<i32, Failure> {
    Err(Failure::runtime("check: not wired yet"))
}

/// `mayadiag analyze`.
pub async fn analyze(_args: AnalyzeArgs) -> Result<i32, Failure> {
    Err(Failure::runtime("analyze: not wired yet"))
}

/// `mayadiag redact`.
pub async fn redact(_args: RedactArgs) -> Result<i32, Failure> {
    Err(Failure::runtime("redact: not wired yet"))
}

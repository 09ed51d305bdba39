//! Commands that describe the tool itself rather than a cluster: `checks list`, `checks lint DIR`,
//! `completions SHELL` and `man`. Each returns what to print, so tests and the command layer share
//! one implementation.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use clap::{CommandFactory, FromArgMatches};
use serde::Serialize;

use crate::checks::load::{self, CheckLoadError};
use crate::checks::{Check, CheckSet};
use crate::cli::Cli;

/// The name kubectl gives a plugin binary; invoked under it, help and usage say `kubectl mayadiag`.
pub const KUBECTL_PLUGIN_NAME: &str = "kubectl-mayadiag";

/// Whether `argv0` (the program path) is the kubectl plugin name.
pub fn invoked_as_kubectl_plugin(argv0: Option<&OsString>) -> bool {
    argv0
        .and_then(|p| Path::new(p).file_stem().map(|s| s.to_string_lossy().into_owned()))
        .is_some_and(|stem| stem == KUBECTL_PLUGIN_NAME)
}

/// Parse the process arguments; help and errors print and exit as clap does.
pub fn parse_args(args: Vec<OsString>) -> Cli {
    let mut command = Cli::command();
    if invoked_as_kubectl_plugin(args.first()) {
        command = command.bin_name("kubectl mayadiag");
    }
    let matches = command.get_matches_from(args);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// One row of `checks list`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRow {
    /// Check id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Engine id.
    pub engine: String,
    /// Analyzer kind (`pod-health`, `log-pattern`, ...).
    pub kind: String,
    /// Sev when it fails.
    pub sev: u8,
    /// Severity-rubric row, when the check names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rubric: Option<String>,
    /// Where it is defined (`file:line`).
    pub origin: String,
}

/// The rows of `checks list`, sorted by engine, then Sev, then id.
pub fn check_rows(set: &CheckSet) -> Vec<CheckRow> {
    let mut rows: Vec<CheckRow> = set
        .checks()
        .iter()
        .map(|c| CheckRow {
            id: c.meta.id.clone(),
            title: c.meta.title.clone(),
            engine: c.meta.engine.clone(),
            kind: c.analyzer.kind().to_string(),
            sev: c.meta.sev,
            rubric: c.meta.rubric.clone(),
            origin: c.origin.clone(),
        })
        .collect();
    rows.sort_by(|a, b| (&a.engine, a.sev, &a.id).cmp(&(&b.engine, b.sev, &b.id)));
    rows
}

/// `checks list` as an aligned table.
pub fn check_table(rows: &[CheckRow]) -> String {
    let id_width = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let engine_width = rows.iter().map(|r| r.engine.len()).max().unwrap_or(6).max(6);
    let mut out = format!("{:<id_width$}  {:<engine_width$}  SEV  TITLE\n", "ID", "ENGINE");
    for r in rows {
        out.push_str(&format!("{:<id_width$}  {:<engine_width$}  {:<3}  {}\n", r.id, r.engine, r.sev, r.title));
    }
    out.push_str(&format!("{} checks\n", rows.len()));
    out
}

/// What `checks lint DIR` found.
#[derive(Debug, Default)]
pub struct LintReport {
    /// Check files read.
    pub files: usize,
    /// Checks that parsed.
    pub checks: usize,
    /// Every problem, `file:line: what` (empty when the directory is clean).
    pub problems: Vec<CheckLoadError>,
}

/// Validate every check file of `dir`: each file on its own (syntax, fields, regexes, placeholders,
/// duplicate ids in a file), then across files (duplicate ids), then `unless` references against
/// the built-in checks plus these. All problems are reported, not only the first.
pub fn lint_dir(dir: &Path) -> Result<LintReport, CheckLoadError> {
    let files = load::read_dir(dir)?;
    let mut report = LintReport { files: files.len(), ..LintReport::default() };
    let mut parsed: Vec<Check> = Vec::new();
    for (file, text) in &files {
        match load::parse_file(file, text) {
            Ok(checks) => parsed.extend(checks),
            Err(e) => report.problems.push(e),
        }
    }
    report.checks = parsed.len();
    if let Err(e) = load::reject_duplicates(&parsed) {
        report.problems.push(e);
    }
    let mut all = CheckSet::builtin()?.checks().to_vec();
    let by_id: BTreeMap<&str, ()> = parsed.iter().map(|c| (c.meta.id.as_str(), ())).collect();
    all.retain(|c| !by_id.contains_key(c.meta.id.as_str()));
    all.extend(parsed.iter().cloned());
    if let Err(e) = load::validate_references(&all) {
        report.problems.push(e);
    }
    Ok(report)
}

/// Write the completion script for `shell` (the binary is `mayadiag`).
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "mayadiag", out);
}

/// Write the man page of `mayadiag` (roff).
pub fn man_page(out: &mut dyn Write) -> std::io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

/// Write `mayadiag.1` and one page per subcommand into `dir`.
pub fn man_pages_to(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(Cli::command(), dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_name_is_recognised_from_any_path() {
        assert!(invoked_as_kubectl_plugin(Some(&OsString::from("/usr/local/bin/kubectl-mayadiag"))));
        assert!(invoked_as_kubectl_plugin(Some(&OsString::from("kubectl-mayadiag.exe"))));
        assert!(!invoked_as_kubectl_plugin(Some(&OsString::from("/usr/bin/mayadiag"))));
        assert!(!invoked_as_kubectl_plugin(None));
    }

    #[test]
    fn table_lists_every_builtin_check_once() {
        let set = CheckSet::builtin().unwrap_or_else(|e| panic!("{e}"));
        let rows = check_rows(&set);
        assert_eq!(rows.len(), set.ids().len());
        let table = check_table(&rows);
        assert!(table.starts_with("ID "), "{table}");
        assert!(table.contains("mayastor-hugepages-exhausted"), "{table}");
        assert!(table.ends_with(&format!("{} checks\n", rows.len())));
    }

    #[test]
    fn builtin_checks_lint_clean() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let report = lint_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(report.files >= 10 && report.checks >= 50, "{report:?}");
    }
}

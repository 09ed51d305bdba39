//! `mayadiag checks list` and `mayadiag checks lint DIR`.

use crate::checks::CheckSet;
use crate::cli::OutputFormat;
use crate::exit;
use crate::failure::Failure;

/// `mayadiag checks list`: every check of the set (built in plus `--checks DIR`).
pub fn list(args: crate::cli::ChecksListArgs) -> Result<i32, Failure> {
    let set = CheckSet::load(args.checks.as_deref()).map_err(Failure::usage)?;
    let rows = crate::introspect::check_rows(&set);
    match args.format {
        OutputFormat::Text | OutputFormat::Markdown => print!("{}", crate::introspect::check_table(&rows)),
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default()),
        OutputFormat::Yaml => println!("{}", serde_saphyr::to_string(&rows).unwrap_or_default()),
    }
    Ok(exit::OK)
}

/// `mayadiag checks lint DIR`: every problem as `file:line: what`, exit 2 when there is one.
pub fn lint(args: crate::cli::ChecksLintArgs) -> Result<i32, Failure> {
    let report = crate::introspect::lint_dir(&args.dir).map_err(Failure::usage)?;
    for problem in &report.problems {
        println!("{problem}");
    }
    if report.problems.is_empty() {
        println!("{}: {} files, {} checks: ok", args.dir.display(), report.files, report.checks);
        Ok(exit::OK)
    } else {
        Err(Failure::usage(format!(
            "{}: {} problem(s) in {} check files; fix them and run `mayadiag checks lint` again",
            args.dir.display(),
            report.problems.len(),
            report.files
        )))
    }
}

//! `check`, `analyze` and `redact`, and the check-engine glue `collect` shares with them: one
//! engine on a Snapshot, the same structures printed everywhere.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::app::Failure;
use crate::bundle::{Destination, PartialFile};
use crate::checks::CheckSet;
use crate::cli::{AnalyzeArgs, CheckArgs, CheckOptions, FailOnArg, OutputFormat, RedactArgs};
use crate::collect::command::{connect, redactor_from};
use crate::collect::{CollectOptions, NoProgress, collect};
use crate::exit;
use crate::redact::{RedactionReport, Redactor, dropped_file_note};
use crate::report::{Analysis, FailOn, analyze, render_human, summary_markdown};
use crate::severity::SeverityInput;
use crate::snapshot::{LogPatterns, Snapshot};

/// What `collect` writes and prints from the analysis.
pub struct AnalysisOutput {
    /// The analysis.
    pub analysis: Analysis,
    /// `mayadiag/analysis.json` and `mayadiag/summary.md`.
    pub files: Option<(Vec<u8>, Vec<u8>)>,
    /// The JSON form (the DESIGN contract) for `-o json|yaml`.
    pub report: Value,
}

/// Load the check set; a bad check file is a usage error naming the file and line.
pub fn load_checks(opts: &CheckOptions) -> Result<CheckSet, Failure> {
    CheckSet::load(opts.checks.as_deref()).map_err(Failure::usage)
}

/// The log patterns of the check set (for the log scanners of collect and the bundle reader).
pub fn log_patterns(opts: &CheckOptions) -> Result<LogPatterns, Failure> {
    Ok(load_checks(opts)?.log_patterns())
}

fn severity_input(opts: &CheckOptions, description: Option<&String>) -> SeverityInput {
    SeverityInput { description: description.cloned(), sev_override: opts.sev }
}

/// Run the checks on a snapshot and render what the bundle stores.
pub fn analyze_snapshot(
    snap: &Snapshot,
    opts: &CheckOptions,
    description: Option<&String>,
) -> Result<AnalysisOutput, Failure> {
    let set = load_checks(opts)?;
    let analysis = analyze(&set, snap, &severity_input(opts, description));
    let json = serde_json::to_vec_pretty(&analysis).unwrap_or_default();
    let summary = summary_markdown(&analysis).into_bytes();
    let report = serde_json::to_value(&analysis).unwrap_or(Value::Null);
    Ok(AnalysisOutput { analysis, files: Some((json, summary)), report })
}

fn fail_on(arg: FailOnArg) -> FailOn {
    match arg {
        FailOnArg::Warn => FailOn::Warn,
        FailOnArg::Fail => FailOn::Fail,
        FailOnArg::Never => FailOn::Never,
    }
}

/// Colour when stdout is a terminal and NO_COLOR is unset.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Print an analysis in the requested format.
pub fn print_analysis(a: &Analysis, format: OutputFormat, extra: Option<(&str, Value)>) {
    print!("{}", render_analysis(a, format, extra, use_color()));
}

/// An analysis in the requested format. Text escapes control characters from the cluster's
/// data (`crate::term`); JSON escapes them by its own rules.
pub fn render_analysis(a: &Analysis, format: OutputFormat, extra: Option<(&str, Value)>, color: bool) -> String {
    match format {
        OutputFormat::Text => render_human(&crate::term::escaped(a), color),
        OutputFormat::Json | OutputFormat::Yaml => {
            let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
            if let (Some((k, x)), Some(map)) = (extra, v.as_object_mut()) {
                map.insert(k.to_string(), x);
            }
            let text = if format == OutputFormat::Json {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            } else {
                crate::term::escape_value(&mut v);
                serde_saphyr::to_string(&v).unwrap_or_default()
            };
            format!("{text}\n")
        }
    }
}

/// An output that cannot be written: exit 2 when refused (exists, not a regular file, no
/// directory), 1 when creating it failed.
pub fn output_failure(e: crate::bundle::OutputError) -> Failure {
    Failure { code: e.exit_code(), message: e.to_string() }
}

/// When the verdict is unknown and the report is machine-readable, one line on stderr too (the
/// text report leads with it already).
pub fn warn_unknown_coverage(a: &Analysis, format: OutputFormat) {
    if a.coverage.verdict == crate::coverage::Verdict::Unknown && format != OutputFormat::Text {
        eprintln!(
            "mayadiag: verdict unknown (exit {}): could not read {}; {}",
            exit::UNKNOWN,
            a.coverage.unreadable.iter().filter(|u| u.core).map(|u| u.resource.as_str()).collect::<Vec<_>>().join(", "),
            a.coverage.fixes.first().map(String::as_str).unwrap_or("see the coverage field")
        );
    }
}

/// `mayadiag check`: a fast live check (objects, events, log tails of unhealthy pods only).
pub async fn check(args: CheckArgs) -> Result<i32, Failure> {
    let set = load_checks(&args.check)?;
    let patterns = Arc::new(set.log_patterns());
    let redactor = Arc::new(redactor_from(&Default::default(), false, Vec::new())?);
    let target = connect(&args.kube, false, args.concurrency as usize).await?;
    let version = target.kube.version().await.map_err(Failure::runtime)?;
    let opts = CollectOptions {
        since: std::time::Duration::from_secs(6 * 3600),
        max_log_bytes: 256 * 1024,
        max_bundle_size: u64::MAX,
        // The tails of unhealthy application pods on OpenEBS volumes (and chaos targets) too: their
        // last error lines say whether the volume or the application is at fault.
        app_logs: !args.no_log_tails,
        concurrency: args.concurrency as usize,
        tails_only: Some(200),
        logs: !args.no_log_tails,
        page_size: 500,
        args: Vec::new(),
        redaction_disabled_by_user: false,
    };
    let collected =
        collect(&target.kube, &opts, redactor, patterns, None, &NoProgress, version).await.map_err(Failure::runtime)?;
    let analysis = analyze(&set, &collected.snapshot, &severity_input(&args.check, args.description.as_ref()));
    print_analysis(&analysis, args.format, None);
    warn_unknown_coverage(&analysis, args.format);
    Ok(analysis.exit_code(fail_on(args.fail_on)))
}

/// `mayadiag analyze BUNDLE`: the same checks on a received bundle.
pub async fn analyze_bundle(args: AnalyzeArgs) -> Result<i32, Failure> {
    let set = load_checks(&args.check)?;
    let patterns = set.log_patterns();
    let path = args.bundle.clone();
    let limits = args.read.limits();
    let snap = tokio::task::spawn_blocking(move || crate::bundle::read_bundle_with(&path, &patterns, limits))
        .await
        .map_err(Failure::runtime)?
        .map_err(Failure::runtime)?;
    let analysis = analyze(&set, &snap, &severity_input(&args.check, args.description.as_ref()));
    print_analysis(&analysis, args.format, None);
    warn_unknown_coverage(&analysis, args.format);
    Ok(analysis.exit_code(fail_on(args.fail_on)))
}

/// `mayadiag redact INPUT`: a text file or stdin to stdout/`-o`, or a bundle into a new bundle.
pub async fn redact(args: RedactArgs) -> Result<i32, Failure> {
    let redactor = redactor_from(&args.redact, false, Vec::new())?;
    let input = args.input.clone();
    let is_bundle =
        input.is_dir() || input.to_string_lossy().ends_with(".tar.gz") || input.to_string_lossy().ends_with(".tgz");
    let output = args.output.clone();
    let force = args.force;
    tokio::task::spawn_blocking(move || {
        if is_bundle {
            redact_bundle(&redactor, &input, output, force)
        } else {
            redact_stream(&redactor, &input, output.as_deref(), force)
        }
    })
    .await
    .map_err(Failure::runtime)?
}

fn redact_stream(redactor: &Redactor, input: &Path, output: Option<&Path>, force: bool) -> Result<i32, Failure> {
    let name = input.display().to_string();
    let mut reader: Box<dyn Read> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(input).map_err(|e| Failure::runtime(format!("cannot read {name}: {e}")))?)
    };
    // A file is written through a partial file and renamed into place when complete.
    let mut partial = match output.map(Destination::from_arg) {
        Some(Destination::File(p)) => Some(PartialFile::create(&p, force).map_err(output_failure)?),
        _ => None,
    };
    let mut stdout = std::io::stdout().lock();
    let writer: &mut dyn Write = match partial.as_mut() {
        Some(f) => f,
        None => &mut stdout,
    };
    let mut stream = redactor.stream(&name);
    let mut report = RedactionReport::default();
    let mut buf = vec![0u8; 256 * 1024];
    let mut out = Vec::new();
    loop {
        let n = reader.read(&mut buf).map_err(|e| Failure::runtime(format!("cannot read {name}: {e}")))?;
        if n == 0 {
            break;
        }
        stream.push(&buf[..n], &mut out).map_err(Failure::runtime)?;
        writer.write_all(&out).map_err(|e| Failure::runtime(format!("cannot write: {e}")))?;
        out.clear();
    }
    stream.finish(&mut out, &mut report).map_err(Failure::runtime)?;
    writer.write_all(&out).and_then(|_| writer.flush()).map_err(|e| Failure::runtime(format!("cannot write: {e}")))?;
    if let Some(file) = partial {
        let target = output.map(|p| p.display().to_string()).unwrap_or_default();
        file.commit().map_err(|e| Failure::runtime(format!("cannot write {target}: {e}")))?;
    }
    eprintln!("mayadiag: {} value(s) redacted", report.total());
    Ok(exit::OK)
}

/// Re-redact every file of a bundle into a new bundle (e.g. with new rules); files that fail
/// are replaced by a note (fail closed). The manifest gets the new checksums.
fn redact_bundle(redactor: &Redactor, input: &Path, output: Option<PathBuf>, force: bool) -> Result<i32, Failure> {
    use crate::bundle::layout::{self, Entry};
    let stem = input
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".tar.gz").trim_end_matches(".tgz").to_string())
        .unwrap_or_else(|| "bundle".into());
    let output = output.unwrap_or_else(|| input.with_file_name(format!("{stem}.redacted.tar.gz")));
    let top = format!("{stem}-redacted");
    let mtime = chrono::Utc::now().timestamp().max(0) as u64;
    let destination = Destination::from_arg(&output);
    let mut writer =
        crate::bundle::BundleWriter::create(&destination, force, &top, mtime, 6).map_err(output_failure)?;
    let mut report = RedactionReport::default();
    let mut manifest: Option<Value> = None;
    crate::bundle::visit_bundle(input, |rel, data| {
        if rel == "mayadiag/manifest.json" {
            manifest = serde_json::from_slice(&data).ok();
            return Ok(());
        }
        if rel == "mayadiag/redaction-report.json" {
            return Ok(());
        }
        let redacted: Result<Vec<u8>, String> = match layout::classify(rel) {
            Entry::Builtin { .. } | Entry::Custom { yaml: false, .. } | Entry::NodeReport { .. } => {
                redact_json(redactor, rel, &data, &mut report)
            }
            _ => {
                let mut out = Vec::new();
                let mut s = redactor.stream(rel);
                s.push(&data, &mut out)
                    .and_then(|_| s.finish(&mut out, &mut report))
                    .map(|_| out)
                    .map_err(|e| e.to_string())
            }
        };
        let bytes = match redacted {
            Ok(b) => b,
            Err(reason) => {
                report.record_dropped(rel, &reason);
                dropped_file_note(rel, &reason).into_bytes()
            }
        };
        writer.add(rel, &bytes)
    })
    .map_err(Failure::runtime)?;
    // A rule that could not be applied is a failed redaction, not a note in a bundle that looks
    // done: nothing is written (dropping the writer removes the partial file).
    if let Some(first) = report.dropped().first() {
        return Err(Failure::runtime(format!(
            "could not apply the redaction rules to {} file(s) (first: {}); no redacted bundle was written",
            report.dropped().len(),
            format_args!("{}: {}", first.file, first.reason)
        )));
    }
    writer
        .add("mayadiag/redaction-report.json", &serde_json::to_vec_pretty(&report).unwrap_or_default())
        .map_err(Failure::runtime)?;
    let mut m = manifest.unwrap_or_else(|| serde_json::json!({"tool": "mayadiag"}));
    m["files"] = serde_json::to_value(writer.files()).unwrap_or(Value::Null);
    m["redaction"]["rerun"] = serde_json::json!({"total": report.total(), "per_rule": report.per_rule()});
    writer
        .add("mayadiag/manifest.json", &serde_json::to_vec_pretty(&m).unwrap_or_default())
        .map_err(Failure::runtime)?;
    let size = writer.finish().map_err(Failure::runtime)?;
    // With `-o -` the bundle is on stdout; the summary goes to stderr.
    let summary = format!(
        "redacted bundle: {} ({}); {} value(s) redacted",
        destination.display(),
        crate::collect::command::human_bytes(size),
        report.total()
    );
    if destination.is_stdout() {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    Ok(exit::OK)
}

fn redact_json(redactor: &Redactor, rel: &str, data: &[u8], report: &mut RedactionReport) -> Result<Vec<u8>, String> {
    let mut v: Value = serde_json::from_slice(data).map_err(|e| format!("not JSON: {e}"))?;
    match &mut v {
        Value::Array(items) => {
            for i in items.iter_mut() {
                redactor.redact_object(i, rel, report).map_err(|e| e.to_string())?;
            }
        }
        Value::Object(map) if map.contains_key("items") => {
            if let Some(Value::Array(items)) = map.get_mut("items") {
                for i in items.iter_mut() {
                    redactor.redact_object(i, rel, report).map_err(|e| e.to_string())?;
                }
            }
        }
        other => redactor.redact_object(other, rel, report).map_err(|e| e.to_string())?,
    }
    serde_json::to_vec_pretty(&v).map_err(|e| e.to_string())
}

/// `mayadiag ticket --bundle B [--ticket ID]`: send a bundle collected earlier.
pub async fn ticket(args: crate::cli::TicketArgs) -> Result<i32, Failure> {
    let target = match args.ticket {
        Some(id) => crate::desk::args::TicketTarget::Existing(id),
        None => crate::desk::args::TicketTarget::New,
    };
    send_ticket(&args.bundle, target, &args.desk).await
}

/// Send a bundle to the desk and print the ticket URL and the bundle link(s).
pub async fn send_ticket(
    bundle: &Path,
    target: crate::desk::args::TicketTarget,
    desk: &crate::desk::args::DeskArgs,
) -> Result<i32, Failure> {
    let mut out = std::io::stdout();
    match crate::desk::submit(bundle, target, desk, &mut out).await {
        Ok(_) => Ok(exit::OK),
        Err(e) => Err(Failure { code: e.exit_code(), message: e.to_string() }),
    }
}

//! `check`, `analyze` and `redact`, and the check-engine glue `collect` shares with them: one
//! engine on a Snapshot, the same structures printed everywhere.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::failure::Failure;
use crate::bundle::{Destination, PartialFile};
use crate::checks::CheckSet;
use crate::desk::config::DeskConfig;
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
        OutputFormat::Markdown => summary_markdown(&crate::term::escaped(a)),
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
    let target = connect(&args.kube, args.demo, args.concurrency as usize).await?;
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
        namespaces: args.namespaces.clone(),
        pseudonymize_paths: false,
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
        OutputFormat::Json | OutputFormat::Yaml => {
            print_analysis(&analysis, args.format, Some(("source", serde_json::to_value(&provenance).unwrap_or(Value::Null))))
        }
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

/// The first member of a bundle at relative path `wanted`; reading stops there. A bundle that
/// cannot be read gives none: the caller's main read reports why.
fn first_member(path: &Path, wanted: &str) -> Option<Vec<u8>> {
    let mut found = None;
    let _ = crate::bundle::visit_bundle(path, |rel, data| {
        if rel != wanted {
            return Ok(());
        }
        found = Some(data);
        // Any error ends the walk; this one is never shown.
        Err(crate::bundle::BundleError::Corrupt { path: path.to_path_buf(), reason: "found".into() })
    });
    found
}

/// `mayadiag redact INPUT`: a text file or stdin to stdout/`--output`, or a bundle into a new bundle.
pub async fn redact(args: RedactArgs) -> Result<i32, Failure> {
    let input = args.input.clone();
    let is_bundle =
        input.is_dir() || input.to_string_lossy().ends_with(".tar.gz") || input.to_string_lossy().ends_with(".tgz");
    // With --redact-hostnames, a bundle names its nodes in nodes.json; a text file has no such list.
    let hostnames = if args.redact.redact_hostnames && is_bundle {
        first_member(&input, "cluster-resources/nodes.json")
            .map(|data| crate::collect::hostnames::of_nodes_file(&data))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    if args.redact.redact_hostnames && hostnames.is_empty() {
        eprintln!(
            "mayadiag: warning: --redact-hostnames found no node names ({}); host names are left as they are",
            if is_bundle { "the bundle has no cluster-resources/nodes.json" } else { "only bundles list their nodes" }
        );
    }
    let redactor = redactor_from(&args.redact, false, hostnames)?;
    let output = args.output.clone().or(args.legacy_output.clone());
    let pseudonymize_paths = args.redact.redact_hostnames;
    let force = args.force;
    tokio::task::spawn_blocking(move || {
        if is_bundle {
            redact_bundle(&redactor, &input, output, force, pseudonymize_paths)
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
fn redact_bundle(
    redactor: &Redactor,
    input: &Path,
    output: Option<PathBuf>,
    force: bool,
    pseudonymize_paths: bool,
) -> Result<i32, Failure> {
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
        // With --redact-hostnames, paths carry node names too (node-reports/<node>.json).
        let renamed = match pseudonymize_paths {
            true => redactor.redact_text(rel, "bundle paths", &mut RedactionReport::default()).ok(),
            false => None,
        };
        let rel = renamed.as_deref().unwrap_or(rel);
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

/// `mayadiag checks list`: every check of the set (built in plus `--checks DIR`).
pub fn checks_list(args: crate::cli::ChecksListArgs) -> Result<i32, Failure> {
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
pub fn checks_lint(args: crate::cli::ChecksLintArgs) -> Result<i32, Failure> {
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

/// `mayadiag man [--output DIR]`.
pub fn man(args: crate::cli::ManArgs) -> Result<i32, Failure> {
    match &args.output {
        Some(dir) => crate::introspect::man_pages_to(dir)
            .map_err(|e| Failure::runtime(format!("cannot write man pages into {}: {e}", dir.display())))?,
        None => crate::introspect::man_page(&mut std::io::stdout().lock())
            .map_err(|e| Failure::runtime(format!("cannot write the man page: {e}")))?,
    }
    Ok(exit::OK)
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
    let mut desk = desk.clone();
    // A dry run only prints, so it needs no desk; requests are shown against a placeholder.
    if desk.dry_run && desk_url_missing(&desk) {
        eprintln!("mayadiag: no desk URL configured; the dry run shows the requests against {DRY_RUN_DESK_URL}");
        desk.desk_url = Some(DRY_RUN_DESK_URL.to_string());
    }
    let failure = |e: crate::desk::DeskError| Failure { code: e.exit_code(), message: e.to_string() };
    crate::desk::submit(bundle, target, &desk, &mut out).await.map_err(failure)?;
    if desk.dry_run {
        // The request previews show the body JSON-escaped; this is what the ticket will read.
        let config = DeskConfig::resolve(&desk, &|name| std::env::var(name).ok(), true).map_err(failure)?;
        let info = crate::desk::bundle_info::read_bundle(bundle).map_err(failure)?;
        let plan = crate::desk::ticket::plan_submission(&info, &target, &config).map_err(failure)?;
        let body = match plan.action {
            crate::desk::ticket::Action::Create(draft) => draft.body,
            crate::desk::ticket::Action::Comment { body, .. } => body,
        };
        println!("\nThe comment, as the ticket will show it:\n\n{body}");
    }
    Ok(exit::OK)
}

/// Where a dry run without a configured desk pretends to send (the `.invalid` TLD never resolves).
const DRY_RUN_DESK_URL: &str = "https://support-desk.invalid";

/// True when neither --desk-url, MAYADIAG_DESK_URL nor the config file names a desk.
fn desk_url_missing(desk: &crate::desk::args::DeskArgs) -> bool {
    matches!(
        DeskConfig::resolve(desk, &|name| std::env::var(name).ok(), true),
        Err(crate::desk::DeskError::Config(message)) if message.starts_with("no desk URL")
    )
}

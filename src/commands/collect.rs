//! `mayadiag collect`: flags → collection → bundle → report, with progress, the end-of-run
//! summary, Ctrl-C handling and the optional ticket.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::shared::{
    AnalysisOutput, analyze_snapshot, connect, human_bytes, known_hostnames, log_patterns, output_failure,
    redactor_from, render_analysis, use_color,
};
use crate::bundle::Destination;
use crate::cli::{CollectArgs, OutputFormat};
use crate::collect::sink::BundleSink;
use crate::collect::{CollectOptions, Collected, NoProgress, Progress, collect, manifest};
use crate::exit;
use crate::failure::Failure;
use crate::term::escape_line;

/// An indicatif bar on a TTY.
struct TtyProgress(ProgressBar);

impl Progress for TtyProgress {
    fn phase(&self, name: &str, total: u64) {
        self.0.set_length(total.max(1));
        self.0.set_position(0);
        self.0.set_message(name.to_string());
    }
    fn tick(&self, bytes: u64) {
        self.0.inc(1);
        self.0.set_prefix(human_bytes(bytes));
    }
    fn bytes(&self, bytes: u64) {
        self.0.set_prefix(human_bytes(bytes));
    }
    fn done(&self) {
        self.0.finish_and_clear();
    }
}

/// One line per phase when stderr is not a TTY.
struct PlainProgress;

impl Progress for PlainProgress {
    fn phase(&self, name: &str, total: u64) {
        eprintln!("mayadiag: collecting {name} ({})", items(total));
    }
    fn tick(&self, _: u64) {}
    fn done(&self) {}
}

/// `1 item`, `3 items`.
fn items(n: u64) -> String {
    if n == 1 { "1 item".to_string() } else { format!("{n} items") }
}

fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect()
}

/// Run `mayadiag collect`.
pub async fn run(args: CollectArgs) -> Result<i32, Failure> {
    if args.no_redact && !args.desk.yes {
        return Err(Failure::usage(
            "--no-redact sends unredacted secrets to whoever gets the bundle; add --yes to confirm",
        ));
    }
    // Ctrl-C and SIGTERM are handled by `crate::interrupt` (installed by `app::run`): it removes
    // the partial bundle and exits 130/143 in every phase.
    // Rule files are checked before the cluster is contacted; the node names come after.
    redactor_from(&args.redact, args.no_redact, Vec::new())?;
    // An output that cannot be written is refused before the cluster is touched.
    let requested = args.output.as_deref().map(Destination::from_arg);
    if let Some(d) = &requested {
        d.check(args.force, true).map_err(output_failure)?;
        if d.is_stdout() && args.ticket.is_some() {
            return Err(Failure::usage("--ticket needs the bundle in a file; give --output PATH instead of `-`"));
        }
    }
    let target = connect(&args.kube, args.demo, args.concurrency as usize).await?;
    let hostnames = known_hostnames(&target.kube, &args.redact, args.no_redact).await?;
    let redactor = Arc::new(redactor_from(&args.redact, args.no_redact, hostnames)?);
    let version = target.kube.version().await.map_err(Failure::runtime)?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string();
    let top = format!("mayadiag-{}-{stamp}", sanitize(&target.name));
    let output = requested.unwrap_or_else(|| Destination::File(PathBuf::from(format!("{top}.tar.gz"))));
    let mtime = chrono::Utc::now().timestamp().max(0) as u64;
    let sink = BundleSink::create(&output, args.force, &top, mtime, args.compression_level).map_err(output_failure)?;
    let opts = CollectOptions {
        since: args.since,
        max_log_bytes: args.max_log_bytes,
        max_bundle_size: args.max_bundle_size,
        app_logs: args.app_logs,
        concurrency: args.concurrency as usize,
        tails_only: None,
        logs: true,
        page_size: args.page_size as usize,
        args: std::env::args().skip(1).collect(),
        redaction_disabled_by_user: args.no_redact,
        namespaces: args.namespaces.clone(),
        pseudonymize_paths: args.redact.redact_hostnames && !args.no_redact,
    };
    let progress: Box<dyn Progress> = if !matches!(args.format, OutputFormat::Text) {
        Box::new(NoProgress)
    } else if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(1);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg:<22} [{bar:30}] {pos}/{len} {prefix} {elapsed} (eta {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Box::new(TtyProgress(bar))
    } else {
        Box::new(PlainProgress)
    };
    let patterns = Arc::new(log_patterns(&args.check)?);
    let collected =
        collect(&target.kube, &opts, redactor.clone(), patterns, Some(&sink), progress.as_ref(), version).await;
    let collected = match collected {
        Ok(c) => c,
        Err(e) => {
            let mut sink = sink;
            let cause = sink.take_error().await;
            return Err(Failure::runtime(cause.map(|c| c.to_string()).unwrap_or_else(|| e.to_string())));
        }
    };
    let analysis = analyze_snapshot(&collected.snapshot, &args.check, args.desk.description.as_ref())?;
    let server = {
        let mut r = crate::redact::RedactionReport::default();
        redactor
            .redact_text(target.kube.server(), "mayadiag/manifest.json", &mut r)
            .unwrap_or_else(|_| "***REDACTED***".into())
    };
    let written = write_tail(&sink, &collected, &analysis, &server, redactor.is_enabled(), &opts).await;
    let (size, files) = match written {
        Ok(()) => match sink.finish().await {
            Ok((size, files)) => (size, files.len()),
            Err(e) => return Err(Failure::runtime(e)),
        },
        Err(e) => {
            let mut sink = sink;
            let cause = sink.take_error().await;
            return Err(Failure::runtime(cause.unwrap_or(e)));
        }
    };
    print_summary(&args, &output, size, &collected, files, &analysis)?;
    drop(target);
    let unknown = analysis.analysis.coverage.verdict == crate::coverage::Verdict::Unknown;
    if unknown {
        // Loudly: a bundle of 401s/403s is not a diagnosis.
        eprintln!(
            "mayadiag: WARNING: the bundle was written, but the core inputs could not be read ({}); it cannot show what is wrong. {}",
            analysis
                .analysis
                .coverage
                .unreadable
                .iter()
                .filter(|u| u.core)
                .map(|u| u.resource.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            analysis.analysis.coverage.fixes.join("; ")
        );
    }
    let Destination::File(output) = output else {
        return Ok(if unknown { exit::UNKNOWN } else { exit::OK });
    };
    if let Some(ticket) = args.ticket {
        // The bundle is written and kept whatever happens to the ticket.
        let sent = super::ticket::send_ticket(&output, ticket, &args.desk).await.map_err(|mut f| {
            f.message = format!(
                "{} (the bundle is kept at {}; send it later with `mayadiag ticket --bundle {}`, which resumes)",
                f.message,
                output.display(),
                output.display()
            );
            f
        });
        return sent.map(|code| if unknown && code == exit::OK { exit::UNKNOWN } else { code });
    }
    Ok(if unknown { exit::UNKNOWN } else { exit::OK })
}

/// The analysis, summary, redaction report and, last, the manifest listing every file before it.
async fn write_tail(
    sink: &BundleSink,
    c: &Collected,
    analysis: &AnalysisOutput,
    server: &str,
    enabled: bool,
    opts: &CollectOptions,
) -> Result<(), crate::bundle::BundleError> {
    if let Some((analysis_json, summary_md)) = &analysis.files {
        sink.add("mayadiag/analysis.json", analysis_json.clone()).await?;
        sink.add("mayadiag/summary.md", summary_md.clone()).await?;
    }
    sink.add("mayadiag/redaction-report.json", serde_json::to_vec_pretty(&c.redaction).unwrap_or_default()).await?;
    let mut m = manifest(c, server, sink.files().await?, enabled, opts.redaction_disabled_by_user);
    m.args = opts.args.clone();
    m.redaction.dropped_files = c.redaction.dropped_count();
    let page = crate::html::render_collected(&analysis.analysis, &c.snapshot, &m);
    sink.add(crate::html::REPORT_PATH, page.into_bytes()).await?;
    m.files = sink.files().await?;
    sink.add("mayadiag/manifest.json", serde_json::to_vec_pretty(&m).unwrap_or_default()).await
}

fn print_summary(
    args: &CollectArgs,
    output: &Destination,
    size: u64,
    c: &Collected,
    files: usize,
    analysis: &AnalysisOutput,
) -> Result<(), Failure> {
    let failed: Vec<&manifest::CollectorStatus> = c.collectors.iter().filter(|s| s.status == "failed").collect();
    if !failed.is_empty() || !c.skips.is_empty() {
        eprintln!(
            "mayadiag: {} collector(s) failed and {} item(s) were skipped; the bundle records each one:",
            failed.len(),
            c.skips.len()
        );
        for f in failed.iter().take(10) {
            eprintln!("  - {}: {}", escape_line(&f.name), escape_line(f.reason.as_deref().unwrap_or("failed")));
        }
        let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
        for s in &c.skips {
            *reasons.entry(s.reason.as_str()).or_default() += 1;
        }
        for (reason, n) in reasons.iter().take(10) {
            eprintln!("  - skipped {n}: {}", escape_line(reason));
        }
    }
    let mut report = String::new();
    match args.format {
        OutputFormat::Markdown => {
            // stdout is the summary to paste; where the bundle went goes beside the progress.
            eprintln!("mayadiag: bundle: {} ({}, {files} files)", output.display(), human_bytes(size));
            report = render_analysis(&analysis.analysis, args.format, None, false);
        }
        OutputFormat::Json | OutputFormat::Yaml => {
            report = render_analysis(&analysis.analysis, args.format, Some(("bundle", json!(output.display()))), false);
        }
        OutputFormat::Text => {
            use std::fmt::Write as _;
            let _ = writeln!(report, "bundle: {} ({}, {files} files)", output.display(), human_bytes(size));
            // The analysis's counts, so this line, summary.md and `-o json` agree.
            let counts = analysis.analysis.counts;
            let _ = writeln!(
                report,
                "collected: {} objects and {} events in {} namespaces, {} logs; {} values redacted",
                counts.objects,
                counts.events,
                c.namespaces.len(),
                counts.logs,
                c.redaction.total()
            );
            if !c.truncations.is_empty() {
                let _ = writeln!(
                    report,
                    "truncated: {} logs cut to --max-log-bytes (newest bytes kept)",
                    c.truncations.len()
                );
            }
            report.push('\n');
            let color = !output.is_stdout() && use_color();
            report.push_str(&render_analysis(&analysis.analysis, OutputFormat::Text, None, color));
        }
    }
    // With `--output -` stdout carries the bundle: the report goes to stderr.
    if output.is_stdout() {
        eprint!("{report}");
    } else {
        print!("{report}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::cli::KubeArgs;
    use crate::redact::Redactor;

    /// Records every phase with its announced total and the items ticked in it.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, u64, u64)>>);

    impl Progress for Recorder {
        fn phase(&self, name: &str, total: u64) {
            if let Ok(mut phases) = self.0.lock() {
                phases.push((name.to_string(), total, 0));
            }
        }
        fn tick(&self, _: u64) {
            if let Ok(mut phases) = self.0.lock()
                && let Some(last) = phases.last_mut()
            {
                last.2 += 1;
            }
        }
        fn done(&self) {}
    }

    /// A progress bar never shows more items done than its phase announced (it showed `2/1`
    /// because every written file counted as an item).
    #[tokio::test]
    async fn progress_never_ticks_past_a_phase_total() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let target = connect(&KubeArgs { request_timeout: Duration::from_secs(30), ..KubeArgs::default() }, true, 4)
            .await
            .unwrap_or_else(|f| panic!("{}", f.message));
        let version = target.kube.version().await.unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let destination = Destination::File(dir.path().join("b.tar.gz"));
        let sink = BundleSink::create(&destination, false, "b", 0, 1).unwrap_or_else(|e| panic!("{e}"));
        let opts = CollectOptions {
            since: Duration::from_secs(3600 * 100_000),
            max_log_bytes: 1 << 20,
            max_bundle_size: u64::MAX,
            app_logs: true,
            concurrency: 4,
            tails_only: None,
            logs: true,
            page_size: 500,
            args: Vec::new(),
            redaction_disabled_by_user: false,
            namespaces: Vec::new(),
            pseudonymize_paths: false,
        };
        let recorder = Recorder::default();
        let redactor = Arc::new(Redactor::disabled());
        let patterns = Arc::new(crate::snapshot::LogPatterns::empty());
        collect(&target.kube, &opts, redactor, patterns, Some(&sink), &recorder, version)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let phases = recorder.0.into_inner().unwrap_or_default();
        assert!(phases.iter().any(|(_, _, done)| *done > 0), "{phases:?}");
        for (name, total, done) in &phases {
            assert!(done <= total, "phase {name}: {done}/{total}");
        }
        assert_eq!(items(1), "1 item");
        assert_eq!(items(3), "3 items");
    }
}

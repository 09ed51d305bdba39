//! What the subcommands share: connecting to a cluster (or the demo), the redactor from flags,
//! the check-engine glue (one engine on a Snapshot, the same structures printed everywhere), the
//! output formats, and mapping failures to exit codes.

use std::io::IsTerminal;
use std::path::Path;

use serde_json::Value;

use crate::checks::CheckSet;
use crate::cli::{CheckOptions, FailOnArg, KubeArgs, OutputFormat};
use crate::cluster::Kube;
use crate::exit;
use crate::failure::Failure;
use crate::redact::{RedactOptions, Redactor};
use crate::report::{Analysis, FailOn, analyze, render_human, summary_markdown};
use crate::severity::SeverityInput;
use crate::snapshot::{LogPatterns, Snapshot};

pub use crate::units::human_bytes;

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

pub fn severity_input(opts: &CheckOptions, description: Option<&String>) -> SeverityInput {
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

pub fn fail_on(arg: FailOnArg) -> FailOn {
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

/// Build the redactor from flags; a bad rule file is a usage error before anything runs.
pub fn redactor_from(
    args: &crate::cli::RedactArgsCommon,
    off: bool,
    known_hostnames: Vec<String>,
) -> Result<Redactor, Failure> {
    if off {
        return Ok(Redactor::disabled());
    }
    Redactor::new(&RedactOptions {
        user_config: args.redact_config.clone(),
        redact_ips: args.redact_ips,
        redact_hostnames: args.redact_hostnames,
        known_hostnames,
    })
    .map_err(Failure::usage)
}

/// With `--redact-hostnames`, the cluster's node names (and their hostname labels and addresses)
/// for the redactor; a cluster whose nodes cannot be listed cannot honour the flag.
pub async fn known_hostnames(
    kube: &Kube,
    args: &crate::cli::RedactArgsCommon,
    off: bool,
) -> Result<Vec<String>, Failure> {
    if !args.redact_hostnames || off {
        return Ok(Vec::new());
    }
    crate::collect::hostnames::of_cluster(kube).await.map_err(|e| {
        Failure::runtime(format!(
            "--redact-hostnames: cannot list nodes to learn their names ({e}); grant `list nodes` or drop the flag"
        ))
    })
}

/// A cluster connection, or the demo cluster served in-process.
pub struct Target {
    /// The client.
    pub kube: Kube,
    /// Keeps the demo server alive.
    pub _demo: Option<crate::demo::Demo>,
    /// Name for the bundle file (`demo`, the context, or `cluster`).
    pub name: String,
}

/// Connect as the flags say.
pub async fn connect(kube_args: &KubeArgs, demo: bool, concurrency: usize) -> Result<Target, Failure> {
    if demo {
        let served = crate::demo::serve_demo().await.map_err(Failure::runtime)?;
        let yaml = served.server.kubeconfig("mayadiag-demo");
        let kc = kube::config::Kubeconfig::from_yaml(&yaml).map_err(Failure::runtime)?;
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.map_err(Failure::runtime)?;
        let kube = Kube::from_config(config, kube_args.request_timeout, concurrency).map_err(Failure::usage)?;
        return Ok(Target { kube, _demo: Some(served), name: "demo".into() });
    }
    let kube = Kube::connect(kube_args, concurrency).await.map_err(|e| match e {
        crate::cluster::ClusterError::Config(_) => Failure::usage(e),
        other => Failure::runtime(other),
    })?;
    let name = kube_args.context.clone().unwrap_or_else(|| "cluster".into());
    Ok(Target { kube, _demo: None, name })
}

/// The first member of a bundle at relative path `wanted`; reading stops there. A bundle that
/// cannot be read gives none: the caller's main read reports why.
pub fn first_member(path: &Path, wanted: &str) -> Option<Vec<u8>> {
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

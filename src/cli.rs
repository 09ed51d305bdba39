//! Command-line definitions (clap derive), one struct per subcommand. Parsing only: the commands
//! themselves live in the library modules.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Diagnostics for OpenEBS storage and Litmus chaos engineering: health checks, a redacted
/// support bundle, a suggested support severity, and a ticket with the bundle attached.
#[derive(Debug, Parser)]
#[command(name = "mayadiag", version, about, long_about = None, propagate_version = true, after_help = DOCS_HINT)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the rules behind the output are written down (the docs/ folder of the repository).
const DOCS_HINT: &str = "How the Sev is decided: docs/severity.md. JSON fields and exit codes: docs/json-contract.md. \
What a bundle holds: docs/bundle-layout.md.";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the cluster and write a redacted support bundle (tar.gz).
    Collect(CollectArgs),
    /// Quick live health check (objects, events, log tails of unhealthy pods).
    Check(CheckArgs),
    /// Re-run the checks on a received bundle (ours or a troubleshoot.sh one).
    Analyze(AnalyzeArgs),
    /// Serve a bundle as a read-only Kubernetes API for kubectl.
    Serve(ServeArgs),
    /// Build the self-contained HTML report of a bundle (ours or a troubleshoot.sh one).
    Report(ReportArgs),
    /// Redact a text file, stdin, or an existing bundle into a new bundle.
    Redact(RedactArgs),
    /// Open a support ticket with a bundle attached, or attach it to an open ticket.
    Ticket(TicketArgs),
    /// Run the node agent (DaemonSet mode), or probe this node once with --once.
    Agent(crate::agent::args::AgentArgs),
    /// List the checks (built in and --checks DIR), or lint a directory of check files.
    #[command(subcommand)]
    Checks(ChecksCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand into --output DIR.
    Man(ManArgs),
}

/// `mayadiag checks ...`.
#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// Every check with its id, title, engine and Sev.
    List(ChecksListArgs),
    /// Validate the check files of DIR: bad YAML, unknown fields, bad regexes, duplicate ids,
    /// unknown {placeholders}, `unless` naming no check; each problem as file:line (exit 2 if any).
    Lint(ChecksLintArgs),
}

/// `mayadiag checks list`.
#[derive(Debug, Clone, Args)]
pub struct ChecksListArgs {
    /// Extra check definitions (*.yaml) to include; a check with a built-in id replaces it.
    #[arg(long, value_name = "DIR")]
    pub checks: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "format", value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `mayadiag checks lint DIR`.
#[derive(Debug, Clone, Args)]
pub struct ChecksLintArgs {
    /// Directory of check files (*.yaml, *.yml).
    pub dir: PathBuf,
}

/// `mayadiag completions SHELL`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `mayadiag man`.
#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write mayadiag.1 and mayadiag-<command>.1 into this directory instead of printing mayadiag.1.
    #[arg(long = "output", visible_alias = "out", value_name = "DIR")]
    pub output: Option<PathBuf>,
}

/// Output format of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// One JSON object (the contract in docs/json-contract.md).
    Json,
    /// The same object as YAML.
    Yaml,
    /// The summary as Markdown (what the bundle's mayadiag/summary.md holds), for pasting into a
    /// ticket or chat.
    Markdown,
}

/// Which findings make the exit code non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FailOnArg {
    /// Failures exit 3, warnings exit 4.
    #[default]
    Warn,
    /// Failures exit 3, warnings exit 0.
    Fail,
    /// Always exit 0 when the checks ran.
    Never,
}

/// How to reach the cluster (kubectl's conventions).
#[derive(Debug, Clone, Args, Default)]
pub struct KubeArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Timeout for each API request.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
}

/// Options of the check engine and the Sev suggestion, shared by collect, check and analyze.
#[derive(Debug, Clone, Args, Default)]
pub struct CheckOptions {
    /// Extra check definitions (*.yaml); a check with a built-in id replaces it.
    #[arg(long, value_name = "DIR")]
    pub checks: Option<PathBuf>,
    /// Override the suggested Sev (0-3; the rubric is docs/severity.md); both are recorded.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=3))]
    pub sev: Option<u8>,
}

/// Redaction options, shared by collect and redact.
#[derive(Debug, Clone, Args, Default)]
pub struct RedactArgsCommon {
    /// Extra redaction rules (YAML: regex rules, literals, object paths, allow-list).
    #[arg(long, value_name = "FILE")]
    pub redact_config: Option<PathBuf>,
    /// Replace IP addresses by consistent pseudonyms.
    #[arg(long)]
    pub redact_ips: bool,
    /// Replace node and host names by consistent pseudonyms.
    #[arg(long)]
    pub redact_hostnames: bool,
}

/// `mayadiag collect`.
#[derive(Debug, Clone, Args)]
pub struct CollectArgs {
    /// Cluster access.
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Collect from the embedded demo cluster (served in-process) instead of a real one.
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"])]
    pub demo: bool,
    /// Report format on stdout.
    #[arg(short = 'o', long = "format", value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Where to write the bundle (default: ./mayadiag-<cluster>-<time>.tar.gz in the current
    /// directory); `-` streams it to stdout (the report then goes to stderr). An existing file is
    /// never replaced without --force.
    #[arg(long, visible_alias = "out", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Replace an existing regular file at --output (never a device, symlink or directory).
    #[arg(long)]
    pub force: bool,
    /// Only these namespaces (repeatable): their objects, events and logs; cluster-scoped objects
    /// (nodes, PVs, storage classes, custom resources without a namespace) are always collected.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Only logs newer than this.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    pub since: Duration,
    /// Per-container log limit; the newest bytes are kept.
    #[arg(long, value_name = "SIZE", default_value = "5MiB", value_parser = parse_size)]
    pub max_log_bytes: u64,
    /// Bundle size limit (uncompressed); after it further logs are skipped and recorded.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
    pub max_bundle_size: u64,
    /// Concurrent API requests.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Also collect logs of application pods that use OpenEBS volumes.
    #[arg(long)]
    pub app_logs: bool,
    /// Items per list page (tests use small pages to exercise pagination).
    #[arg(long, hide = true, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub page_size: u32,
    /// gzip level 0-9 (1 is fastest).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=9))]
    pub compression_level: u32,
    /// Turn redaction off (needs --yes; recorded in the bundle).
    #[arg(long)]
    pub no_redact: bool,
    /// Redaction rules.
    #[command(flatten)]
    pub redact: RedactArgsCommon,
    /// Check engine options.
    #[command(flatten)]
    pub check: CheckOptions,
    /// Open a ticket with the bundle (no value), or attach it to ticket ID.
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "new", value_parser = crate::desk::args::parse_ticket_target)]
    pub ticket: Option<crate::desk::args::TicketTarget>,
    /// Support desk options (with --ticket); --description also informs the Sev suggestion, and
    /// --yes confirms --no-redact and consents to sending.
    #[command(flatten)]
    pub desk: crate::desk::args::DeskArgs,
}

/// `mayadiag check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Cluster access.
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Check the embedded demo cluster (served in-process) instead of a real one.
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"])]
    pub demo: bool,
    /// Only these namespaces (repeatable); cluster-scoped objects are always read.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Report format.
    #[arg(short = 'o', long = "format", value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Which findings make the exit code non-zero.
    #[arg(long, value_enum, default_value_t)]
    pub fail_on: FailOnArg,
    /// Concurrent API requests.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// What you would write in the ticket; taken into account for the Sev suggestion.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Read no container logs. By default `check` reads the last 200 lines (redacted, never
    /// stored) of unhealthy OpenEBS/Litmus pods and of unhealthy application pods on OpenEBS
    /// volumes, to quote why they fail.
    #[arg(long)]
    pub no_log_tails: bool,
    /// Check engine options.
    #[command(flatten)]
    pub check: CheckOptions,
}

/// `mayadiag analyze`.
#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    /// The bundle (.tar.gz or an unpacked directory).
    pub bundle: PathBuf,
    /// Report format.
    #[arg(short = 'o', long = "format", value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Which findings make the exit code non-zero.
    #[arg(long, value_enum, default_value_t)]
    pub fail_on: FailOnArg,
    /// What you would write in the ticket; taken into account for the Sev suggestion.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Check engine options.
    #[command(flatten)]
    pub check: CheckOptions,
    /// Bundle reading limits.
    #[command(flatten)]
    pub read: BundleReadArgs,
}

/// Caps on reading a received bundle (hostile or damaged archives stay bounded).
#[derive(Debug, Clone, Args)]
pub struct BundleReadArgs {
    /// Files inside the bundle bigger than this (uncompressed) are skipped and reported.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_member_size: u64,
    /// Stop reading after this much has been inflated; the rest is reported as not read.
    #[arg(long, value_name = "SIZE", default_value = "4GiB", value_parser = parse_size)]
    pub max_inflated_size: u64,
}

impl BundleReadArgs {
    /// As reader limits.
    pub fn limits(&self) -> crate::bundle::ReadLimits {
        crate::bundle::ReadLimits { max_member_bytes: self.max_member_size, max_inflated_bytes: self.max_inflated_size }
    }
}

/// `mayadiag report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The bundle (.tar.gz or an unpacked directory).
    pub bundle: PathBuf,
    /// Where to write the page (default: `<bundle>.report.html` beside the bundle).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Open the page in the desktop's browser when written.
    #[arg(long)]
    pub open: bool,
    /// What you would write in the ticket (default: the one recorded at collection).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Check engine options.
    #[command(flatten)]
    pub check: CheckOptions,
}

/// `mayadiag serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The bundle (.tar.gz or an unpacked directory), ours or troubleshoot.sh's.
    pub bundle: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Write a kubeconfig pointing at the server.
    #[arg(long, value_name = "PATH")]
    pub write_kubeconfig: Option<PathBuf>,
    /// Serve HTTPS with a generated self-signed CA and require a generated bearer token (or the
    /// generated client certificate).
    #[arg(long)]
    pub tls: bool,
    /// With --tls: put the generated client certificate and key into --write-kubeconfig instead
    /// of the bearer token.
    #[arg(long, requires = "tls")]
    pub client_cert: bool,
    /// Add this much latency to every response (to simulate a remote API server).
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub latency: Duration,
    /// Fault rules for tests (YAML).
    #[arg(long, value_name = "FILE", hide = true)]
    pub inject_faults: Option<PathBuf>,
    /// Keep PATCH/POST/PUT in memory (for agent tests).
    #[arg(long, hide = true)]
    pub accept_writes: bool,
    /// Bundle reading limits.
    #[command(flatten)]
    pub read: BundleReadArgs,
}

/// `mayadiag redact`.
#[derive(Debug, Clone, Args)]
pub struct RedactArgs {
    /// A text file, `-` for stdin, or a bundle (.tar.gz or directory).
    pub input: PathBuf,
    /// Where to write (default: stdout for text; `<input>.redacted.tar.gz` for bundles; `-` for
    /// stdout). An existing file is never replaced without --force.
    #[arg(long = "output", visible_alias = "out", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Old spelling of --output (kept for one release; `-o` means output format elsewhere).
    #[arg(short = 'o', value_name = "PATH", hide = true, conflicts_with = "output")]
    pub legacy_output: Option<PathBuf>,
    /// Replace an existing regular file at --output (never a device, symlink or directory).
    #[arg(long)]
    pub force: bool,
    /// Redaction rules.
    #[command(flatten)]
    pub redact: RedactArgsCommon,
}

/// `mayadiag ticket`.
#[derive(Debug, Clone, Args)]
pub struct TicketArgs {
    /// The bundle to send.
    #[arg(long, value_name = "PATH")]
    pub bundle: PathBuf,
    /// Attach to this existing ticket instead of opening a new one.
    #[arg(long, value_name = "ID")]
    pub ticket: Option<u64>,
    /// Support desk options.
    #[command(flatten)]
    pub desk: crate::desk::args::DeskArgs,
}

/// Warnings for old option spellings in `args` (the process arguments, program name first). They
/// keep working for one release; the warning says what to write instead.
pub fn deprecated_spellings(args: &[String]) -> Vec<String> {
    let command = args.get(1).map(String::as_str).unwrap_or("");
    let rest = args.iter().skip(2).take_while(|a| a.as_str() != "--");
    let mut warnings = Vec::new();
    for arg in rest {
        let warning = match command {
            "agent" if arg == "--output" || arg.starts_with("--output=") => {
                "`agent --output FORMAT` is now `agent -o/--format FORMAT` (`--output` names files elsewhere)"
            }
            "redact" if arg == "-o" || (arg.starts_with("-o") && !arg.starts_with("--")) => {
                "`redact -o PATH` is now `redact --output PATH` (`-o` means output format elsewhere)"
            }
            _ => continue,
        };
        warnings.push(format!("warning: {warning}; the old spelling stops working in the next release"));
    }
    warnings
}

/// The value parsers live in `crate::units` (leaf module: `agent::args` and `desk::args` use them
/// without importing this module, which imports theirs).
pub use crate::units::{parse_duration, parse_positive_duration, parse_size};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86400));
        assert_eq!(parse_duration("10ms").unwrap(), Duration::from_millis(10));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("5 weeks").is_err());
        assert!(parse_duration("99999999999999999999999d").is_err(), "overflow is an error, not a panic");
        assert_eq!(parse_positive_duration("1d").unwrap(), Duration::from_secs(86400));
        assert!(parse_positive_duration("0s").is_err());
        assert_eq!(parse_size("5MiB").unwrap(), 5 * 1024 * 1024);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("500KB").unwrap(), 500_000);
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn cli_parses_documented_examples() {
        Cli::try_parse_from([
            "mayadiag",
            "collect",
            "--context",
            "prod",
            "-o",
            "json",
            "--output",
            "/tmp/p.tar.gz",
            "--since",
            "6h",
        ])
        .unwrap();
        Cli::try_parse_from(["mayadiag", "serve", "b.tar.gz", "--write-kubeconfig", "./k"]).unwrap();
        Cli::try_parse_from(["mayadiag", "check", "-o", "json", "--fail-on", "warn"]).unwrap();
        Cli::try_parse_from(["mayadiag", "collect", "--ticket"]).unwrap();
        Cli::try_parse_from(["mayadiag", "report", "b.tar.gz", "-o", "r.html", "--open"]).unwrap();
        Cli::try_parse_from(["mayadiag", "collect", "--ticket", "4711"]).unwrap();
        assert!(Cli::try_parse_from(["mayadiag", "collect", "--sev", "5"]).is_err());
        Cli::try_parse_from(["mayadiag", "check", "--demo", "-n", "openebs", "-n", "apps", "-o", "markdown"]).unwrap();
        Cli::try_parse_from(["mayadiag", "collect", "--out", "b.tar.gz", "--namespace", "openebs"]).unwrap();
    }

    #[test]
    fn old_spellings_parse_and_warn() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let redact = args(&["mayadiag", "redact", "in.log", "-o", "out.log"]);
        let Command::Redact(r) = Cli::try_parse_from(&redact).unwrap().command else { panic!("not redact") };
        assert_eq!(r.legacy_output.as_deref(), Some(std::path::Path::new("out.log")));
        assert_eq!(deprecated_spellings(&redact).len(), 1);
        let agent = args(&["mayadiag", "agent", "--once", "--output", "json"]);
        Cli::try_parse_from(&agent).unwrap();
        assert!(deprecated_spellings(&agent)[0].contains("--format"));
        assert!(deprecated_spellings(&args(&["mayadiag", "agent", "--once", "-o", "json"])).is_empty());
        assert!(deprecated_spellings(&args(&["mayadiag", "collect", "--output", "x.tar.gz"])).is_empty());
    }
}

//! `mayadiag agent`: continuous node pre-flight checks (DaemonSet mode) or one local run
//! (`--once`). Probes read the host under `--host-root`; results become a `NodeReport` (server-side
//! apply), Events on the Node when a probe changes state, and `/metrics`.
//!
//! Robustness rules: a probe that cannot read something yields a result with status `error`; an
//! unreachable API server is logged and retried next round while probing and `/metrics` go on.

pub mod args;
pub mod metrics;
pub mod probes;
pub mod publish;
pub mod report;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

pub use args::{AgentArgs, AgentOutput};
use probes::{Family, HostRoot, NodeFacts, ProbeContext};
use report::{NodeReportStatus, ProbeResult, ProbeStatus, crd_yaml, exit_code_of, node_report};

/// Errors that stop the agent.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// `--probes` named an unknown family.
    #[error("unknown probe family {name:?} in --probes (known: all, {known})")]
    UnknownProbe {
        /// The bad name.
        name: String,
        /// The known families.
        known: String,
    },
    /// The host root does not exist.
    #[error("host root {path} is not a directory (mount the host's / there, or pass --host-root /)")]
    HostRoot {
        /// The path given.
        path: String,
    },
    /// The metrics listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Publishing failed in `--once --publish` mode.
    #[error("publishing the NodeReport: {0}")]
    Publish(#[from] publish::PublishError),
    /// The results could not be printed.
    #[error("printing results: {0}")]
    Output(String),
}

impl AgentError {
    /// Process exit code: 2 for bad usage, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            AgentError::UnknownProbe { .. } | AgentError::HostRoot { .. } => 2,
            _ => 1,
        }
    }
}

fn log(message: &str) {
    eprintln!("{} mayadiag-agent: {message}", chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
}

/// Families from `--probes`, or `None` to detect them.
fn explicit_families(args: &AgentArgs) -> Result<Option<BTreeSet<Family>>, AgentError> {
    let Some(names) = &args.probes else { return Ok(None) };
    let mut families = BTreeSet::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if name == "all" {
            families.extend(Family::ALL);
            continue;
        }
        let family = Family::from_id(name).ok_or_else(|| AgentError::UnknownProbe {
            name: name.to_string(),
            known: Family::ALL.iter().map(|f| f.id()).collect::<Vec<_>>().join(", "),
        })?;
        families.insert(family);
    }
    Ok(Some(families))
}

/// The node name: `--node-name`/NODE_NAME, else the host's hostname, else `unknown`.
fn node_name(args: &AgentArgs, host: &HostRoot) -> String {
    if let Some(name) = args.node_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    for file in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(Some(name)) = host.read(file) {
            let name = name.trim();
            if !name.is_empty() {
                return name.to_string();
            }
        }
    }
    "unknown".to_string()
}

/// One probe round: select families (unless explicit) and run them.
pub fn probe_round(ctx: &ProbeContext, explicit: Option<&BTreeSet<Family>>) -> Vec<ProbeResult> {
    let families = match explicit {
        Some(families) => families.clone(),
        None => probes::select_families(ctx),
    };
    probes::run_families(ctx, &families)
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Render results as text: a header, then one line per probe with evidence and remediation.
pub fn render_text(node: &str, status: &NodeReportStatus) -> String {
    let count = |s: ProbeStatus| status.probes.iter().filter(|p| p.status == s).count();
    let mut out = format!(
        "node {node}: {} ({} pass, {} warn, {} fail, {} error) at {}\n",
        serde_json::to_value(status.verdict).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        count(ProbeStatus::Pass),
        count(ProbeStatus::Warn),
        count(ProbeStatus::Fail),
        count(ProbeStatus::Error),
        status.last_run
    );
    let width = status.probes.iter().map(|p| p.id.len()).max().unwrap_or(0);
    for probe in &status.probes {
        out.push_str(&format!("{:<5} {:<width$}  {}\n", probe.status.as_str().to_uppercase(), probe.id, probe.message));
        if probe.status != ProbeStatus::Pass {
            for evidence in &probe.evidence {
                out.push_str(&format!("      {:<width$}  {} = {}\n", "", evidence.file, evidence.value));
            }
            out.push_str(&format!("      {:<width$}  fix: {}\n", "", probe.remediation));
        }
    }
    out
}

/// One `SKIP` line per family that did not run because its engine shows no sign on this node.
fn render_skipped(skipped: &[Family]) -> String {
    skipped
        .iter()
        .map(|f| format!("SKIP  {:<8}  no sign of it on this node; run it anyway with --probes {}\n", f.id(), f.id()))
        .collect()
}

/// Run the agent; returns the exit code (`--once`: 0 pass, 3 fail, 4 warnings only).
pub async fn run(args: &AgentArgs) -> Result<i32, AgentError> {
    if args.print_crd {
        print!("{}", crd_yaml());
        return Ok(0);
    }
    let explicit = explicit_families(args)?;
    if !args.host_root.is_dir() {
        return Err(AgentError::HostRoot { path: args.host_root.display().to_string() });
    }
    let host = HostRoot::new(&args.host_root);
    let node = node_name(args, &host);
    let base_ctx = ProbeContext {
        host,
        kubelet_dir: args.kubelet_dir.clone(),
        hostpath_base: args.hostpath_base.clone(),
        runtime_socket: args.runtime_socket.clone(),
        node: None,
    };
    if args.once {
        run_once(args, &node, base_ctx, explicit.as_ref()).await
    } else {
        run_loop(args, &node, base_ctx, explicit).await
    }
}

async fn run_once(
    args: &AgentArgs,
    node: &str,
    mut ctx: ProbeContext,
    explicit: Option<&BTreeSet<Family>>,
) -> Result<i32, AgentError> {
    let mut publisher = None;
    if args.publish_enabled() {
        let client = publish::client(args.kubeconfig.as_ref(), args.context.as_deref()).await?;
        ctx.node = fetch_facts(&client, node).await;
        publisher = Some(publish::Publisher::new(client, node));
    }
    if ctx.node.is_none() && explicit.is_none() {
        eprintln!(
            "mayadiag: agent --once without cluster access (add --publish, with --kubeconfig outside a pod, to ask \
             the API which engines run here): probe families are chosen from what this host shows"
        );
    }
    let skipped = match explicit {
        Some(_) => Vec::new(),
        None => probes::skipped_families(&probes::select_families(&ctx)),
    };
    let results = probe_round(&ctx, explicit);
    let status = NodeReportStatus::from_results(results, now_rfc3339());
    let code = exit_code_of(status.verdict);
    match args.output {
        AgentOutput::Json => {
            let report = node_report(node, status.clone());
            let text = serde_json::to_string_pretty(&report).map_err(|e| AgentError::Output(e.to_string()))?;
            println!("{text}");
            if !skipped.is_empty() {
                let ids: Vec<&str> = skipped.iter().map(|f| f.id()).collect();
                eprintln!("mayadiag: skipped (no sign of the engine on this node): {}", ids.join(", "));
            }
        }
        AgentOutput::Text => print!("{}{}", render_text(node, &status), render_skipped(&skipped)),
    }
    if let Some(mut publisher) = publisher {
        publisher.set_node_uid(ctx.node.as_ref().and_then(|n| n.uid.clone()));
        publisher.publish(&status).await?;
    }
    Ok(code)
}

/// Node facts, or `None` (logged) when the API cannot tell.
async fn fetch_facts(client: &kube::Client, node: &str) -> Option<NodeFacts> {
    match publish::node_facts(client, node).await {
        Ok(facts) => Some(facts),
        Err(err) => {
            log(&format!("node facts unavailable, probing from the host only: {err}"));
            None
        }
    }
}

async fn run_loop(
    args: &AgentArgs,
    node: &str,
    base_ctx: ProbeContext,
    explicit: Option<BTreeSet<Family>>,
) -> Result<i32, AgentError> {
    // A round is overdue after three intervals (plus slack for a slow API): then /healthz fails.
    let metrics = metrics::Metrics::new(args.interval * 3 + Duration::from_secs(120));
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|source| AgentError::Listen { addr: args.listen.clone(), source })?;
    let bound = listener.local_addr().map_or_else(|_| args.listen.clone(), |a| a.to_string());
    let router = metrics.router();
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            log(&format!("metrics server stopped: {err}"));
        }
    });
    log(&format!(
        "node {node}, host root {}, interval {:?}, metrics on {bound}",
        args.host_root.display(),
        args.interval
    ));
    let publish = args.publish_enabled();
    let mut publisher: Option<publish::Publisher> = None;
    loop {
        let started = Instant::now();
        if publish && publisher.is_none() {
            match publish::client(args.kubeconfig.as_ref(), args.context.as_deref()).await {
                Ok(client) => publisher = Some(publish::Publisher::new(client, node)),
                Err(err) => {
                    metrics.record_publish_failure();
                    log(&format!("no API client yet, will retry next round: {err}"));
                }
            }
        }
        let mut ctx = base_ctx.clone();
        if let Some(publisher) = publisher.as_mut() {
            ctx.node = fetch_facts(publisher.client(), node).await;
            publisher.set_node_uid(ctx.node.as_ref().and_then(|n| n.uid.clone()));
        }
        let round_explicit = explicit.clone();
        let results = match tokio::task::spawn_blocking(move || probe_round(&ctx, round_explicit.as_ref())).await {
            Ok(results) => results,
            Err(err) => {
                log(&format!("probe round aborted: {err}"));
                Vec::new()
            }
        };
        let status = NodeReportStatus::from_results(results, now_rfc3339());
        let finished = chrono::Utc::now();
        metrics.record_round(&status.probes, finished.timestamp_millis() as f64 / 1000.0, started.elapsed());
        log(&format!("round done: verdict {:?}, failing {:?}", status.verdict, status.failing));
        if let Some(publisher) = publisher.as_mut()
            && let Err(err) = publisher.publish(&status).await
        {
            metrics.record_publish_failure();
            log(&format!("publishing failed, will retry next round: {err}"));
        }
        tokio::select! {
            _ = tokio::time::sleep(args.interval) => {}
            _ = shutdown_signal() => {
                log("shutting down");
                return Ok(0);
            }
        }
    }
}

/// Resolves on SIGTERM (kubelet stopping the pod) or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

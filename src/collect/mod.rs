//! The collectors and their scheduler.
//!
//! Order of work (each phase runs its requests concurrently, up to `--concurrency`, and writes
//! results in a fixed order so bundles are deterministic):
//! 1. `/version` — if the API server does not answer, stop before any file exists;
//! 2. discovery of the OpenEBS / Litmus / mayadiag API groups;
//! 3. cluster-scoped kinds, all pods and PVCs (needed to decide which namespaces matter);
//! 4. the namespaces that hold OpenEBS/Litmus components, their CRs, or pods/PVCs on OpenEBS
//!    volumes: every namespaced kind there, events included;
//! 5. custom resources of the detected groups, NodeReports into `node-reports/`;
//! 6. logs (current, and previous when a container restarted).
//!
//! Partial failure is normal: a 403, a missing CRD, a pod that vanished or a broken stream is
//! recorded (in `<kind>-errors.json` and the manifest) and collection goes on.

pub mod hostnames;
pub mod logs;
pub mod manifest;
mod mayastor;
pub mod sink;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Timelike, Utc};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::bundle::layout;
use crate::bundle::reader::ensure_type_meta;
use crate::cluster::discovery::{self, CustomResource};
use crate::cluster::{ApiError, ClusterError, Kube, ServerInfo};
use crate::frozen::FrozenValue;
use crate::inventory::{self, AGENT_GROUP};
use crate::redact::{RedactionReport, Redactor, dropped_file_note};
use crate::resources::{self, BUILTINS, BuiltinResource, Scope};
use crate::serve::selector::LabelSelector;
use crate::snapshot::{LogKey, LogPatterns, Snapshot, SnapshotBuilder, SnapshotMeta, Source, meta_str};
use logs::{FetchedLog, LogJob};
use manifest::{CollectorStatus, Manifest, RedactionSummary, Skip, Truncation};
use sink::BundleSink;

/// What to collect and how.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Only logs newer than this.
    pub since: Duration,
    /// Per-container log limit (newest bytes kept).
    pub max_log_bytes: u64,
    /// Uncompressed bundle limit after which logs are skipped.
    pub max_bundle_size: u64,
    /// Collect logs of application pods using OpenEBS volumes too.
    pub app_logs: bool,
    /// Concurrent requests.
    pub concurrency: usize,
    /// `check` mode: no bundle; logs only as tails of unhealthy component pods.
    pub tails_only: Option<u64>,
    /// Read container logs at all (`check --no-log-tails` turns them off).
    pub logs: bool,
    /// Items per list page.
    pub page_size: usize,
    /// Arguments for the manifest.
    pub args: Vec<String>,
    /// `--no-redact --yes` was given.
    pub redaction_disabled_by_user: bool,
    /// `-n/--namespace`: only these namespaces (empty: every relevant one).
    pub namespaces: Vec<String>,
    /// `--redact-hostnames`: bundle paths and error files carry node names too (node reports,
    /// logs of pods named after their node), so they go through the redactor's pseudonyms.
    pub pseudonymize_paths: bool,
}

impl CollectOptions {
    /// Whether `-n/--namespace` lets this namespace in.
    pub fn wants_namespace(&self, ns: &str) -> bool {
        self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == ns)
    }
}

/// The result of a collection.
pub struct Collected {
    /// The snapshot (exactly what the bundle holds).
    pub snapshot: Snapshot,
    /// Redaction counts.
    pub redaction: RedactionReport,
    /// Per-collector statuses.
    pub collectors: Vec<CollectorStatus>,
    /// What was skipped and why.
    pub skips: Vec<Skip>,
    /// Logs cut to the limit.
    pub truncations: Vec<Truncation>,
    /// Namespaces collected.
    pub namespaces: Vec<String>,
    /// Bundle files written so far, by the time the caller finishes.
    pub started: Instant,
    /// Collection start (RFC 3339 in the manifest).
    pub collected_at: DateTime<Utc>,
    /// Objects / logs counts for the summary.
    pub objects: usize,
    /// Logs collected.
    pub logs: usize,
}

/// Errors that stop a collection.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// Cluster unusable.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The bundle could not be written.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
}

/// Progress callbacks (TTY bar, plain lines, or nothing).
pub trait Progress: Send + Sync {
    /// A phase starts with `total` items (0 when unknown).
    fn phase(&self, name: &str, total: u64);
    /// One item of the current phase is done; `bytes` written so far.
    fn tick(&self, bytes: u64);
    /// A file was written (not an item of the phase); `bytes` written so far.
    fn bytes(&self, _bytes: u64) {}
    /// Collection over.
    fn done(&self);
}

/// No progress output.
pub struct NoProgress;
impl Progress for NoProgress {
    fn phase(&self, _: &str, _: u64) {}
    fn tick(&self, _: u64) {}
    fn done(&self) {}
}

struct Run<'a> {
    kube: &'a Kube,
    opts: &'a CollectOptions,
    redactor: Arc<Redactor>,
    patterns: Arc<LogPatterns>,
    sink: Option<&'a BundleSink>,
    progress: &'a dyn Progress,
    builder: SnapshotBuilder,
    report: RedactionReport,
    collectors: Vec<CollectorStatus>,
    skips: Vec<Skip>,
    truncations: Vec<Truncation>,
    errors: BTreeMap<String, Vec<String>>,
    objects: usize,
    logs: usize,
}

/// A human reason for a failed request; for 403 it names the verb and resource.
fn reason_of(err: &ApiError, verb: &str, what: &str) -> String {
    match err {
        ApiError::Status { code: 403, message, .. } => {
            format!("forbidden: missing RBAC permission to {verb} {what} ({message})")
        }
        ApiError::Status { code: 404, .. } => format!("not found: {what} is not served by this cluster"),
        other => other.to_string(),
    }
}

impl<'a> Run<'a> {
    async fn write(&mut self, rel: String, data: Vec<u8>) -> Result<(), CollectError> {
        let rel = self.bundle_name(rel);
        if let Some(sink) = self.sink {
            sink.add(rel, data).await?;
            self.progress.bytes(sink.written());
        }
        Ok(())
    }

    /// A path or name as the bundle shows it: with `--redact-hostnames`, node names in it become
    /// the same pseudonyms the file contents use (`node-reports/host-3fa9c2d1.json`,
    /// `.../etcd-host-3fa9c2d1/etcd.log`). Only pseudonyms are counted in the content's report.
    fn bundle_name(&self, name: String) -> String {
        if !self.opts.pseudonymize_paths {
            return name;
        }
        let mut uncounted = RedactionReport::default();
        self.redactor.redact_text(&name, "bundle paths", &mut uncounted).unwrap_or(name)
    }

    fn record_error(&mut self, errors_file: &str, reason: String) {
        let reason = self.bundle_name(reason);
        self.errors.entry(errors_file.to_string()).or_default().push(reason.clone());
        self.builder.add_gap(errors_file.to_string(), reason);
    }

    /// Redact, record and write one list file; returns false when it was dropped (fail closed).
    async fn emit_list(
        &mut self,
        rel: String,
        resource_id: &str,
        list_meta: Option<(&str, &str)>,
        mut items: Vec<Value>,
    ) -> Result<(), CollectError> {
        items.sort_by(|a, b| {
            (meta_str(a, "namespace"), meta_str(a, "name")).cmp(&(meta_str(b, "namespace"), meta_str(b, "name")))
        });
        let mut file_report = RedactionReport::default();
        let mut failure = None;
        for item in items.iter_mut() {
            crate::snapshot::strip_noise(item);
            if let Err(e) = self.redactor.redact_object(item, &rel, &mut file_report) {
                failure = Some(e.to_string());
                break;
            }
        }
        if let Some(reason) = failure {
            let mut dropped = RedactionReport::default();
            dropped.record_dropped(&rel, &reason);
            self.report.merge(dropped);
            self.builder.add_gap(rel.clone(), crate::redact::dropped_gap_reason(&reason));
            return self.write(rel.clone(), dropped_file_note(&rel, &reason).into_bytes()).await;
        }
        self.report.merge(file_report);
        let data = match list_meta {
            Some((kind, api_version)) => {
                let list = ListFile { api_version, items: &items, kind: format!("{kind}List"), metadata: json!({}) };
                serde_json::to_vec_pretty(&list)
            }
            None => serde_json::to_vec_pretty(&items),
        }
        .unwrap_or_default();
        self.objects += items.len();
        for item in items {
            self.builder.add_object(resource_id, item);
        }
        self.write(rel, data).await
    }
}

/// A built-in list file as written: fields in the order serde_json's sorted maps would give them,
/// so the bytes are those of the equivalent `Value`.
#[derive(serde::Serialize)]
struct ListFile<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    items: &'a [Value],
    kind: String,
    metadata: Value,
}

/// Run `futures` with at most `n` in flight, yielding results in input order.
async fn ordered<T, F>(futures: Vec<F>, n: usize) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut out = Vec::with_capacity(futures.len());
    let mut stream = futures::stream::iter(futures.into_iter().map(tokio::spawn)).buffered(n.max(1));
    while let Some(r) = stream.next().await {
        if let Ok(v) = r {
            out.push(v);
        }
    }
    out
}

fn builtin(id: &str) -> &'static BuiltinResource {
    // The catalogue is a compile-time table and the ids below are its own; a miss is a bug in it.
    match resources::builtin_by_id(id) {
        Some(r) => r,
        None => &BUILTINS[0],
    }
}

/// Collect from a cluster. With a sink, everything is written to the bundle as it comes.
///
/// The phases run in this order, and the bundle's files are written in it: discovery, the
/// cluster-scoped lists (with every pod and PVC), the custom-resource lists, then — once it is
/// known which namespaces matter — the cluster-scoped files, the namespaced kinds, the custom
/// resources, Mayastor's REST state, the logs, and the discovery and error files.
pub async fn collect(
    kube: &Kube,
    opts: &CollectOptions,
    redactor: Arc<Redactor>,
    patterns: Arc<LogPatterns>,
    sink: Option<&BundleSink>,
    progress: &dyn Progress,
    server: ServerInfo,
) -> Result<Collected, CollectError> {
    let started = Instant::now();
    // The cluster's clock, in whole seconds: the manifest stores this time, and `analyze` must
    // see the same instant.
    let now = server.date.unwrap_or_else(Utc::now);
    let collected_at = now.with_nanosecond(0).unwrap_or(now);
    let version = server.version;
    let cluster_version = version.get("gitVersion").and_then(Value::as_str).map(str::to_string);
    let mut run = Run {
        kube,
        opts,
        redactor,
        patterns,
        sink,
        progress,
        builder: SnapshotBuilder::new(SnapshotMeta {
            source: Source::Live,
            collected_at,
            cluster_version: cluster_version.clone(),
        }),
        report: RedactionReport::default(),
        collectors: Vec::new(),
        skips: Vec::new(),
        truncations: Vec::new(),
        errors: BTreeMap::new(),
        objects: 0,
        logs: 0,
    };
    let top_version = format!(
        "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: mayadiag-{}\n",
        env!("CARGO_PKG_VERSION")
    );
    run.write("version.yaml".into(), top_version.into_bytes()).await?;
    let version_doc = json!({"info": version, "string": cluster_version.clone().unwrap_or_default()});
    run.write("cluster-info/cluster_version.json".into(), serde_json::to_vec_pretty(&version_doc).unwrap_or_default())
        .await?;

    let custom = discover(&mut run).await;
    let mut lists = list_cluster_scoped(&mut run).await;
    let cr_results = list_custom_resources(&run, &custom).await;
    let pods = std::mem::take(&mut lists.pods);
    let pvcs = std::mem::take(&mut lists.pvcs);
    let mut plan = plan_namespaces(opts, pods, pvcs, &lists.lists, &cr_results);
    write_cluster_scoped(&mut run, &lists.kinds, lists.lists).await?;
    collect_namespaced(&mut run, &plan.namespaces, &plan.all_namespaces, &mut plan.pods_by_ns, &mut plan.pvcs_by_ns)
        .await?;
    write_custom_resources(&mut run, cr_results).await?;

    // Mayastor's volume, pool and node state, which is not in CRDs.
    if !plan.rest_namespaces.is_empty() {
        progress.phase("mayastor state", plan.rest_namespaces.len() as u64);
        mayastor::collect(&mut run, &plan.rest_namespaces).await?;
    }

    // Logs.
    progress.phase("logs", plan.log_jobs.len() as u64);
    collect_logs(&mut run, plan.log_jobs).await?;

    finish(run, &custom, plan.namespaces, started, collected_at).await
}

/// Discovery phase: the custom resources the cluster serves (failures recorded, not fatal).
async fn discover(run: &mut Run<'_>) -> Vec<CustomResource> {
    let (kube, progress) = (run.kube, run.progress);
    progress.phase("discovery", 1);
    let t = Instant::now();
    let custom = match discovery::custom_resources(kube).await {
        Ok((found, errors)) => {
            for (gv, e) in errors {
                run.record_error(
                    "custom-resources/custom-resources",
                    format!("discovery of {gv}: {}", reason_of(&e, "get", &gv)),
                );
            }
            found
        }
        Err(e) => {
            run.record_error(
                "custom-resources/custom-resources",
                format!("discovery: {}", reason_of(&e, "get", "/apis")),
            );
            Vec::new()
        }
    };
    run.collectors.push(CollectorStatus {
        name: "discovery".into(),
        status: "ok".into(),
        items: custom.len() as u64,
        duration_ms: t.elapsed().as_millis() as u64,
        reason: None,
    });
    custom
}

/// The cluster-scoped lists (kept until the namespaces are known), and every pod and PVC (to
/// decide which namespaces matter).
struct ClusterLists {
    kinds: Vec<&'static BuiltinResource>,
    lists: BTreeMap<&'static str, Vec<FrozenValue>>,
    pods: Vec<FrozenValue>,
    pvcs: Vec<FrozenValue>,
}

/// Cluster-scoped kinds, plus all pods and PVCs (to decide which namespaces matter).
async fn list_cluster_scoped(run: &mut Run<'_>) -> ClusterLists {
    let (kube, opts, progress, sink) = (run.kube, run.opts, run.progress, run.sink);
    let cluster_kinds: Vec<&'static BuiltinResource> = BUILTINS.iter().filter(|b| b.scope == Scope::Cluster).collect();
    progress.phase("cluster resources", cluster_kinds.len() as u64 + 2);
    let mut jobs = Vec::new();
    for b in &cluster_kinds {
        let keep = if b.plural == "customresourcedefinitions" { is_relevant_crd } else { keep_all };
        jobs.push(timed_list(kube.clone(), b.list_path(None), opts.page_size, keep));
    }
    for id in ["pods", "persistentvolumeclaims"] {
        jobs.push(timed_list(kube.clone(), builtin(id).list_path(None), opts.page_size, keep_all));
    }
    let mut results = ordered(jobs, opts.concurrency).await.into_iter();
    let mut cluster_lists: BTreeMap<&'static str, Vec<FrozenValue>> = BTreeMap::new();
    for b in &cluster_kinds {
        let Some((result, took)) = results.next() else { break };
        match result {
            Ok(items) => {
                cluster_lists.insert(b.plural, items);
                run.collectors.push(CollectorStatus {
                    name: b.id(),
                    status: "ok".into(),
                    items: 0,
                    duration_ms: took.as_millis() as u64,
                    reason: None,
                });
            }
            Err(e) => {
                // An API the cluster does not serve (VolumeSnapshot CRDs absent): recorded as not
                // installed, not as a failed collector that would alarm a customer for nothing.
                let (status, reason) = if e.status() == Some(404) {
                    (NOT_INSTALLED, format!("not installed: {} is not served by this cluster", b.id()))
                } else {
                    let reason = reason_of(&e, "list", &b.id());
                    run.record_error(b.bundle_name, reason.clone());
                    ("failed", reason)
                };
                run.collectors.push(CollectorStatus {
                    name: b.id(),
                    status: status.into(),
                    items: 0,
                    duration_ms: took.as_millis() as u64,
                    reason: Some(reason),
                });
            }
        }
        progress.tick(sink.map_or(0, |s| s.written()));
    }
    let mut all_pods = Vec::new();
    let mut all_pvcs = Vec::new();
    for (id, target) in [("pods", &mut all_pods), ("persistentvolumeclaims", &mut all_pvcs)] {
        let Some((result, took)) = results.next() else { break };
        match result {
            Ok(items) => *target = items,
            Err(e) => {
                let reason = reason_of(&e, "list", id);
                run.record_error(builtin(id).bundle_name, reason.clone());
                run.collectors.push(CollectorStatus {
                    name: format!("{id} (all namespaces)"),
                    status: "failed".into(),
                    items: 0,
                    duration_ms: took.as_millis() as u64,
                    reason: Some(reason),
                });
            }
        }
    }
    ClusterLists { kinds: cluster_kinds, lists: cluster_lists, pods: all_pods, pvcs: all_pvcs }
}

/// Custom resources (cluster-wide lists), before namespaces: their namespaces matter too.
async fn list_custom_resources(run: &Run<'_>, custom: &[CustomResource]) -> Vec<CrListing> {
    let (kube, opts, progress) = (run.kube, run.opts, run.progress);
    progress.phase("custom resources", custom.len() as u64);
    let mut jobs = Vec::new();
    for cr in custom {
        jobs.push(timed_list(kube.clone(), cr.list_path(), opts.page_size, keep_all));
    }
    let cr_results: Vec<CrListing> =
        custom.iter().cloned().zip(ordered(jobs, opts.concurrency).await).map(|(c, (r, d))| (c, r, d)).collect();
    cr_results
}

/// Where to look, decided once the cluster-wide lists are in.
struct NamespacePlan {
    /// The namespaces that matter (OpenEBS, Litmus, their volumes' and chaos targets').
    namespaces: BTreeSet<String>,
    /// Every namespace, for the kinds taken from all of them ([`EVERY_NAMESPACE`]).
    all_namespaces: BTreeSet<String>,
    /// The logs to take.
    log_jobs: Vec<LogJob>,
    /// Namespaces running Mayastor's api-rest.
    rest_namespaces: BTreeSet<String>,
    /// The cluster-wide pod and PVC lists, handed out by namespace instead of copied.
    pods_by_ns: BTreeMap<String, Vec<FrozenValue>>,
    pvcs_by_ns: BTreeMap<String, Vec<FrozenValue>>,
}

/// Which namespaces matter, and which logs to take (decided now, so the cluster-wide pod and
/// PVC lists can be handed out by namespace instead of copied).
fn plan_namespaces(
    opts: &CollectOptions,
    all_pods: Vec<FrozenValue>,
    all_pvcs: Vec<FrozenValue>,
    cluster_lists: &BTreeMap<&'static str, Vec<FrozenValue>>,
    cr_results: &[CrListing],
) -> NamespacePlan {
    let (namespaces, jobs_spec) = {
        let empty = Vec::new();
        let pvs = cluster_lists.get("persistentvolumes").unwrap_or(&empty);
        let scs = cluster_lists.get("storageclasses").unwrap_or(&empty);
        let mut namespaces = relevant_namespaces(&all_pods, &all_pvcs, pvs, scs, cr_results);
        namespaces.retain(|ns| opts.wants_namespace(ns));
        let targets = chaos_targets(cr_results);
        let jobs = log_jobs(&all_pods, &targets, &namespaces, opts, &all_pvcs, pvs, scs);
        (namespaces, jobs)
    };
    let rest_namespaces: BTreeSet<String> = all_pods
        .iter()
        .filter(|p| {
            inventory::classify_pod(*p).is_some_and(|c| c.engine == inventory::Engine::Mayastor && c.name == "api-rest")
        })
        .map(|p| meta_str(p, "namespace").to_string())
        .collect();
    let mut pods_by_ns: BTreeMap<String, Vec<FrozenValue>> = BTreeMap::new();
    for p in all_pods {
        pods_by_ns.entry(meta_str(&p, "namespace").to_string()).or_default().push(p);
    }
    let mut pvcs_by_ns: BTreeMap<String, Vec<FrozenValue>> = BTreeMap::new();
    for p in all_pvcs {
        pvcs_by_ns.entry(meta_str(&p, "namespace").to_string()).or_default().push(p);
    }

    // Every namespace the cluster has (pods, events and workloads are taken from all of them),
    // narrowed by `-n/--namespace`.
    let all_namespaces: BTreeSet<String> = cluster_lists
        .get("namespaces")
        .into_iter()
        .flatten()
        .map(|n| meta_str(n, "name").to_string())
        .chain(pods_by_ns.keys().cloned())
        .filter(|n| !n.is_empty() && opts.wants_namespace(n))
        .collect();
    NamespacePlan { namespaces, all_namespaces, log_jobs: jobs_spec, rest_namespaces, pods_by_ns, pvcs_by_ns }
}

/// Write the cluster-scoped kinds (fixed order).
async fn write_cluster_scoped(
    run: &mut Run<'_>,
    cluster_kinds: &[&'static BuiltinResource],
    mut cluster_lists: BTreeMap<&'static str, Vec<FrozenValue>>,
) -> Result<(), CollectError> {
    for b in cluster_kinds {
        if let Some(items) = cluster_lists.remove(b.plural) {
            let n = items.len() as u64;
            let api_version = b.api_version();
            run.emit_list(
                layout::list_path(b, None),
                &b.id(),
                Some((b.kind, &api_version)),
                thaw(items)
                    .into_iter()
                    .map(|mut i| {
                        ensure_type_meta(&mut i, &api_version, b.kind);
                        i
                    })
                    .collect(),
            )
            .await?;
            if let Some(c) = run.collectors.iter_mut().find(|c| c.name == b.id()) {
                c.items = n;
            }
        }
    }
    Ok(())
}

/// Namespaced kinds: the ones that matter from the relevant namespaces, the [`EVERY_NAMESPACE`]
/// kinds from all, written as they arrive.
async fn collect_namespaced(
    run: &mut Run<'_>,
    namespaces: &BTreeSet<String>,
    all_namespaces: &BTreeSet<String>,
    pods_by_ns: &mut BTreeMap<String, Vec<FrozenValue>>,
    pvcs_by_ns: &mut BTreeMap<String, Vec<FrozenValue>>,
) -> Result<(), CollectError> {
    let (kube, opts, progress, sink) = (run.kube, run.opts, run.progress, run.sink);
    let namespaced: Vec<&'static BuiltinResource> = BUILTINS.iter().filter(|b| b.scope == Scope::Namespaced).collect();
    // Events about cluster-scoped objects (Nodes, PVs, cluster-scoped CRs such as legacy
    // CStorPools) are recorded in `default`; take those even when `default` holds nothing else.
    let node_events = if namespaces.contains("default") {
        Vec::new()
    } else {
        match kube.list(&builtin("events").list_path(Some("default")), "", opts.page_size).await {
            Ok(mut items) => {
                items.retain(|e| {
                    e.pointer("/involvedObject/namespace").and_then(Value::as_str).unwrap_or("").is_empty()
                });
                items
            }
            Err(e) => {
                run.record_error(
                    "events",
                    reason_of(&e, "list", "events in namespace default (cluster-scoped objects)"),
                );
                Vec::new()
            }
        }
    };
    let mut node_events_by_ns: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for e in node_events {
        node_events_by_ns.entry(meta_str(&e, "namespace").to_string()).or_default().push(e);
    }
    let mut work: Vec<(&'static BuiltinResource, String)> = Vec::new();
    for b in &namespaced {
        let every = EVERY_NAMESPACE.contains(&b.plural);
        let base = namespaces.iter().chain(all_namespaces.iter().filter(|_| every)).cloned();
        let namespaces_for_kind: BTreeSet<String> =
            if b.plural == "events" { base.chain(node_events_by_ns.keys().cloned()).collect() } else { base.collect() };
        for ns in namespaces_for_kind {
            work.push((b, ns));
        }
    }
    progress.phase("namespaced resources", work.len() as u64);
    let mut jobs = Vec::new();
    for (b, ns) in &work {
        let kube = kube.clone();
        let relevant = namespaces.contains(ns) || EVERY_NAMESPACE.contains(&b.plural);
        let page = opts.page_size;
        let (b, ns) = (*b, ns.clone());
        let prefetched: Option<Vec<FrozenValue>> = match b.plural {
            "pods" => Some(pods_by_ns.remove(&ns).unwrap_or_default()),
            "persistentvolumeclaims" => Some(pvcs_by_ns.remove(&ns).unwrap_or_default()),
            _ => None,
        };
        jobs.push(async move {
            let t = Instant::now();
            let result = match prefetched {
                Some(items) => Ok(thaw(items)),
                None if !relevant => Ok(Vec::new()),
                None if b.plural == "secrets" => list_secrets(&kube, &b.list_path(Some(&ns)), page).await,
                None => kube.list(&b.list_path(Some(&ns)), "", page).await,
            };
            (result, t.elapsed())
        });
    }
    // Results are written as they arrive (in order), so only a window of lists is in memory.
    let mut results = futures::stream::iter(jobs.into_iter().map(tokio::spawn)).buffered(opts.concurrency.max(1));
    for (b, ns) in work.iter() {
        let Some(Ok((result, took))) = results.next().await else { break };
        let name = format!("{}/{}", b.id(), ns);
        match result {
            Ok(mut items) => {
                if b.plural == "events"
                    && let Some(extra) = node_events_by_ns.get(ns)
                {
                    let seen: BTreeSet<String> = items.iter().map(|e| meta_str(e, "name").to_string()).collect();
                    items.extend(extra.iter().filter(|e| !seen.contains(meta_str(*e, "name"))).cloned());
                }
                let n = items.len() as u64;
                let api_version = b.api_version();
                let items = items
                    .into_iter()
                    .map(|mut i| {
                        ensure_type_meta(&mut i, &api_version, b.kind);
                        i
                    })
                    .collect();
                run.emit_list(layout::list_path(b, Some(ns)), &b.id(), Some((b.kind, &api_version)), items).await?;
                run.collectors.push(CollectorStatus {
                    name,
                    status: "ok".into(),
                    items: n,
                    duration_ms: took.as_millis() as u64,
                    reason: None,
                });
            }
            Err(e) => {
                let reason = reason_of(&e, "list", &format!("{} in namespace {ns}", b.id()));
                let status = if e.status() == Some(404) && b.group == "snapshot.storage.k8s.io" {
                    NOT_INSTALLED
                } else {
                    run.record_error(b.bundle_name, reason.clone());
                    "failed"
                };
                run.collectors.push(CollectorStatus {
                    name,
                    status: status.into(),
                    items: 0,
                    duration_ms: took.as_millis() as u64,
                    reason: Some(reason),
                });
            }
        }
        progress.tick(sink.map_or(0, |s| s.written()));
    }
    Ok(())
}

/// Custom resources: files per namespace; NodeReports into node-reports/.
async fn write_custom_resources(run: &mut Run<'_>, cr_results: Vec<CrListing>) -> Result<(), CollectError> {
    let opts = run.opts;
    for (cr, result, took) in cr_results {
        let id = cr.id();
        match result {
            Ok(items) => {
                let n = items.len() as u64;
                let items: Vec<Value> = thaw(items)
                    .into_iter()
                    .map(|mut i| {
                        ensure_type_meta(&mut i, &cr.api_version(), &cr.kind);
                        i
                    })
                    .collect();
                if cr.group == AGENT_GROUP && cr.kind == "NodeReport" {
                    for mut report in items {
                        let name = meta_str(&report, "name").to_string();
                        let rel = run.bundle_name(format!("node-reports/{name}.json"));
                        let mut file_report = RedactionReport::default();
                        crate::snapshot::strip_noise(&mut report);
                        if let Err(e) = run.redactor.redact_object(&mut report, &rel, &mut file_report) {
                            let reason = e.to_string();
                            run.builder.add_gap(rel.clone(), crate::redact::dropped_gap_reason(&reason));
                            run.write(rel.clone(), dropped_file_note(&rel, &reason).into_bytes()).await?;
                            continue;
                        }
                        run.report.merge(file_report);
                        run.builder.add_node_report(report.clone());
                        run.write(rel, serde_json::to_vec_pretty(&report).unwrap_or_default()).await?;
                    }
                } else {
                    let mut by_ns: BTreeMap<String, Vec<Value>> = BTreeMap::new();
                    for item in items {
                        by_ns.entry(meta_str(&item, "namespace").to_string()).or_default().push(item);
                    }
                    for (ns, items) in by_ns.into_iter().filter(|(ns, _)| ns.is_empty() || opts.wants_namespace(ns)) {
                        let rel = layout::custom_path(&id, if cr.namespaced { Some(&ns) } else { None });
                        run.emit_list(rel, &id, None, items).await?;
                    }
                }
                run.collectors.push(CollectorStatus {
                    name: id,
                    status: "ok".into(),
                    items: n,
                    duration_ms: took.as_millis() as u64,
                    reason: None,
                });
            }
            Err(e) => {
                let reason = reason_of(&e, "list", &id);
                run.record_error(&format!("custom-resources/{id}"), reason.clone());
                run.collectors.push(CollectorStatus {
                    name: id,
                    status: "failed".into(),
                    items: 0,
                    duration_ms: took.as_millis() as u64,
                    reason: Some(reason),
                });
            }
        }
    }
    Ok(())
}

/// The discovery files, as troubleshoot writes them, the errors files, and the result.
async fn finish(
    mut run: Run<'_>,
    custom: &[CustomResource],
    namespaces: BTreeSet<String>,
    started: Instant,
    collected_at: DateTime<Utc>,
) -> Result<Collected, CollectError> {
    // Discovery, as troubleshoot writes it (sbctl serves /api and /apis from these files).
    let (groups_json, resources_json) = discovery_files(custom, &run.collectors);
    run.write("cluster-resources/groups.json".into(), serde_json::to_vec_pretty(&groups_json).unwrap_or_default())
        .await?;
    run.write(
        "cluster-resources/resources.json".into(),
        serde_json::to_vec_pretty(&resources_json).unwrap_or_default(),
    )
    .await?;

    // Errors files.
    let errors = std::mem::take(&mut run.errors);
    for (what, reasons) in errors {
        let rel = format!("cluster-resources/{what}-errors.json");
        run.write(rel, serde_json::to_vec_pretty(&reasons).unwrap_or_default()).await?;
    }
    run.progress.done();
    Ok(Collected {
        snapshot: run.builder.finish(),
        redaction: run.report,
        collectors: run.collectors,
        skips: run.skips,
        truncations: run.truncations,
        namespaces: namespaces.into_iter().collect(),
        started,
        collected_at,
        objects: run.objects,
        logs: run.logs,
    })
}

/// Kinds taken from every namespace, not only the OpenEBS/Litmus ones: support's first look is
/// `kubectl get pods -A`, and causes outside OpenEBS (CNI, DNS, kube-proxy, an ingress crash-
/// looping) are common. They are cheap, paginated lists; logs stay targeted.
const EVERY_NAMESPACE: [&str; 6] = ["pods", "events", "deployments", "daemonsets", "statefulsets", "replicasets"];

/// Namespaces of the cluster's own plumbing whose unhealthy pods get their log tails collected.
const SYSTEM_NAMESPACES: [&str; 6] =
    ["kube-system", "kube-flannel", "calico-system", "tigera-operator", "cilium", "kube-proxy"];

/// Lines kept of such a log (a tail, not the whole log: they are context, not the subject).
const SYSTEM_TAIL_LINES: u64 = 200;

/// Collector status of an optional API the cluster does not serve.
const NOT_INSTALLED: &str = "not installed";

/// `groups.json` and `resources.json`: the built-in kinds `serve` knows, the custom resources
/// discovered, and the Mayastor REST pseudo-group's kinds that were read from api-rest (category
/// `mayastor`, so `kubectl get mayastor` shows all of them from a served bundle).
fn discovery_files(custom: &[CustomResource], collectors: &[CollectorStatus]) -> (Value, Value) {
    use crate::resources::DiscoveredResource;
    let installed = |id: &str| {
        !collectors.iter().any(|c| c.status == NOT_INSTALLED && (c.name == id || c.name.starts_with(&format!("{id}/"))))
    };
    let mut all: Vec<DiscoveredResource> =
        BUILTINS.iter().filter(|b| installed(&b.id())).map(DiscoveredResource::from_builtin).collect();
    all.extend(custom.iter().map(CustomResource::discovered));
    for kind in crate::mayastor_rest::KINDS {
        let read = collectors.iter().any(|c| {
            c.status == "ok" && c.name.starts_with("mayastor-rest/") && c.name.ends_with(&format!("/{}", kind.path))
        });
        if read {
            all.push(DiscoveredResource {
                group: crate::mayastor_rest::GROUP.into(),
                version: "v0".into(),
                plural: kind.path.into(),
                kind: kind.kind.into(),
                singular: kind.kind.to_lowercase(),
                namespaced: false,
                short_names: Vec::new(),
                categories: vec!["mayastor".into()],
            });
        }
    }
    all.sort();
    all.dedup_by(|a, b| a.group == b.group && a.plural == b.plural);
    crate::resources::discovery_files(&all)
}

/// One custom resource kind, its listing (frozen) and how long it took.
type CrListing = (CustomResource, Result<Vec<FrozenValue>, ApiError>, Duration);

/// A list held while the collection goes on (cluster-scoped kinds, all pods and PVCs, custom
/// resources), so kept frozen until it is written; only the items `keep` accepts.
async fn timed_list(
    kube: Kube,
    path: String,
    page: usize,
    keep: fn(&Value) -> bool,
) -> (Result<Vec<FrozenValue>, ApiError>, Duration) {
    let t = Instant::now();
    (kube.list_frozen(&path, page, keep).await, t.elapsed())
}

fn keep_all(_: &Value) -> bool {
    true
}

/// Back to `serde_json` for redaction and writing.
fn thaw(items: Vec<FrozenValue>) -> Vec<Value> {
    items.iter().map(FrozenValue::to_json).collect()
}

/// Only CRDs of the groups we collect are kept.
fn is_relevant_crd(crd: &Value) -> bool {
    crd.pointer("/spec/group").and_then(Value::as_str).is_some_and(inventory::is_relevant_crd_group)
}

/// Secrets as metadata only: the Table API returns name, type and key count without the values
/// ever leaving the API server.
async fn list_secrets(kube: &Kube, path: &str, page: usize) -> Result<Vec<Value>, ApiError> {
    let (rows, columns) = kube
        .list_with_columns(path, "includeObject=Metadata", page, "application/json;as=Table;v=v1;g=meta.k8s.io")
        .await?;
    let col = |name: &str| {
        columns
            .as_array()
            .and_then(|cs| cs.iter().position(|c| c["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name))))
    };
    let (type_col, data_col) = (col("Type"), col("Data"));
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut metadata = row.pointer("/object/metadata").cloned().unwrap_or(json!({}));
            if let Some(ann) = metadata.get_mut("annotations").and_then(Value::as_object_mut) {
                // The last-applied annotation of a Secret holds its values.
                ann.remove("kubectl.kubernetes.io/last-applied-configuration");
            }
            let cell = |i: Option<usize>| i.and_then(|i| row["cells"].get(i).cloned()).unwrap_or(Value::Null);
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": cell(type_col), "dataKeyCount": cell(data_col)})
        })
        .collect())
}

/// Namespaces holding OpenEBS/Litmus component pods, custom resources of our groups, or pods and
/// PVCs on OpenEBS volumes.
fn relevant_namespaces(
    pods: &[FrozenValue],
    pvcs: &[FrozenValue],
    pvs: &[FrozenValue],
    scs: &[FrozenValue],
    crs: &[CrListing],
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in pods {
        if inventory::classify_pod(p).is_some() {
            out.insert(meta_str(p, "namespace").to_string());
        }
    }
    for (cr, items, _) in crs {
        if cr.namespaced
            && let Ok(items) = items
        {
            out.extend(items.iter().map(|i| meta_str(i, "namespace").to_string()).filter(|n| !n.is_empty()));
        }
    }
    let openebs = openebs_claims(pvcs, pvs, scs);
    for (ns, _) in &openebs {
        out.insert(ns.clone());
    }
    out.extend(chaos_targets(crs).into_iter().map(|(ns, _)| ns));
    out
}

/// Namespaces and label selectors of the applications ChaosEngines target (`spec.appinfo`): their
/// pods and events matter when a fault was not reverted.
fn chaos_targets(crs: &[CrListing]) -> Vec<(String, LabelSelector)> {
    crs.iter()
        .filter(|(cr, _, _)| cr.group == "litmuschaos.io" && cr.kind == "ChaosEngine")
        .filter_map(|(_, items, _)| items.as_ref().ok())
        .flatten()
        .filter_map(|engine| {
            let info = engine.pointer("/spec/appinfo")?;
            let ns = info
                .get("appns")
                .and_then(FrozenValue::as_str)
                .filter(|s| !s.is_empty())
                .unwrap_or(meta_str(engine, "namespace"));
            let selector =
                LabelSelector::parse(info.get("applabel").and_then(FrozenValue::as_str).unwrap_or("")).ok()?;
            Some((ns.to_string(), selector))
        })
        .collect()
}

/// `(namespace, pvc name)` of every PVC on an OpenEBS volume (bound PV of an OpenEBS engine, or
/// a StorageClass with an OpenEBS provisioner while still pending).
fn openebs_claims(pvcs: &[FrozenValue], pvs: &[FrozenValue], scs: &[FrozenValue]) -> BTreeSet<(String, String)> {
    let openebs_pvs: BTreeSet<&str> =
        pvs.iter().filter(|pv| inventory::engine_for_pv(*pv).is_some()).map(|pv| meta_str(pv, "name")).collect();
    let openebs_scs: BTreeSet<&str> = scs
        .iter()
        .filter(|sc| {
            sc.get("provisioner").and_then(FrozenValue::as_str).and_then(inventory::engine_for_driver).is_some()
        })
        .map(|sc| meta_str(sc, "name"))
        .collect();
    pvcs.iter()
        .filter(|c| {
            let volume = c.pointer("/spec/volumeName").and_then(FrozenValue::as_str).unwrap_or("");
            let sc = c.pointer("/spec/storageClassName").and_then(FrozenValue::as_str).unwrap_or("");
            openebs_pvs.contains(volume) || openebs_scs.contains(sc)
        })
        .map(|c| (meta_str(c, "namespace").to_string(), meta_str(c, "name").to_string()))
        .collect()
}

/// Which logs to fetch: every container (init included) of every OpenEBS/Litmus pod, previous
/// logs when a container restarted; app pods on OpenEBS volumes and chaos targets only with
/// `--app-logs`.
fn log_jobs(
    pods: &[FrozenValue],
    targets: &[(String, LabelSelector)],
    namespaces: &BTreeSet<String>,
    opts: &CollectOptions,
    pvcs: &[FrozenValue],
    pvs: &[FrozenValue],
    scs: &[FrozenValue],
) -> Vec<LogJob> {
    if !opts.logs {
        return Vec::new();
    }
    let claims = openebs_claims(pvcs, pvs, scs);
    let mut jobs = Vec::new();
    for pod in pods {
        let ns = meta_str(pod, "namespace");
        // An unhealthy pod of the cluster's own plumbing (DNS, CNI, kube-proxy) often explains
        // a storage symptom: its log tail is taken even outside the OpenEBS namespaces.
        let system_unhealthy = SYSTEM_NAMESPACES.contains(&ns) && pod_unhealthy(pod);
        if !namespaces.contains(ns) && !system_unhealthy {
            continue;
        }
        let component = inventory::classify_pod(pod).is_some();
        let uses_openebs = pod.pointer("/spec/volumes").and_then(FrozenValue::as_array).is_some_and(|vs| {
            vs.iter()
                .filter_map(|v| v.pointer("/persistentVolumeClaim/claimName").and_then(FrozenValue::as_str))
                .any(|c| claims.contains(&(ns.to_string(), c.to_string())))
        });
        let chaos_target = targets.iter().any(|(tns, sel)| tns == ns && sel.matches(pod));
        if !(component || system_unhealthy || ((uses_openebs || chaos_target) && opts.app_logs)) {
            continue;
        }
        let app = (uses_openebs || chaos_target) && opts.app_logs;
        let tail_lines = if component || app { opts.tails_only } else { opts.tails_only.or(Some(SYSTEM_TAIL_LINES)) };
        if let Some(tail) = opts.tails_only {
            if !pod_unhealthy(pod) {
                continue;
            }
            let _ = tail;
        }
        let phase = pod.pointer("/status/phase").and_then(FrozenValue::as_str).unwrap_or("");
        let statuses: Vec<&FrozenValue> = ["initContainerStatuses", "containerStatuses"]
            .iter()
            .flat_map(|k| pod["status"][*k].as_array().unwrap_or(&[]))
            .collect();
        for kind in ["initContainers", "containers"] {
            for c in pod["spec"][kind].as_array().unwrap_or(&[]) {
                let Some(name) = c["name"].as_str() else { continue };
                let status = statuses.iter().find(|s| s["name"] == name);
                let started = status.is_some_and(|s| {
                    s["state"]["running"].is_object()
                        || s["state"]["terminated"].is_object()
                        || s["lastState"]["terminated"].is_object()
                });
                let restarts = status.and_then(|s| s["restartCount"].as_u64()).unwrap_or(0);
                let key = |previous| LogKey {
                    namespace: ns.to_string(),
                    pod: meta_str(pod, "name").to_string(),
                    container: name.to_string(),
                    previous,
                };
                let job = |previous| LogJob {
                    key: key(previous),
                    since_seconds: opts.since.as_secs(),
                    max_bytes: opts.max_log_bytes,
                    tail_lines,
                };
                if started
                    || phase == "Running"
                    || phase == "Succeeded"
                    || phase == "Failed"
                    || status.is_none() && phase != "Pending"
                {
                    jobs.push(job(false));
                }
                if restarts > 0 {
                    jobs.push(job(true));
                }
            }
        }
    }
    jobs.sort_by(|a, b| a.key.cmp(&b.key));
    jobs
}

/// Not ready, restarting, waiting or failed: the pods `check` reads log tails of.
fn pod_unhealthy(pod: &FrozenValue) -> bool {
    let phase = pod.pointer("/status/phase").and_then(FrozenValue::as_str).unwrap_or("");
    if phase == "Succeeded" {
        return false;
    }
    if phase != "Running" {
        return true;
    }
    ["initContainerStatuses", "containerStatuses"].iter().flat_map(|k| pod["status"][*k].as_array().unwrap_or(&[])).any(
        |s| {
            s["restartCount"].as_u64().unwrap_or(0) > 0
                || s["state"]["waiting"].is_object()
                || (s["ready"].as_bool() == Some(false) && s["state"]["terminated"].is_null())
        },
    )
}

async fn collect_logs(run: &mut Run<'_>, jobs: Vec<LogJob>) -> Result<(), CollectError> {
    let t = Instant::now();
    let budget = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let budget_flag = budget.clone();
    // Futures are made as the window advances, not up front: one per log would be thousands of
    // idle state machines on a big cluster.
    let (kube, redactor) = (run.kube.clone(), run.redactor.clone());
    let fetches = jobs.iter().cloned().map(move |job| {
        let (kube, redactor, over) = (kube.clone(), redactor.clone(), budget_flag.clone());
        tokio::spawn(async move {
            if over.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            Some(logs::fetch(&kube, &redactor, job).await)
        })
    });
    let mut stream = futures::stream::iter(fetches).buffered(run.opts.concurrency.max(1));
    let mut index = 0usize;
    let (mut ok, mut failed, mut skipped) = (0u64, 0u64, 0u64);
    while let Some(result) = stream.next().await {
        let job = &jobs[index];
        index += 1;
        // As the bundle names it: skips and truncations in the manifest must not leak node names.
        let rel = run.bundle_name(format!("cluster-resources/{}", job.key.bundle_path()));
        let fetched: Option<Result<FetchedLog, ApiError>> = result.ok().flatten();
        let written = run.sink.map_or(0, |s| s.written());
        match fetched {
            None => {
                skipped += 1;
                run.skips.push(Skip {
                    what: rel,
                    reason: format!("--max-bundle-size ({} bytes) reached", run.opts.max_bundle_size),
                });
            }
            Some(Err(e)) => {
                failed += 1;
                let reason = reason_of(
                    &e,
                    "get",
                    &format!("pods/log for {}/{} container {}", job.key.namespace, job.key.pod, job.key.container),
                );
                run.record_error("pods/logs", format!("{}: {reason}", job.key.bundle_path()));
            }
            Some(Ok(log)) => {
                if written + log.data.len() as u64 > run.opts.max_bundle_size && run.sink.is_some() {
                    budget.store(true, std::sync::atomic::Ordering::Relaxed);
                    skipped += 1;
                    run.skips.push(Skip {
                        what: rel,
                        reason: format!("--max-bundle-size ({} bytes) reached", run.opts.max_bundle_size),
                    });
                    run.progress.tick(written);
                    continue;
                }
                if let Some(reason) = &log.redaction_failed {
                    let mut dropped = RedactionReport::default();
                    dropped.record_dropped(&rel, reason);
                    run.report.merge(dropped);
                    run.builder.add_gap(rel.clone(), crate::redact::dropped_gap_reason(reason));
                    run.write(rel.clone(), dropped_file_note(&rel, reason).into_bytes()).await?;
                    continue;
                }
                if let Some(reason) = &log.broken {
                    run.record_error(
                        "pods/logs",
                        format!("{}: log stream broke after {} bytes: {reason}", job.key.bundle_path(), log.received),
                    );
                }
                if log.received > log.data.len() as u64 {
                    run.truncations.push(Truncation {
                        file: rel.clone(),
                        kept_bytes: log.data.len() as u64,
                        received_bytes: log.received,
                    });
                }
                ok += 1;
                run.logs += 1;
                run.report.merge(log.report);
                let mut key = log.key;
                key.pod = run.bundle_name(key.pod);
                run.builder.add_log_text(key, &log.data, &run.patterns);
                run.write(rel, log.data).await?;
            }
        }
        run.progress.tick(run.sink.map_or(0, |s| s.written()));
    }
    let status = if failed == 0 && skipped == 0 { "ok" } else { "partial" };
    run.collectors.push(CollectorStatus {
        name: "logs".into(),
        status: status.into(),
        items: ok,
        duration_ms: t.elapsed().as_millis() as u64,
        reason: (failed + skipped > 0).then(|| format!("{failed} failed, {skipped} skipped")),
    });
    Ok(())
}

/// Build the manifest for a finished collection.
pub fn manifest(
    c: &Collected,
    server: &str,
    files: Vec<crate::bundle::FileEntry>,
    enabled: bool,
    disabled_by_user: bool,
) -> Manifest {
    Manifest {
        tool: "mayadiag".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        args: Vec::new(),
        collected_at: c.collected_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        duration_ms: c.started.elapsed().as_millis() as u64,
        server: server.to_string(),
        cluster_version: c.snapshot.meta.cluster_version.clone(),
        namespaces: c.namespaces.clone(),
        collectors: c.collectors.clone(),
        truncations: c.truncations.clone(),
        skips: c.skips.clone(),
        redaction: RedactionSummary {
            enabled,
            disabled_by_user,
            total: c.redaction.total(),
            per_rule: c.redaction.per_rule().clone(),
            dropped_files: 0,
        },
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_used_by_the_scheduler_are_in_the_catalogue() {
        for id in ["pods", "persistentvolumeclaims", "events"] {
            assert_eq!(builtin(id).id(), id);
        }
    }

    #[test]
    fn unhealthy_pods_are_the_ones_check_reads() {
        let running = FrozenValue::freeze(
            json!({"status": {"phase": "Running", "containerStatuses": [{"ready": true, "restartCount": 0, "state": {"running": {}}}]}}),
        );
        let restarting = FrozenValue::freeze(
            json!({"status": {"phase": "Running", "containerStatuses": [{"ready": true, "restartCount": 2, "state": {"running": {}}}]}}),
        );
        let pending = FrozenValue::freeze(json!({"status": {"phase": "Pending"}}));
        assert!(!pod_unhealthy(&running));
        assert!(pod_unhealthy(&restarting));
        assert!(pod_unhealthy(&pending));
    }

    #[test]
    fn openebs_claims_by_volume_or_class() {
        let pvs = vec![json!({"metadata": {"name": "pv-1"}, "spec": {"csi": {"driver": "local.csi.openebs.io"}}})];
        let scs = vec![json!({"metadata": {"name": "openebs-hostpath"}, "provisioner": "openebs.io/local"})];
        let pvcs = vec![
            json!({"metadata": {"name": "bound", "namespace": "a"}, "spec": {"volumeName": "pv-1"}}),
            json!({"metadata": {"name": "pending", "namespace": "b"}, "spec": {"storageClassName": "openebs-hostpath"}}),
            json!({"metadata": {"name": "other", "namespace": "c"}, "spec": {"storageClassName": "gp2"}}),
        ];
        let freeze = |v: Vec<Value>| v.into_iter().map(FrozenValue::freeze).collect::<Vec<_>>();
        let claims = openebs_claims(&freeze(pvcs), &freeze(pvs), &freeze(scs));
        assert!(claims.contains(&("a".into(), "bound".into())));
        assert!(claims.contains(&("b".into(), "pending".into())));
        assert_eq!(claims.len(), 2);
    }
}

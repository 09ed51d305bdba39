//! The report's view model: what each section shows, read from the analysis (verdict, findings,
//! incidents) and the snapshot (pods, pools, volumes, events). Nothing here decides a verdict: a
//! cell or row is failing because a finding says so, or because the object's own status says so
//! (a pod that is not ready, a node that is not Ready), never by a rule of its own.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::bundle::layout;
use crate::checks::analyzers::quantity;
use crate::checks::{Finding, ObjectRef, Status};
use crate::frozen::FrozenValue;
use crate::inventory::{EngineState, classify_pod, engine_for_driver, engine_for_pv};
use crate::report::Analysis;
use crate::resources::builtin_by_id;
use crate::snapshot::{Snapshot, meta_str};

use super::ManifestFacts;

/// Rows a table shows before it summarises: every failing row is kept, healthy ones are cut.
pub const MAX_ROWS: usize = 300;
/// Node columns the grid shows before it folds healthy nodes.
pub const MAX_NODE_COLUMNS: usize = 40;

/// ok / warn / fail / absent, for grid cells, rows and bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    /// Something is broken.
    Fail,
    /// Something needs a look.
    Warn,
    /// Fine.
    Ok,
    /// Nothing there.
    Absent,
}

impl Health {
    /// CSS class and label.
    pub fn class(self) -> &'static str {
        match self {
            Health::Fail => "fail",
            Health::Warn => "warn",
            Health::Ok => "ok",
            Health::Absent => "absent",
        }
    }

    /// The worse of two (absent counts as better than ok).
    pub fn worst(self, other: Health) -> Health {
        self.min(other)
    }

    fn of_status(s: Status) -> Health {
        match s {
            Status::Fail => Health::Fail,
            Status::Warn => Health::Warn,
            Status::Pass => Health::Ok,
        }
    }
}

/// Finding statuses by object, to colour cells and rows by what the checks said.
pub struct FindingIndex<'a> {
    by_object: HashMap<(&'a str, &'a str, &'a str), Health>,
    by_name: HashMap<&'a str, Health>,
}

impl<'a> FindingIndex<'a> {
    /// Index the findings of an analysis.
    pub fn new(findings: &'a [Finding]) -> FindingIndex<'a> {
        let mut by_object: HashMap<(&str, &str, &str), Health> = HashMap::new();
        let mut by_name: HashMap<&str, Health> = HashMap::new();
        for f in findings {
            let h = Health::of_status(f.status);
            let o = &f.object;
            let e = by_object.entry((o.kind.as_str(), o.namespace.as_str(), o.name.as_str())).or_insert(Health::Ok);
            *e = e.worst(h);
            let n = by_name.entry(o.name.as_str()).or_insert(Health::Ok);
            *n = n.worst(h);
        }
        FindingIndex { by_object, by_name }
    }

    /// What the findings say about one object (Ok when nothing).
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Health {
        self.by_object.get(&(kind, namespace, name)).copied().unwrap_or(Health::Ok)
    }

    /// What the findings say about any object of this name (volumes: PV, CR and uuid share it).
    pub fn name(&self, name: &str) -> Health {
        self.by_name.get(name).copied().unwrap_or(Health::Ok)
    }
}

fn s<'v>(v: &'v FrozenValue, pointer: &str) -> &'v str {
    v.pointer(pointer).and_then(FrozenValue::as_str).unwrap_or("")
}

fn time_at(v: &FrozenValue, pointer: &str) -> Option<DateTime<Utc>> {
    v.pointer(pointer).and_then(FrozenValue::as_str).and_then(|t| t.parse().ok())
}

// ---------------------------------------------------------------------------------------------
// Verdict

/// Section 1.
pub struct VerdictView {
    /// The Sev to use.
    pub level: u8,
    /// The evidence's suggestion.
    pub suggested: u8,
    /// The customer's override.
    pub sev_override: Option<u8>,
    /// What drove it.
    pub driven_by: String,
    /// Why.
    pub reasons: Vec<String>,
    /// The customer's description.
    pub description: Option<String>,
    /// API server version.
    pub cluster_version: String,
    /// Installed engines: name, version, state.
    pub engines: Vec<(String, String, String)>,
    /// When the cluster was read.
    pub collected_at: String,
    /// The log/event window (`logs and events of the 24 h before collection`).
    pub window: String,
    /// Its length (`24 h`).
    pub window_length: String,
    /// Who wrote the bundle (`mayadiag 0.1.0`, `troubleshoot.sh`).
    pub written_by: String,
    /// The verdict line the text report leads with, without its `Sev N: ` prefix (the badge
    /// shows the Sev): `1 incident (1 × Sev 0) (82 checks)`, or why there is no all-clear.
    pub headline: String,
}

/// Build section 1.
pub fn verdict(a: &Analysis, facts: &ManifestFacts, description: Option<&str>, since: Duration) -> VerdictView {
    let engines = a
        .engines
        .iter()
        .filter(|e| e.state != EngineState::NotInstalled)
        .map(|e| {
            (e.name.clone(), e.version.clone().unwrap_or_else(|| "-".into()), format!("{:?}", e.state).to_lowercase())
        })
        .collect();
    let written_by = match &facts.tool {
        Some(t) if t == "mayadiag" => format!("mayadiag {}", facts.version.as_deref().unwrap_or("?")),
        Some(t) => t.clone(),
        None => "troubleshoot.sh (or another tool in its layout)".into(),
    };
    VerdictView {
        level: a.severity.level,
        suggested: a.severity.suggested,
        sev_override: a.severity.r#override,
        driven_by: a.severity.driven_by.clone(),
        reasons: a.severity.reasons.clone(),
        description: description.map(str::to_string).or_else(|| facts.arg_value("--description")),
        cluster_version: a.cluster_version.clone().unwrap_or_else(|| "unknown".into()),
        engines,
        collected_at: a.collected_at.clone(),
        window: if facts.tool.is_some() {
            format!("logs and events of the {} before collection", human_duration(since))
        } else {
            format!("window not recorded (no mayadiag manifest); the timeline shows the last {}", human_duration(since))
        },
        window_length: human_duration(since),
        written_by,
        headline: {
            let line = crate::report::verdict_line(a);
            match line.split_once(": ") {
                Some((sev, rest)) if sev.starts_with("Sev ") => rest.to_string(),
                _ => line,
            }
        },
    }
}

fn human_duration(d: Duration) -> String {
    let secs = d.num_seconds();
    if secs % 86400 == 0 && secs > 72 * 3600 {
        format!("{} d", secs / 86400)
    } else if secs % 3600 == 0 && secs >= 3600 {
        format!("{} h", secs / 3600)
    } else if secs >= 60 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

// ---------------------------------------------------------------------------------------------
// Findings: where the proof is

/// A bundle file that proves a finding, and the kubectl command that shows it via `serve`.
pub struct Proof {
    /// Path inside the bundle.
    pub path: String,
    /// `kubectl …` (against `mayadiag serve`'s kubeconfig).
    pub kubectl: String,
}

/// The anchor id of a finding, for links from incidents and the timeline.
pub fn finding_anchor(check: &str, o: &ObjectRef) -> String {
    let raw = format!("f-{check}-{}-{}-{}", o.kind, o.namespace, o.name);
    raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Kind → resource id, from the snapshot's objects.
pub fn kinds_of(snap: &Snapshot) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for id in snap.resource_ids() {
        let kind = builtin_by_id(id).map(|b| b.kind.to_string()).or_else(|| {
            snap.objects(id).first().and_then(|o| o.get("kind")).and_then(FrozenValue::as_str).map(str::to_string)
        });
        if let Some(k) = kind {
            out.entry(k).or_insert_with(|| id.to_string());
        }
    }
    out
}

/// The files and commands that show a finding: its object's list file, and the logs whose lines
/// matched the finding's check.
pub fn proofs(snap: &Snapshot, kinds: &BTreeMap<String, String>, f: &Finding) -> Vec<Proof> {
    let o = &f.object;
    let mut out = Vec::new();
    if let Some(id) = kinds.get(&o.kind).map(String::as_str) {
        let ns = (!o.namespace.is_empty()).then_some(o.namespace.as_str());
        let (path, kubectl_name) = match builtin_by_id(id) {
            Some(b) => (layout::list_path(b, ns.filter(|_| b.namespaced())), b.plural.to_string()),
            None => (layout::custom_path(id, ns), id.to_string()),
        };
        let ns_flag = ns.map(|n| format!(" -n {n}")).unwrap_or_default();
        out.push(Proof { path, kubectl: format!("kubectl get {kubectl_name}{ns_flag} {} -o yaml", o.name) });
    }
    if o.kind == "Pod" || o.kind == "Node" {
        for (key, hits) in snap.all_log_hits() {
            let on_object = (o.kind == "Pod" && key.pod == o.name && key.namespace == o.namespace)
                || (o.kind == "Node" && f.node.as_deref() == Some(o.name.as_str()));
            if on_object && hits.iter().any(|h| h.pattern == f.check) {
                let prev = if key.previous { " --previous" } else { "" };
                out.push(Proof {
                    path: format!("cluster-resources/{}", key.bundle_path()),
                    kubectl: format!("kubectl logs -n {} {} -c {}{prev}", key.namespace, key.pod, key.container),
                });
            }
        }
    }
    let events = snap.events_for(&o.kind, &o.namespace, &o.name).any(|e| e.event_type == "Warning");
    if events && !o.namespace.is_empty() {
        out.push(Proof {
            path: format!("cluster-resources/events/{}.json", o.namespace),
            kubectl: format!("kubectl get events -n {} --field-selector involvedObject.name={}", o.namespace, o.name),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Health grid

/// One grid cell.
pub struct Cell {
    /// State.
    pub health: Health,
    /// What it is made of (pod names and states, probe ids).
    pub detail: String,
}

/// One component row.
pub struct GridRow {
    /// Engine name.
    pub engine: String,
    /// Component name.
    pub component: String,
    /// One cell per shown node.
    pub cells: Vec<Cell>,
}

/// Section 3 grid.
pub struct Grid {
    /// Node columns shown.
    pub nodes: Vec<String>,
    /// Node Ready (and node findings) per column.
    pub node_row: Vec<Cell>,
    /// NodeReport verdict per column.
    pub probe_row: Vec<Cell>,
    /// Whether any NodeReport exists.
    pub has_probes: bool,
    /// Component rows.
    pub rows: Vec<GridRow>,
    /// Healthy nodes folded away.
    pub folded_nodes: usize,
}

const UNSCHEDULED: &str = "(unscheduled)";

/// A pod's own state: not ready or waiting is fail, restarted is warn.
pub fn pod_health(pod: &FrozenValue) -> (Health, String) {
    let phase = s(pod, "/status/phase");
    if phase == "Succeeded" {
        return (Health::Ok, "Succeeded".into());
    }
    let statuses = pod.pointer("/status/containerStatuses").and_then(FrozenValue::as_array).unwrap_or(&[]);
    let mut restarts = 0;
    let mut waiting = None;
    let mut all_ready = !statuses.is_empty();
    for c in statuses {
        restarts += c.get("restartCount").and_then(FrozenValue::as_u64).unwrap_or(0);
        if !c.get("ready").and_then(FrozenValue::as_bool).unwrap_or(false) {
            all_ready = false;
        }
        if let Some(r) = c.pointer("/state/waiting/reason").and_then(FrozenValue::as_str) {
            waiting.get_or_insert(r.to_string());
        }
    }
    if let Some(r) = waiting {
        return (Health::Fail, r);
    }
    if phase != "Running" {
        return (Health::Fail, if phase.is_empty() { "unknown phase".into() } else { phase.to_string() });
    }
    if !all_ready {
        return (Health::Fail, "not ready".into());
    }
    if restarts > 0 {
        return (Health::Warn, format!("{restarts} restart(s)"));
    }
    (Health::Ok, "Running".into())
}

fn node_ready(node: &FrozenValue) -> Health {
    let conds = node.pointer("/status/conditions").and_then(FrozenValue::as_array).unwrap_or(&[]);
    match conds.iter().find(|c| c.get("type").and_then(FrozenValue::as_str) == Some("Ready")) {
        Some(c) if c.get("status").and_then(FrozenValue::as_str) == Some("True") => Health::Ok,
        Some(_) => Health::Fail,
        None => Health::Warn,
    }
}

/// The worst state of a component's pods on one node, and those pods with their states.
type PodsOnNode = (Health, Vec<String>);

/// Build the components × nodes grid.
pub fn grid(snap: &Snapshot, idx: &FindingIndex) -> Grid {
    let mut nodes: BTreeSet<String> = snap.objects("nodes").iter().map(|n| meta_str(n, "name").to_string()).collect();
    // (engine, component) → node → (health, details)
    let mut rows: BTreeMap<(String, String), BTreeMap<String, PodsOnNode>> = BTreeMap::new();
    for pod in snap.objects("pods") {
        let Some(c) = classify_pod(pod) else { continue };
        let node = match s(pod, "/spec/nodeName") {
            "" => UNSCHEDULED.to_string(),
            n => n.to_string(),
        };
        nodes.insert(node.clone());
        let (own, note) = pod_health(pod);
        let ns = meta_str(pod, "namespace");
        let name = meta_str(pod, "name");
        let h = own.worst(idx.object("Pod", ns, name));
        let cell = rows
            .entry((c.engine.display_name().to_string(), c.name.clone()))
            .or_default()
            .entry(node)
            .or_insert((Health::Ok, Vec::new()));
        cell.0 = cell.0.worst(h);
        cell.1.push(format!("{ns}/{name}: {note}"));
    }
    let node_health: BTreeMap<String, Health> = snap
        .objects("nodes")
        .iter()
        .map(|n| {
            let name = meta_str(n, "name");
            (name.to_string(), node_ready(n).worst(idx.object("Node", "", name)))
        })
        .collect();
    let mut probes: BTreeMap<String, (Health, String)> = BTreeMap::new();
    for r in snap.node_reports() {
        let node = match s(r, "/spec/nodeName") {
            "" => meta_str(r, "name").to_string(),
            n => n.to_string(),
        };
        let h = match s(r, "/status/verdict") {
            "pass" => Health::Ok,
            "warn" => Health::Warn,
            "fail" => Health::Fail,
            _ => Health::Warn,
        };
        let failing: Vec<&str> = r
            .pointer("/status/failing")
            .and_then(FrozenValue::as_array)
            .unwrap_or(&[])
            .iter()
            .filter_map(FrozenValue::as_str)
            .collect();
        let detail = if failing.is_empty() { "all probes pass".to_string() } else { failing.join(", ") };
        probes.insert(node, (h, detail));
    }
    // Fold healthy nodes when there are too many columns.
    let all: Vec<String> = nodes.into_iter().collect();
    let troubled = |n: &String| {
        node_health.get(n).is_some_and(|h| *h != Health::Ok)
            || probes.get(n).is_some_and(|p| p.0 != Health::Ok)
            || rows.values().any(|r| r.get(n).is_some_and(|c| c.0 != Health::Ok))
    };
    let shown: Vec<String> = if all.len() <= MAX_NODE_COLUMNS {
        all.clone()
    } else {
        let mut keep: Vec<String> = all.iter().filter(|n| troubled(n)).take(MAX_NODE_COLUMNS).cloned().collect();
        for n in &all {
            if keep.len() >= MAX_NODE_COLUMNS {
                break;
            }
            if !keep.contains(n) {
                keep.push(n.clone());
            }
        }
        keep.sort();
        keep
    };
    let cell_of = |v: Option<&(Health, Vec<String>)>| match v {
        Some((h, pods)) => Cell { health: *h, detail: pods.join("\n") },
        None => Cell { health: Health::Absent, detail: "no pod".into() },
    };
    Grid {
        node_row: shown
            .iter()
            .map(|n| match node_health.get(n) {
                Some(h) => Cell { health: *h, detail: format!("Node {n}") },
                None => Cell { health: Health::Absent, detail: "no Node object".into() },
            })
            .collect(),
        probe_row: shown
            .iter()
            .map(|n| match probes.get(n) {
                Some((h, d)) => Cell { health: *h, detail: d.clone() },
                None => Cell { health: Health::Absent, detail: "no NodeReport".into() },
            })
            .collect(),
        has_probes: !probes.is_empty(),
        rows: rows
            .into_iter()
            .map(|((engine, component), cells)| GridRow {
                engine,
                component,
                cells: shown.iter().map(|n| cell_of(cells.get(n))).collect(),
            })
            .collect(),
        folded_nodes: all.len() - shown.len(),
        nodes: shown,
    }
}

// ---------------------------------------------------------------------------------------------
// Pools

/// One pool, volume group or zpool.
pub struct PoolView {
    /// `DiskPool`, `CStorPoolInstance`, `LVM VG`, `zpool`.
    pub kind: &'static str,
    /// Name.
    pub name: String,
    /// Node.
    pub node: String,
    /// State as reported.
    pub state: String,
    /// Bytes used.
    pub used: Option<f64>,
    /// Bytes total.
    pub capacity: Option<f64>,
    /// From findings on the pool object.
    pub health: Health,
}

impl PoolView {
    /// Fill ratio 0–1, when known.
    pub fn ratio(&self) -> Option<f64> {
        match (self.used, self.capacity) {
            (Some(u), Some(c)) if c > 0.0 => Some((u / c).clamp(0.0, 1.0)),
            _ => None,
        }
    }
}

fn q(v: &FrozenValue, pointer: &str) -> Option<f64> {
    v.pointer(pointer).and_then(quantity)
}

/// Where a pool object keeps its node, state and capacity.
struct PoolFields {
    resource: &'static str,
    kind: &'static str,
    node: &'static str,
    /// The first non-empty one is shown.
    state: &'static [&'static str],
    used: &'static str,
    capacity: &'static str,
}

/// Pool objects, the CR first: Mayastor's REST pools repeat the DiskPools of the same name.
const POOL_OBJECTS: &[PoolFields] = &[
    PoolFields {
        resource: "diskpools.openebs.io",
        kind: "DiskPool",
        node: "/spec/node",
        state: &["/status/pool_status", "/status/state", "/status/cr_state"],
        used: "/status/used",
        capacity: "/status/capacity",
    },
    PoolFields {
        resource: "pools.rest.mayastor.openebs.io",
        kind: "Mayastor pool",
        node: "/spec/node",
        state: &["/state/status"],
        used: "/state/used",
        capacity: "/state/capacity",
    },
    PoolFields {
        resource: "cstorpoolinstances.cstor.openebs.io",
        kind: "CStorPoolInstance",
        node: "/spec/hostName",
        state: &["/status/phase"],
        used: "/status/capacity/used",
        capacity: "/status/capacity/total",
    },
];

/// Every pool, VG and zpool in the snapshot.
pub fn pools(snap: &Snapshot, idx: &FindingIndex) -> Table<PoolView> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for fields in POOL_OBJECTS {
        for p in snap.objects(fields.resource) {
            let name = meta_str(p, "name").to_string();
            if !seen.insert(name.clone()) {
                continue;
            }
            out.push(PoolView {
                kind: fields.kind,
                health: idx.name(&name),
                node: s(p, fields.node).to_string(),
                state: fields.state.iter().map(|f| s(p, f)).find(|x| !x.is_empty()).unwrap_or("").to_string(),
                used: q(p, fields.used),
                capacity: q(p, fields.capacity),
                name,
            });
        }
    }
    for n in snap.objects("lvmnodes.local.openebs.io") {
        let node = meta_str(n, "name");
        for vg in n.get("volumeGroups").and_then(FrozenValue::as_array).unwrap_or(&[]) {
            let size = q(vg, "/size");
            let free = q(vg, "/free");
            let missing = vg.get("missingPvCount").and_then(FrozenValue::as_u64).unwrap_or(0);
            out.push(PoolView {
                kind: "LVM VG",
                name: s(vg, "/name").to_string(),
                node: node.to_string(),
                state: if missing > 0 { format!("{missing} PV(s) missing") } else { String::new() },
                used: size.zip(free).map(|(s, f)| s - f),
                capacity: size,
                health: idx.object("LVMNode", meta_str(n, "namespace"), node),
            });
        }
    }
    for n in snap.objects("zfsnodes.zfs.openebs.io") {
        let node = meta_str(n, "name");
        for pool in n.get("pools").and_then(FrozenValue::as_array).unwrap_or(&[]) {
            let used = q(pool, "/used");
            let free = q(pool, "/free");
            out.push(PoolView {
                kind: "zpool",
                name: s(pool, "/name").to_string(),
                node: node.to_string(),
                state: String::new(),
                used,
                capacity: used.zip(free).map(|(u, f)| u + f),
                health: idx.object("ZFSNode", meta_str(n, "namespace"), node),
            });
        }
    }
    out.sort_by(|a, b| (a.kind, &a.node, &a.name).cmp(&(b.kind, &b.node, &b.name)));
    summarise(out, |p| p.health)
}

// ---------------------------------------------------------------------------------------------
// Volumes

/// One PVC (or an unclaimed PV) down to its pods.
pub struct VolumeRow {
    /// From findings on the PVC, PV, volume or replica objects.
    pub health: Health,
    /// `namespace/name` of the PVC, `-` for an unclaimed PV.
    pub pvc: String,
    /// PVC phase.
    pub pvc_phase: String,
    /// PV name.
    pub pv: String,
    /// Engine name.
    pub engine: String,
    /// Volume state as the engine reports it.
    pub state: String,
    /// Replica states (`node: state`).
    pub replicas: Vec<String>,
    /// Nodes the data lives on.
    pub nodes: Vec<String>,
    /// Pods that mount it (`namespace/name`), with their own health.
    pub pods: Vec<(String, Health)>,
}

/// Rows cut to [`MAX_ROWS`] with every non-ok row kept.
pub struct Table<T> {
    /// The rows shown.
    pub rows: Vec<T>,
    /// All rows before the cut.
    pub total: usize,
}

impl<T> Table<T> {
    /// Healthy rows not shown.
    pub fn omitted(&self) -> usize {
        self.total - self.rows.len()
    }
}

/// Keep failing rows first, then healthy ones up to [`MAX_ROWS`].
pub fn summarise<T>(mut rows: Vec<T>, health: impl Fn(&T) -> Health) -> Table<T> {
    let total = rows.len();
    rows.sort_by_key(|r| health(r));
    let bad = rows.iter().filter(|r| matches!(health(r), Health::Fail | Health::Warn)).count();
    rows.truncate(bad.max(MAX_ROWS));
    Table { rows, total }
}

struct VolumeIndex<'s> {
    by_name: HashMap<&'s str, (&'static str, &'s FrozenValue)>,
    replicas: HashMap<&'s str, Vec<&'s FrozenValue>>,
    pool_node: HashMap<&'s str, &'s str>,
}

const VOLUME_KINDS: &[(&str, &str)] = &[
    ("volumes.rest.mayastor.openebs.io", "mayastor"),
    ("lvmvolumes.local.openebs.io", "lvm"),
    ("zfsvolumes.zfs.openebs.io", "zfs"),
    ("cstorvolumes.cstor.openebs.io", "cstor"),
    ("cstorvolumes.openebs.io", "cstor"),
    ("jivavolumes.openebs.io", "jiva"),
];

impl<'s> VolumeIndex<'s> {
    fn new(snap: &'s Snapshot) -> VolumeIndex<'s> {
        let mut by_name = HashMap::new();
        for (id, engine) in VOLUME_KINDS {
            for v in snap.objects(id) {
                by_name.insert(meta_str(v, "name"), (*engine, v));
            }
        }
        let mut replicas: HashMap<&str, Vec<&FrozenValue>> = HashMap::new();
        for id in ["cstorvolumereplicas.cstor.openebs.io", "cstorvolumereplicas.openebs.io"] {
            for r in snap.objects(id) {
                let pv = s(r, "/metadata/labels/openebs.io~1persistent-volume");
                replicas.entry(pv).or_default().push(r);
            }
        }
        let pool_node = snap
            .objects("cstorpoolinstances.cstor.openebs.io")
            .iter()
            .map(|p| (meta_str(p, "name"), s(p, "/spec/hostName")))
            .collect();
        VolumeIndex { by_name, replicas, pool_node }
    }

    /// Engine state, replicas and nodes of one PV.
    fn describe(&self, pv_name: &str, handle: &str) -> Option<(String, Vec<String>, Vec<String>)> {
        let (engine, v) = self.by_name.get(pv_name).or_else(|| self.by_name.get(handle))?;
        let mut replicas = Vec::new();
        let mut nodes = BTreeSet::new();
        let state = match *engine {
            "mayastor" => {
                if let Some(topo) = v.pointer("/state/replica_topology").and_then(FrozenValue::as_object) {
                    for (_, r) in topo.iter() {
                        let node = s(r, "/node");
                        replicas.push(format!("{node}: {}", s(r, "/state")));
                        nodes.insert(node.to_string());
                    }
                }
                if let Some(n) = v.pointer("/state/target/node").and_then(FrozenValue::as_str) {
                    nodes.insert(n.to_string());
                }
                s(v, "/state/status").to_string()
            }
            "lvm" | "zfs" => {
                nodes.insert(s(v, "/spec/ownerNodeID").to_string());
                s(v, "/status/state").to_string()
            }
            _ => {
                for r in self.replicas.get(pv_name).into_iter().flatten() {
                    let pool = s(r, "/metadata/labels/cstorpoolinstance.openebs.io~1name");
                    let node = self.pool_node.get(pool).copied().unwrap_or(pool);
                    replicas.push(format!("{node}: {}", s(r, "/status/phase")));
                    nodes.insert(node.to_string());
                }
                let phase = s(v, "/status/phase");
                if phase.is_empty() { s(v, "/status/status").to_string() } else { phase.to_string() }
            }
        };
        nodes.remove("");
        Some((state, replicas, nodes.into_iter().collect()))
    }
}

fn pv_node(pv: &FrozenValue) -> Option<&str> {
    let terms = pv.pointer("/spec/nodeAffinity/required/nodeSelectorTerms")?.as_array()?;
    terms
        .iter()
        .flat_map(|t| t.get("matchExpressions").and_then(FrozenValue::as_array).unwrap_or(&[]))
        .find_map(|e| e.pointer("/values/0").and_then(FrozenValue::as_str))
}

/// Build the volumes table.
pub fn volumes(snap: &Snapshot, idx: &FindingIndex) -> Table<VolumeRow> {
    let vols = VolumeIndex::new(snap);
    let pvs: HashMap<&str, &FrozenValue> =
        snap.objects("persistentvolumes").iter().map(|p| (meta_str(p, "name"), p)).collect();
    let classes: HashMap<&str, &str> = snap
        .objects("storageclasses.storage.k8s.io")
        .iter()
        .map(|c| (meta_str(c, "name"), s(c, "/provisioner")))
        .collect();
    let mut consumers: HashMap<(&str, &str), Vec<(String, Health)>> = HashMap::new();
    for pod in snap.objects("pods") {
        let ns = meta_str(pod, "namespace");
        for v in pod.pointer("/spec/volumes").and_then(FrozenValue::as_array).unwrap_or(&[]) {
            if let Some(claim) = v.pointer("/persistentVolumeClaim/claimName").and_then(FrozenValue::as_str) {
                let name = meta_str(pod, "name");
                let h = pod_health(pod).0.worst(idx.object("Pod", ns, name));
                consumers.entry((ns, claim)).or_default().push((format!("{ns}/{name}"), h));
            }
        }
    }
    let mut rows = Vec::new();
    let mut claimed = BTreeSet::new();
    for pvc in snap.objects("persistentvolumeclaims") {
        let ns = meta_str(pvc, "namespace");
        let name = meta_str(pvc, "name");
        let pv_name = s(pvc, "/spec/volumeName");
        claimed.insert(pv_name);
        let pv = pvs.get(pv_name).copied();
        let class = s(pvc, "/spec/storageClassName");
        let mut row = volume_row(&vols, pv, pv_name, idx);
        if row.engine == "-" {
            row.engine = classes.get(class).and_then(|p| engine_for_driver(p)).map_or("-", |e| e.display_name()).into();
        }
        if row.state.is_empty() {
            row.state = s(pvc, "/status/phase").to_string();
        }
        row.pvc = format!("{ns}/{name}");
        row.pvc_phase = s(pvc, "/status/phase").to_string();
        row.health = row.health.worst(idx.object("PersistentVolumeClaim", ns, name));
        row.pods = consumers.remove(&(ns, name)).unwrap_or_default();
        rows.push(row);
    }
    for (name, pv) in &pvs {
        if !claimed.contains(name) {
            rows.push(volume_row(&vols, Some(pv), name, idx));
        }
    }
    rows.sort_by(|a, b| (&a.pvc, &a.pv).cmp(&(&b.pvc, &b.pv)));
    summarise(rows, |r| r.health)
}

fn volume_row(vols: &VolumeIndex, pv: Option<&FrozenValue>, pv_name: &str, idx: &FindingIndex) -> VolumeRow {
    let handle = pv.map(|p| s(p, "/spec/csi/volumeHandle")).unwrap_or("");
    let (state, replicas, mut nodes) = vols.describe(pv_name, handle).unwrap_or_default();
    if nodes.is_empty()
        && let Some(n) = pv.and_then(pv_node)
    {
        nodes.push(n.to_string());
    }
    let mut health = Health::Ok;
    if !pv_name.is_empty() {
        health = health.worst(idx.name(pv_name));
    }
    if !handle.is_empty() {
        health = health.worst(idx.name(handle));
    }
    let state =
        if state.is_empty() { pv.map(|p| s(p, "/status/phase").to_string()).unwrap_or_default() } else { state };
    VolumeRow {
        health,
        pvc: "-".into(),
        pvc_phase: String::new(),
        pv: if pv_name.is_empty() { "-".into() } else { pv_name.to_string() },
        engine: pv.and_then(engine_for_pv).map_or("-", |e| e.display_name()).into(),
        state,
        replicas,
        nodes,
        pods: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Timeline

/// One mark on a lane: a bucket of events or restarts.
pub struct Mark {
    /// Position 0–1 across the window.
    pub x: f64,
    /// Occurrences in the bucket.
    pub count: u64,
    /// Tooltip.
    pub title: String,
}

/// One lane: a Warning reason, or restarts of one component.
pub struct Lane {
    /// `FailedMount`, `restarts: io-engine`.
    pub label: String,
    /// `event` or `restart`.
    pub kind: &'static str,
    /// Marks.
    pub marks: Vec<Mark>,
    /// Total occurrences.
    pub total: u64,
}

/// Section 5.
pub struct Timeline {
    /// Window start.
    pub start: DateTime<Utc>,
    /// Window end (collection time).
    pub end: DateTime<Utc>,
    /// Lanes.
    pub lanes: Vec<Lane>,
    /// Incident (or failing finding) times: x, label, anchor.
    pub markers: Vec<(f64, String, String)>,
    /// Warning events older than the window.
    pub older: u64,
}

const BUCKETS: f64 = 120.0;
/// Occurrences in one time bucket of a lane, and the first one's description.
type Bucket = (u64, String);
const MAX_LANES: usize = 14;

/// Build the timeline.
pub fn timeline(a: &Analysis, snap: &Snapshot, end: DateTime<Utc>, since: Duration) -> Timeline {
    let start = zoomed_start(snap, end, since);
    let span = (end - start).num_seconds().max(1) as f64;
    let pos = |t: DateTime<Utc>| ((t - start).num_seconds() as f64 / span).clamp(0.0, 1.0);
    let bucket = |x: f64| ((x * BUCKETS).floor() as i64).min(BUCKETS as i64 - 1);
    // lane → bucket → (count, first title)
    let mut lanes: BTreeMap<(&'static str, String), BTreeMap<i64, Bucket>> = BTreeMap::new();
    let mut older = 0;
    for e in snap.events().iter().filter(|e| e.event_type == "Warning") {
        let Some(t) = e.last_seen() else { continue };
        if t < start {
            older += e.occurrences();
            continue;
        }
        let b =
            lanes.entry(("event", e.reason.clone())).or_default().entry(bucket(pos(t))).or_insert((0, String::new()));
        b.0 += e.occurrences();
        if b.1.is_empty() {
            let o = &e.involved_object;
            b.1 = format!("{} {} {}/{}: {}", t.format("%H:%M:%S"), o.kind, o.namespace, o.name, e.message);
        }
    }
    for pod in snap.objects("pods") {
        let component = classify_pod(pod).map_or_else(|| "application pods".to_string(), |c| c.name);
        for c in pod.pointer("/status/containerStatuses").and_then(FrozenValue::as_array).unwrap_or(&[]) {
            let n = c.get("restartCount").and_then(FrozenValue::as_u64).unwrap_or(0);
            let Some(t) = time_at(c, "/lastState/terminated/finishedAt") else { continue };
            if n == 0 || t < start {
                continue;
            }
            let b = lanes
                .entry(("restart", format!("restarts: {component}")))
                .or_default()
                .entry(bucket(pos(t)))
                .or_insert((0, String::new()));
            b.0 += n;
            if b.1.is_empty() {
                b.1 = format!(
                    "{} {}/{} {}: {n} restart(s), last exit {}",
                    t.format("%H:%M:%S"),
                    meta_str(pod, "namespace"),
                    meta_str(pod, "name"),
                    s(c, "/name"),
                    s(c, "/lastState/terminated/reason")
                );
            }
        }
    }
    let mut lanes: Vec<Lane> = lanes
        .into_iter()
        .map(|((kind, label), buckets)| Lane {
            total: buckets.values().map(|b| b.0).sum(),
            marks: buckets
                .into_iter()
                .map(|(b, (count, title))| Mark { x: (b as f64 + 0.5) / BUCKETS, count, title })
                .collect(),
            label,
            kind,
        })
        .collect();
    lanes.sort_by(|a, b| b.total.cmp(&a.total).then(a.label.cmp(&b.label)));
    lanes.truncate(MAX_LANES);
    Timeline { start, end, markers: markers(a, snap, start, &pos), lanes, older }
}

/// The window start, zoomed in to the first Warning event or restart inside `since` (with a
/// margin, and never under 30 minutes): activity of the last minutes is not a dot at the edge.
fn zoomed_start(snap: &Snapshot, end: DateTime<Utc>, since: Duration) -> DateTime<Utc> {
    let earliest = end - since;
    let events = snap.events().iter().filter(|e| e.event_type == "Warning").filter_map(|e| e.last_seen());
    let restarts = snap.objects("pods").iter().flat_map(|p| {
        p.pointer("/status/containerStatuses")
            .and_then(FrozenValue::as_array)
            .unwrap_or(&[])
            .iter()
            .filter_map(|c| time_at(c, "/lastState/terminated/finishedAt"))
    });
    let first = events.chain(restarts).filter(|t| *t >= earliest && *t <= end).min();
    let Some(first) = first else { return earliest };
    let start = first - (end - first) / 10;
    start.min(end - Duration::minutes(30)).max(earliest)
}

/// Markers closer than this (fraction of the width) are merged into one.
const MARKER_MERGE: f64 = 0.015;

/// Where incidents (or, without incidents, failing findings) sit in time: the last Warning event
/// about their root object.
fn markers(
    a: &Analysis,
    snap: &Snapshot,
    start: DateTime<Utc>,
    pos: &dyn Fn(DateTime<Utc>) -> f64,
) -> Vec<(f64, String, String)> {
    let last_warning = |o: &ObjectRef| {
        snap.events_for(&o.kind, &o.namespace, &o.name)
            .filter(|e| e.event_type == "Warning")
            .filter_map(|e| e.last_seen())
            .max()
    };
    let mut raw = Vec::new();
    if a.incidents.is_empty() {
        for f in a.findings.iter().filter(|f| f.status == Status::Fail) {
            if let Some(t) = last_warning(&f.object).filter(|t| *t >= start) {
                raw.push((pos(t), f.title.clone(), finding_anchor(&f.check, &f.object)));
            }
        }
    } else {
        for i in &a.incidents {
            let t = std::iter::once(&i.root_cause.object)
                .chain(i.chain.iter().map(|c| &c.object))
                .filter_map(last_warning)
                .max();
            if let Some(t) = t.filter(|t| *t >= start) {
                raw.push((pos(t), format!("{}: {}", i.id, i.title), format!("incident-{}", i.id)));
            }
        }
    }
    raw.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Merge markers that would draw on top of each other: the first one's link, every label.
    let mut out: Vec<(f64, String, String)> = Vec::new();
    for (x, label, anchor) in raw {
        match out.last_mut() {
            Some(last) if x - last.0 < MARKER_MERGE => last.1 = format!("{}; {label}", last.1),
            _ => out.push((x, label, anchor)),
        }
    }
    out.truncate(20);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_states() {
        let frozen = |v: serde_json::Value| crate::frozen::FrozenValue::freeze(v);
        let crash = frozen(json!({"status": {"phase": "Running", "containerStatuses": [
            {"ready": false, "restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}));
        assert_eq!(pod_health(&crash), (Health::Fail, "CrashLoopBackOff".into()));
        let restarted =
            frozen(json!({"status": {"phase": "Running", "containerStatuses": [{"ready": true, "restartCount": 2}]}}));
        assert_eq!(pod_health(&restarted).0, Health::Warn);
        let ok =
            frozen(json!({"status": {"phase": "Running", "containerStatuses": [{"ready": true, "restartCount": 0}]}}));
        assert_eq!(pod_health(&ok).0, Health::Ok);
        assert_eq!(pod_health(&frozen(json!({"status": {"phase": "Pending"}}))).0, Health::Fail);
    }

    #[test]
    fn summarise_keeps_every_failing_row() {
        let mut rows: Vec<Health> = vec![Health::Ok; 1000];
        rows.extend(vec![Health::Fail; 400]);
        let t = summarise(rows, |h| *h);
        assert_eq!(t.total, 1400);
        assert_eq!(t.rows.len(), 400);
        assert!(t.rows.iter().all(|h| *h == Health::Fail));
        let t = summarise(vec![Health::Ok; 10], |h| *h);
        assert_eq!((t.rows.len(), t.omitted()), (10, 0));
    }
}

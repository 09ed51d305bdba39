//! Runs a [`CheckSet`] on a [`Snapshot`]: builds the lookup tables every analyzer shares
//! ([`Ctx`]), turns analyzer hits into [`Finding`]s, applies `unless`, and sorts.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::frozen::FrozenValue;
use chrono::{DateTime, Utc};

use super::model::{CROSS_ENGINE, PodSelector};
use super::{CheckSet, Finding, ObjectRef, Status, analyzers};
use crate::inventory::{Component, Engine, classify_pod, engine_for_driver, engine_for_pv};
use crate::snapshot::{EventRecord, Snapshot, meta_str, path};

/// What an analyzer found on one object; the engine makes it a [`Finding`].
#[derive(Debug, Clone)]
pub struct Hit {
    /// fail or warn.
    pub status: Status,
    /// The object.
    pub object: ObjectRef,
    /// The engine the object belongs to, when the analyzer knows.
    pub engine: Option<Engine>,
    /// Fills `{detail}` in the message template.
    pub detail: String,
    /// Quoted evidence.
    pub evidence: Vec<String>,
    /// A Sev the analyzer decided (e.g. per value), overriding the check's.
    pub sev: Option<u8>,
    /// The node the object is on or about, when the analyzer knows; otherwise the engine derives
    /// it from the object ([`node_of`]).
    pub node: Option<String>,
    /// A rubric row the analyzer decided (with `sev`), overriding the check's.
    pub rubric: Option<String>,
}

impl Hit {
    /// A hit with the given status on an object.
    pub fn new(status: Status, object: ObjectRef, detail: impl Into<String>) -> Hit {
        Hit {
            status,
            object,
            engine: None,
            detail: detail.into(),
            evidence: Vec::new(),
            sev: None,
            node: None,
            rubric: None,
        }
    }
}

/// An object reference for a Kubernetes object.
pub fn obj_ref(kind: &str, obj: &FrozenValue) -> ObjectRef {
    ObjectRef {
        kind: obj.get("kind").and_then(FrozenValue::as_str).filter(|k| !k.is_empty()).unwrap_or(kind).to_string(),
        namespace: meta_str(obj, "namespace").to_string(),
        name: meta_str(obj, "name").to_string(),
        uid: meta_str(obj, "uid").to_string(),
    }
}

/// One pod with what the analyzers ask about it.
#[derive(Debug)]
pub struct PodInfo<'a> {
    /// The pod object.
    pub obj: &'a FrozenValue,
    /// Namespace.
    pub ns: &'a str,
    /// Name.
    pub name: &'a str,
    /// Node it is scheduled on.
    pub node: &'a str,
    /// Its OpenEBS/Litmus role.
    pub component: Option<Component>,
    /// PVCs it mounts, with the OpenEBS engine behind each (None: not OpenEBS).
    pub volumes: Vec<(String, Option<Engine>)>,
}

impl PodInfo<'_> {
    /// The engine of the first OpenEBS volume it mounts.
    pub fn volume_engine(&self) -> Option<Engine> {
        self.volumes.iter().find_map(|(_, e)| *e)
    }

    /// The engine a finding about this pod belongs to.
    pub fn engine(&self) -> Option<Engine> {
        self.component.as_ref().map(|c| c.engine).or_else(|| self.volume_engine())
    }

    /// A reference to the pod.
    pub fn object(&self) -> ObjectRef {
        obj_ref("Pod", self.obj)
    }
}

/// Shared lookup tables, built once per run.
pub struct Ctx<'a> {
    /// The snapshot.
    pub snap: &'a Snapshot,
    /// `collected_at`: the reference time for ages and windows.
    pub now: DateTime<Utc>,
    /// Every pod, classified.
    pub pods: Vec<PodInfo<'a>>,
    /// PVC (namespace, name) → OpenEBS engine.
    pub pvc_engine: HashMap<(String, String), Engine>,
    /// StorageClass name → provisioner.
    pub sc_provisioner: HashMap<String, String>,
    /// Node names and their `kubernetes.io/hostname` labels.
    pub node_names: BTreeSet<String>,
    /// Nodes running an OpenEBS data-path pod or holding a pool.
    pub storage_nodes: BTreeSet<String>,
    events_by_object: HashMap<(String, String, String), Vec<&'a EventRecord>>,
    pod_index: HashMap<(&'a str, &'a str), usize>,
}

impl<'a> Ctx<'a> {
    /// Build the tables.
    pub fn new(snap: &'a Snapshot) -> Ctx<'a> {
        let sc_provisioner: HashMap<String, String> = snap
            .objects("storageclasses.storage.k8s.io")
            .iter()
            .map(|sc| (meta_str(sc, "name").to_string(), str_at(sc, "provisioner").to_string()))
            .collect();
        let pvs: HashMap<&str, &FrozenValue> =
            snap.objects("persistentvolumes").iter().map(|pv| (meta_str(pv, "name"), pv)).collect();
        let mut pvc_engine = HashMap::new();
        for pvc in snap.objects("persistentvolumeclaims") {
            let by_pv = pvs.get(str_at(pvc, "spec.volumeName")).and_then(|pv| engine_for_pv(*pv));
            let by_sc = sc_provisioner.get(str_at(pvc, "spec.storageClassName")).and_then(|p| engine_for_driver(p));
            if let Some(e) = by_pv.or(by_sc) {
                pvc_engine.insert((meta_str(pvc, "namespace").to_string(), meta_str(pvc, "name").to_string()), e);
            }
        }
        let pods: Vec<PodInfo<'a>> = snap
            .objects("pods")
            .iter()
            .map(|p| {
                let ns = meta_str(p, "namespace");
                let volumes = path(p, "spec.volumes")
                    .and_then(FrozenValue::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.pointer("/persistentVolumeClaim/claimName").and_then(FrozenValue::as_str))
                    .map(|c| (c.to_string(), pvc_engine.get(&(ns.to_string(), c.to_string())).copied()))
                    .collect();
                PodInfo {
                    obj: p,
                    ns,
                    name: meta_str(p, "name"),
                    node: str_at(p, "spec.nodeName"),
                    component: classify_pod(p),
                    volumes,
                }
            })
            .collect();
        let mut node_names = BTreeSet::new();
        for n in snap.objects("nodes") {
            node_names.insert(meta_str(n, "name").to_string());
            if let Some(h) = n.pointer("/metadata/labels/kubernetes.io~1hostname").and_then(FrozenValue::as_str) {
                node_names.insert(h.to_string());
            }
        }
        let mut storage_nodes: BTreeSet<String> = pods
            .iter()
            .filter(|p| p.component.as_ref().is_some_and(|c| c.data_path) && !p.node.is_empty())
            .map(|p| p.node.to_string())
            .collect();
        for dp in snap.objects("diskpools.openebs.io") {
            if !str_at(dp, "spec.node").is_empty() {
                storage_nodes.insert(str_at(dp, "spec.node").to_string());
            }
        }
        let mut events_by_object: HashMap<(String, String, String), Vec<&EventRecord>> = HashMap::new();
        for e in snap.events() {
            let o = &e.involved_object;
            events_by_object.entry((o.kind.clone(), o.namespace.clone(), o.name.clone())).or_default().push(e);
        }
        let pod_index = pods.iter().enumerate().map(|(i, p)| ((p.ns, p.name), i)).collect();
        Ctx {
            snap,
            now: snap.meta.collected_at,
            pods,
            pvc_engine,
            sc_provisioner,
            node_names,
            storage_nodes,
            events_by_object,
            pod_index,
        }
    }

    /// Events about one object.
    pub fn events_for(&self, kind: &str, ns: &str, name: &str) -> &[&'a EventRecord] {
        self.events_by_object.get(&(kind.to_string(), ns.to_string(), name.to_string())).map_or(&[], |v| &v[..])
    }

    /// A pod by namespace and name.
    pub fn pod(&self, ns: &str, name: &str) -> Option<&PodInfo<'a>> {
        self.pod_index.get(&(ns, name)).map(|&i| &self.pods[i])
    }

    /// Whether the node list was collected (so "node gone" means something).
    pub fn have_nodes(&self) -> bool {
        !self.node_names.is_empty()
    }
}

/// The string at a dotted path, or `""`.
pub fn str_at<'v>(obj: &'v FrozenValue, dotted: &str) -> &'v str {
    path(obj, dotted).and_then(FrozenValue::as_str).unwrap_or("")
}

/// Whether a component matches a selector (without the app-pod case).
pub fn component_matches(sel: &PodSelector, comp: Option<&Component>, name: &str) -> bool {
    if sel.name.as_ref().is_some_and(|re| !re.0.is_match(name)) {
        return false;
    }
    let Some(c) = comp else { return false };
    let engine_ok = sel.engines.is_empty()
        || sel.engines.iter().any(|e| (e == "openebs" && c.engine != Engine::Litmus) || e == c.engine.id());
    engine_ok
        && (sel.components.is_empty() || sel.components.iter().any(|n| n == &c.name))
        && sel.data_path.is_none_or(|d| d == c.data_path)
}

/// Whether a pod matches a selector.
pub fn pod_matches(sel: &PodSelector, pod: &PodInfo<'_>) -> bool {
    if sel.app_pods {
        let engine_ok = sel.engines.is_empty()
            || pod
                .volumes
                .iter()
                .filter_map(|(_, e)| *e)
                .any(|e| sel.engines.iter().any(|s| s == "openebs" || s == e.id()));
        return pod.component.is_none()
            && pod.volume_engine().is_some()
            && engine_ok
            && sel.name.as_ref().is_none_or(|re| re.0.is_match(pod.name));
    }
    component_matches(sel, pod.component.as_ref(), pod.name)
}

fn render(template: &str, f: &Finding, detail: &str) -> String {
    let object = if f.object.namespace.is_empty() {
        format!("{} {}", f.object.kind, f.object.name)
    } else {
        format!("{} {}/{}", f.object.kind, f.object.namespace, f.object.name)
    };
    template
        .replace("{kind}", &f.object.kind)
        .replace("{namespace}", &f.object.namespace)
        .replace("{name}", &f.object.name)
        .replace("{object}", &object)
        .replace("{engine}", &f.engine)
        .replace("{detail}", detail)
}

/// Run every check, apply `unless`, sort.
pub fn run(set: &CheckSet, snap: &Snapshot) -> Vec<Finding> {
    let ctx = Ctx::new(snap);
    let mut findings = Vec::new();
    for check in set.checks() {
        let meta = &check.meta;
        for hit in analyzers::run(&check.analyzer, &meta.id, &ctx) {
            let engine = if CROSS_ENGINE.contains(&meta.engine.as_str()) {
                hit.engine.map_or(meta.engine.clone(), |e| e.id().to_string())
            } else {
                meta.engine.clone()
            };
            let sev = hit.sev.unwrap_or(match hit.status {
                Status::Warn => meta.warn_sev.unwrap_or(meta.sev),
                _ => meta.sev,
            });
            let rubric = rubric_for(sev, hit.rubric.as_deref(), meta.rubric.as_deref());
            let node = hit.node.clone().or_else(|| node_of(&ctx, &hit.object));
            let mut f = Finding {
                check: meta.id.clone(),
                title: meta.title.clone(),
                engine,
                status: hit.status,
                sev,
                object: hit.object,
                message: String::new(),
                evidence: hit.evidence,
                remediation: meta.remediation.trim().to_string(),
                docs: meta.docs.clone(),
                node,
                rubric,
            };
            f.message = render(&meta.message, &f, &hit.detail);
            findings.push(f);
        }
    }
    let reported: HashSet<(String, ObjectRef)> =
        findings.iter().map(|f| (f.check.clone(), strip_uid(&f.object))).collect();
    findings.retain(|f| {
        let Some(check) = set.checks().iter().find(|c| c.meta.id == f.check) else { return true };
        !check.meta.unless.iter().any(|u| reported.contains(&(u.clone(), strip_uid(&f.object))))
    });
    findings.sort_by(|a, b| {
        (a.sev, a.status, &a.check, &a.object, &a.message).cmp(&(b.sev, b.status, &b.check, &b.object, &b.message))
    });
    findings
}

/// The rubric row of a finding: the analyzer's, else the check's when it agrees with the Sev the
/// finding got (a warning at `warn_sev`, a per-value Sev), else the row of that Sev (`1`, `2`, `3`).
/// Rows 0(a)–0(d) are only ever named, never guessed.
pub fn rubric_for(sev: u8, hit: Option<&str>, check: Option<&str>) -> Option<String> {
    if let Some(r) = hit {
        return Some(r.to_string());
    }
    match check {
        None => None,
        Some(r) if rubric_sev(r) == Some(sev) || sev == 0 => Some(r.to_string()),
        Some(_) => Some(sev.to_string()),
    }
}

/// The Sev a rubric row stands for (`0a` → 0, `2` → 2); `None` for anything else.
pub fn rubric_sev(row: &str) -> Option<u8> {
    match row {
        "0a" | "0b" | "0c" | "0d" => Some(0),
        "1" => Some(1),
        "2" => Some(2),
        "3" => Some(3),
        _ => None,
    }
}

/// Fields that name the node a custom resource lives on, in the engines' own words.
const NODE_FIELDS: &[&str] = &[
    "spec.node",
    "spec.hostName",
    "spec.ownerNodeID",
    "spec.nodeAttributes.nodeName",
    "spec.nodeName",
    "state.node",
    "state.target.node",
    "status.nodeName",
];

/// The node a finding's object is on or about: a pod's `spec.nodeName`, the node itself, a PV's
/// nodeAffinity host, a PVC's PV (or the pod using it), a VolumeAttachment's node, a custom
/// resource's own node field, a Mayastor volume's target or first replica node.
pub fn node_of(ctx: &Ctx<'_>, o: &ObjectRef) -> Option<String> {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    match o.kind.as_str() {
        "Pod" => ctx.pod(&o.namespace, &o.name).and_then(|p| some(p.node)),
        "Node" | "CSINode" | "LVMNode" | "ZFSNode" | "IoEngineNode" => some(&o.name),
        "PersistentVolume" => ctx.snap.get("persistentvolumes", "", &o.name).and_then(pv_node),
        "PersistentVolumeClaim" => {
            let pvc = ctx.snap.get("persistentvolumeclaims", &o.namespace, &o.name)?;
            ctx.snap.get("persistentvolumes", "", str_at(pvc, "spec.volumeName")).and_then(pv_node).or_else(|| {
                ctx.pods
                    .iter()
                    .find(|p| p.ns == o.namespace && !p.node.is_empty() && p.volumes.iter().any(|(c, _)| c == &o.name))
                    .map(|p| p.node.to_string())
            })
        }
        "VolumeAttachment" => ctx
            .snap
            .get("volumeattachments.storage.k8s.io", "", &o.name)
            .and_then(|va| some(str_at(va, "spec.nodeName"))),
        "Deployment" | "StatefulSet" | "DaemonSet" | "Namespace" | "StorageClass" | "CSIDriver" | "Event" => None,
        _ => {
            let obj = ctx.snap.resource_ids().filter(|rid| rid.contains('.')).find_map(|rid| {
                ctx.snap.objects(rid).iter().find(|x| {
                    meta_str(*x, "name") == o.name
                        && meta_str(*x, "namespace") == o.namespace
                        && x.get("kind").and_then(FrozenValue::as_str).is_none_or(|k| k == o.kind)
                })
            })?;
            NODE_FIELDS.iter().find_map(|f| some(str_at(obj, f))).or_else(|| {
                // A Mayastor volume without a target: the node of its first replica.
                path(obj, "state.replica_topology").and_then(FrozenValue::as_object).and_then(|m| {
                    m.iter().find_map(|(_, r)| r.get("node").and_then(FrozenValue::as_str).and_then(some))
                })
            })
        }
    }
}

/// The node a local/pinned PV is bound to by its nodeAffinity (hostname or OpenEBS node label).
pub fn pv_node(pv: &FrozenValue) -> Option<String> {
    pv_pinned_nodes(pv).into_iter().next().map(str::to_string)
}

/// Every node a PV's required nodeAffinity pins it to (`In` on a hostname or OpenEBS node key).
pub fn pv_pinned_nodes(pv: &FrozenValue) -> Vec<&str> {
    let mut pinned = Vec::new();
    for term in
        path(pv, "spec.nodeAffinity.required.nodeSelectorTerms").and_then(FrozenValue::as_array).into_iter().flatten()
    {
        for expr in term.get("matchExpressions").and_then(FrozenValue::as_array).into_iter().flatten() {
            let key = str_at(expr, "key");
            if str_at(expr, "operator") == "In"
                && (key == "kubernetes.io/hostname" || key.starts_with("openebs.io/node"))
            {
                pinned.extend(
                    expr.get("values")
                        .and_then(FrozenValue::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(FrozenValue::as_str),
                );
            }
        }
    }
    pinned
}

fn strip_uid(o: &ObjectRef) -> ObjectRef {
    ObjectRef { uid: String::new(), ..o.clone() }
}

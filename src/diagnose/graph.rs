//! The storage dependency graph of one snapshot, as indexes: every object a finding can be about
//! expands to the keys of what it depends on (its node, pool, volume, PV, PVC, workload, chaos
//! engine). Two findings that share a key are about the same failure path.
//!
//! Everything is built once per analysis with hash maps keyed by name, so correlation stays
//! linear in the size of the snapshot (the 3,000-pod bundle included).

use std::collections::{BTreeSet, HashMap};

use crate::checks::{Finding, ObjectRef};
use crate::frozen::FrozenValue;
use crate::inventory::{Component, Engine, classify_pod};
use crate::snapshot::{EventRecord, Snapshot, meta_str, path};

/// A graph key: `node:n1`, `pv:pvc-…`, `pool:p`, `pod:ns/name`, `workload:Kind/ns/name`, ….
pub type Key = String;

/// What the diagnosis needs to know about one pod.
#[derive(Debug)]
pub struct PodFacts<'a> {
    /// The pod object.
    pub obj: &'a FrozenValue,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.nodeName`.
    pub node: Option<String>,
    /// Its OpenEBS/Litmus role; `None` for an application pod.
    pub component: Option<Component>,
    /// PVC names (same namespace) the pod mounts.
    pub claims: Vec<String>,
    /// `Kind/ns/name` of the top controller (Deployment, StatefulSet, DaemonSet, Job, …).
    pub workload: Option<String>,
}

/// Text of a field, or `""`.
pub fn text<'a>(obj: &'a FrozenValue, dotted: &str) -> &'a str {
    path(obj, dotted).and_then(FrozenValue::as_str).unwrap_or("")
}

fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Hostname a PV's node affinity pins it to.
fn pinned_node(pv: &FrozenValue) -> Option<String> {
    let terms = path(pv, "spec.nodeAffinity.required.nodeSelectorTerms")?.as_array()?;
    for term in terms {
        for expr in path(term, "matchExpressions").and_then(FrozenValue::as_array).unwrap_or(&[]) {
            let key = text(expr, "key");
            if (key == "kubernetes.io/hostname" || key.ends_with("/nodename") || key.ends_with("/nodeid"))
                && let Some(v) = path(expr, "values.0").and_then(FrozenValue::as_str)
            {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// The indexes.
pub struct Graph<'a> {
    /// The snapshot.
    pub snap: &'a Snapshot,
    /// Every pod by (namespace, name).
    pub pods: HashMap<(String, String), PodFacts<'a>>,
    /// PVC `ns/name` → PV name.
    pub pvc_pv: HashMap<String, String>,
    /// PV name → PVC `ns/name`.
    pub pv_claim: HashMap<String, String>,
    /// PV name → the PV.
    pub pvs: HashMap<String, &'a FrozenValue>,
    /// PV name → keys of its backing volume (pools, replica nodes, pinned node).
    pub pv_backing: HashMap<String, Vec<Key>>,
    /// Volume ids (Mayastor uuid, CSI volume handle) → PV name.
    pub volume_pv: HashMap<String, String>,
    /// Pool name → node.
    pub pool_node: HashMap<String, String>,
    /// ReplicaSet/Job `ns/name` → owner `Kind/ns/name`.
    owner: HashMap<String, String>,
    /// ChaosEngine uid → `chaos:` key; target pods `ns/name` → chaos keys.
    pub chaos_targets: HashMap<String, Vec<Key>>,
    /// ChaosEngine `ns/name` → uid.
    pub chaos_engine_uid: HashMap<String, String>,
    /// Events by involved object `Kind/ns/name`.
    pub events: HashMap<String, Vec<&'a EventRecord>>,
    /// Objects of the kinds the diagnosis looks up, by (resource id, namespace, name).
    objects: HashMap<(&'static str, String, String), &'a FrozenValue>,
    /// The same by (resource id, name), for objects named by id whatever their namespace.
    by_name: HashMap<(&'static str, String), &'a FrozenValue>,
    /// CSI driver names known in the cluster (CSIDriver objects, StorageClass provisioners).
    pub drivers: BTreeSet<String>,
    /// PV name → why its LVM logical volume is missing (LVMNode inventory vs Ready LVMVolumes).
    pub lv_missing: HashMap<String, String>,
    /// Finds pool names quoted in findings' text (a control-plane log naming the pool it failed on).
    pool_names: Option<(aho_corasick::AhoCorasick, Vec<String>)>,
    /// StorageClass → provisioner.
    pub sc_provisioner: HashMap<String, String>,
}

/// `Kind/ns/name` of an object reference.
pub fn obj_key(o: &ObjectRef) -> String {
    format!("{}/{}/{}", o.kind, o.namespace, o.name)
}

impl<'a> Graph<'a> {
    /// Build every index in one pass over the snapshot.
    pub fn build(snap: &'a Snapshot) -> Graph<'a> {
        let mut g = Graph {
            snap,
            pods: HashMap::new(),
            pvc_pv: HashMap::new(),
            pv_claim: HashMap::new(),
            pvs: HashMap::new(),
            pv_backing: HashMap::new(),
            volume_pv: HashMap::new(),
            pool_node: HashMap::new(),
            owner: HashMap::new(),
            chaos_targets: HashMap::new(),
            chaos_engine_uid: HashMap::new(),
            events: HashMap::new(),
            objects: HashMap::new(),
            by_name: HashMap::new(),
            drivers: BTreeSet::new(),
            sc_provisioner: HashMap::new(),
            lv_missing: HashMap::new(),
            pool_names: None,
        };
        for rid in LOOKUP_RESOURCES {
            for o in snap.objects(rid) {
                g.objects.insert((rid, meta_str(o, "namespace").to_string(), meta_str(o, "name").to_string()), o);
                g.by_name.entry((rid, meta_str(o, "name").to_string())).or_insert(o);
            }
        }
        for e in snap.events() {
            g.events.entry(obj_key(&e.involved_object)).or_default().push(e);
        }
        for d in snap.objects("csidrivers.storage.k8s.io") {
            g.drivers.insert(meta_str(d, "name").to_string());
        }
        for sc in snap.objects("storageclasses.storage.k8s.io") {
            let p = text(sc, "provisioner");
            if !p.is_empty() {
                g.drivers.insert(p.to_string());
                g.sc_provisioner.insert(meta_str(sc, "name").to_string(), p.to_string());
            }
        }
        for rid in ["replicasets.apps", "jobs.batch"] {
            for o in snap.objects(rid) {
                if let Some(owner) = controller_of(o) {
                    g.owner.insert(format!("{}/{}", meta_str(o, "namespace"), meta_str(o, "name")), owner);
                }
            }
        }
        let mut workloads: HashMap<(String, String), &'static str> = HashMap::new();
        for (rid, kind) in
            [("daemonsets.apps", "DaemonSet"), ("deployments.apps", "Deployment"), ("statefulsets.apps", "StatefulSet")]
        {
            for o in snap.objects(rid) {
                workloads.insert((meta_str(o, "namespace").to_string(), meta_str(o, "name").to_string()), kind);
            }
        }
        for pvc in snap.objects("persistentvolumeclaims") {
            let vol = text(pvc, "spec.volumeName");
            if !vol.is_empty() {
                let key = format!("{}/{}", meta_str(pvc, "namespace"), meta_str(pvc, "name"));
                g.pvc_pv.insert(key.clone(), vol.to_string());
                g.pv_claim.entry(vol.to_string()).or_insert(key);
            }
        }
        for pv in snap.objects("persistentvolumes") {
            let name = meta_str(pv, "name").to_string();
            let claim = (text(pv, "spec.claimRef.namespace"), text(pv, "spec.claimRef.name"));
            if !claim.1.is_empty() {
                g.pv_claim.entry(name.clone()).or_insert_with(|| format!("{}/{}", claim.0, claim.1));
                g.pvc_pv.entry(format!("{}/{}", claim.0, claim.1)).or_insert_with(|| name.clone());
            }
            let handle = text(pv, "spec.csi.volumeHandle");
            if !handle.is_empty() {
                g.volume_pv.insert(handle.to_string(), name.clone());
            }
            if let Some(n) = pinned_node(pv) {
                g.pv_backing.entry(name.clone()).or_default().push(format!("node:{n}"));
            }
            g.pvs.insert(name, pv);
        }
        for rid in ["diskpools.openebs.io", "pools.rest.mayastor.openebs.io"] {
            for p in snap.objects(rid) {
                let node = [text(p, "spec.node"), text(p, "state.node")].into_iter().find(|s| !s.is_empty());
                if let Some(n) = node {
                    g.pool_node.insert(meta_str(p, "name").to_string(), n.to_string());
                }
            }
        }
        for cspi in snap.objects("cstorpoolinstances.cstor.openebs.io") {
            let node = text(cspi, "spec.hostName");
            if !node.is_empty() {
                g.pool_node.insert(meta_str(cspi, "name").to_string(), node.to_string());
            }
        }
        // Mayastor volumes: replica topology → pools and nodes.
        for v in snap.objects("volumes.rest.mayastor.openebs.io") {
            let uuid = meta_str(v, "name");
            let pv = g.volume_pv.get(uuid).cloned().unwrap_or_else(|| format!("pvc-{uuid}"));
            let mut keys = Vec::new();
            if let Some(topo) = path(v, "state.replica_topology").and_then(FrozenValue::as_object) {
                for (_, r) in topo.iter() {
                    push_some(&mut keys, "pool", text(r, "pool"));
                    push_some(&mut keys, "node", text(r, "node"));
                }
            }
            push_some(&mut keys, "node", text(v, "state.target.node"));
            g.volume_pv.insert(uuid.to_string(), pv.clone());
            g.pv_backing.entry(pv).or_default().extend(keys);
        }
        // LocalPV volumes and cStor replicas: the owner node / pool.
        for rid in ["lvmvolumes.local.openebs.io", "zfsvolumes.zfs.openebs.io"] {
            for v in snap.objects(rid) {
                let name = meta_str(v, "name").to_string();
                let mut keys = Vec::new();
                push_some(&mut keys, "node", text(v, "spec.ownerNodeID"));
                g.pv_backing.entry(name).or_default().extend(keys);
            }
        }
        for cvr in snap.objects("cstorvolumereplicas.cstor.openebs.io") {
            let pv = label(cvr, "openebs.io/persistent-volume").or_else(|| label(cvr, "cstorvolume.openebs.io/name"));
            if let Some(pv) = pv {
                let mut keys = Vec::new();
                if let Some(pool) = label(cvr, "cstorpoolinstance.openebs.io/name") {
                    keys.push(format!("pool:{pool}"));
                    if let Some(n) = g.pool_node.get(pool) {
                        keys.push(format!("node:{n}"));
                    }
                }
                g.pv_backing.entry(pv.to_string()).or_default().extend(keys);
            }
        }
        for list in g.pv_backing.values_mut() {
            list.sort();
            list.dedup();
        }
        for p in snap.objects("pods") {
            let namespace = meta_str(p, "namespace").to_string();
            let name = meta_str(p, "name").to_string();
            let claims = path(p, "spec.volumes")
                .and_then(FrozenValue::as_array)
                .unwrap_or(&[])
                .iter()
                .filter_map(|v| path(v, "persistentVolumeClaim.claimName").and_then(FrozenValue::as_str))
                .map(str::to_string)
                .collect();
            let workload = controller_of(p)
                .map(|o| {
                    let rest = o.split_once('/').map_or("", |(_, r)| r).to_string();
                    g.owner.get(&rest).cloned().unwrap_or(o)
                })
                .or_else(|| workload_by_prefix(&workloads, &namespace, &name));
            let facts = PodFacts {
                obj: p,
                node: some(text(p, "spec.nodeName")),
                component: classify_pod(p),
                claims,
                workload,
                namespace: namespace.clone(),
                name: name.clone(),
            };
            g.pods.insert((namespace, name), facts);
        }
        g.index_chaos();
        g.index_lv_inventory();
        // Only names distinctive enough to be quoted on purpose.
        let mut names: Vec<String> = g.pool_node.keys().filter(|n| n.len() >= 6).cloned().collect();
        names.sort();
        g.pool_names = aho_corasick::AhoCorasick::new(&names).ok().map(|ac| (ac, names));
        g
    }

    /// LVs missing on a node: a volume group whose LVMNode reports fewer LVs (`lvCount`) than
    /// the Ready LVMVolumes that name it and that node.
    fn index_lv_inventory(&mut self) {
        let mut ready: HashMap<(String, String), Vec<String>> = HashMap::new();
        for v in self.snap.objects("lvmvolumes.local.openebs.io") {
            if text(v, "status.state") == "Ready" {
                let key = (text(v, "spec.ownerNodeID").to_string(), text(v, "spec.volGroup").to_string());
                ready.entry(key).or_default().push(meta_str(v, "name").to_string());
            }
        }
        for n in self.snap.objects("lvmnodes.local.openebs.io") {
            let node = meta_str(n, "name");
            for vg in path(n, "volumeGroups").and_then(FrozenValue::as_array).unwrap_or(&[]) {
                let Some(count) = path(vg, "lvCount").and_then(FrozenValue::as_u64) else { continue };
                let name = text(vg, "name");
                let Some(vols) = ready.get(&(node.to_string(), name.to_string())) else { continue };
                if (count as usize) < vols.len() {
                    for v in vols {
                        self.lv_missing.insert(
                            v.clone(),
                            format!(
                                "LVMNode {node}: volume group {name} reports {count} LV(s), but {} Ready LVMVolume(s) live there (LV of {v} missing)",
                                vols.len()
                            ),
                        );
                    }
                }
            }
        }
    }

    /// ChaosEngine → its uid key; its target pods (appinfo label selector) get the same key.
    fn index_chaos(&mut self) {
        let mut by_label: HashMap<(String, String), Vec<String>> = HashMap::new();
        for engine in self.snap.objects("chaosengines.litmuschaos.io") {
            let ns = meta_str(engine, "namespace");
            let uid = meta_str(engine, "uid");
            let key = if uid.is_empty() {
                format!("chaos:{ns}/{}", meta_str(engine, "name"))
            } else {
                format!("chaos:{uid}")
            };
            self.chaos_engine_uid.insert(format!("{ns}/{}", meta_str(engine, "name")), key.clone());
            let app_ns = some(text(engine, "spec.appinfo.appns")).unwrap_or_else(|| ns.to_string());
            let selector = text(engine, "spec.appinfo.applabel");
            if let Some((k, v)) = selector.split_once('=') {
                by_label.entry((app_ns, format!("{}={}", k.trim(), v.trim()))).or_default().push(key);
            }
        }
        if by_label.is_empty() {
            return;
        }
        for pod in self.pods.values() {
            if pod.component.as_ref().is_some_and(|c| c.engine == Engine::Litmus) {
                continue;
            }
            let Some(labels) = path(pod.obj, "metadata.labels").and_then(FrozenValue::as_object) else { continue };
            for (k, v) in labels.iter() {
                let Some(v) = v.as_str() else { continue };
                if let Some(keys) = by_label.get(&(pod.namespace.clone(), format!("{k}={v}"))) {
                    self.chaos_targets
                        .entry(format!("{}/{}", pod.namespace, pod.name))
                        .or_default()
                        .extend(keys.iter().cloned());
                }
            }
        }
    }

    /// A pod by namespace and name.
    pub fn pod(&self, ns: &str, name: &str) -> Option<&PodFacts<'a>> {
        self.pods.get(&(ns.to_string(), name.to_string()))
    }

    /// PVs of a pod's claims.
    pub fn pod_pvs(&self, p: &PodFacts<'_>) -> Vec<(String, Option<String>)> {
        p.claims
            .iter()
            .map(|c| {
                let key = format!("{}/{c}", p.namespace);
                let pv = self.pvc_pv.get(&key).cloned();
                (key, pv)
            })
            .collect()
    }

    /// Keys of a PV and what backs it.
    fn pv_keys(&self, pv: &str, out: &mut Vec<Key>) {
        out.push(format!("pv:{pv}"));
        if let Some(claim) = self.pv_claim.get(pv) {
            out.push(format!("pvc:{claim}"));
        }
        if let Some(b) = self.pv_backing.get(pv) {
            out.extend(b.iter().cloned());
        }
    }

    /// Keys of a pod: itself, its node, workload, volumes and what backs them, chaos engines.
    pub fn pod_keys(&self, p: &PodFacts<'_>, out: &mut Vec<Key>) {
        out.push(format!("pod:{}/{}", p.namespace, p.name));
        if let Some(n) = &p.node {
            out.push(format!("node:{n}"));
        }
        if let Some(w) = &p.workload {
            out.push(format!("workload:{w}"));
        }
        if let Some(c) = &p.component {
            match (c.engine, c.data_path) {
                (Engine::Litmus, _) => {
                    for l in ["chaosUID", "chaosengine", "engine"] {
                        if let Some(v) = label(p.obj, l) {
                            let key = if l == "chaosUID" {
                                format!("chaos:{v}")
                            } else {
                                self.chaos_engine_uid
                                    .get(&format!("{}/{v}", p.namespace))
                                    .cloned()
                                    .unwrap_or_else(|| format!("chaos:{}/{v}", p.namespace))
                            };
                            out.push(key);
                        }
                    }
                    // Helper pods are `<experiment>-helper-<id>`: tie them to their ChaosResult.
                    if let Some((exp, _)) = label(p.obj, "app").unwrap_or(&p.name).split_once("-helper") {
                        out.push(format!("chaosexp:{}/{exp}", p.namespace));
                    }
                    if let Some(exp) = label(p.obj, "experiment").or_else(|| label(p.obj, "job-name")) {
                        out.push(format!("chaosexp:{}/{exp}", p.namespace));
                    }
                    if !matches!(c.name.as_str(), "helper" | "chaos-runner" | "experiment") {
                        out.push(format!("ctrl:{}", c.engine.id()));
                    }
                }
                (_, false) => out.push(format!("ctrl:{}", c.engine.id())),
                (_, true) => {}
            }
            if c.name.contains("admission") || c.name.contains("webhook") {
                out.push("webhook".into());
            }
            if let Some(pool) = label(p.obj, "openebs.io/cstor-pool-instance")
                .or_else(|| label(p.obj, "cstorpoolinstance.openebs.io/name"))
            {
                out.push(format!("pool:{pool}"));
            }
        }
        for (claim, pv) in self.pod_pvs(p) {
            out.push(format!("pvc:{claim}"));
            if let Some(pv) = pv {
                self.pv_keys(&pv, out);
            }
        }
        if let Some(chaos) = self.chaos_targets.get(&format!("{}/{}", p.namespace, p.name)) {
            out.extend(chaos.iter().cloned());
        }
    }

    /// The keys a finding's object stands for and depends on.
    pub fn finding_keys(&self, f: &Finding) -> Vec<Key> {
        let o = &f.object;
        let mut out = vec![format!("obj:{}", obj_key(o))];
        if let Some(n) = &f.node {
            out.push(format!("node:{n}"));
        }
        let obj = self.object(o);
        match o.kind.as_str() {
            "Node" | "IoEngineNode" | "LVMNode" | "ZFSNode" | "NodeReport" | "CSINode" => {
                out.push(format!("node:{}", o.name));
            }
            "Pod" => {
                if let Some(p) = self.pod(&o.namespace, &o.name) {
                    self.pod_keys(p, &mut out);
                }
            }
            "DaemonSet" | "Deployment" | "StatefulSet" | "ReplicaSet" | "Job" => {
                out.push(format!("workload:{}/{}/{}", o.kind, o.namespace, o.name));
                if let Some(obj) = obj
                    && let Some(c) =
                        classify_pod(path(obj, "spec.template").unwrap_or(obj)).or_else(|| classify_pod(obj))
                    && !c.data_path
                {
                    out.push(format!("ctrl:{}", c.engine.id()));
                }
                if self.pool_node.contains_key(&o.name) {
                    out.push(format!("pool:{}", o.name));
                }
            }
            "PersistentVolumeClaim" => {
                out.push(format!("pvc:{}/{}", o.namespace, o.name));
                if let Some(pv) = self.pvc_pv.get(&format!("{}/{}", o.namespace, o.name)) {
                    self.pv_keys(pv, &mut out);
                }
                if let Some(obj) = obj
                    && let Some(p) = self.sc_provisioner.get(text(obj, "spec.storageClassName"))
                {
                    out.push(format!("csidriver:{p}"));
                }
            }
            "PersistentVolume" => self.pv_keys(&o.name, &mut out),
            "VolumeAttachment" => {
                if let Some(obj) = obj {
                    push_some(&mut out, "node", text(obj, "spec.nodeName"));
                    let pv = text(obj, "spec.source.persistentVolumeName");
                    if !pv.is_empty() {
                        self.pv_keys(pv, &mut out);
                    }
                }
            }
            "Volume" | "LVMVolume" | "ZFSVolume" | "CStorVolume" | "JivaVolume" | "CStorVolumeConfig" | "Nexus" => {
                let pv = self.volume_pv.get(&o.name).cloned().unwrap_or_else(|| o.name.clone());
                self.pv_keys(&pv, &mut out);
                if let Some(obj) = obj {
                    push_some(&mut out, "node", text(obj, "spec.ownerNodeID"));
                }
            }
            "Replica" | "CStorVolumeReplica" => {
                if let Some(obj) = obj {
                    for field in ["spec.pool", "state.pool", "spec.poolid"] {
                        let pool = text(obj, field);
                        if !pool.is_empty() {
                            out.push(format!("pool:{pool}"));
                        }
                    }
                    if let Some(pool) = label(obj, "cstorpoolinstance.openebs.io/name") {
                        out.push(format!("pool:{pool}"));
                    }
                    let pv = label(obj, "openebs.io/persistent-volume").map(str::to_string).or_else(|| {
                        let uuid = [text(obj, "spec.owners.volume"), text(obj, "state.owners.volume")]
                            .into_iter()
                            .find(|s| !s.is_empty())?;
                        self.volume_pv.get(uuid).cloned()
                    });
                    if let Some(pv) = pv {
                        self.pv_keys(&pv, &mut out);
                    }
                }
            }
            "DiskPool" | "Pool" | "CStorPoolInstance" | "MayastorPool" => {
                out.push(format!("pool:{}", o.name));
                if let Some(n) = self.pool_node.get(&o.name) {
                    out.push(format!("node:{n}"));
                }
                let cspc = obj.and_then(|obj| label(obj, "openebs.io/cstor-pool-cluster"));
                match cspc {
                    Some(cspc) => out.push(format!("cspc:{cspc}")),
                    // CSPIs are named `<cspc>-<suffix>`.
                    None if o.kind == "CStorPoolInstance" => {
                        if let Some((cspc, _)) = o.name.rsplit_once('-') {
                            out.push(format!("cspc:{cspc}"));
                        }
                    }
                    None => {}
                }
            }
            "CStorPoolCluster" => out.push(format!("cspc:{}", o.name)),
            "BlockDevice" => {
                if let Some(obj) = obj {
                    push_some(&mut out, "node", text(obj, "spec.nodeAttributes.nodeName"));
                }
            }
            "ChaosEngine" => {
                let key = self
                    .chaos_engine_uid
                    .get(&format!("{}/{}", o.namespace, o.name))
                    .cloned()
                    .unwrap_or_else(|| format!("chaos:{}/{}", o.namespace, o.name));
                out.push(key);
            }
            "ChaosResult" => {
                let mut exp = Vec::new();
                suffix_keys("chaosexp", &o.namespace, &o.name, &mut exp);
                out.extend(exp);
                if let Some(obj) = obj {
                    if let Some(uid) = label(obj, "chaosUID") {
                        out.push(format!("chaos:{uid}"));
                    }
                    let engine = text(obj, "spec.engine");
                    if let Some(k) = self.chaos_engine_uid.get(&format!("{}/{engine}", o.namespace)) {
                        out.push(k.clone());
                    }
                }
            }
            "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => out.push("webhook".into()),
            "CSIDriver" => out.push(format!("csidriver:{}", o.name)),
            "Engine" => out.push(format!("engine:{}", o.name)),
            _ => {}
        }
        if f.check.contains("webhook") || o.name.contains("admission") || o.name.contains("webhook") {
            out.push("webhook".into());
        }
        if let Some((ac, names)) = &self.pool_names {
            for text in std::iter::once(&f.message).chain(&f.evidence) {
                for m in ac.find_iter(text.as_str()) {
                    let word_end = text[m.end()..].chars().next().is_none_or(|c| !c.is_alphanumeric() && c != '-');
                    if word_end {
                        out.push(format!("pool:{}", names[m.pattern().as_usize()]));
                    }
                }
            }
        }
        if f.check.starts_with("csi-") {
            // A driver that is not registered: every finding that names it is one problem.
            let text = f.evidence.join("\n") + &f.message;
            for d in &self.drivers {
                if text.contains(d.as_str()) {
                    out.push(format!("csidriver:{d}"));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The snapshot object a reference names (pods, PVCs, PVs, volumes, pools, …).
    pub fn object(&self, o: &ObjectRef) -> Option<&'a FrozenValue> {
        let rid = resource_of(&o.kind)?;
        self.objects.get(&(rid, o.namespace.clone(), o.name.clone())).copied()
    }

    /// An object of a resource by name, in any namespace.
    pub fn object_by(&self, rid: &'static str, name: &str) -> Option<&'a FrozenValue> {
        self.by_name.get(&(rid, name.to_string())).copied()
    }

    /// The node an object is on or about.
    pub fn node_of(&self, f: &Finding) -> Option<String> {
        if let Some(n) = &f.node {
            return Some(n.clone());
        }
        let o = &f.object;
        match o.kind.as_str() {
            "Node" | "IoEngineNode" | "LVMNode" | "ZFSNode" | "NodeReport" | "CSINode" => Some(o.name.clone()),
            // A pod not scheduled yet: the node it is pinned to (hostname selector, its pool's node).
            "Pod" => self.pod(&o.namespace, &o.name).and_then(|p| {
                p.node.clone().or_else(|| {
                    let selector = path(p.obj, "spec.nodeSelector")
                        .and_then(|m| m.get("kubernetes.io/hostname"))
                        .and_then(FrozenValue::as_str)
                        .unwrap_or("");
                    let pool = label(p.obj, "openebs.io/cstor-pool-instance")
                        .or_else(|| label(p.obj, "cstorpoolinstance.openebs.io/name"))
                        .and_then(|pool| self.pool_node.get(pool).cloned());
                    some(selector).or(pool)
                })
            }),
            "DiskPool" | "Pool" | "CStorPoolInstance" => self.pool_node.get(&o.name).cloned(),
            "Deployment" if self.pool_node.contains_key(&o.name) => self.pool_node.get(&o.name).cloned(),
            "PersistentVolume" => self.pvs.get(&o.name).and_then(|pv| pinned_node(pv)),
            _ => {
                let obj = self.object(o)?;
                ["spec.nodeName", "spec.ownerNodeID", "spec.node", "spec.nodeAttributes.nodeName", "spec.hostName"]
                    .into_iter()
                    .map(|p| text(obj, p))
                    .find(|s| !s.is_empty())
                    .map(str::to_string)
            }
        }
    }

    /// Events about an object.
    pub fn events_of(&self, o: &ObjectRef) -> &[&'a EventRecord] {
        self.events.get(&obj_key(o)).map_or(&[], Vec::as_slice)
    }
}

/// A pod without owner references (some bundles drop them): the workload whose name is the
/// longest dash-separated prefix of the pod's name (`<ds>-x7k2p`, `<deploy>-<hash>-<x>`, `<sts>-0`).
fn workload_by_prefix(
    workloads: &HashMap<(String, String), &'static str>,
    namespace: &str,
    pod: &str,
) -> Option<String> {
    let cuts: Vec<usize> = pod.match_indices('-').map(|(i, _)| i).collect();
    cuts.iter().rev().find_map(|&i| {
        let prefix = &pod[..i];
        workloads.get(&(namespace.to_string(), prefix.to_string())).map(|kind| format!("{kind}/{namespace}/{prefix}"))
    })
}

/// Keys for the dash-separated suffixes of a name (a ChaosResult is `<engine>-<experiment>`).
fn suffix_keys(prefix: &str, namespace: &str, name: &str, out: &mut Vec<Key>) {
    for (i, _) in name.match_indices('-') {
        out.push(format!("{prefix}:{namespace}/{}", &name[i + 1..]));
    }
    out.push(format!("{prefix}:{namespace}/{name}"));
}

fn push_some(out: &mut Vec<Key>, prefix: &str, value: &str) {
    if !value.is_empty() {
        out.push(format!("{prefix}:{value}"));
    }
}

/// A metadata label.
pub fn label<'v>(obj: &'v FrozenValue, key: &str) -> Option<&'v str> {
    path(obj, "metadata.labels").and_then(|l| l.get(key)).and_then(FrozenValue::as_str)
}

/// `Kind/ns/name` of an object's controller.
fn controller_of(obj: &FrozenValue) -> Option<String> {
    let owners = path(obj, "metadata.ownerReferences")?.as_array()?;
    let o =
        owners.iter().find(|o| o.get("controller").and_then(FrozenValue::as_bool) == Some(true)).or(owners.first())?;
    Some(format!("{}/{}/{}", text(o, "kind"), meta_str(obj, "namespace"), text(o, "name")))
}

/// Resource ids [`resource_of`] returns.
const LOOKUP_RESOURCES: [&str; 27] = [
    "pods",
    "nodes",
    "persistentvolumes",
    "persistentvolumeclaims",
    "volumeattachments.storage.k8s.io",
    "daemonsets.apps",
    "deployments.apps",
    "statefulsets.apps",
    "volumes.rest.mayastor.openebs.io",
    "replicas.rest.mayastor.openebs.io",
    "nexuses.rest.mayastor.openebs.io",
    "pools.rest.mayastor.openebs.io",
    "nodes.rest.mayastor.openebs.io",
    "diskpools.openebs.io",
    "lvmvolumes.local.openebs.io",
    "lvmnodes.local.openebs.io",
    "zfsvolumes.zfs.openebs.io",
    "zfsnodes.zfs.openebs.io",
    "cstorpoolinstances.cstor.openebs.io",
    "cstorpoolclusters.cstor.openebs.io",
    "cstorvolumes.cstor.openebs.io",
    "cstorvolumereplicas.cstor.openebs.io",
    "cstorvolumeconfigs.cstor.openebs.io",
    "jivavolumes.openebs.io",
    "blockdevices.openebs.io",
    "chaosengines.litmuschaos.io",
    "chaosresults.litmuschaos.io",
];

/// The snapshot resource id of a kind the diagnosis looks up.
fn resource_of(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Pod" => "pods",
        "Node" => "nodes",
        "PersistentVolume" => "persistentvolumes",
        "PersistentVolumeClaim" => "persistentvolumeclaims",
        "VolumeAttachment" => "volumeattachments.storage.k8s.io",
        "DaemonSet" => "daemonsets.apps",
        "Deployment" => "deployments.apps",
        "StatefulSet" => "statefulsets.apps",
        "Volume" => "volumes.rest.mayastor.openebs.io",
        "Replica" => "replicas.rest.mayastor.openebs.io",
        "Nexus" => "nexuses.rest.mayastor.openebs.io",
        "Pool" => "pools.rest.mayastor.openebs.io",
        "IoEngineNode" => "nodes.rest.mayastor.openebs.io",
        "DiskPool" => "diskpools.openebs.io",
        "LVMVolume" => "lvmvolumes.local.openebs.io",
        "LVMNode" => "lvmnodes.local.openebs.io",
        "ZFSVolume" => "zfsvolumes.zfs.openebs.io",
        "ZFSNode" => "zfsnodes.zfs.openebs.io",
        "CStorPoolInstance" => "cstorpoolinstances.cstor.openebs.io",
        "CStorPoolCluster" => "cstorpoolclusters.cstor.openebs.io",
        "CStorVolume" => "cstorvolumes.cstor.openebs.io",
        "CStorVolumeReplica" => "cstorvolumereplicas.cstor.openebs.io",
        "CStorVolumeConfig" => "cstorvolumeconfigs.cstor.openebs.io",
        "JivaVolume" => "jivavolumes.openebs.io",
        "BlockDevice" => "blockdevices.openebs.io",
        "ChaosEngine" => "chaosengines.litmuschaos.io",
        "ChaosResult" => "chaosresults.litmuschaos.io",
        _ => return None,
    })
}

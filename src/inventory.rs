//! What is installed: which OpenEBS engines and Litmus components a pod, a CRD group, a CSI
//! driver or a StorageClass provisioner belongs to.
//!
//! Detection never trusts a namespace name (ZFS/LVM kubectl installs use `kube-system`, Mayastor
//! standalone uses `mayastor`, Litmus any namespace): it reads labels, CRD groups, CSI driver names
//! and provisioner strings (docs/bundle-layout.md lists what is collected). The same functions serve the live collector (which
//! pods' logs to take, which namespaces matter) and the checks (which engine a finding is about).

use crate::frozen::{FrozenValue, JsonRead};
use serde::{Deserialize, Serialize};

/// An OpenEBS engine, or Litmus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// LocalPV hostpath (and device, 3.x).
    Hostpath,
    /// LocalPV LVM.
    Lvm,
    /// LocalPV ZFS.
    Zfs,
    /// Mayastor / Replicated PV.
    Mayastor,
    /// cStor (CSI, and legacy SPC-based).
    Cstor,
    /// Jiva.
    Jiva,
    /// Node Disk Manager.
    Ndm,
    /// The 1.x/2.x control plane (maya-apiserver, openebs-provisioner, …).
    Legacy,
    /// Litmus chaos engineering.
    Litmus,
}

impl Engine {
    /// Every engine, in report order.
    pub const ALL: [Engine; 9] = [
        Engine::Hostpath,
        Engine::Lvm,
        Engine::Zfs,
        Engine::Mayastor,
        Engine::Cstor,
        Engine::Jiva,
        Engine::Ndm,
        Engine::Legacy,
        Engine::Litmus,
    ];

    /// The id used in YAML, JSON and tags (`mayastor`).
    pub fn id(self) -> &'static str {
        match self {
            Engine::Hostpath => "hostpath",
            Engine::Lvm => "lvm",
            Engine::Zfs => "zfs",
            Engine::Mayastor => "mayastor",
            Engine::Cstor => "cstor",
            Engine::Jiva => "jiva",
            Engine::Ndm => "ndm",
            Engine::Legacy => "legacy",
            Engine::Litmus => "litmus",
        }
    }

    /// Parse an id.
    pub fn from_id(id: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.id() == id)
    }

    /// A name for people.
    pub fn display_name(self) -> &'static str {
        match self {
            Engine::Hostpath => "LocalPV Hostpath",
            Engine::Lvm => "LocalPV LVM",
            Engine::Zfs => "LocalPV ZFS",
            Engine::Mayastor => "Mayastor (Replicated PV)",
            Engine::Cstor => "cStor",
            Engine::Jiva => "Jiva",
            Engine::Ndm => "Node Disk Manager",
            Engine::Legacy => "OpenEBS legacy control plane",
            Engine::Litmus => "Litmus",
        }
    }
}

/// A pod's role in an OpenEBS or Litmus install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// The engine it belongs to.
    pub engine: Engine,
    /// Component name (`io-engine`, `csi-node`, `pool-manager`, `chaos-operator`, …).
    pub name: String,
    /// On the data path: its crash takes volumes down (io-engine, pool manager, target, replica,
    /// node plugins).
    pub data_path: bool,
}

fn label<'a, V: JsonRead>(obj: &'a V, key: &str) -> Option<&'a str> {
    obj.field("metadata")?.field("labels")?.field(key)?.text()
}

fn component(engine: Engine, name: &str, data_path: bool) -> Option<Component> {
    Some(Component { engine, name: name.to_string(), data_path })
}

/// Classify a pod (or any object with pod-template labels) by its labels.
pub fn classify_pod<V: JsonRead>(pod: &V) -> Option<Component> {
    use Engine::*;
    let name = crate::snapshot::meta_str(pod, "name");
    let app = label(pod, "app").unwrap_or("");
    let comp_name = label(pod, "openebs.io/component-name").unwrap_or("");
    let name_label = label(pod, "name").unwrap_or("");

    // Litmus first: its labels are distinctive and some runner pods also carry `app=`.
    let part_of = label(pod, "app.kubernetes.io/part-of").unwrap_or("");
    let k8s_component = label(pod, "app.kubernetes.io/component").unwrap_or("");
    if part_of == "litmus"
        || name_label == "chaos-operator"
        || label(pod, "chaosUID").is_some()
        || label(pod, "litmuschaos.io/version").is_some()
        || matches!(app, "chaos-exporter" | "subscriber" | "event-tracker" | "workflow-controller" | "chaos-operator")
        || matches!(k8s_component, "chaos-runner" | "experiment-job")
    {
        let role = match (k8s_component, app, name_label) {
            ("chaos-runner", _, _) => "chaos-runner",
            ("experiment-job", _, _) => "experiment",
            ("operator", _, _) | (_, _, "chaos-operator") | (_, "chaos-operator", _) => "chaos-operator",
            (_, "subscriber", _) => "subscriber",
            (_, "chaos-exporter", _) => "chaos-exporter",
            (_, "event-tracker", _) => "event-tracker",
            (_, "workflow-controller", _) => "workflow-controller",
            (c, _, _) if c.starts_with("litmus-") => c,
            _ if app.ends_with("-helper") || name.contains("-helper-") => "helper",
            _ if name.contains("mongo") => "mongodb",
            _ => "litmus",
        };
        return component(Litmus, role, false);
    }
    if app.contains("-helper-") && label(pod, "chaosUID").is_some() {
        return component(Litmus, "helper", false);
    }

    // Mayastor: chart labels `app=<component>` together with `openebs.io/release` or `openebs.io/version`.
    let mayastor_release = label(pod, "openebs.io/release").is_some() || label(pod, "openebs.io/version").is_some();
    match app {
        "io-engine" | "mayastor" => return component(Mayastor, "io-engine", true),
        "csi-node" | "mayastor-csi" if mayastor_release || app == "mayastor-csi" => {
            return component(Mayastor, "csi-node", true);
        }
        "agent-core" | "core-agents" => return component(Mayastor, "agent-core", false),
        "agent-ha-node" => return component(Mayastor, "agent-ha-node", false),
        "api-rest" | "rest" => return component(Mayastor, "api-rest", false),
        "csi-controller" if mayastor_release => return component(Mayastor, "csi-controller", false),
        "operator-diskpool" | "msp-operator" => return component(Mayastor, "operator-diskpool", false),
        "obs-callhome" => return component(Mayastor, "obs-callhome", false),
        "moac" => return component(Mayastor, "moac", false),
        _ => {}
    }
    // Subcharts of the Mayastor chart (etcd, nats, loki, promtail) carry only chart-standard
    // labels: recognise them by a release name that is an OpenEBS/Mayastor one.
    if let (Some(sub), Some(inst)) = (label(pod, "app.kubernetes.io/name"), label(pod, "app.kubernetes.io/instance")) {
        let openebs_release = mayastor_release || inst.contains("openebs") || inst.contains("mayastor");
        if openebs_release && name.starts_with(inst) && matches!(sub, "etcd" | "nats" | "loki" | "promtail") {
            return component(Mayastor, sub, sub == "etcd");
        }
    }

    // cStor data path: pool managers and volume targets.
    if app == "cstor-pool"
        || label(pod, "openebs.io/cstor-pool-instance").is_some()
        || label(pod, "openebs.io/cstor-pool").is_some()
    {
        return component(Cstor, "pool-manager", true);
    }
    if app == "cstor-volume-manager" || label(pod, "openebs.io/target") == Some("cstor-target") {
        return component(Cstor, "target", true);
    }
    // Jiva data path.
    let openebs_component = label(pod, "openebs.io/component").unwrap_or("");
    if openebs_component == "jiva-controller" || label(pod, "openebs.io/controller") == Some("jiva-controller") {
        return component(Jiva, "controller", true);
    }
    if openebs_component == "jiva-replica" || label(pod, "openebs.io/replica") == Some("jiva-replica") {
        return component(Jiva, "replica", true);
    }

    let key = if !comp_name.is_empty() {
        comp_name
    } else if !name_label.is_empty() {
        name_label
    } else {
        app
    };
    classify_component_name(
        key,
        label(pod, "role").unwrap_or(""),
        label(pod, "openebs.io/version").is_some() || !comp_name.is_empty(),
    )
}

fn classify_component_name(key: &str, role: &str, openebs_labelled: bool) -> Option<Component> {
    use Engine::*;
    let node_plugin = key.ends_with("-node") || key.contains("csi-node");
    if key.contains("lvm") || role == "openebs-lvm" {
        return component(Lvm, if node_plugin { "node" } else { "controller" }, node_plugin);
    }
    if key.contains("zfs") || role == "openebs-zfs" {
        return component(Zfs, if node_plugin { "node" } else { "controller" }, node_plugin);
    }
    if key.contains("cstor") || key.contains("cspc") || key.contains("cvc") || role == "openebs-cstor-csi" {
        let name = if key.contains("admission") {
            "admission-webhook"
        } else if node_plugin {
            "csi-node"
        } else if key.contains("cspc") {
            "cspc-operator"
        } else if key.contains("cvc") {
            "cvc-operator"
        } else {
            "csi-controller"
        };
        return component(Cstor, name, node_plugin);
    }
    if key.contains("jiva") {
        return component(
            Jiva,
            if node_plugin {
                "csi-node"
            } else if key.contains("operator") {
                "operator"
            } else {
                "csi-controller"
            },
            node_plugin,
        );
    }
    if key == "ndm" || key.contains("ndm") || key.contains("node-disk") {
        return component(
            Ndm,
            if key.contains("operator") {
                "ndm-operator"
            } else if key.contains("exporter") {
                "ndm-exporter"
            } else {
                "ndm"
            },
            false,
        );
    }
    if key.contains("localpv-provisioner") || key.contains("provisioner-hostpath") || key == "localpv-provisioner" {
        return component(Hostpath, "localpv-provisioner", false);
    }
    match key {
        "maya-apiserver"
        | "openebs-provisioner"
        | "openebs-snapshot-operator"
        | "snapshot-operator"
        | "admission-webhook"
        | "openebs-admission-server" => component(Legacy, key, false),
        _ if openebs_labelled && key.starts_with("openebs") => component(Legacy, key, false),
        _ => None,
    }
}

/// The engine behind a StorageClass provisioner or CSI driver name.
pub fn engine_for_driver(provisioner: &str) -> Option<Engine> {
    use Engine::*;
    match provisioner {
        "openebs.io/local" => Some(Hostpath),
        "local.csi.openebs.io" => Some(Lvm),
        "zfs.csi.openebs.io" => Some(Zfs),
        "io.openebs.csi-mayastor" => Some(Mayastor),
        "cstor.csi.openebs.io" => Some(Cstor),
        "jiva.csi.openebs.io" => Some(Jiva),
        "openebs.io/provisioner-iscsi" | "volumesnapshot.external-storage.k8s.io/snapshot-promoter" => Some(Legacy),
        _ => None,
    }
}

/// The engine a CRD (by group and kind) belongs to, for CRD groups that matter to us.
pub fn engine_for_crd(group: &str, kind: &str) -> Option<Engine> {
    use Engine::*;
    match group {
        "local.openebs.io" => Some(Lvm),
        "zfs.openebs.io" => Some(Zfs),
        "cstor.openebs.io" => Some(Cstor),
        crate::mayastor_rest::GROUP => Some(Mayastor),
        "litmuschaos.io" | "eventtracker.litmuschaos.io" | "argoproj.io" => Some(Litmus),
        "openebs.io" => Some(match kind {
            "DiskPool" | "MayastorPool" | "MayastorNode" | "MayastorVolume" => Mayastor,
            "BlockDevice" | "BlockDeviceClaim" => Ndm,
            "JivaVolume" | "JivaVolumePolicy" => Jiva,
            "UpgradeTask" | "MigrationTask" => Cstor,
            _ => Legacy,
        }),
        g if g.ends_with(".openebs.io") => Some(Legacy),
        _ => None,
    }
}

/// Whether custom resources of this group are collected. `argoproj.io` only matters when Litmus is
/// installed, which the caller decides; it is included here because Litmus 2.x/3.x ships it.
pub fn is_relevant_crd_group(group: &str) -> bool {
    group == "openebs.io"
        || group.ends_with(".openebs.io")
        || group == "litmuschaos.io"
        || group.ends_with(".litmuschaos.io")
        || group == "argoproj.io"
        || group == AGENT_GROUP
}

/// The API group of mayadiag's own NodeReport resource.
pub const AGENT_GROUP: &str = "mayadiag.io";

/// The engine of a PersistentVolume: CSI driver, then `openebs.io/cas-type`, then the
/// provisioned-by annotation.
pub fn engine_for_pv<V: JsonRead>(pv: &V) -> Option<Engine> {
    if let Some(driver) = pv.at_pointer("/spec/csi/driver").and_then(V::text)
        && let Some(e) = engine_for_driver(driver)
    {
        return Some(e);
    }
    let cas = label(pv, "openebs.io/cas-type")
        .or_else(|| pv.at_pointer("/metadata/annotations/openebs.io~1cas-type").and_then(V::text));
    if let Some(cas) = cas {
        return Some(match cas {
            "local-hostpath" | "local-device" | "local" => Engine::Hostpath,
            "cstor" => Engine::Cstor,
            "jiva" => Engine::Jiva,
            "mayastor" => Engine::Mayastor,
            "zfs-localpv" | "localpv-zfs" => Engine::Zfs,
            "lvm-localpv" | "localpv-lvm" => Engine::Lvm,
            _ => Engine::Legacy,
        });
    }
    pv.at_pointer("/metadata/annotations/pv.kubernetes.io~1provisioned-by")
        .and_then(V::text)
        .and_then(engine_for_driver)
}

/// How an engine looks in a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineState {
    /// Signals (CRDs, CSI drivers, StorageClasses) but no component pods.
    Installed,
    /// Component pods all running and ready.
    Healthy,
    /// Some component pod not ready (or, after checks, a failing finding).
    Degraded,
    /// Nothing of it found.
    NotInstalled,
}

/// An engine's detection result: state, version and what it was detected by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineReport {
    /// Engine id (`mayastor`).
    pub engine: String,
    /// Name for people.
    pub name: String,
    /// State.
    pub state: EngineState,
    /// Most common `openebs.io/version` (Litmus: `litmuschaos.io/version`) label or image tag.
    pub version: Option<String>,
    /// Component pods found.
    pub pods: usize,
    /// Component pods not ready.
    pub pods_not_ready: usize,
    /// What it was detected by (`CSIDriver zfs.csi.openebs.io`, `CRD diskpools.openebs.io`, …).
    pub signals: Vec<String>,
}

fn pod_ready(pod: &FrozenValue) -> bool {
    let phase = pod.pointer("/status/phase").and_then(FrozenValue::as_str).unwrap_or("");
    if phase == "Succeeded" {
        return true;
    }
    let statuses = pod.pointer("/status/containerStatuses").and_then(FrozenValue::as_array);
    phase == "Running"
        && statuses.is_some_and(|cs| cs.iter().all(|c| c.get("ready").and_then(FrozenValue::as_bool).unwrap_or(false)))
}

fn pod_version(pod: &FrozenValue, engine: Engine) -> Option<String> {
    let key = if engine == Engine::Litmus { "litmuschaos.io/version" } else { "openebs.io/version" };
    if let Some(v) = label(pod, key) {
        return Some(v.to_string());
    }
    let vendor = if engine == Engine::Litmus { "litmuschaos/" } else { "openebs/" };
    pod.pointer("/spec/containers")?
        .as_array()?
        .iter()
        .filter_map(|c| c.get("image").and_then(FrozenValue::as_str))
        .find(|i| i.contains(vendor))
        .and_then(|i| {
            let tail = i.rsplit('/').next()?;
            tail.split_once(':').map(|(_, t)| t.to_string())
        })
}

/// Which engines are present in a snapshot, their state and version. Every engine is listed,
/// in [`Engine::ALL`] order; absent ones as `not-installed`.
pub fn detect_engines(snap: &crate::snapshot::Snapshot) -> Vec<EngineReport> {
    use std::collections::BTreeMap;
    let mut signals: BTreeMap<Engine, Vec<String>> = BTreeMap::new();
    for d in snap.objects("csidrivers.storage.k8s.io") {
        let name = crate::snapshot::meta_str(d, "name");
        if let Some(e) = engine_for_driver(name) {
            signals.entry(e).or_default().push(format!("CSIDriver {name}"));
        }
    }
    for sc in snap.objects("storageclasses.storage.k8s.io") {
        let prov = sc.get("provisioner").and_then(FrozenValue::as_str).unwrap_or("");
        if let Some(e) = engine_for_driver(prov) {
            signals
                .entry(e)
                .or_default()
                .push(format!("StorageClass {} ({prov})", crate::snapshot::meta_str(sc, "name")));
        }
    }
    for crd in snap.objects("customresourcedefinitions.apiextensions.k8s.io") {
        let group = crd.pointer("/spec/group").and_then(FrozenValue::as_str).unwrap_or("");
        let kind = crd.pointer("/spec/names/kind").and_then(FrozenValue::as_str).unwrap_or("");
        if let Some(e) = engine_for_crd(group, kind) {
            signals.entry(e).or_default().push(format!("CRD {}", crate::snapshot::meta_str(crd, "name")));
        }
    }
    let mut pods: BTreeMap<Engine, (usize, usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for pod in snap.objects("pods") {
        let Some(c) = classify_pod(pod) else { continue };
        let entry = pods.entry(c.engine).or_default();
        entry.0 += 1;
        if !pod_ready(pod) {
            entry.1 += 1;
        }
        if let Some(v) = pod_version(pod, c.engine) {
            *entry.2.entry(v).or_default() += 1;
        }
    }
    Engine::ALL
        .iter()
        .map(|&e| {
            let mut sig = signals.remove(&e).unwrap_or_default();
            sig.sort();
            sig.dedup();
            let (count, not_ready, versions) = pods.remove(&e).unwrap_or_default();
            if count > 0 {
                sig.insert(0, format!("{count} component pods"));
            }
            let state = match (count, not_ready, sig.is_empty()) {
                (0, _, true) => EngineState::NotInstalled,
                (0, _, false) => EngineState::Installed,
                (_, 0, _) => EngineState::Healthy,
                _ => EngineState::Degraded,
            };
            let version = versions.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(v, _)| v);
            EngineReport {
                engine: e.id().to_string(),
                name: e.display_name().to_string(),
                state,
                version,
                pods: count,
                pods_not_ready: not_ready,
                signals: sig,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn pod(labels: Value) -> Value {
        json!({"metadata": {"name": "p", "labels": labels}})
    }

    #[test]
    fn classifies_domain_labels() {
        let io = classify_pod(&pod(json!({"app": "io-engine", "openebs.io/release": "openebs"}))).unwrap();
        assert_eq!((io.engine, io.data_path), (Engine::Mayastor, true));
        let lvm = classify_pod(&pod(json!({"openebs.io/component-name": "openebs-lvm-node", "role": "openebs-lvm"})))
            .unwrap();
        assert_eq!((lvm.engine, lvm.name.as_str()), (Engine::Lvm, "node"));
        let pool = classify_pod(&pod(json!({"app": "cstor-pool", "openebs.io/cstor-pool-instance": "x"}))).unwrap();
        assert_eq!((pool.engine, pool.name.as_str()), (Engine::Cstor, "pool-manager"));
        let op = classify_pod(&pod(json!({"name": "chaos-operator", "app.kubernetes.io/part-of": "litmus"}))).unwrap();
        assert_eq!((op.engine, op.name.as_str()), (Engine::Litmus, "chaos-operator"));
        let hp = classify_pod(&pod(json!({"openebs.io/component-name": "openebs-localpv-provisioner"}))).unwrap();
        assert_eq!(hp.engine, Engine::Hostpath);
        let maya = classify_pod(&pod(json!({"openebs.io/component-name": "maya-apiserver"}))).unwrap();
        assert_eq!(maya.engine, Engine::Legacy);
        assert!(classify_pod(&pod(json!({"app": "nginx"}))).is_none());
        assert!(classify_pod(&pod(json!({"k8s-app": "kube-dns"}))).is_none());
    }

    #[test]
    fn pv_engines() {
        let pv = json!({"spec": {"csi": {"driver": "io.openebs.csi-mayastor"}}});
        assert_eq!(engine_for_pv(&pv), Some(Engine::Mayastor));
        let pv = json!({"metadata": {"labels": {"openebs.io/cas-type": "local-hostpath"}}, "spec": {"local": {"path": "/x"}}});
        assert_eq!(engine_for_pv(&pv), Some(Engine::Hostpath));
        assert_eq!(engine_for_pv(&json!({"spec": {"csi": {"driver": "ebs.csi.aws.com"}}})), None);
    }

    #[test]
    fn crd_groups() {
        assert!(is_relevant_crd_group("cstor.openebs.io"));
        assert!(!is_relevant_crd_group("helm.cattle.io"));
        assert_eq!(engine_for_crd("openebs.io", "DiskPool"), Some(Engine::Mayastor));
        assert_eq!(engine_for_crd("openebs.io", "BlockDevice"), Some(Engine::Ndm));
    }
}

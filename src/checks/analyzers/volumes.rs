//! `volume-path`, `csi-registration`, `webhook`: from PVC to mounted volume.

use std::collections::BTreeSet;

use crate::frozen::FrozenValue;

use super::{age, human, quote_event, recent, text_at};
use crate::checks::engine::{Ctx, Hit, obj_ref, pv_pinned_nodes, str_at};
use crate::checks::model::{
    CsiCheck, CsiRegistration, InventorySource, VolumeCheck, VolumeInventory, VolumePath, Webhook,
};
use crate::checks::{ObjectRef, Status};
use crate::inventory::{Engine, engine_for_driver, engine_for_pv};
use crate::snapshot::{meta_str, path};

/// The CSI driver name of an engine, for engines that have one.
pub fn csi_driver(engine: Engine) -> Option<&'static str> {
    match engine {
        Engine::Lvm => Some("local.csi.openebs.io"),
        Engine::Zfs => Some("zfs.csi.openebs.io"),
        Engine::Mayastor => Some("io.openebs.csi-mayastor"),
        Engine::Cstor => Some("cstor.csi.openebs.io"),
        Engine::Jiva => Some("jiva.csi.openebs.io"),
        _ => None,
    }
}

fn engine_wanted(engines: &[String], e: Engine) -> bool {
    e != Engine::Litmus && (engines.is_empty() || engines.iter().any(|x| x == "openebs" || x == e.id()))
}

fn items<'v>(v: &'v FrozenValue, dotted: &str) -> impl Iterator<Item = &'v FrozenValue> {
    path(v, dotted).and_then(FrozenValue::as_array).into_iter().flatten()
}

/// Run `volume-path`.
pub fn volume_path(p: &VolumePath, ctx: &Ctx<'_>) -> Vec<Hit> {
    match p.check {
        VolumeCheck::PvcPending => pvc_pending(p, ctx),
        VolumeCheck::MountFailure => mount_failure(p, ctx),
        VolumeCheck::AttachmentError => attachment_error(p, ctx),
        VolumeCheck::PvNodeGone => pv_node_gone(p, ctx),
    }
}

fn pvc_pending(p: &VolumePath, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for pvc in ctx.snap.objects("persistentvolumeclaims") {
        let (ns, name) = (meta_str(pvc, "namespace"), meta_str(pvc, "name"));
        let Some(&engine) = ctx.pvc_engine.get(&(ns.to_string(), name.to_string())) else { continue };
        if str_at(pvc, "status.phase") != "Pending" || !engine_wanted(&p.engines, engine) {
            continue;
        }
        let errors: Vec<_> =
            ctx.events_for("PersistentVolumeClaim", ns, name).iter().filter(|e| e.event_type == "Warning").collect();
        let waited = age(ctx, pvc);
        let detail = if let Some(last) = errors.iter().max_by_key(|e| e.last_seen()) {
            format!("Pending: {}", last.message)
        } else {
            let sc = str_at(pvc, "spec.storageClassName");
            let wffc = ctx
                .snap
                .get("storageclasses.storage.k8s.io", "", sc)
                .is_some_and(|s| str_at(s, "volumeBindingMode") == "WaitForFirstConsumer");
            let min = p.min_age.map_or(chrono::Duration::minutes(10), |d| d.0);
            // WaitForFirstConsumer claims wait for a pod by design; only immediate binding is late.
            if wffc || waited.is_none_or(|a| a < min) {
                continue;
            }
            format!("Pending for {} with no provisioning events", waited.map(human).unwrap_or_default())
        };
        let mut hit = Hit::new(Status::Fail, obj_ref("PersistentVolumeClaim", pvc), super::clip(&detail));
        hit.engine = Some(engine);
        hit.evidence = errors.iter().take(3).map(|e| quote_event(e)).collect();
        hits.push(hit);
    }
    hits
}

fn mount_failure(p: &VolumePath, ctx: &Ctx<'_>) -> Vec<Hit> {
    let within = p.within.map(|d| d.0);
    let mut hits = Vec::new();
    for pod in &ctx.pods {
        let Some(engine) = pod.volume_engine() else { continue };
        if !engine_wanted(&p.engines, engine) {
            continue;
        }
        let mut events: Vec<_> = ctx
            .events_for("Pod", pod.ns, pod.name)
            .iter()
            .filter(|e| {
                e.event_type == "Warning"
                    && matches!(e.reason.as_str(), "FailedMount" | "FailedAttachVolume" | "FailedMapVolume")
            })
            .filter(|e| recent(ctx, e, within))
            .collect();
        if events.is_empty() || str_at(pod.obj, "status.phase") == "Running" && all_ready(pod.obj) {
            continue;
        }
        events.sort_by_key(|e| std::cmp::Reverse(e.last_seen()));
        // The "timeout expired waiting for volumes" summary says less than the error behind it.
        let best =
            events.iter().find(|e| !e.message.contains("timeout expired waiting for volumes")).unwrap_or(&events[0]);
        let vols: Vec<&str> = pod.volumes.iter().filter(|(_, e)| e.is_some()).map(|(c, _)| c.as_str()).collect();
        let mut hit = Hit::new(Status::Fail, pod.object(), super::clip(&format!("{}: {}", best.reason, best.message)));
        hit.engine = Some(engine);
        hit.evidence = events.iter().take(3).map(|e| quote_event(e)).collect();
        hit.evidence.push(format!("OpenEBS ({}) claims: {}", engine.id(), vols.join(", ")));
        if !pod.node.is_empty() {
            hit.node = Some(pod.node.to_string());
            let text: String = events.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("\n");
            hit.evidence.extend(node_lacks(ctx, pod.node, engine, &text));
        }
        hits.push(hit);
    }
    hits
}

/// Kernel modules a mount/attach error names, with the words that name them.
static MODULE_HINTS: &[(&str, &str)] = &[
    ("nvme_tcp", "nvme_tcp"),
    ("nvme-tcp", "nvme_tcp"),
    ("nvme_fabrics", "nvme_fabrics"),
    ("iSCSI driver not found", "iscsi_tcp"),
    ("iscsi_tcp", "iscsi_tcp"),
    ("dm_thin_pool", "dm_thin_pool"),
    ("dm-thin-pool", "dm_thin_pool"),
    ("modprobe zfs", "zfs"),
];

/// What a node lacks for a volume of `engine`: its CSINode not listing the driver, failing agent
/// probes, the Mayastor io-engine node offline or its pod not ready, the node not Ready, a kernel
/// module the error text names.
pub fn node_lacks(ctx: &Ctx<'_>, node: &str, engine: Engine, error_text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = ctx.snap.get("nodes", "", node) {
        let ready = items(n, "status.conditions").find(|c| str_at(c, "type") == "Ready");
        if let Some(c) = ready.filter(|c| str_at(c, "status") != "True") {
            out.push(format!(
                "node {node}: Ready={} since {} ({})",
                str_at(c, "status"),
                str_at(c, "lastTransitionTime"),
                str_at(c, "reason")
            ));
        }
    }
    if let (Some(driver), Some(cn)) = (csi_driver(engine), ctx.snap.get("csinodes.storage.k8s.io", "", node))
        && !csinode_drivers(cn).contains(driver)
    {
        out.push(format!("node {node}: CSINode does not list driver {driver} (node plugin not registered)"));
    }
    for report in
        ctx.snap.node_reports().iter().filter(|r| str_at(r, "spec.nodeName") == node || meta_str(*r, "name") == node)
    {
        for probe in items(report, "status.probes").filter(|p| matches!(str_at(p, "status"), "fail" | "warn")) {
            out.push(super::clip(&format!(
                "node {node}: NodeReport probe {} {}: {}",
                str_at(probe, "id"),
                str_at(probe, "status"),
                str_at(probe, "message")
            )));
        }
    }
    if engine == Engine::Mayastor {
        if let Some(n) = ctx.snap.get("nodes.rest.mayastor.openebs.io", "", node)
            && str_at(n, "state.status") != "Online"
        {
            out.push(format!(
                "node {node}: io-engine node is {} in the Mayastor control plane",
                text_at(n, "state.status")
            ));
        }
        for pod in
            ctx.pods.iter().filter(|p| p.node == node && p.component.as_ref().is_some_and(|c| c.name == "io-engine"))
        {
            if !all_ready(pod.obj) {
                out.push(format!("node {node}: io-engine pod {}/{} is not ready", pod.ns, pod.name));
            }
        }
    }
    let mut named: Vec<&str> = MODULE_HINTS.iter().filter(|(w, _)| error_text.contains(w)).map(|(_, m)| *m).collect();
    named.dedup();
    for m in named {
        out.push(format!("node {node}: the error names kernel module {m}; check it is loaded (lsmod | grep {m})"));
    }
    out
}

fn all_ready(pod: &FrozenValue) -> bool {
    items(pod, "status.containerStatuses").all(|c| c.get("ready").and_then(FrozenValue::as_bool).unwrap_or(false))
}

fn attachment_error(p: &VolumePath, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for va in ctx.snap.objects("volumeattachments.storage.k8s.io") {
        let Some(engine) = engine_for_driver(str_at(va, "spec.attacher")) else { continue };
        if !engine_wanted(&p.engines, engine) {
            continue;
        }
        for field in ["status.attachError", "status.detachError"] {
            let msg = str_at(va, &format!("{field}.message"));
            if msg.is_empty() {
                continue;
            }
            let pv = str_at(va, "spec.source.persistentVolumeName");
            let node = str_at(va, "spec.nodeName");
            let mut hit = Hit::new(
                Status::Fail,
                obj_ref("VolumeAttachment", va),
                super::clip(&format!("{pv} on node {node}: {msg}")),
            );
            hit.engine = Some(engine);
            hit.evidence = vec![super::clip(&format!("{field}: {msg} (at {})", str_at(va, &format!("{field}.time"))))];
            hits.push(hit);
        }
    }
    hits
}

fn pv_node_gone(p: &VolumePath, ctx: &Ctx<'_>) -> Vec<Hit> {
    if !ctx.have_nodes() {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for pv in ctx.snap.objects("persistentvolumes") {
        let Some(engine) = engine_for_pv(pv) else { continue };
        if !engine_wanted(&p.engines, engine) || str_at(pv, "status.phase") != "Bound" {
            continue;
        }
        let pinned = pv_pinned_nodes(pv);
        if pinned.is_empty() || pinned.iter().any(|n| ctx.node_names.contains(*n)) {
            continue;
        }
        let claim = format!("{}/{}", str_at(pv, "spec.claimRef.namespace"), str_at(pv, "spec.claimRef.name"));
        let mut hit = Hit::new(
            Status::Fail,
            obj_ref("PersistentVolume", pv),
            format!("pinned to node {} which no longer exists (claim {claim})", pinned.join(", ")),
        );
        hit.engine = Some(engine);
        hit.node = pinned.first().map(|n| n.to_string());
        hit.evidence = vec![
            format!("spec.nodeAffinity: kubernetes.io/hostname in [{}]", pinned.join(", ")),
            format!(
                "current nodes: {}",
                ctx.snap.objects("nodes").iter().map(|n| meta_str(n, "name")).collect::<Vec<_>>().join(", ")
            ),
        ];
        hits.push(hit);
    }
    hits
}

fn csinode_drivers(node: &FrozenValue) -> BTreeSet<String> {
    items(node, "spec.drivers").filter_map(|d| d.get("name").and_then(FrozenValue::as_str)).map(String::from).collect()
}

/// Run `csi-registration`.
pub fn csi_registration(p: &CsiRegistration, ctx: &Ctx<'_>) -> Vec<Hit> {
    let csinodes = ctx.snap.objects("csinodes.storage.k8s.io");
    if csinodes.is_empty() {
        return Vec::new();
    }
    let mut hits = Vec::new();
    match p.check {
        CsiCheck::DriverUnregistered => {
            let registered: BTreeSet<String> = csinodes.iter().flat_map(csinode_drivers).collect();
            let mut expected: Vec<(String, ObjectRef)> = Vec::new();
            for d in ctx.snap.objects("csidrivers.storage.k8s.io") {
                if engine_for_driver(meta_str(d, "name")).is_some() {
                    expected.push((meta_str(d, "name").to_string(), obj_ref("CSIDriver", d)));
                }
            }
            for sc in ctx.snap.objects("storageclasses.storage.k8s.io") {
                let prov = str_at(sc, "provisioner");
                let engine = engine_for_driver(prov);
                let has_pods = ctx.pods.iter().any(|p| p.component.as_ref().is_some_and(|c| Some(c.engine) == engine));
                if engine.and_then(csi_driver) == Some(prov) && has_pods && !expected.iter().any(|(n, _)| n == prov) {
                    expected.push((prov.to_string(), obj_ref("StorageClass", sc)));
                }
            }
            for (driver, object) in expected.into_iter().filter(|(d, _)| !registered.contains(d)) {
                let mut hit = Hit::new(
                    Status::Fail,
                    object,
                    format!("no CSINode lists driver {driver} ({} CSINodes)", csinodes.len()),
                );
                hit.engine = engine_for_driver(&driver);
                hit.evidence = csinodes
                    .iter()
                    .map(|n| {
                        format!(
                            "CSINode {}: drivers [{}]",
                            meta_str(n, "name"),
                            csinode_drivers(n).into_iter().collect::<Vec<_>>().join(", ")
                        )
                    })
                    .take(5)
                    .collect();
                hits.push(hit);
            }
        }
        CsiCheck::NodeMissingDriver => {
            for cn in csinodes {
                let node = meta_str(cn, "name");
                let have = csinode_drivers(cn);
                let mut needed: Vec<(String, String, bool)> = Vec::new(); // (driver, why, has volumes)
                for pod in ctx.pods.iter().filter(|p| p.node == node) {
                    for (claim, engine) in &pod.volumes {
                        if let Some(d) = engine.and_then(csi_driver) {
                            needed.push((
                                d.to_string(),
                                format!("pod {}/{} uses claim {claim}", pod.ns, pod.name),
                                true,
                            ));
                        }
                    }
                    if let Some(c) =
                        pod.component.as_ref().filter(|c| c.data_path && (c.name == "node" || c.name == "csi-node"))
                        && let Some(d) = csi_driver(c.engine)
                    {
                        {
                            needed.push((
                                d.to_string(),
                                format!("node plugin pod {}/{} runs here", pod.ns, pod.name),
                                false,
                            ));
                        }
                    }
                }
                let missing: Vec<_> = needed.iter().filter(|(d, _, _)| !have.contains(d)).collect();
                let Some(first) = missing.first() else { continue };
                let with_volumes = missing.iter().any(|m| m.2);
                let status = if with_volumes { Status::Fail } else { Status::Warn };
                let mut hit = Hit::new(
                    status,
                    ObjectRef { kind: "Node".into(), name: node.into(), ..Default::default() },
                    format!("CSINode lacks driver {}", first.0),
                );
                hit.engine = engine_for_driver(&first.0);
                hit.evidence = missing
                    .iter()
                    .take(4)
                    .map(|(d, why, _)| format!("{why} but driver {d} is not registered"))
                    .collect();
                hit.evidence
                    .push(format!("CSINode {node}: drivers [{}]", have.into_iter().collect::<Vec<_>>().join(", ")));
                hits.push(hit);
            }
        }
    }
    hits
}

/// Run `webhook`.
pub fn webhook(p: &Webhook, ctx: &Ctx<'_>) -> Vec<Hit> {
    let have_endpoints = !ctx.snap.objects("endpoints").is_empty();
    let have_services = !ctx.snap.objects("services").is_empty();
    let mut hits = Vec::new();
    for (resource, kind) in [
        ("validatingwebhookconfigurations.admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("mutatingwebhookconfigurations.admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ] {
        for cfg in ctx.snap.objects(resource) {
            for wh in items(cfg, "webhooks").filter(|w| p.name.0.is_match(str_at(w, "name"))) {
                let (ns, svc) = (str_at(wh, "clientConfig.service.namespace"), str_at(wh, "clientConfig.service.name"));
                if svc.is_empty() {
                    continue;
                }
                let detail = if have_services && ctx.snap.get("services", ns, svc).is_none() {
                    format!("webhook {} points to service {ns}/{svc}, which does not exist", str_at(wh, "name"))
                } else if have_endpoints {
                    let ready: usize = ctx
                        .snap
                        .get("endpoints", ns, svc)
                        .map_or(0, |ep| items(ep, "subsets").map(|s| items(s, "addresses").count()).sum());
                    if ready > 0 {
                        continue;
                    }
                    format!("webhook {} service {ns}/{svc} has no ready endpoints", str_at(wh, "name"))
                } else {
                    continue;
                };
                let name = str_at(wh, "name");
                let mut hit = Hit::new(Status::Fail, obj_ref(kind, cfg), detail.clone());
                hit.engine = Some(if name.contains("cstor") {
                    Engine::Cstor
                } else if name.contains("jiva") {
                    Engine::Jiva
                } else {
                    Engine::Legacy
                });
                hit.evidence = vec![detail, format!("failurePolicy: {}", str_at(wh, "failurePolicy"))];
                hits.push(hit);
            }
        }
    }
    hits
}

/// Run `volume-inventory`.
pub fn volume_inventory(p: &VolumeInventory, ctx: &Ctx<'_>) -> Vec<Hit> {
    match p.source {
        InventorySource::LvmLv => lvm_lv_missing(ctx),
        InventorySource::ZfsDataset => zfs_dataset_missing(ctx),
    }
}

/// Pods using the claim bound to PV `pv_name`, with their Warning FailedMount events.
fn consumers_mount_errors<'a>(ctx: &'a Ctx<'_>, pv_name: &str) -> Vec<(String, &'a crate::snapshot::EventRecord)> {
    let Some(pv) = ctx.snap.get("persistentvolumes", "", pv_name) else { return Vec::new() };
    let (cns, claim) = (str_at(pv, "spec.claimRef.namespace"), str_at(pv, "spec.claimRef.name"));
    ctx.pods
        .iter()
        .filter(|p| p.ns == cns && p.volumes.iter().any(|(c, _)| c == claim))
        .flat_map(|p| {
            ctx.events_for("Pod", p.ns, p.name)
                .iter()
                .filter(|e| e.event_type == "Warning" && e.reason == "FailedMount")
                .map(move |e| (format!("{}/{}", p.ns, p.name), *e))
        })
        .collect()
}

/// Ready ZFSVolumes whose data their node cannot show: the pool is gone from the node's ZFSNode,
/// or the mount says the dataset does not exist. (A Pending ZFSVolume never had data: other checks.)
fn zfs_dataset_missing(ctx: &Ctx<'_>) -> Vec<Hit> {
    let zfs_nodes = ctx.snap.objects("zfsnodes.zfs.openebs.io");
    let mut hits = Vec::new();
    for vol in ctx.snap.objects("zfsvolumes.zfs.openebs.io") {
        let (name, node, pool) = (meta_str(vol, "name"), str_at(vol, "spec.ownerNodeID"), str_at(vol, "spec.poolName"));
        if str_at(vol, "status.state") != "Ready" || node.is_empty() {
            continue;
        }
        let mut evidence = Vec::new();
        if let Some(zn) = zfs_nodes.iter().find(|n| meta_str(*n, "name") == node)
            && !items(zn, "pools").any(|p| str_at(p, "name") == pool)
        {
            let listed: Vec<&str> = items(zn, "pools").map(|p| str_at(p, "name")).collect();
            evidence.push(format!("ZFSNode {node} lists pools [{}], not {pool}", listed.join(", ")));
        }
        for (pod, e) in consumers_mount_errors(ctx, name) {
            if e.message.contains("dataset does not exist") {
                evidence.push(format!("pod {pod}: {}", quote_event(e)));
            }
        }
        if evidence.is_empty() {
            continue;
        }
        let mut hit = Hit::new(
            Status::Fail,
            obj_ref("ZFSVolume", vol),
            format!("Ready on node {node} in pool {pool}, but its dataset is not there"),
        );
        hit.engine = Some(Engine::Zfs);
        hit.node = Some(node.to_string());
        hit.evidence = evidence;
        hits.push(hit);
    }
    hits
}

/// The VG an LVMVolume lives in: `spec.volGroup`, else a literal `vgPattern` (`^lvmvg$`).
fn lvm_vg(vol: &FrozenValue) -> String {
    match str_at(vol, "spec.volGroup") {
        "" => str_at(vol, "spec.vgPattern").trim_start_matches('^').trim_end_matches('$').to_string(),
        vg => vg.to_string(),
    }
}

/// Ready LVMVolumes a node's LVMNode cannot account for: the VG is not listed at all, or it
/// counts fewer LVs (`lvCount`) than there are Ready volumes in it. When the count says some but
/// not which, the volumes whose pods fail to mount (or that the node plugin cannot find) are named.
fn lvm_lv_missing(ctx: &Ctx<'_>) -> Vec<Hit> {
    let lvm_nodes = ctx.snap.objects("lvmnodes.local.openebs.io");
    if lvm_nodes.is_empty() {
        return Vec::new();
    }
    let mut groups: std::collections::BTreeMap<(String, String), Vec<&FrozenValue>> = Default::default();
    for vol in ctx.snap.objects("lvmvolumes.local.openebs.io") {
        if str_at(vol, "status.state") == "Ready" && !str_at(vol, "spec.ownerNodeID").is_empty() {
            groups.entry((str_at(vol, "spec.ownerNodeID").to_string(), lvm_vg(vol))).or_default().push(vol);
        }
    }
    let mut hits = Vec::new();
    for ((node, vg), vols) in groups {
        let Some(lvm_node) = lvm_nodes.iter().find(|n| meta_str(*n, "name") == node) else { continue };
        let listed = items(lvm_node, "volumeGroups").find(|g| str_at(g, "name") == vg);
        let (inventory, missing) = match listed {
            None => (format!("LVMNode {node} lists no volume group {vg}"), vols.len()),
            Some(g) => match g.get("lvCount").and_then(FrozenValue::as_u64) {
                Some(n) if (n as usize) < vols.len() => {
                    (format!("LVMNode {node}: volume group {vg} has lvCount {n}"), vols.len() - n as usize)
                }
                _ => continue,
            },
        };
        // Per volume: what its consumers and the node plugin say.
        let plugin_lines: Vec<String> = ctx
            .pods
            .iter()
            .filter(|p| p.node == node && p.component.as_ref().is_some_and(|c| c.engine == Engine::Lvm && c.data_path))
            .flat_map(|p| {
                items(p.obj, "status.containerStatuses")
                    .flat_map(|c| super::pods::log_tail_evidence(ctx, p, str_at(c, "name")))
                    .map(|l| format!("{}/{}: {l}", p.ns, p.name))
                    .collect::<Vec<_>>()
            })
            .collect();
        let signs = |vol: &FrozenValue| -> Vec<String> {
            let name = meta_str(vol, "name");
            let mut out: Vec<String> = plugin_lines.iter().filter(|l| l.contains(name)).cloned().collect();
            if let Some(pv) = ctx.snap.get("persistentvolumes", "", name) {
                let (cns, claim) = (str_at(pv, "spec.claimRef.namespace"), str_at(pv, "spec.claimRef.name"));
                out.push(format!("PV {name} {} for claim {cns}/{claim}", text_at(pv, "status.phase")));
                for pod in ctx.pods.iter().filter(|p| p.ns == cns && p.volumes.iter().any(|(c, _)| c == claim)) {
                    for e in ctx
                        .events_for("Pod", pod.ns, pod.name)
                        .iter()
                        .filter(|e| e.event_type == "Warning" && e.reason == "FailedMount")
                        .take(1)
                    {
                        out.push(format!("pod {}/{}: {}", pod.ns, pod.name, quote_event(e)));
                    }
                }
            }
            out
        };
        let with_signs: Vec<(&FrozenValue, Vec<String>)> = vols.iter().map(|v| (*v, signs(v))).collect();
        let failing: Vec<&(&FrozenValue, Vec<String>)> =
            with_signs.iter().filter(|(_, s)| s.iter().any(|l| !l.starts_with("PV "))).collect();
        let named: Vec<&(&FrozenValue, Vec<String>)> =
            if missing < vols.len() && !failing.is_empty() { failing } else { with_signs.iter().collect() };
        for (vol, evidence) in named {
            let mut hit = Hit::new(
                Status::Fail,
                obj_ref("LVMVolume", vol),
                format!(
                    "Ready on node {node} in VG {vg}, but the node's inventory misses {missing} of {} Ready LV(s)",
                    vols.len()
                ),
            );
            hit.engine = Some(Engine::Lvm);
            hit.node = Some(node.clone());
            hit.evidence = std::iter::once(inventory.clone()).chain(evidence.iter().cloned()).collect();
            hits.push(hit);
        }
    }
    hits
}

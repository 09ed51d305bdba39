//! `volume-path`, `csi-registration`, `webhook`: from PVC to mounted volume.

use std::collections::BTreeSet;

use crate::frozen::FrozenValue;

use super::{age, human, quote_event, recent};
use crate::checks::engine::{Ctx, Hit, obj_ref, str_at};
use crate::checks::model::{CsiCheck, CsiRegistration, VolumeCheck, VolumePath, Webhook};
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
        hits.push(hit);
    }
    hits
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
        let mut pinned: Vec<&str> = Vec::new();
        for term in items(pv, "spec.nodeAffinity.required.nodeSelectorTerms") {
            for expr in items(term, "matchExpressions") {
                let key = str_at(expr, "key");
                if str_at(expr, "operator") == "In"
                    && (key == "kubernetes.io/hostname" || key.starts_with("openebs.io/node"))
                {
                    pinned.extend(items(expr, "values").filter_map(FrozenValue::as_str));
                }
            }
        }
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

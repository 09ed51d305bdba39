//! `event-pattern` and `log-pattern`: what the cluster and the containers said.

use std::collections::BTreeMap;

use serde_json::json;

use super::{clip, quote_event, quote_event_around, recent};
use crate::checks::engine::{Ctx, Hit, pod_matches};
use crate::checks::model::{EventPattern, LogPattern};
use crate::checks::{ObjectRef, Status};
use crate::inventory::{Engine, classify_pod, engine_for_pv};
use crate::snapshot::{EventRecord, ObjectRef as Ref};

/// The OpenEBS/Litmus engine an event's object belongs to, if any.
pub fn related_engine(ctx: &Ctx<'_>, o: &Ref) -> Option<Engine> {
    match o.kind.as_str() {
        "Pod" => ctx.pod(&o.namespace, &o.name).and_then(|p| p.engine()),
        "PersistentVolumeClaim" => ctx.pvc_engine.get(&(o.namespace.clone(), o.name.clone())).copied(),
        "PersistentVolume" => ctx.snap.get("persistentvolumes", "", &o.name).and_then(engine_for_pv),
        "Deployment" | "DaemonSet" | "StatefulSet" => {
            let id = match o.kind.as_str() {
                "Deployment" => "deployments.apps",
                "DaemonSet" => "daemonsets.apps",
                _ => "statefulsets.apps",
            };
            let wl = ctx.snap.get(id, &o.namespace, &o.name)?;
            let labels = wl.pointer("/spec/template/metadata/labels").cloned().unwrap_or_default();
            classify_pod(&json!({"metadata": {"name": o.name, "labels": labels}})).map(|c| c.engine)
        }
        _ => {
            // Custom resources of OpenEBS/Litmus kinds, or anything in a namespace hosting their pods.
            ctx.pods
                .iter()
                .filter(|p| p.ns == o.namespace && !o.namespace.is_empty())
                .find_map(|p| p.component.as_ref().map(|c| c.engine))
        }
    }
}

/// Run `event-pattern`.
pub fn event_pattern(p: &EventPattern, ctx: &Ctx<'_>) -> Vec<Hit> {
    let within = p.within.map(|d| d.0);
    let mut by_object: BTreeMap<ObjectRef, Vec<&EventRecord>> = BTreeMap::new();
    for e in ctx.snap.events() {
        if (!p.reasons.is_empty() && !p.reasons.contains(&e.reason))
            || (!p.kinds.is_empty() && !p.kinds.contains(&e.involved_object.kind))
            || p.event_type.as_ref().is_some_and(|t| t != &e.event_type)
            || p.message_regex.as_ref().is_some_and(|re| !re.0.is_match(&e.message))
            || !recent(ctx, e, within)
        {
            continue;
        }
        let key = ObjectRef { uid: String::new(), ..e.involved_object.clone() };
        by_object.entry(key).or_default().push(e);
    }
    let mut hits = Vec::new();
    for (object, mut events) in by_object {
        let engine = related_engine(ctx, &object);
        if p.openebs_related && engine.is_none_or(|e| e == Engine::Litmus) {
            continue;
        }
        let total: u64 = events.iter().map(|e| e.occurrences()).sum();
        if total < p.min_count.unwrap_or(1) {
            continue;
        }
        events.sort_by_key(|e| std::cmp::Reverse(e.last_seen()));
        let mut evidence: Vec<String> = Vec::new();
        for e in &events {
            let q = match &p.message_regex {
                Some(re) => quote_event_around(e, &re.0),
                None => quote_event(e),
            };
            if evidence.len() < 3 && !evidence.iter().any(|x| x.ends_with(&e.message)) {
                evidence.push(q);
            }
        }
        let detail = match p.message_regex.as_ref().and_then(|re| re.0.find(&events[0].message)) {
            Some(m) if events[0].message.len() > 300 => {
                let mut start = m.start().saturating_sub(80);
                while !events[0].message.is_char_boundary(start) {
                    start -= 1;
                }
                clip(&format!("{} (x{total}): …{}", events[0].reason, &events[0].message[start..]))
            }
            _ => clip(&format!("{} (x{total}): {}", events[0].reason, events[0].message)),
        };
        // A mount/attach failure: say what the pod's node lacks for its volume.
        if object.kind == "Pod"
            && events
                .iter()
                .any(|e| matches!(e.reason.as_str(), "FailedMount" | "FailedAttachVolume" | "FailedMapVolume"))
            && let Some(pod) = ctx.pod(&object.namespace, &object.name)
            && let Some(vol_engine) = pod.volume_engine()
            && !pod.node.is_empty()
        {
            let text: String = events.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("\n");
            evidence.extend(super::volumes::node_lacks(ctx, pod.node, vol_engine, &text));
        }
        let mut hit = Hit::new(Status::Fail, object, detail);
        hit.engine = engine;
        hit.evidence = evidence;
        hits.push(hit);
    }
    hits
}

/// Run `log-pattern`: hits come from the snapshot's log scan under this check's id.
pub fn log_pattern(p: &LogPattern, check_id: &str, ctx: &Ctx<'_>) -> Vec<Hit> {
    // (namespace, pod) → (count, evidence)
    let mut by_pod: BTreeMap<(String, String), (u64, Vec<String>)> = BTreeMap::new();
    for (key, hits) in ctx.snap.all_log_hits() {
        if !p.containers.is_empty() && !p.containers.contains(&key.container) {
            continue;
        }
        let Some(hit) = hits.iter().find(|h| h.pattern == check_id) else { continue };
        let selected = match ctx.pod(&key.namespace, &key.pod) {
            Some(pod) => pod_matches(&p.select, pod),
            // The pod is gone (helper pods are deleted quickly); judge by name only.
            None => {
                p.select.engines.is_empty()
                    && p.select.components.is_empty()
                    && !p.select.app_pods
                    && p.select.name.as_ref().is_none_or(|re| re.0.is_match(&key.pod))
            }
        };
        if !selected {
            continue;
        }
        let entry = by_pod.entry((key.namespace.clone(), key.pod.clone())).or_default();
        entry.0 += hit.count;
        let which = if key.previous { format!("{} (previous)", key.container) } else { key.container.clone() };
        entry.1.push(clip(&format!("{which}: {} matching line(s); first: «{}»", hit.count, hit.first)));
        if hit.count > 1 && hit.last != hit.first {
            entry.1.push(clip(&format!("{which}: last: «{}»", hit.last)));
        }
    }
    let mut out = Vec::new();
    for ((ns, pod), (count, evidence)) in by_pod {
        if count < p.min_count.unwrap_or(1) {
            continue;
        }
        let info = ctx.pod(&ns, &pod);
        let object = info.map(|i| i.object()).unwrap_or(ObjectRef {
            kind: "Pod".into(),
            namespace: ns.clone(),
            name: pod.clone(),
            uid: String::new(),
        });
        let quoted = evidence
            .first()
            .and_then(|e| e.split('«').nth(1))
            .map(|s| s.trim_end_matches('»').to_string())
            .unwrap_or_default();
        let mut hit = Hit::new(Status::Fail, object, clip(&format!("{count} log line(s) like «{quoted}»")));
        hit.engine = info.and_then(|i| i.engine());
        hit.evidence = evidence;
        out.push(hit);
    }
    out
}

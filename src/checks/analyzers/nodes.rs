//! `node-conditions` and `node-report` (the agent's NodeReports).

use crate::frozen::FrozenValue;
use chrono::Duration;

use super::{quote_event, recent, text_at, time_at};
use crate::checks::engine::{Ctx, Hit, str_at};
use crate::checks::model::{NodeCheck, NodeConditions, NodeReportParams, NodeScope};
use crate::checks::{ObjectRef, Status};
use crate::inventory::Engine;
use crate::snapshot::{meta_str, path};

fn node_ref(name: &str) -> ObjectRef {
    ObjectRef { kind: "Node".into(), name: name.into(), ..Default::default() }
}

/// The engine of the first data-path pod on a node.
fn node_engine(ctx: &Ctx<'_>, node: &str) -> Option<Engine> {
    ctx.pods
        .iter()
        .filter(|p| p.node == node)
        .find_map(|p| p.component.as_ref().filter(|c| c.data_path).map(|c| c.engine))
}

/// Run `node-conditions`.
pub fn node_conditions(p: &NodeConditions, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for node in ctx.snap.objects("nodes") {
        let name = meta_str(node, "name");
        let storage = ctx.storage_nodes.contains(name);
        match p.nodes {
            NodeScope::Storage if !storage => continue,
            NodeScope::NonStorage if storage => continue,
            _ => {}
        }
        let conditions: Vec<&FrozenValue> = path(node, "status.conditions")
            .and_then(FrozenValue::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let cond = |t: &str| conditions.iter().find(|c| str_at(c, "type") == t).copied();
        let describe = |c: &FrozenValue| {
            format!(
                "{}={} since {} ({}: {})",
                str_at(c, "type"),
                str_at(c, "status"),
                str_at(c, "lastTransitionTime"),
                str_at(c, "reason"),
                str_at(c, "message")
            )
        };
        let hit = match p.condition {
            NodeCheck::NotReady => match cond("Ready") {
                Some(c) if str_at(c, "status") != "True" => {
                    let mut h = Hit::new(
                        Status::Fail,
                        node_ref(name),
                        format!("Ready is {} ({})", str_at(c, "status"), str_at(c, "reason")),
                    );
                    h.evidence = vec![describe(c)];
                    Some(h)
                }
                _ => None,
            },
            NodeCheck::Pressure => {
                let pressed: Vec<&FrozenValue> = ["MemoryPressure", "DiskPressure", "PIDPressure"]
                    .iter()
                    .filter_map(|t| cond(t))
                    .filter(|c| str_at(c, "status") == "True")
                    .collect();
                (!pressed.is_empty()).then(|| {
                    let names: Vec<&str> = pressed.iter().map(|c| str_at(c, "type")).collect();
                    let mut h = Hit::new(Status::Warn, node_ref(name), names.join(", "));
                    h.evidence = pressed.iter().map(|c| describe(c)).collect();
                    h
                })
            }
            NodeCheck::Flapping => {
                let within = p.within.map_or(Duration::hours(24), |d| d.0);
                let events: Vec<_> = ctx
                    .events_for("Node", "", name)
                    .iter()
                    .filter(|e| {
                        matches!(e.reason.as_str(), "NodeNotReady" | "Rebooted" | "NodeNotSchedulable" | "SystemOOM")
                    })
                    .filter(|e| recent(ctx, e, Some(within)))
                    .collect();
                let mut transitions: u64 =
                    events.iter().filter(|e| e.reason != "NodeNotSchedulable").map(|e| e.occurrences()).sum();
                let ready_changed =
                    cond("Ready").and_then(|c| time_at(c, "lastTransitionTime")).is_some_and(|t| ctx.now - t <= within);
                if ready_changed && events.is_empty() {
                    transitions += 1;
                }
                (transitions >= p.min_transitions.unwrap_or(2)).then(|| {
                    let mut h = Hit::new(
                        Status::Fail,
                        node_ref(name),
                        format!("{transitions} NotReady transitions/reboots within {}", super::human(within)),
                    );
                    h.evidence = events.iter().take(4).map(|e| quote_event(e)).collect();
                    if let Some(c) = cond("Ready") {
                        h.evidence.push(describe(c));
                    }
                    h
                })
            }
        };
        if let Some(mut h) = hit {
            h.engine = node_engine(ctx, name);
            hits.push(h);
        }
    }
    hits
}

fn prefix_match<'a, T>(map: impl Iterator<Item = (&'a String, T)>, id: &str) -> Option<T> {
    map.filter(|(k, _)| id.starts_with(k.as_str())).max_by_key(|(k, _)| k.len()).map(|(_, v)| v)
}

/// Run `node-report`.
pub fn node_report(p: &NodeReportParams, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for report in ctx.snap.node_reports() {
        let node = Some(str_at(report, "spec.nodeName")).filter(|s| !s.is_empty()).unwrap_or(meta_str(report, "name"));
        for probe in path(report, "status.probes").and_then(FrozenValue::as_array).into_iter().flatten() {
            let status = match str_at(probe, "status") {
                "fail" => Status::Fail,
                "warn" | "error" => Status::Warn,
                _ => continue,
            };
            let id = str_at(probe, "id");
            let mut hit = Hit::new(status, node_ref(node), format!("probe {id}: {}", str_at(probe, "message")));
            hit.engine = match str_at(probe, "engine") {
                // The agent's iSCSI family serves cStor and Jiva; attribute it to the one installed.
                "iscsi"
                    if ctx.pods.iter().any(|p| p.component.as_ref().is_some_and(|c| c.engine == Engine::Jiva))
                        && !ctx
                            .pods
                            .iter()
                            .any(|p| p.component.as_ref().is_some_and(|c| c.engine == Engine::Cstor)) =>
                {
                    Some(Engine::Jiva)
                }
                "iscsi" => Some(Engine::Cstor),
                other => Engine::from_id(other),
            };
            hit.sev = if status == Status::Fail { prefix_match(p.probe_sev.iter(), id).copied() } else { None };
            hit.evidence = path(probe, "evidence")
                .and_then(FrozenValue::as_array)
                .into_iter()
                .flatten()
                .map(|e| format!("{}: {}", text_at(e, "file"), text_at(e, "value")))
                .collect();
            let last_run = text_at(report, "status.lastRun");
            if !last_run.is_empty() {
                hit.evidence.push(format!("NodeReport {node} lastRun {last_run}"));
            }
            for esc in p.escalate.iter().filter(|e| e.probes.iter().any(|pr| id.starts_with(pr.as_str()))) {
                let seen = ctx.pods.iter().filter(|pod| pod.node == node).find_map(|pod| {
                    ctx.events_for("Pod", pod.ns, pod.name)
                        .iter()
                        .find(|e| {
                            esc.event_reasons.contains(&e.reason)
                                && esc.message_regex.as_ref().is_none_or(|re| re.0.is_match(&e.message))
                        })
                        .map(|e| (pod.name, quote_event(e)))
                });
                if let Some((pod, quoted)) = seen {
                    let current = hit.sev.unwrap_or(3);
                    hit.sev = Some(current.min(esc.sev));
                    hit.status = Status::Fail;
                    hit.evidence.push(format!("pod {pod} on this node: {quoted}"));
                }
            }
            hits.push(hit);
        }
    }
    hits
}

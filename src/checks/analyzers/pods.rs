//! `pod-health` and `workload-ready`.

use chrono::Duration;
use serde_json::{Value, json};

use crate::frozen::FrozenValue;

use super::{age, human, quote_event, text_at, time_at};
use crate::checks::Status;
use crate::checks::engine::{Ctx, Hit, PodInfo, component_matches, obj_ref, pod_matches, str_at};
use crate::checks::model::{PodCondition, PodHealth, WorkloadReady};
use crate::inventory::classify_pod;
use crate::snapshot::{LogKey, path};

struct Container<'v> {
    name: &'v str,
    init: bool,
    cs: &'v FrozenValue,
}

fn containers<'v>(pod: &'v FrozenValue) -> Vec<Container<'v>> {
    let mut out = Vec::new();
    for (field, init) in [("status.initContainerStatuses", true), ("status.containerStatuses", false)] {
        for cs in path(pod, field).and_then(FrozenValue::as_array).into_iter().flatten() {
            out.push(Container { name: str_at(cs, "name"), init, cs });
        }
    }
    out
}

fn label(c: &Container<'_>) -> String {
    if c.init { format!("init container {}", c.name) } else { format!("container {}", c.name) }
}

fn restarts(c: &Container<'_>) -> u64 {
    c.cs.get("restartCount").and_then(FrozenValue::as_u64).unwrap_or(0)
}

/// `last exit code 132 (Error) at …` from `lastState`/`state`.
fn termination(c: &Container<'_>) -> Option<(i64, String, String)> {
    ["lastState.terminated", "state.terminated"].iter().find_map(|f| {
        let t = path(c.cs, f)?;
        Some((
            t.get("exitCode").and_then(FrozenValue::as_i64).unwrap_or(0),
            text_at(t, "reason"),
            text_at(t, "finishedAt"),
        ))
    })
}

fn describe(c: &Container<'_>) -> String {
    let waiting = text_at(c.cs, "state.waiting.reason");
    let mut s =
        format!("{}: {}", label(c), if waiting.is_empty() { "running/terminated".to_string() } else { waiting });
    s.push_str(&format!(", {} restarts", restarts(c)));
    if let Some((code, reason, at)) = termination(c) {
        s.push_str(&format!(", last exit code {code}"));
        if !reason.is_empty() {
            s.push_str(&format!(" ({reason})"));
        }
        if !at.is_empty() {
            s.push_str(&format!(" at {at}"));
        }
    }
    let msg = text_at(c.cs, "state.waiting.message");
    if !msg.is_empty() {
        s.push_str(&format!(": {msg}"));
    }
    super::clip(&s)
}

/// The last error-level lines of a container's log, quoted: the previous instance's log first
/// (why it died), else the current one (a container that failed without restarting).
pub fn log_tail_evidence(ctx: &Ctx<'_>, pod: &PodInfo<'_>, container: &str) -> Vec<String> {
    for previous in [true, false] {
        let key = LogKey {
            namespace: pod.ns.to_string(),
            pod: pod.name.to_string(),
            container: container.to_string(),
            previous,
        };
        let tail = ctx.snap.error_tail(&key);
        if !tail.is_empty() {
            let which = if previous { "previous log" } else { "log" };
            return tail.iter().map(|l| super::clip(&format!("container {container}, {which}: «{l}»"))).collect();
        }
    }
    Vec::new()
}

/// The lines of a pod's logs that matched the given log-pattern checks, quoted.
fn log_hits_of(ctx: &Ctx<'_>, pod: &PodInfo<'_>, checks: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (key, hits) in ctx.snap.all_log_hits().iter().filter(|(k, _)| k.namespace == pod.ns && k.pod == pod.name) {
        for h in hits.iter().filter(|h| checks.contains(&h.pattern)) {
            let which = if key.previous { "previous log" } else { "log" };
            out.push(super::clip(&format!(
                "container {}, {which}: {} line(s) like «{}» ({})",
                key.container, h.count, h.last, h.pattern
            )));
        }
    }
    out
}

fn with_tail(ctx: &Ctx<'_>, pod: &PodInfo<'_>, c: &Container<'_>) -> Vec<String> {
    std::iter::once(describe(c)).chain(log_tail_evidence(ctx, pod, c.name)).collect()
}

fn is_scheduled(pod: &FrozenValue) -> bool {
    let cond = path(pod, "status.conditions")
        .and_then(FrozenValue::as_array)
        .and_then(|cs| cs.iter().find(|c| str_at(c, "type") == "PodScheduled"));
    match cond {
        Some(c) => str_at(c, "status") == "True",
        None => !str_at(pod, "spec.nodeName").is_empty(),
    }
}

/// Run `pod-health`.
pub fn pod_health(p: &PodHealth, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for pod in ctx.pods.iter().filter(|pod| pod_matches(&p.select, pod)) {
        if let Some(mut hit) = check_pod(p, ctx, pod) {
            if !p.with_log_hits.is_empty() {
                let said = log_hits_of(ctx, pod, &p.with_log_hits);
                if said.is_empty() {
                    continue;
                }
                hit.evidence.extend(said);
            }
            if p.warn_only {
                hit.status = Status::Warn;
            }
            hit.engine = pod.engine();
            if !pod.node.is_empty() {
                hit.node = Some(pod.node.to_string());
            }
            hits.push(hit);
        }
    }
    hits
}

fn check_pod(p: &PodHealth, ctx: &Ctx<'_>, pod: &PodInfo<'_>) -> Option<Hit> {
    let cs = containers(pod.obj);
    let phase = str_at(pod.obj, "status.phase");
    let min_age = p.min_age.map_or(Duration::minutes(5), |d| d.0);
    let hit = |status, detail: String, evidence: Vec<String>| {
        let mut h = Hit::new(status, pod.object(), detail);
        h.evidence = evidence;
        Some(h)
    };
    match p.condition {
        PodCondition::Crashloop => {
            let bad: Vec<&Container<'_>> = cs
                .iter()
                .filter(|c| {
                    text_at(c.cs, "state.waiting.reason") == "CrashLoopBackOff"
                        || (restarts(c) > 0 && text_at(c.cs, "state.terminated.reason") == "Error")
                })
                .collect();
            let first = bad.first()?;
            let mut evidence: Vec<String> = bad.iter().map(|c| describe(c)).collect();
            for c in &bad {
                evidence.extend(log_tail_evidence(ctx, pod, c.name));
            }
            hit(Status::Fail, format!("{} is crash-looping ({} restarts)", label(first), restarts(first)), evidence)
        }
        PodCondition::OomKilled => {
            let c = cs.iter().find(|c| termination(c).is_some_and(|(_, r, _)| r == "OOMKilled"))?;
            hit(Status::Fail, format!("{} was OOMKilled ({} restarts)", label(c), restarts(c)), with_tail(ctx, pod, c))
        }
        PodCondition::ImagePull => {
            let c = cs.iter().find(|c| {
                matches!(
                    text_at(c.cs, "state.waiting.reason").as_str(),
                    "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "ErrImageNeverPull"
                )
            })?;
            let image = text_at(c.cs, "image");
            hit(Status::Fail, format!("{} cannot pull image {image}", label(c)), vec![describe(c)])
        }
        PodCondition::ExitCode => {
            let c = cs.iter().find(|c| termination(c).is_some_and(|(code, _, _)| p.exit_codes.contains(&code)))?;
            let code = termination(c).map_or(0, |t| t.0);
            hit(Status::Fail, format!("{} exited with code {code}", label(c)), with_tail(ctx, pod, c))
        }
        PodCondition::Restarts => {
            let min = p.min_restarts.unwrap_or(5);
            let within = p.within.map_or(Duration::hours(1), |d| d.0);
            let c = cs.iter().find(|c| {
                restarts(c) >= min
                    && time_at(c.cs, "lastState.terminated.finishedAt").is_some_and(|t| ctx.now - t <= within)
            })?;
            hit(
                Status::Warn,
                format!("{} restarted {} times, last within {}", label(c), restarts(c), human(within)),
                with_tail(ctx, pod, c),
            )
        }
        PodCondition::Pending => {
            if phase != "Pending" || is_scheduled(pod.obj) || age(ctx, pod.obj).is_none_or(|a| a < min_age) {
                return None;
            }
            let events: Vec<_> =
                ctx.events_for("Pod", pod.ns, pod.name).iter().filter(|e| e.reason == "FailedScheduling").collect();
            let reason = events.iter().max_by_key(|e| e.last_seen()).map(|e| e.message.clone()).unwrap_or_default();
            if p.scheduler_reason.as_ref().is_some_and(|re| !re.0.is_match(&reason)) {
                return None;
            }
            let waited = age(ctx, pod.obj).map(human).unwrap_or_default();
            let detail = if reason.is_empty() {
                format!("Pending for {waited}, not scheduled")
            } else {
                format!("Pending for {waited}: {reason}")
            };
            hit(Status::Fail, super::clip(&detail), events.iter().map(|e| quote_event(e)).collect())
        }
        PodCondition::InitStuck => {
            if phase != "Pending" || age(ctx, pod.obj).is_none_or(|a| a < min_age) {
                return None;
            }
            let c = cs.iter().find(|c| {
                c.init
                    && p.init_container.as_ref().is_none_or(|re| re.0.is_match(c.name))
                    && (path(c.cs, "state.running").is_some() || path(c.cs, "state.waiting").is_some())
            })?;
            let waited = age(ctx, pod.obj).map(human).unwrap_or_default();
            let since = text_at(c.cs, "state.running.startedAt");
            let mut ev = vec![describe(c)];
            if !since.is_empty() {
                ev.push(format!("{} running since {since}", label(c)));
            }
            hit(Status::Fail, format!("stuck in {} for {waited}", label(c)), ev)
        }
        PodCondition::Failed => {
            let c = cs.iter().find(|c| {
                restarts(c) == 0
                    && path(c.cs, "state.terminated")
                        .is_some_and(|t| t.get("exitCode").and_then(FrozenValue::as_i64).unwrap_or(0) != 0)
            });
            match c {
                Some(c) => hit(Status::Fail, format!("{} failed", label(c)), with_tail(ctx, pod, c)),
                None if phase == "Failed" => hit(
                    Status::Fail,
                    format!("pod Failed: {}", text_at(pod.obj, "status.reason")),
                    vec![text_at(pod.obj, "status.message")],
                ),
                None => None,
            }
        }
    }
}

fn template_identity(wl: &FrozenValue) -> Value {
    json!({"metadata": {"name": str_at(wl, "metadata.name"), "labels": path(wl, "spec.template.metadata.labels").map(FrozenValue::to_json).unwrap_or(Value::Null)}})
}

fn num(v: &FrozenValue, dotted: &str) -> i64 {
    path(v, dotted).and_then(FrozenValue::as_i64).unwrap_or(0)
}

/// Run `workload-ready`.
pub fn workload_ready(p: &WorkloadReady, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (resource, kind) in
        [("deployments.apps", "Deployment"), ("statefulsets.apps", "StatefulSet"), ("daemonsets.apps", "DaemonSet")]
    {
        for wl in ctx.snap.objects(resource) {
            let identity = template_identity(wl);
            let comp = classify_pod(&identity);
            if !component_matches(&p.select, comp.as_ref(), str_at(wl, "metadata.name")) {
                continue;
            }
            let (desired, ready, scheduled) = if kind == "DaemonSet" {
                (
                    num(wl, "status.desiredNumberScheduled"),
                    num(wl, "status.numberReady"),
                    num(wl, "status.currentNumberScheduled"),
                )
            } else {
                let desired = path(wl, "spec.replicas").and_then(FrozenValue::as_i64).unwrap_or(1);
                (desired, num(wl, "status.readyReplicas"), desired)
            };
            let mut evidence = Vec::new();
            let eligible = if kind == "DaemonSet" { eligible_nodes(ctx, wl) } else { None };
            let mut status = Status::Fail;
            let detail = if scheduled < desired {
                format!("only {scheduled} of {desired} pods could be created/scheduled, {ready} ready")
            } else if ready < desired {
                format!("{ready}/{desired} ready")
            } else if let Some((eligible, total)) = eligible.filter(|(e, _)| *e > desired) {
                // The DaemonSet controller places fewer pods than nodes its selector and
                // tolerations admit: stale status, or nodes it cannot see.
                if desired > 0 {
                    status = Status::Warn;
                }
                format!("scheduled on {desired} of {eligible} eligible nodes ({total} nodes)")
            } else if desired == 0 && eligible.is_some_and(|(_, total)| total > 0) {
                let selector =
                    path(wl, "spec.template.spec.nodeSelector").map(FrozenValue::to_string).unwrap_or_default();
                format!("runs on no node: its nodeSelector {selector} and tolerations admit none of the nodes")
            } else {
                continue;
            };
            evidence.push(format!(
                "{kind} {}: desired {desired}, scheduled {scheduled}, ready {ready}",
                str_at(wl, "metadata.name")
            ));
            for e in ctx
                .events_for(kind, str_at(wl, "metadata.namespace"), str_at(wl, "metadata.name"))
                .iter()
                .filter(|e| e.event_type == "Warning")
                .take(3)
            {
                evidence.push(quote_event(e));
            }
            // The pods behind the shortfall, and their node when they share one.
            let template = path(wl, "spec.template.metadata.labels").and_then(FrozenValue::as_object);
            let unready: Vec<&PodInfo<'_>> = ctx
                .pods
                .iter()
                .filter(|p| p.ns == str_at(wl, "metadata.namespace") && str_at(p.obj, "status.phase") != "Succeeded")
                .filter(|p| {
                    template.is_some_and(|t| {
                        !t.is_empty()
                            && t.iter().all(|(k, v)| {
                                p.obj.get("metadata").and_then(|m| m.get("labels")).and_then(|l| l.get(k)) == Some(v)
                            })
                    })
                })
                .filter(|p| {
                    path(p.obj, "status.containerStatuses").and_then(FrozenValue::as_array).is_none_or(|cs| {
                        cs.iter().any(|c| !c.get("ready").and_then(FrozenValue::as_bool).unwrap_or(false))
                    })
                })
                .collect();
            for p in unready.iter().take(3) {
                let on = if p.node.is_empty() { "not scheduled".to_string() } else { format!("on node {}", p.node) };
                evidence.push(format!("not ready: pod {}/{} {on}", p.ns, p.name));
            }
            let mut hit = Hit::new(status, obj_ref(kind, wl), detail);
            hit.engine = comp.map(|c| c.engine);
            hit.evidence = evidence;
            let nodes: std::collections::BTreeSet<&str> = unready.iter().map(|p| p.node).collect();
            if nodes.len() == 1 {
                hit.node = nodes.into_iter().next().filter(|n| !n.is_empty()).map(str::to_string);
            }
            hits.push(hit);
        }
    }
    hits
}

/// (nodes a DaemonSet's nodeSelector and tolerations admit, all nodes), when nodes were collected.
fn eligible_nodes(ctx: &Ctx<'_>, ds: &FrozenValue) -> Option<(i64, i64)> {
    let nodes = ctx.snap.objects("nodes");
    if nodes.is_empty() {
        return None;
    }
    let selector = path(ds, "spec.template.spec.nodeSelector").and_then(FrozenValue::as_object);
    let tolerations: Vec<&FrozenValue> = path(ds, "spec.template.spec.tolerations")
        .and_then(FrozenValue::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let tolerated = |taint: &FrozenValue| {
        tolerations.iter().any(|t| {
            let key_ok = match str_at(t, "key") {
                "" => str_at(t, "operator") == "Exists",
                k => k == str_at(taint, "key"),
            };
            let value_ok = str_at(t, "operator") == "Exists" || str_at(t, "value") == str_at(taint, "value");
            let effect_ok = str_at(t, "effect").is_empty() || str_at(t, "effect") == str_at(taint, "effect");
            key_ok && value_ok && effect_ok
        })
    };
    let eligible = nodes
        .iter()
        .filter(|n| {
            selector.is_none_or(|sel| {
                sel.iter()
                    .all(|(k, v)| n.get("metadata").and_then(|m| m.get("labels")).and_then(|l| l.get(k)) == Some(v))
            })
        })
        .filter(|n| {
            path(*n, "spec.taints")
                .and_then(FrozenValue::as_array)
                .into_iter()
                .flatten()
                .all(|taint| !matches!(str_at(taint, "effect"), "NoSchedule" | "NoExecute") || tolerated(taint))
        })
        .count();
    Some((eligible as i64, nodes.len() as i64))
}

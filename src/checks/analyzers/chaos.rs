//! `chaos`: Litmus runs that never started (no runner pod) and faults left in place after a run
//! (not reverted), judged by what they did to their target workloads.

use chrono::Duration;

use crate::frozen::FrozenValue;

use super::pods::log_tail_evidence;
use super::{age, clip, human, quote_event, text_at};
use crate::checks::Status;
use crate::checks::engine::{Ctx, Hit, PodInfo, obj_ref, str_at};
use crate::checks::model::{Chaos, ChaosCheck};
use crate::inventory::Engine;
use crate::snapshot::{meta_str, path};

const ENGINES: &str = "chaosengines.litmuschaos.io";
const RESULTS: &str = "chaosresults.litmuschaos.io";

/// Run `chaos`.
pub fn chaos(p: &Chaos, ctx: &Ctx<'_>) -> Vec<Hit> {
    match p.check {
        ChaosCheck::EngineNoRunner => engine_no_runner(p, ctx),
        ChaosCheck::NotReverted => not_reverted(p, ctx),
    }
}

fn label<'v>(obj: &'v FrozenValue, key: &str) -> Option<&'v str> {
    obj.get("metadata").and_then(|m| m.get("labels")).and_then(|l| l.get(key)).and_then(FrozenValue::as_str)
}

fn engine_no_runner(p: &Chaos, ctx: &Ctx<'_>) -> Vec<Hit> {
    let min_age = p.min_age.map_or(Duration::minutes(5), |d| d.0);
    let mut hits = Vec::new();
    for eng in ctx.snap.objects(ENGINES) {
        let (state, status) = (str_at(eng, "spec.engineState"), str_at(eng, "status.engineStatus"));
        if !matches!(state, "" | "active") || !matches!(status, "" | "initialized") {
            continue;
        }
        let Some(waited) = age(ctx, eng).filter(|a| *a >= min_age) else { continue };
        let (ns, name, uid) = (meta_str(eng, "namespace"), meta_str(eng, "name"), meta_str(eng, "uid"));
        let runner = format!("{name}-runner");
        let has_runner = ctx.pods.iter().any(|pod| {
            pod.ns == ns
                && (pod.name == runner
                    || (!uid.is_empty() && label(pod.obj, "chaosUID") == Some(uid))
                    || pod.component.as_ref().is_some_and(|c| c.name == "chaos-runner") && pod.name.starts_with(name))
        });
        if has_runner {
            continue;
        }
        let shown = if status.is_empty() { "<empty>" } else { status };
        let mut hit = Hit::new(
            Status::Fail,
            obj_ref("ChaosEngine", eng),
            format!("engineStatus {shown} for {} and no runner pod {runner}", human(waited)),
        );
        hit.engine = Some(Engine::Litmus);
        hit.evidence.push(format!(
            "ChaosEngine {ns}/{name}: engineState {}, engineStatus {shown}, experiments [{}], chaosServiceAccount {}",
            if state.is_empty() { "<empty>" } else { state },
            path(eng, "spec.experiments")
                .and_then(FrozenValue::as_array)
                .into_iter()
                .flatten()
                .map(|e| str_at(e, "name"))
                .collect::<Vec<_>>()
                .join(", "),
            text_at(eng, "spec.chaosServiceAccount"),
        ));
        hit.evidence.extend(
            ctx.events_for("ChaosEngine", ns, name)
                .iter()
                .filter(|e| e.event_type == "Warning")
                .take(3)
                .map(|e| quote_event(e)),
        );
        // The operator says why it could not create the runner: its error lines about this engine.
        for op in ctx.pods.iter().filter(|pod| pod.component.as_ref().is_some_and(|c| c.name == "chaos-operator")) {
            let lines: Vec<String> = op
                .obj
                .pointer("/status/containerStatuses")
                .and_then(FrozenValue::as_array)
                .into_iter()
                .flatten()
                .flat_map(|c| log_tail_evidence(ctx, op, str_at(c, "name")))
                .collect();
            let about: Vec<String> = lines.iter().filter(|l| l.contains(name)).cloned().collect();
            let chosen = if about.is_empty() { lines } else { about };
            hit.evidence.extend(chosen.into_iter().map(|l| format!("{}/{}: {l}", op.ns, op.name)));
        }
        hits.push(hit);
    }
    hits
}

/// `app=web,tier=front` → pairs; set-based selectors are not followed.
fn selector(s: &str) -> Vec<(&str, &str)> {
    s.split(',')
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.trim(), v.trim_start_matches('=').trim())))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// Crash-looping, failed, pending or not ready: a one-line description, else `None`.
fn degraded(pod: &PodInfo<'_>) -> Option<String> {
    let phase = str_at(pod.obj, "status.phase");
    let statuses: Vec<&FrozenValue> =
        pod.obj.pointer("/status/containerStatuses").and_then(FrozenValue::as_array).into_iter().flatten().collect();
    let bad = statuses.iter().find(|c| {
        !c.get("ready").and_then(FrozenValue::as_bool).unwrap_or(false)
            || !text_at(c, "state.waiting.reason").is_empty()
    });
    if phase == "Succeeded" || (phase == "Running" && bad.is_none()) {
        return None;
    }
    let what = match bad {
        Some(c) => format!(
            "container {} {} ({} restarts)",
            str_at(c, "name"),
            match text_at(c, "state.waiting.reason") {
                w if w.is_empty() => "not ready".to_string(),
                w => w,
            },
            c.get("restartCount").and_then(FrozenValue::as_u64).unwrap_or(0)
        ),
        None => format!("phase {phase}"),
    };
    Some(format!("pod {}/{} on node {}: {what}", pod.ns, pod.name, pod.node))
}

fn not_reverted(p: &Chaos, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for res in ctx.snap.objects(RESULTS) {
        let ns = meta_str(res, "namespace");
        let phase = str_at(res, "status.experimentStatus.phase");
        if matches!(phase, "" | "Running" | "Awaited") {
            continue; // during a run an injected fault is the point
        }
        let code = str_at(res, "status.experimentStatus.errorOutput.errorCode");
        let fail_step = str_at(res, "status.experimentStatus.failStep");
        let targets: Vec<&FrozenValue> =
            path(res, "status.history.targets").and_then(FrozenValue::as_array).into_iter().flatten().collect();
        let injected: Vec<&str> =
            targets.iter().filter(|t| str_at(t, "chaosStatus") == "injected").map(|t| str_at(t, "name")).collect();
        let revert_error = code == "CHAOS_REVERT_ERROR" || fail_step.to_lowercase().contains("revert");
        if injected.is_empty() && !revert_error {
            continue;
        }
        // Target pods: those still marked injected, and those the engine's appinfo selects.
        let engine = ctx.snap.get(ENGINES, ns, str_at(res, "spec.engine"));
        let app_ns = engine.map(|e| str_at(e, "spec.appinfo.appns")).filter(|s| !s.is_empty()).unwrap_or(ns);
        let app_sel = engine.map(|e| selector(str_at(e, "spec.appinfo.applabel"))).unwrap_or_default();
        let targeted: Vec<&PodInfo<'_>> = ctx
            .pods
            .iter()
            .filter(|pod| pod.component.is_none())
            .filter(|pod| {
                (pod.ns == app_ns && injected.contains(&pod.name))
                    || (pod.ns == app_ns
                        && !app_sel.is_empty()
                        && app_sel.iter().all(|(k, v)| label(pod.obj, k) == Some(*v)))
            })
            .collect();
        let hurt: Vec<(&PodInfo<'_>, String)> =
            targeted.iter().filter_map(|pod| degraded(pod).map(|d| (*pod, d))).collect();
        let status = if hurt.is_empty() { Status::Warn } else { Status::Fail };
        let why = if injected.is_empty() {
            format!("revert failed ({})", if code.is_empty() { fail_step } else { code })
        } else {
            format!("fault still injected in {}", injected.join(", "))
        };
        let detail = if hurt.is_empty() {
            format!("{why} after the run ended; its targets look healthy")
        } else {
            format!("{why} after the run ended, and {} target pod(s) are degraded", hurt.len())
        };
        let mut hit = Hit::new(status, obj_ref("ChaosResult", res), clip(&detail));
        hit.engine = Some(Engine::Litmus);
        if status == Status::Fail {
            hit.sev = p.degraded_sev;
            hit.rubric = p.degraded_rubric.clone();
        }
        hit.node = hurt
            .first()
            .map(|(pod, _)| pod.node)
            .or_else(|| targeted.first().map(|pod| pod.node))
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        hit.evidence.push(clip(&format!(
            "ChaosResult {ns}/{}: phase {phase}, verdict {}{}{}",
            meta_str(res, "name"),
            str_at(res, "status.experimentStatus.verdict"),
            if fail_step.is_empty() { String::new() } else { format!(", failStep: {fail_step}") },
            if code.is_empty() {
                String::new()
            } else {
                format!(", errorCode {code}: {}", str_at(res, "status.experimentStatus.errorOutput.reason"))
            },
        )));
        for t in targets.iter().filter(|t| str_at(t, "chaosStatus") == "injected") {
            hit.evidence.push(format!("target {} {}: chaosStatus injected", str_at(t, "kind"), str_at(t, "name")));
        }
        for (pod, d) in hurt.iter().take(3) {
            hit.evidence.push(d.clone());
            let first =
                pod.obj.pointer("/status/containerStatuses/0/name").and_then(FrozenValue::as_str).unwrap_or_default();
            hit.evidence.extend(log_tail_evidence(ctx, pod, first).into_iter().take(2));
        }
        // The helper that should have reverted it says why it could not.
        let experiment = str_at(res, "spec.experiment");
        for helper in ctx.pods.iter().filter(|pod| {
            pod.ns == ns && !experiment.is_empty() && pod.name.starts_with(&format!("{experiment}-helper-"))
        }) {
            hit.evidence.extend(
                log_tail_evidence(ctx, helper, experiment).into_iter().map(|l| format!("{}: {l}", helper.name)),
            );
        }
        hits.push(hit);
    }
    hits
}

//! "Is it storage?": for an unhealthy application pod on an OpenEBS volume (or a chaos target),
//! decide from the facts whether its volume path is at fault.

use crate::frozen::FrozenValue;
use crate::snapshot::path;

use super::graph::{Graph, PodFacts, text};
use super::rubric::{loss_excerpt, shows_loss};
use super::{Impact, Verdict};

/// A pod's container state, reduced to what the verdict needs.
#[derive(Debug, Default)]
pub struct PodState {
    /// Not running cleanly: crash-looping, not ready, pending, failed.
    pub unhealthy: bool,
    /// Some container started (so the volumes were mounted).
    pub started: bool,
    /// A container in CrashLoopBackOff or terminated with an error.
    pub crashing: bool,
    /// One line: phase, waiting reason, restarts, last exit.
    pub summary: String,
}

/// Read a pod's state.
pub fn pod_state(pod: &FrozenValue) -> PodState {
    let phase = text(pod, "status.phase");
    let mut st = PodState { unhealthy: matches!(phase, "Pending" | "Failed" | "Unknown"), ..PodState::default() };
    let mut parts = vec![format!("phase {}", if phase.is_empty() { "unknown" } else { phase })];
    for c in path(pod, "status.containerStatuses").and_then(FrozenValue::as_array).unwrap_or(&[]) {
        let name = text(c, "name");
        let restarts = path(c, "restartCount").and_then(FrozenValue::as_u64).unwrap_or(0);
        let waiting = text(c, "state.waiting.reason");
        let running = path(c, "state.running").is_some();
        let last_exit = path(c, "lastState.terminated.exitCode").and_then(FrozenValue::as_i64);
        let last_reason = text(c, "lastState.terminated.reason");
        let ready = path(c, "ready").and_then(FrozenValue::as_bool).unwrap_or(running);
        if running || restarts > 0 || last_exit.is_some() || path(c, "state.terminated").is_some() {
            st.started = true;
        }
        if waiting == "CrashLoopBackOff" || (restarts > 0 && last_exit.is_some_and(|e| e != 0) && !ready) {
            st.crashing = true;
        }
        if !ready && phase != "Succeeded" {
            st.unhealthy = true;
        }
        let mut p = format!("container {name}");
        if !waiting.is_empty() {
            p.push_str(&format!(" {waiting}"));
        }
        if restarts > 0 {
            p.push_str(&format!(", {restarts} restarts"));
        }
        if let Some(e) = last_exit {
            p.push_str(&format!(", last exit {e}"));
            if !last_reason.is_empty() {
                p.push_str(&format!(" ({last_reason})"));
            }
        }
        if p != format!("container {name}") {
            parts.push(p);
        }
    }
    st.unhealthy |= st.crashing;
    st.summary = parts.join("; ");
    st
}

/// State of the engine volume behind a PV: (`what`, healthy?), when the engine keeps one.
fn volume_state(g: &Graph<'_>, pv: &str) -> Option<(String, bool)> {
    let uuid = pv.strip_prefix("pvc-").unwrap_or(pv);
    let handle = g.pvs.get(pv).map(|o| text(o, "spec.csi.volumeHandle")).unwrap_or("");
    let probes: [(&str, &str, &str, &[&str]); 5] = [
        ("volumes.rest.mayastor.openebs.io", "Mayastor volume", "state.status", &["Online"]),
        ("lvmvolumes.local.openebs.io", "LVMVolume", "status.state", &["Ready"]),
        ("zfsvolumes.zfs.openebs.io", "ZFSVolume", "status.state", &["Ready"]),
        ("cstorvolumes.cstor.openebs.io", "CStorVolume", "status.phase", &["Healthy"]),
        ("jivavolumes.openebs.io", "JivaVolume", "status.phase", &["Ready", "RW", "Healthy"]),
    ];
    for (rid, what, field, good) in probes {
        for name in [pv, uuid, handle] {
            if name.is_empty() {
                continue;
            }
            let found = g.object_by(rid, name);
            if let Some(v) = found {
                let state = text(v, field);
                return Some((
                    format!("{what} {name} {}", if state.is_empty() { "(no state)" } else { state }),
                    good.contains(&state),
                ));
            }
        }
    }
    None
}

/// Mount/attach trouble and I/O errors the pod's events and log hits quote.
fn storage_symptoms(g: &Graph<'_>, p: &PodFacts<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let pod_ref = crate::checks::ObjectRef {
        kind: "Pod".into(),
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        uid: String::new(),
    };
    for e in g.events_of(&pod_ref) {
        let storage_reason = matches!(e.reason.as_str(), "FailedMount" | "FailedAttachVolume" | "FailedMapVolume");
        let io = shows_loss(&e.message)
            || e.message.contains("Read-only file system")
            || e.message.contains("Input/output error");
        if e.event_type == "Warning" && (storage_reason || io) {
            let quote = loss_excerpt(&e.message).unwrap_or_else(|| e.message.clone());
            out.push(format!("event {}: {}", e.reason, super::clip(&quote, 200)));
        }
    }
    for (key, hits) in g.snap.all_log_hits().range(log_range(&p.namespace, &p.name)) {
        for h in hits {
            let t = &h.last;
            if shows_loss(t) || t.contains("Read-only file system") || t.contains("Input/output error") {
                out.push(format!("log {}: «{}»", key.container, super::clip(t, 200)));
            }
        }
    }
    out
}

/// Every log key of one pod, as a range of the snapshot's sorted log map.
pub fn log_range(namespace: &str, pod: &str) -> std::ops::RangeInclusive<crate::snapshot::LogKey> {
    use crate::snapshot::LogKey;
    let key = |container: &str, previous| LogKey {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        container: container.to_string(),
        previous,
    };
    key("", false)..=key("\u{10FFFF}", true)
}

/// The application's own error lines (log-pattern hits that are not about storage).
fn app_errors(g: &Graph<'_>, p: &PodFacts<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (key, hits) in g.snap.all_log_hits().range(log_range(&p.namespace, &p.name)) {
        for h in hits {
            if !shows_loss(&h.last) && !h.last.contains("Read-only file system") {
                out.push(format!(
                    "log {}{}: «{}»",
                    key.container,
                    if key.previous { " (previous)" } else { "" },
                    super::clip(&h.last, 200)
                ));
            }
        }
    }
    out
}

/// `Kind ns/name` of a pod's workload, or the pod.
pub fn workload_label(p: &PodFacts<'_>) -> String {
    match &p.workload {
        Some(w) => {
            let mut it = w.splitn(3, '/');
            let (k, ns, n) = (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""));
            format!("{k} {ns}/{n}")
        }
        None => format!("Pod {}/{}", p.namespace, p.name),
    }
}

/// The verdict for one pod. `fault` names the failing storage element on its path, if the
/// incident has one; `chaos` the ChaosEngine whose target it is.
pub fn judge(g: &Graph<'_>, p: &PodFacts<'_>, fault: Option<&str>, chaos: Option<&str>) -> Impact {
    let st = pod_state(p.obj);
    let mut facts = vec![format!("pod {}/{}: {}", p.namespace, p.name, st.summary)];
    let mut bad_volume = false;
    let mut all_bound = true;
    let pvs = g.pod_pvs(p);
    for (claim, pv) in &pvs {
        match pv {
            Some(pv) => {
                facts.push(format!("PVC {claim} bound to PV {pv}"));
                if let Some((what, healthy)) = volume_state(g, pv) {
                    facts.push(what);
                    bad_volume |= !healthy;
                }
            }
            None => {
                all_bound = false;
                facts.push(format!("PVC {claim} not bound"));
            }
        }
    }
    let symptoms = storage_symptoms(g, p);
    facts.extend(symptoms.iter().cloned());
    if let Some(f) = fault {
        facts.push(format!("storage fault on its path: {f}"));
    }
    if let Some(c) = chaos {
        facts.push(format!("target of {c}"));
    }
    let verdict = if fault.is_some() || bad_volume || !symptoms.is_empty() || !all_bound {
        Verdict::Storage
    } else if st.started && (chaos.is_some() || !pvs.is_empty()) {
        facts.push("volume mounted (containers started) and no mount/attach/I/O errors".into());
        let own = app_errors(g, p);
        facts.extend(own);
        if chaos.is_some() {
            facts.push("the chaos experiment, not the volume, explains it".into());
        } else {
            facts.push("the application's own error explains it".into());
        }
        Verdict::NotStorage
    } else {
        Verdict::Unknown
    };
    let claims: Vec<String> = pvs.into_iter().map(|(claim, _)| claim).collect();
    Impact { workload: workload_label(p), pvc: (!claims.is_empty()).then(|| claims.join(", ")), verdict, facts }
}

//! From findings to incidents: group the findings that share a key of the dependency graph
//! (union–find), pick the deepest failing element as the root, apply the rubric to the group,
//! and judge every application the group touches.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::checks::{Finding, ObjectRef, Status};
use crate::inventory::{Engine, classify_pod, engine_for_pv};
use crate::snapshot::{Snapshot, path};

use super::graph::{Graph, Key, PodFacts, obj_key};
use super::rubric::{Row, finding_row, loss_excerpt, missing_excerpt, says_not_reverted, text_of};
use super::verdict::{judge, log_range, pod_state};
use super::{FindingRef, Impact, Incident, RootCause, Verdict, clip};

/// How many evidence lines an incident quotes for its root cause.
const MAX_EVIDENCE: usize = 6;
/// Longest quoted evidence line.
const MAX_LINE: usize = 300;

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        // The smaller index wins, so the grouping never depends on the order of unions.
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi] = lo;
        }
    }
}

/// Total order of findings that ignores their position in the input.
fn canon(f: &Finding) -> (String, String, u8) {
    (obj_key(&f.object), f.check.clone(), f.sev)
}

/// How deep in the dependency graph an object sits: the root cause is the deepest failing one.
fn layer(g: &Graph<'_>, f: &Finding) -> u8 {
    let o = &f.object;
    match o.kind.as_str() {
        "Node" | "NodeReport" | "CSINode" => 0,
        "CSIDriver" | "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" | "Engine" => 5,
        "Pod" => match g.pod(&o.namespace, &o.name).and_then(|p| p.component.as_ref()) {
            Some(c) if c.engine == Engine::Litmus => {
                if matches!(c.name.as_str(), "helper" | "chaos-runner" | "experiment" | "mongodb") { 10 } else { 12 }
            }
            Some(c) if c.data_path || c.name == "etcd" => 10,
            Some(_) => 12,
            None => 60,
        },
        "DaemonSet" | "Deployment" | "StatefulSet" | "ReplicaSet" | "Job" => {
            let component = g
                .object(o)
                .and_then(|obj| classify_pod(path(obj, "spec.template").unwrap_or(obj)).or_else(|| classify_pod(obj)));
            if component.is_some() || f.engine == "litmus" || f.check.contains("workload-not-ready") { 15 } else { 70 }
        }
        "IoEngineNode" | "LVMNode" | "ZFSNode" => 20,
        "BlockDevice" | "BlockDeviceClaim" => 25,
        "DiskPool" | "Pool" | "CStorPoolInstance" | "MayastorPool" | "CStorPool" => 30,
        "CStorPoolCluster" => 32,
        "ChaosEngine" => 35,
        "Volume" | "Replica" | "Nexus" | "LVMVolume" | "ZFSVolume" | "CStorVolume" | "CStorVolumeReplica"
        | "JivaVolume" | "CStorVolumeConfig" => 40,
        "ChaosResult" => 42,
        "VolumeAttachment" => 45,
        "PersistentVolume" => 50,
        "PersistentVolumeClaim" => 55,
        _ => 50,
    }
}

/// A symptom check (a pod crash-looping, a workload short of ready pods) rather than one that
/// names a cause: when both sit on the same object, the cause is the root.
fn is_symptom(check: &str) -> bool {
    ["crashloop", "restarts", "workload-not-ready", "pod-failed", "init-stuck", "pod-pending"]
        .iter()
        .any(|s| check.contains(s))
}

fn label_of(o: &ObjectRef) -> String {
    if o.namespace.is_empty() {
        format!("{} {}", o.kind, o.name)
    } else {
        format!("{} {}/{}", o.kind, o.namespace, o.name)
    }
}

/// Application pods (not OpenEBS/Litmus components) on OpenEBS volumes or targeted by chaos,
/// indexed by every key they depend on.
fn app_pod_index<'g>(g: &'g Graph<'_>) -> HashMap<Key, Vec<&'g PodFacts<'g>>> {
    let mut idx: HashMap<Key, Vec<&PodFacts<'_>>> = HashMap::new();
    for p in g.pods.values() {
        if p.component.is_some() {
            continue;
        }
        let openebs = g.pod_pvs(p).iter().any(|(_, pv)| {
            pv.as_ref().and_then(|pv| g.pvs.get(pv)).is_some_and(|o| engine_for_pv(*o).is_some())
                || pv.as_ref().is_some_and(|pv| g.pv_backing.contains_key(pv))
        });
        let target = g.chaos_targets.contains_key(&format!("{}/{}", p.namespace, p.name));
        if !openebs && !target {
            continue;
        }
        let mut keys = Vec::new();
        g.pod_keys(p, &mut keys);
        keys.sort();
        keys.dedup();
        for k in keys {
            idx.entry(k).or_default().push(p);
        }
    }
    idx
}

/// Build the incidents.
pub fn incidents(findings: &[Finding], snap: &Snapshot) -> Vec<Incident> {
    let g = Graph::build(snap);
    let mut order: Vec<usize> = (0..findings.len()).filter(|&i| findings[i].status != Status::Pass).collect();
    order.sort_by_cached_key(|&i| canon(&findings[i]));
    let keys: HashMap<usize, Vec<Key>> = order.iter().map(|&i| (i, g.finding_keys(&findings[i]))).collect();
    let mut uf = UnionFind((0..findings.len()).collect());
    let mut first: HashMap<&str, usize> = HashMap::new();
    for &i in &order {
        for k in &keys[&i] {
            match first.get(k.as_str()) {
                Some(&j) => uf.union(i, j),
                None => {
                    first.insert(k.as_str(), i);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for &i in &order {
        groups.entry(uf.find(i)).or_default().push(i);
    }
    let apps = app_pod_index(&g);
    let mut out: Vec<Incident> = groups
        .into_values()
        // Warnings alone stay findings, unless they are about an application pod: every
        // unhealthy application on an OpenEBS volume gets its "is it storage?" verdict.
        .filter(|members| {
            members.iter().any(|&i| {
                let f = &findings[i];
                f.status == Status::Fail
                    || (f.object.kind == "Pod"
                        && g.pod(&f.object.namespace, &f.object.name).is_some_and(|p| p.component.is_none()))
            })
        })
        .map(|mut members| {
            members.sort_by_cached_key(|&i| canon(&findings[i]));
            incident(&g, &apps, findings, &members, &keys)
        })
        .collect();
    out.extend(runnerless_chaos_engines(&g, findings));
    out.sort_by(|a, b| {
        (a.sev, &a.rule, obj_key(&a.root_cause.object), &a.chain.first().map(|c| c.check.clone())).cmp(&(
            b.sev,
            &b.rule,
            obj_key(&b.root_cause.object),
            &b.chain.first().map(|c| c.check.clone()),
        ))
    });
    for (n, inc) in out.iter_mut().enumerate() {
        inc.id = format!("inc-{}", n + 1);
    }
    out
}

fn incident(
    g: &Graph<'_>,
    apps: &HashMap<Key, Vec<&PodFacts<'_>>>,
    findings: &[Finding],
    members: &[usize],
    keys: &HashMap<usize, Vec<Key>>,
) -> Incident {
    let fs: Vec<&Finding> = members.iter().map(|&i| &findings[i]).collect();
    let mut rows: Vec<Row> = fs.iter().map(|f| finding_row(f)).collect();
    let layers: Vec<u8> = fs.iter().map(|f| layer(g, f)).collect();
    let root_at = (0..fs.len())
        // A failure before a warning (a node under pressure is not the cause of a crash on it
        // just because it is deeper), then the deepest element, a cause before a symptom.
        .min_by_key(|&i| {
            (fs[i].status != Status::Fail, layers[i], is_symptom(&fs[i].check), rows[i], fs[i].sev, canon(fs[i]))
        })
        .unwrap_or(0);
    let root = fs[root_at];
    let group_keys: BTreeSet<&Key> = members.iter().flat_map(|i| keys[i].iter()).collect();

    // Evidence of loss anywhere in the chain: findings, events of their objects, their logs.
    let mut loss_lines = Vec::new();
    let mut texts: Vec<String> = fs.iter().map(|f| text_of(f)).collect();
    for f in &fs {
        for e in g.events_of(&f.object) {
            if let Some(x) = loss_excerpt(&e.message) {
                loss_lines.push(format!("event {} on {}: {}", e.reason, label_of(&f.object), clip(&x, MAX_LINE)));
            }
            texts.push(e.message.clone());
        }
        if f.object.kind == "Pod" {
            for (k, hits) in g.snap.all_log_hits().range(log_range(&f.object.namespace, &f.object.name)) {
                for h in hits {
                    if let Some(x) = loss_excerpt(&h.last) {
                        loss_lines.push(format!("log {}/{}: «{}»", k.pod, k.container, clip(&x, MAX_LINE)));
                    }
                }
            }
        }
    }
    // LV/dataset/replica missing for a Bound PV whose volume had been provisioned: 0(a).
    if let Some(excerpt) = texts.iter().find_map(|t| missing_excerpt(t))
        && let Some(pv) = provisioned_bound_pv(g, &group_keys)
    {
        loss_lines.push(format!("Bound PV {pv} lost its backing store: {}", clip(&excerpt, MAX_LINE)));
    }
    for pv in group_keys.iter().filter_map(|k| k.strip_prefix("pv:")) {
        if let Some(why) = g.lv_missing.get(pv)
            && provisioned_bound_pv(g, &BTreeSet::from([&format!("pv:{pv}")])).is_some()
        {
            loss_lines.push(why.clone());
        }
    }
    loss_lines.sort();
    loss_lines.dedup();

    // The storage element at fault, for the verdicts: the deepest non-application finding.
    let fault = (0..fs.len())
        .filter(|&i| layers[i] < 60 && fs[i].engine != "litmus" && fs[i].status == Status::Fail)
        .min_by_key(|&i| (layers[i], is_symptom(&fs[i].check), canon(fs[i])))
        .map(|i| format!("{} ({})", label_of(&fs[i].object), fs[i].check));

    // Chaos engines in the group, and whether a fault was left in place.
    let chaos_keys: Vec<&Key> = group_keys.iter().copied().filter(|k| k.starts_with("chaos:")).collect();
    let chaos_name = chaos_keys.first().map(|k| {
        g.chaos_engine_uid
            .iter()
            .filter(|(_, v)| v == k)
            .map(|(n, _)| format!("ChaosEngine {n}"))
            .min()
            .unwrap_or_else(|| format!("ChaosEngine {}", k.trim_start_matches("chaos:")))
    });
    let mut not_reverted = texts.iter().any(|t| says_not_reverted(t));
    for name in g.chaos_engine_uid.iter().filter(|(_, v)| chaos_keys.contains(v)).map(|(n, _)| n) {
        for rid in ["chaosengines.litmuschaos.io", "chaosresults.litmuschaos.io"] {
            let (ns, n) = name.split_once('/').unwrap_or(("", name));
            for obj in g.snap.objects(rid).iter().filter(|o| crate::snapshot::meta_str(*o, "namespace") == ns) {
                let engine_of = path(obj, "spec.engine").and_then(|v| v.as_str()).unwrap_or("");
                if (crate::snapshot::meta_str(obj, "name") == n || engine_of == n)
                    && let Some(st) = path(obj, "status")
                {
                    not_reverted |= says_not_reverted(&st.to_json().to_string());
                }
            }
        }
    }

    // Impact: application pods on the chain, judged.
    let mut pods: Vec<&PodFacts<'_>> = Vec::new();
    let mut seen = HashSet::new();
    for k in &group_keys {
        for p in apps.get(*k).map_or(&[][..], Vec::as_slice) {
            if seen.insert((p.namespace.as_str(), p.name.as_str())) {
                pods.push(p);
            }
        }
    }
    for f in &fs {
        if f.object.kind == "Pod"
            && let Some(p) = g.pod(&f.object.namespace, &f.object.name)
            && p.component.is_none()
            && seen.insert((p.namespace.as_str(), p.name.as_str()))
        {
            pods.push(p);
        }
    }
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let chain_pods: HashSet<(&str, &str)> = fs
        .iter()
        .filter(|f| f.object.kind == "Pod")
        .map(|f| (f.object.namespace.as_str(), f.object.name.as_str()))
        .collect();
    let mut impact: Vec<Impact> = Vec::new();
    // (workload, pvc, verdict) → position in `impact`: pods of one workload share one entry.
    let mut impact_at: HashMap<(String, Option<String>, Verdict), usize> = HashMap::new();
    let mut target_degraded = false;
    let mut verdict_of: HashMap<(String, String), Verdict> = HashMap::new();
    for p in pods {
        let in_chain = chain_pods.contains(&(p.namespace.as_str(), p.name.as_str()));
        let st = pod_state(p.obj);
        if !st.unhealthy && !in_chain {
            continue;
        }
        let chaos = g
            .chaos_targets
            .get(&format!("{}/{}", p.namespace, p.name))
            .filter(|ks| ks.iter().any(|k| chaos_keys.contains(&k)));
        if chaos.is_some() && st.unhealthy {
            target_degraded = true;
        }
        let imp = judge(g, p, fault.as_deref(), chaos.and(chaos_name.as_deref()));
        verdict_of.insert((p.namespace.clone(), p.name.clone()), imp.verdict);
        let key = (imp.workload.clone(), imp.pvc.clone(), imp.verdict);
        match impact_at.get(&key) {
            Some(&at) => impact[at].facts.extend(imp.facts.into_iter().filter(|f| f.starts_with("pod "))),
            None => {
                impact_at.insert(key, impact.len());
                impact.push(imp);
            }
        }
    }

    // The rubric, refined by the context of the whole chain.
    for (i, f) in fs.iter().enumerate() {
        if f.object.kind != "Pod" || layers[i] < 60 {
            continue;
        }
        match verdict_of.get(&(f.object.namespace.clone(), f.object.name.clone())) {
            // An application crash-looping because of its volume: 0(c).
            Some(Verdict::Storage) if f.check.contains("crashloop") => rows[i] = rows[i].min(Row::Crash),
            // Its own configuration on a healthy volume: not a storage problem at all.
            Some(Verdict::NotStorage) => rows[i] = Row::Benign,
            _ => {}
        }
    }
    let mut row = rows.iter().copied().min().unwrap_or(Row::Benign);
    if !loss_lines.is_empty() {
        row = Row::Loss;
    }
    if !chaos_keys.is_empty() && not_reverted && target_degraded {
        row = row.min(Row::ChaosNotReverted);
    }

    let node = g.node_of(root);
    let mut evidence: Vec<String> = Vec::new();
    for f in fs.iter().filter(|f| f.object == root.object) {
        let own = if f.evidence.is_empty() { vec![f.message.clone()] } else { f.evidence.clone() };
        for e in own {
            let e = clip(&e, MAX_LINE);
            // The same log line quoted by two checks (a pattern hit and a crash's previous log) once.
            let quoted = |l: &str| {
                let q = l.split_once('«').map(|(_, q)| q).unwrap_or("");
                q.split_once('»').map_or(q, |(q, _)| q).trim_end_matches('…').to_string()
            };
            let same = |a: &str, b: &str| !a.is_empty() && !b.is_empty() && (a.starts_with(b) || b.starts_with(a));
            let dup = evidence.iter().any(|x| same(&quoted(x), &quoted(&e)));
            if !dup && !evidence.contains(&e) {
                evidence.push(e);
            }
        }
    }
    evidence.truncate(MAX_EVIDENCE);
    for l in loss_lines {
        if evidence.len() < MAX_EVIDENCE + 2 && !evidence.contains(&l) {
            evidence.push(l);
        }
    }

    let mut order: Vec<usize> = (0..fs.len()).filter(|&i| i != root_at).collect();
    order.sort_by_key(|&i| (layers[i], canon(fs[i])));
    let chain: Vec<FindingRef> =
        std::iter::once(root).chain(order.iter().map(|&i| fs[i])).map(FindingRef::to).collect();

    let mut remediation = vec![root.remediation.trim().to_string()];
    for &i in &order {
        let r = fs[i].remediation.trim().to_string();
        if remediation.len() < 3 && !r.is_empty() && !remediation.contains(&r) && rows[i] <= Row::Operational {
            remediation.push(r);
        }
    }
    let remediation = remediation
        .into_iter()
        .enumerate()
        .map(|(n, r)| if n == 0 { r } else { format!("Then: {r}") })
        .collect::<Vec<_>>()
        .join("\n");

    let hurt = impact.iter().filter(|i| i.verdict == Verdict::Storage).count();
    let mut title = format!("{}: {}", root.title, label_of(&root.object));
    let mut remediation = remediation;
    if row == Row::ChaosNotReverted {
        // The fault left in place is what hurts the workload now: say so first.
        title = format!("Chaos fault not reverted while its target is degraded — {title}");
        remediation = format!(
            "Revert the fault by hand first: stop the experiment ({}: set spec.engineState to stop, or delete it), remove what it left on the target's node (tc/iptables rules, stress processes), then restart the target pods and confirm they recover.\nThen: {remediation}",
            chaos_name.as_deref().unwrap_or("the ChaosEngine")
        );
    }
    if let Some(n) = &node
        && !(root.object.kind == "Node" && &root.object.name == n)
    {
        title.push_str(&format!(" on node {n}"));
    }
    if hurt > 0 {
        title.push_str(&format!(" ({hurt} workload(s) affected)"));
    }
    Incident {
        id: String::new(),
        sev: row.sev(),
        rule: row.code().to_string(),
        title,
        root_cause: RootCause { object: root.object.clone(), node, evidence },
        chain,
        impact,
        remediation,
    }
}

/// How long an active ChaosEngine may wait for its runner before that is a problem.
const RUNNER_GRACE_MINUTES: i64 = 10;

/// An active ChaosEngine whose runner pod was never created (RBAC, service account, operator
/// down): the experiment never starts. Rubric row 2 (Litmus without workload impact). Computed
/// here because no single object fails: the evidence is an absence. Skipped when a check already
/// reported the engine.
fn runnerless_chaos_engines(g: &Graph<'_>, findings: &[Finding]) -> Vec<Incident> {
    let mut out = Vec::new();
    for engine in g.snap.objects("chaosengines.litmuschaos.io") {
        let ns = crate::snapshot::meta_str(engine, "namespace");
        let name = crate::snapshot::meta_str(engine, "name");
        let uid = crate::snapshot::meta_str(engine, "uid");
        let state = super::graph::text(engine, "spec.engineState");
        let status = super::graph::text(engine, "status.engineStatus");
        if state != "active" || matches!(status, "completed" | "stopped") {
            continue;
        }
        let age = crate::checks::analyzers::time_at(engine, "metadata.creationTimestamp")
            .map(|t| g.snap.meta.collected_at - t);
        if age.is_none_or(|a| a < chrono::Duration::minutes(RUNNER_GRACE_MINUTES)) {
            continue;
        }
        if findings.iter().any(|f| f.object.kind == "ChaosEngine" && f.object.namespace == ns && f.object.name == name)
        {
            continue;
        }
        let runner = format!("{name}-runner");
        let has_runner = g.pods.values().any(|p| {
            p.namespace == ns
                && (p.name.starts_with(&runner)
                    || (!uid.is_empty() && super::graph::label(p.obj, "chaosUID") == Some(uid))
                    || super::graph::label(p.obj, "chaosengine") == Some(name))
        });
        if has_runner {
            continue;
        }
        let mut evidence = vec![
            format!(
                "spec.engineState: {state}; status.engineStatus: {}",
                if status.is_empty() { "(none)" } else { status }
            ),
            format!("no chaos-runner pod ({runner}) in namespace {ns}"),
        ];
        let sa = super::graph::text(engine, "spec.chaosServiceAccount");
        if !sa.is_empty() {
            evidence.push(format!("spec.chaosServiceAccount: {sa}"));
        }
        let mut operators: Vec<String> = g
            .pods
            .values()
            .filter(|p| p.component.as_ref().is_some_and(|c| c.name == "chaos-operator"))
            .map(|p| format!("chaos-operator pod {}/{}: {}", p.namespace, p.name, pod_state(p.obj).summary))
            .collect();
        operators.sort();
        if operators.is_empty() {
            evidence.push("no chaos-operator pod found".into());
        }
        evidence.extend(operators);
        let object =
            ObjectRef { kind: "ChaosEngine".into(), namespace: ns.into(), name: name.into(), uid: String::new() };
        out.push(Incident {
            id: String::new(),
            sev: Row::Operational.sev(),
            rule: Row::Operational.code().into(),
            title: format!("Chaos experiment never started: no runner pod for {}", label_of(&object)),
            root_cause: RootCause { object, node: None, evidence },
            chain: Vec::new(),
            impact: Vec::new(),
            remediation: format!(
                "Read the chaos-operator log for errors about {ns}/{name}; check that the service account{} exists in {ns} with the experiment's RBAC, and that the ChaosExperiment CRs named in the engine are installed in {ns}.",
                if sa.is_empty() { String::new() } else { format!(" `{sa}`") }
            ),
        });
    }
    out
}

/// A Bound PV of the group whose engine volume is not a Pending one (which never held data).
fn provisioned_bound_pv(g: &Graph<'_>, keys: &BTreeSet<&Key>) -> Option<String> {
    keys.iter().filter_map(|k| k.strip_prefix("pv:")).find_map(|pv| {
        let obj = g.pvs.get(pv)?;
        if super::graph::text(obj, "status.phase") != "Bound" {
            return None;
        }
        let never_provisioned = ["lvmvolumes.local.openebs.io", "zfsvolumes.zfs.openebs.io"].into_iter().any(|rid| {
            g.object_by(rid, pv).is_some_and(|v| matches!(super::graph::text(v, "status.state"), "" | "Pending"))
        });
        (!never_provisioned).then(|| pv.to_string())
    })
}

/// The findings the incidents explain, as (check, object).
pub fn explained(incidents: &[Incident]) -> HashSet<(String, ObjectRef)> {
    incidents.iter().flat_map(|i| i.chain.iter().map(|c| (c.check.clone(), c.object.clone()))).collect()
}

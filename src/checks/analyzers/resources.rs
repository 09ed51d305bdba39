//! `cr-status`, `cr-compare`, `capacity`, `version-skew`: custom-resource fields.

use std::collections::BTreeMap;

use crate::frozen::FrozenValue;

use super::{age, quantity, text_at};
use crate::checks::engine::{Ctx, Hit, obj_ref, str_at};
use crate::checks::model::{Capacity, CapacitySource, CrCompare, CrStatus, VersionSkew};
use crate::checks::{ObjectRef, Status};
use crate::inventory::{Engine, engine_for_crd};
use crate::snapshot::path;

fn engine_of(resource: &str, obj: &FrozenValue) -> Option<Engine> {
    let group = resource.split_once('.').map_or("", |(_, g)| g);
    engine_for_crd(group, str_at(obj, "kind"))
}

fn kind_of(resource: &str) -> String {
    // Objects normally carry `kind`; this is the fallback for bundles that strip it.
    let plural = resource.split('.').next().unwrap_or(resource);
    let singular = plural.strip_suffix('s').unwrap_or(plural);
    let mut c = singular.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn evidence_fields(obj: &FrozenValue, fields: &[String]) -> Vec<String> {
    fields.iter().filter_map(|f| Some(text_at(obj, f)).filter(|v| !v.is_empty()).map(|v| format!("{f}: {v}"))).collect()
}

/// Run `cr-status`.
pub fn cr_status(p: &CrStatus, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for obj in ctx.snap.objects(&p.resource) {
        if !p.where_fields.iter().all(|(f, want)| &text_at(obj, f) == want) {
            continue;
        }
        if p.min_age.is_some_and(|min| age(ctx, obj).is_none_or(|a| a < min.0)) {
            continue;
        }
        let value = text_at(obj, &p.field);
        let status = if p.fail_values.contains(&value)
            || (!p.allowed.is_empty() && !p.allowed.contains(&value) && !p.warn_values.contains(&value))
        {
            Status::Fail
        } else if p.warn_values.contains(&value) {
            Status::Warn
        } else {
            continue;
        };
        let shown = if value.is_empty() { "<empty>".to_string() } else { value.clone() };
        let mut detail = format!("{} is {shown}", p.field);
        if !p.allowed.is_empty() {
            detail.push_str(&format!(" (expected {})", p.allowed.join(" or ")));
        }
        let mut hit = Hit::new(status, obj_ref(&kind_of(&p.resource), obj), detail);
        hit.engine = engine_of(&p.resource, obj);
        hit.sev = p.sev_by_value.get(&value).copied();
        if let Some(row) = p.rubric_by_value.get(&value) {
            hit.sev = crate::checks::engine::rubric_sev(&row.0);
            hit.rubric = Some(row.0.clone());
        }
        hit.evidence =
            std::iter::once(format!("{}: {shown}", p.field)).chain(evidence_fields(obj, &p.evidence)).collect();
        for (f, want) in &p.where_fields {
            hit.evidence.push(format!("{f}: {want}"));
        }
        hits.push(hit);
    }
    hits
}

fn number(obj: &FrozenValue, dotted: &str) -> Option<f64> {
    path(obj, dotted).and_then(quantity)
}

/// Run `cr-compare`.
pub fn cr_compare(p: &CrCompare, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for obj in ctx.snap.objects(&p.resource) {
        let Some(limit) = number(obj, &p.less_than) else { continue };
        let have = number(obj, &p.field).unwrap_or(0.0);
        if have < limit {
            let detail = format!("{} is {have} but {} is {limit}", p.field, p.less_than);
            let mut hit = Hit::new(Status::Fail, obj_ref(&kind_of(&p.resource), obj), detail.clone());
            hit.engine = engine_of(&p.resource, obj);
            hit.evidence = std::iter::once(detail).chain(evidence_fields(obj, &p.evidence)).collect();
            hits.push(hit);
        }
    }
    hits
}

/// Run `capacity`.
pub fn capacity(p: &Capacity, ctx: &Ctx<'_>) -> Vec<Hit> {
    let (warn, fail) = (p.warn_pct.unwrap_or(80.0), p.fail_pct.unwrap_or(95.0));
    // (object, engine, what, used, total)
    let mut rows: Vec<(ObjectRef, Engine, String, f64, f64)> = Vec::new();
    match p.source {
        CapacitySource::LvmVg => {
            for n in ctx.snap.objects("lvmnodes.local.openebs.io") {
                for vg in n.get("volumeGroups").and_then(FrozenValue::as_array).into_iter().flatten() {
                    if let (Some(size), Some(free)) = (number(vg, "size"), number(vg, "free")) {
                        rows.push((
                            obj_ref("LVMNode", n),
                            Engine::Lvm,
                            format!("volume group {}", str_at(vg, "name")),
                            size - free,
                            size,
                        ));
                    }
                }
            }
        }
        CapacitySource::ZfsPool => {
            for n in ctx.snap.objects("zfsnodes.zfs.openebs.io") {
                for pool in n.get("pools").and_then(FrozenValue::as_array).into_iter().flatten() {
                    if let (Some(used), Some(free)) = (number(pool, "used"), number(pool, "free")) {
                        rows.push((
                            obj_ref("ZFSNode", n),
                            Engine::Zfs,
                            format!("pool {}", str_at(pool, "name")),
                            used,
                            used + free,
                        ));
                    }
                }
            }
        }
        CapacitySource::Cspi => {
            for c in ctx.snap.objects("cstorpoolinstances.cstor.openebs.io") {
                let used = number(c, "status.capacity.used");
                let total =
                    number(c, "status.capacity.total").or_else(|| Some(used? + number(c, "status.capacity.free")?));
                if let (Some(used), Some(total)) = (used, total) {
                    rows.push((obj_ref("CStorPoolInstance", c), Engine::Cstor, "pool".to_string(), used, total));
                }
            }
        }
        CapacitySource::Diskpool => {
            for d in ctx.snap.objects("diskpools.openebs.io") {
                if let (Some(used), Some(total)) = (number(d, "status.used"), number(d, "status.capacity")) {
                    rows.push((obj_ref("DiskPool", d), Engine::Mayastor, "pool".to_string(), used, total));
                }
            }
        }
    }
    rows.into_iter()
        .filter(|r| r.4 > 0.0)
        .filter_map(|(obj, engine, what, used, total)| {
            let pct = used / total * 100.0;
            let status = if pct >= fail {
                Status::Fail
            } else if pct >= warn {
                Status::Warn
            } else {
                return None;
            };
            let detail = format!("{what} is {pct:.0}% full ({} of {} used)", gib(used), gib(total));
            let mut hit = Hit::new(status, obj, detail.clone());
            hit.engine = Some(engine);
            hit.evidence = vec![detail];
            Some(hit)
        })
        .collect()
}

fn gib(bytes: f64) -> String {
    format!("{:.1}GiB", bytes / 1_073_741_824.0)
}

/// Run `version-skew`.
pub fn version_skew(p: &VersionSkew, ctx: &Ctx<'_>) -> Vec<Hit> {
    let wanted = |e: Engine| {
        p.engines.is_empty() || p.engines.iter().any(|x| x == e.id() || (x == "openebs" && e != Engine::Litmus))
    };
    let mut by_engine: BTreeMap<Engine, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for pod in &ctx.pods {
        let Some(c) = &pod.component else { continue };
        let version = pod.obj.pointer("/metadata/labels/openebs.io~1version").and_then(FrozenValue::as_str);
        let Some(v) = version.filter(|v| !v.is_empty()) else { continue };
        if wanted(c.engine) {
            by_engine
                .entry(c.engine)
                .or_default()
                .entry(v.to_string())
                .or_default()
                .push(format!("{}/{}", pod.ns, pod.name));
        }
    }
    let mut hits = Vec::new();
    for (engine, versions) in by_engine.into_iter().filter(|(_, v)| v.len() > 1) {
        let list: Vec<String> = versions.keys().cloned().collect();
        let object = ObjectRef { kind: "Engine".into(), name: engine.id().into(), ..Default::default() };
        let mut hit = Hit::new(Status::Warn, object, format!("components run different versions: {}", list.join(", ")));
        hit.engine = Some(engine);
        hit.evidence = versions
            .iter()
            .map(|(v, pods)| {
                format!(
                    "openebs.io/version={v}: {}{}",
                    pods.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                    if pods.len() > 3 { format!(" (+{} more)", pods.len() - 3) } else { String::new() }
                )
            })
            .collect();
        hits.push(hit);
    }
    // cStor CRs record their own reconciled version; a partial upgrade leaves current != desired.
    if wanted(Engine::Cstor) {
        let ids: Vec<String> =
            ctx.snap.resource_ids().filter(|r| r.ends_with(".cstor.openebs.io")).map(String::from).collect();
        for id in ids {
            for obj in ctx.snap.objects(&id) {
                let (current, desired) =
                    (text_at(obj, "versionDetails.status.current"), text_at(obj, "versionDetails.desired"));
                if !current.is_empty() && !desired.is_empty() && current != desired {
                    let mut hit = Hit::new(
                        Status::Warn,
                        obj_ref(&kind_of(&id), obj),
                        format!("version {current}, desired {desired} (upgrade incomplete)"),
                    );
                    hit.engine = Some(Engine::Cstor);
                    hit.evidence = vec![
                        format!("versionDetails.status.current: {current}"),
                        format!("versionDetails.desired: {desired}"),
                    ];
                    hits.push(hit);
                }
            }
        }
    }
    hits
}

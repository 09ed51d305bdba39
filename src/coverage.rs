//! Coverage is part of the verdict: a check whose inputs could not be read was not evaluated,
//! and "no problem found" is only said about what was actually read.
//!
//! The snapshot's gaps (403, 401, 5xx, timeouts on a resource; `*-errors.json` in a bundle) are
//! mapped to resource ids; each check's inputs are known from its analyzer kind. When a core
//! input (pods, PVs, PVCs, the engines' custom resources) is missing, the verdict is `unknown`
//! (exit code 5): the text report leads with what could not be read and how to fix it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checks::CheckSet;
use crate::checks::model::{Analyzer, CapacitySource, InventorySource};
use crate::inventory::{AGENT_GROUP, is_relevant_crd_group};
use crate::resources::{BUILTINS, builtin_by_bundle_name};
use crate::snapshot::CollectionGap;

/// How much of the cluster the verdict rests on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every input was read.
    #[default]
    Complete,
    /// Some inputs could not be read; the checks that need them were not evaluated.
    Partial,
    /// Core inputs could not be read: no verdict can be given.
    Unknown,
}

/// Why a resource could not be read, for the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// 403: the identity lacks an RBAC permission.
    Forbidden,
    /// 401: the credentials were rejected.
    Unauthorized,
    /// 5xx: the API server failed.
    ServerError,
    /// Anything else (timeouts, broken connections, unreadable bundle files).
    Other,
}

/// One resource (or group of resources) that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    /// Resource id (`pods`, `cstorvolumes.cstor.openebs.io`), `*.<group>` for a whole API group,
    /// `custom resources` when discovery failed, or the bundle's name for anything else.
    pub resource: String,
    /// The first recorded reason.
    pub reason: String,
    /// Why, classified.
    pub cause: Cause,
    /// A core input: without it no verdict can be given.
    pub core: bool,
}

/// The coverage of one analysis (the `coverage` field of the JSON report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// `complete`, `partial` or `unknown`.
    pub verdict: Verdict,
    /// What could not be read, core inputs first.
    pub unreadable: Vec<Unreadable>,
    /// Checks whose inputs could not be read (they did not pass; they did not run on data).
    pub not_evaluated: Vec<String>,
    /// What to do about it, one line each.
    pub fixes: Vec<String>,
}

/// What a gap covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    /// One resource id.
    Resource(String),
    /// Every resource of an API group.
    Group(String),
    /// Every custom resource (discovery of `/apis` failed).
    AllCustom,
    /// Something no check reads directly (pod logs, unknown errors files).
    Other(String),
}

impl Scope {
    fn name(&self) -> String {
        match self {
            Scope::Resource(id) => id.clone(),
            Scope::Group(g) => format!("*.{g}"),
            Scope::AllCustom => "custom resources".into(),
            Scope::Other(what) => what.clone(),
        }
    }

    fn covers(&self, id: &str) -> bool {
        match self {
            Scope::Resource(r) => r == id,
            Scope::Group(g) => id.split_once('.').is_some_and(|(_, group)| group == g),
            Scope::AllCustom => is_custom(id),
            Scope::Other(_) => false,
        }
    }

    fn core(&self) -> bool {
        match self {
            Scope::Resource(id) => {
                matches!(id.as_str(), "pods" | "persistentvolumes" | "persistentvolumeclaims") || engine_cr(id)
            }
            Scope::Group(g) => engine_group(g),
            Scope::AllCustom => true,
            Scope::Other(_) => false,
        }
    }
}

/// A custom resource id (not one of the built-in kinds).
fn is_custom(id: &str) -> bool {
    id.contains('.') && !BUILTINS.iter().any(|b| b.id() == id)
}

/// An engine's API group (not the agent's NodeReports, not Mayastor's REST pseudo-group, which
/// reflects the health of api-rest rather than our access).
fn engine_group(group: &str) -> bool {
    is_relevant_crd_group(group) && group != AGENT_GROUP && group != crate::mayastor_rest::GROUP
}

fn engine_cr(id: &str) -> bool {
    is_custom(id) && id.split_once('.').is_some_and(|(_, g)| engine_group(g))
}

/// Which resources a gap's `what` (the bundle's errors-file name) and reason cover.
fn scope_of(gap: &CollectionGap) -> Scope {
    let what = gap.what.as_str();
    if what == "custom-resources/custom-resources" {
        // "discovery of <group>/<version>: …" or "discovery: …" (all of /apis).
        return match gap.reason.strip_prefix("discovery of ").and_then(|r| r.split_once('/')) {
            Some((group, _)) => Scope::Group(group.to_string()),
            None => Scope::AllCustom,
        };
    }
    if let Some(id) = what.strip_prefix("custom-resources/") {
        return Scope::Resource(id.to_string());
    }
    if what == "mayastor-rest" {
        let kind = gap.reason.strip_prefix("Mayastor ").and_then(|r| r.split_once(':')).map(|(k, _)| k);
        return match kind.filter(|k| k.chars().all(|c| c.is_ascii_lowercase())) {
            Some(k) => Scope::Resource(format!("{k}.{}", crate::mayastor_rest::GROUP)),
            None => Scope::Group(crate::mayastor_rest::GROUP.to_string()),
        };
    }
    let stem = what.strip_prefix("cluster-resources/").unwrap_or(what);
    let stem = stem.split('/').next().unwrap_or(stem).trim_end_matches(".json").trim_end_matches(".yaml");
    match builtin_by_bundle_name(stem) {
        Some(b) if !what.contains("/logs") => Scope::Resource(b.id()),
        _ => Scope::Other(what.to_string()),
    }
}

/// The reason behind a discovery gap (`discovery of g/v: <reason>`, `discovery: <reason>`).
fn discovery_cause(reason: &str) -> &str {
    if let Some(rest) = reason.strip_prefix("discovery of ") {
        return rest.split_once(": ").map_or(rest, |(_, r)| r);
    }
    reason.strip_prefix("discovery: ").unwrap_or(reason)
}

/// Classify a recorded reason.
fn cause_of(reason: &str) -> Cause {
    let code = reason.split_whitespace().next().and_then(|w| w.parse::<u16>().ok());
    if reason.starts_with("forbidden") || code == Some(403) {
        Cause::Forbidden
    } else if code == Some(401) || reason.contains("Unauthorized") {
        Cause::Unauthorized
    } else if code.is_some_and(|c| (500..600).contains(&c)) {
        Cause::ServerError
    } else {
        Cause::Other
    }
}

/// The resources a check reads; a check is not evaluated when one of them could not be read.
pub fn inputs(analyzer: &Analyzer) -> Vec<String> {
    let ids: &[&str] = match analyzer {
        Analyzer::CrStatus(p) => return vec![p.resource.clone()],
        Analyzer::CrCompare(p) => return vec![p.resource.clone()],
        Analyzer::PodHealth(_) | Analyzer::LogPattern(_) | Analyzer::VersionSkew(_) => &["pods"],
        Analyzer::WorkloadReady(_) => &["pods", "deployments.apps", "daemonsets.apps", "statefulsets.apps"],
        Analyzer::EventPattern(_) => &["events"],
        Analyzer::NodeConditions(_) => &["nodes"],
        Analyzer::VolumePath(_) => &["persistentvolumeclaims", "persistentvolumes", "events"],
        Analyzer::CsiRegistration(_) => &["pods", "csinodes.storage.k8s.io", "csidrivers.storage.k8s.io"],
        Analyzer::Capacity(p) => match p.source {
            CapacitySource::LvmVg => &["lvmnodes.local.openebs.io"],
            CapacitySource::ZfsPool => &["zfsnodes.zfs.openebs.io"],
            CapacitySource::Cspi => &["cstorpoolinstances.cstor.openebs.io"],
            CapacitySource::Diskpool => &["diskpools.openebs.io"],
        },
        Analyzer::Webhook(_) => &[
            "validatingwebhookconfigurations.admissionregistration.k8s.io",
            "mutatingwebhookconfigurations.admissionregistration.k8s.io",
            "services",
            "endpoints",
        ],
        Analyzer::NodeReport(_) => return vec![format!("nodereports.{AGENT_GROUP}")],
        Analyzer::Chaos(_) => &["pods", "chaosengines.litmuschaos.io", "chaosresults.litmuschaos.io"],
        Analyzer::VolumeInventory(p) => match p.source {
            InventorySource::LvmLv => &["lvmvolumes.local.openebs.io", "lvmnodes.local.openebs.io"],
            InventorySource::ZfsDataset => &["zfsvolumes.zfs.openebs.io", "zfsnodes.zfs.openebs.io"],
        },
    };
    ids.iter().map(|s| s.to_string()).collect()
}

/// Assess the coverage of a check set over a snapshot's gaps.
pub fn assess(set: &CheckSet, gaps: &[CollectionGap]) -> Coverage {
    let mut by_scope: BTreeMap<Scope, (String, Cause)> = BTreeMap::new();
    for gap in gaps {
        // A kind the cluster does not serve is absent, not unreadable.
        if gap.reason.starts_with("not found") || gap.reason.contains(": not found:") {
            continue;
        }
        let scope = scope_of(gap);
        let cause = cause_of(discovery_cause(&gap.reason));
        by_scope.entry(scope).or_insert((gap.reason.clone(), cause));
    }
    let not_evaluated: Vec<String> = set
        .checks()
        .iter()
        .filter(|c| inputs(&c.analyzer).iter().any(|id| by_scope.keys().any(|s| s.covers(id))))
        .map(|c| c.meta.id.clone())
        .collect();
    let mut unreadable: Vec<Unreadable> = by_scope
        .iter()
        .map(|(scope, (reason, cause))| Unreadable {
            resource: scope.name(),
            reason: reason.clone(),
            cause: *cause,
            core: scope.core(),
        })
        .collect();
    unreadable.sort_by_key(|u| !u.core);
    let verdict = if unreadable.iter().any(|u| u.core) {
        Verdict::Unknown
    } else if unreadable.is_empty() && not_evaluated.is_empty() {
        Verdict::Complete
    } else {
        Verdict::Partial
    };
    let fixes = fixes(&unreadable);
    Coverage { verdict, unreadable, not_evaluated, fixes }
}

/// One line per cause: the RBAC rule to add, the credentials to check, the server to look at.
fn fixes(unreadable: &[Unreadable]) -> Vec<String> {
    let mut out = Vec::new();
    if unreadable.iter().any(|u| u.cause == Cause::Unauthorized) {
        out.push(
            "credentials rejected (401): check the token/kubeconfig (`kubectl auth whoami`; re-login, or pick another --context)"
                .to_string(),
        );
    }
    let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for u in unreadable.iter().filter(|u| u.cause == Cause::Forbidden) {
        let (plural, group) = match u.resource.split_once('.') {
            Some(("*", g)) => ("\"*\"".to_string(), g.to_string()),
            Some((p, g)) => (p.to_string(), g.to_string()),
            None if u.resource == "custom resources" => ("\"*\"".to_string(), "*".to_string()),
            None => (u.resource.clone(), String::new()),
        };
        rules.entry(group).or_default().push(plural);
    }
    if !rules.is_empty() {
        let rule = rules
            .iter()
            .map(|(group, plurals)| {
                format!("{{apiGroups: [\"{group}\"], resources: [{}], verbs: [get, list]}}", plurals.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.push(format!(
            "forbidden (403): grant the identity read access; add to its ClusterRole: {rule} (mayadiag's manifests/clusterrole.yaml has the full rule set)"
        ));
    }
    if unreadable.iter().any(|u| u.cause == Cause::ServerError) {
        out.push(
            "the API server failed (5xx): check its health (`kubectl get --raw='/readyz?verbose'`, etcd, aggregated APIs) and run again"
                .to_string(),
        );
    }
    if unreadable.iter().any(|u| u.cause == Cause::Other) {
        out.push(
            "other reads failed (timeouts, broken connections): see each reason; run again, or raise --request-timeout"
                .to_string(),
        );
    }
    out
}

impl Coverage {
    /// The lines a text report leads with when coverage is not complete.
    pub fn headline(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.verdict {
            Verdict::Complete => return out,
            Verdict::Unknown => {
                out.push("Verdict unknown: core inputs could not be read, so no all-clear can be given.".to_string())
            }
            Verdict::Partial if self.not_evaluated.is_empty() => {
                out.push("Partial coverage: some data could not be read; the checks ran on the rest.".to_string())
            }
            Verdict::Partial => out.push(format!(
                "Partial coverage: {} check(s) not evaluated because their inputs could not be read.",
                self.not_evaluated.len()
            )),
        }
        out.push("Could not read:".into());
        for u in self.unreadable.iter().take(12) {
            out.push(format!("  - {}{}: {}", u.resource, if u.core { " (core)" } else { "" }, u.reason));
        }
        if self.unreadable.len() > 12 {
            out.push(format!("  - … and {} more (see the JSON report)", self.unreadable.len() - 12));
        }
        out.push("Fix:".into());
        for f in &self.fixes {
            out.push(format!("  - {f}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(what: &str, reason: &str) -> CollectionGap {
        CollectionGap { what: what.into(), reason: reason.into() }
    }

    fn builtin_set() -> CheckSet {
        CheckSet::load(None).unwrap()
    }

    #[test]
    fn complete_without_gaps() {
        let c = assess(&builtin_set(), &[]);
        assert_eq!(c.verdict, Verdict::Complete);
        assert!(c.unreadable.is_empty() && c.not_evaluated.is_empty() && c.fixes.is_empty());
        assert!(c.headline().is_empty());
    }

    #[test]
    fn forbidden_pods_make_the_verdict_unknown_with_the_rbac_rule() {
        let c = assess(&builtin_set(), &[gap("pods", "forbidden: missing RBAC permission to list pods (x)")]);
        assert_eq!(c.verdict, Verdict::Unknown);
        assert_eq!(c.unreadable[0].resource, "pods");
        assert!(c.unreadable[0].core);
        assert!(c.not_evaluated.iter().any(|id| id == "openebs-pod-crashloop"), "{:?}", c.not_evaluated);
        assert!(!c.not_evaluated.iter().any(|id| id == "node-not-ready"));
        assert!(c.fixes[0].contains("apiGroups: [\"\"], resources: [pods]"), "{:?}", c.fixes);
    }

    #[test]
    fn a_side_resource_is_partial_and_404_is_absence() {
        let c = assess(
            &builtin_set(),
            &[
                gap("nodes", "500 InternalError: etcdserver: request timed out"),
                gap("custom-resources/lvmvolumes.local.openebs.io", "not found: lvmvolumes is not served"),
            ],
        );
        assert_eq!(c.verdict, Verdict::Partial);
        assert_eq!(c.unreadable.len(), 1);
        assert_eq!(c.unreadable[0].cause, Cause::ServerError);
        assert!(c.not_evaluated.iter().any(|id| id == "node-not-ready"));
        assert!(c.fixes[0].contains("5xx"));
    }

    #[test]
    fn failed_discovery_covers_the_group_and_credentials_are_named() {
        let c = assess(
            &builtin_set(),
            &[gap("custom-resources/custom-resources", "discovery of cstor.openebs.io/v1: 401 Unauthorized: no")],
        );
        assert_eq!(c.verdict, Verdict::Unknown);
        assert_eq!(c.unreadable[0].resource, "*.cstor.openebs.io");
        assert_eq!(c.unreadable[0].cause, Cause::Unauthorized);
        assert!(c.not_evaluated.iter().any(|id| id == "cstor-volume-status"));
        assert!(c.fixes[0].contains("credentials rejected"));
    }

    #[test]
    fn mayastor_rest_is_not_core() {
        let c =
            assess(&builtin_set(), &[gap("mayastor-rest", "Mayastor volumes: 503 ServiceUnavailable: no endpoints")]);
        assert_eq!(c.verdict, Verdict::Partial);
        assert_eq!(c.unreadable[0].resource, "volumes.rest.mayastor.openebs.io");
    }

    #[test]
    fn every_check_input_is_a_known_resource() {
        for check in builtin_set().checks() {
            for id in inputs(&check.analyzer) {
                assert!(
                    BUILTINS.iter().any(|b| b.id() == id) || id.contains('.'),
                    "{}: input {id} is neither built in nor a custom resource",
                    check.meta.id
                );
            }
        }
    }
}

//! The catalogue of built-in Kubernetes resources mayadiag collects, serves and reads.
//!
//! One table drives three things that must agree: what `collect` lists, where each kind lives in
//! the bundle (troubleshoot.sh file names, so sbctl and troubleshoot analyzers open our bundles),
//! and what `serve` advertises in discovery. Custom resources are not in this table: they come from
//! the CRDs found in the cluster or the bundle.

/// How a resource is scoped, and so how its bundle files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One file for the whole cluster: `cluster-resources/<file>.json`.
    Cluster,
    /// One file per namespace: `cluster-resources/<dir>/<namespace>.json`.
    Namespaced,
}

/// One built-in resource kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinResource {
    /// API group, `""` for the core group.
    pub group: &'static str,
    /// API version within the group.
    pub version: &'static str,
    /// Kind, as in `kind:`.
    pub kind: &'static str,
    /// Plural resource name, as in the URL.
    pub plural: &'static str,
    /// Singular name, for discovery.
    pub singular: &'static str,
    /// kubectl short names.
    pub short_names: &'static [&'static str],
    /// Cluster or namespaced.
    pub scope: Scope,
    /// The file (cluster scope, without `.json`) or directory (namespaced) under `cluster-resources/`.
    pub bundle_name: &'static str,
}

impl BuiltinResource {
    /// `plural` for the core group, `plural.group` otherwise: the id the snapshot and checks use.
    pub fn id(&self) -> String {
        resource_id(self.group, self.plural)
    }

    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        api_version(self.group, self.version)
    }

    /// The list kind (`PodList`).
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// Whether the resource is namespaced.
    pub fn namespaced(&self) -> bool {
        self.scope == Scope::Namespaced
    }

    /// The URL path that lists this resource, in one namespace or (None) across all of them.
    pub fn list_path(&self, namespace: Option<&str>) -> String {
        list_path(self.group, self.version, self.plural, namespace)
    }
}

/// `plural` for the core group, `plural.group` otherwise.
pub fn resource_id(group: &str, plural: &str) -> String {
    if group.is_empty() { plural.to_string() } else { format!("{plural}.{group}") }
}

/// `v1` for the core group, `group/version` otherwise.
pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() { version.to_string() } else { format!("{group}/{version}") }
}

/// URL path of a list, namespaced or across all namespaces / cluster-scoped.
pub fn list_path(group: &str, version: &str, plural: &str, namespace: Option<&str>) -> String {
    let prefix = if group.is_empty() { format!("/api/{version}") } else { format!("/apis/{group}/{version}") };
    match namespace {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{plural}"),
        None => format!("{prefix}/{plural}"),
    }
}

// One positional argument per column keeps the BUILTINS table below one row per kind.
#[allow(clippy::too_many_arguments)]
const fn r(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    short_names: &'static [&'static str],
    scope: Scope,
    bundle_name: &'static str,
) -> BuiltinResource {
    BuiltinResource { group, version, kind, plural, singular, short_names, scope, bundle_name }
}

use Scope::{Cluster, Namespaced};

/// Every built-in kind we know, in the order `collect` writes them.
pub const BUILTINS: &[BuiltinResource] = &[
    r("", "v1", "Namespace", "namespaces", "namespace", &["ns"], Cluster, "namespaces"),
    r("", "v1", "Node", "nodes", "node", &["no"], Cluster, "nodes"),
    r("storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", &["sc"], Cluster, "storage-classes"),
    r("", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", &["pv"], Cluster, "pvs"),
    r(
        "storage.k8s.io",
        "v1",
        "VolumeAttachment",
        "volumeattachments",
        "volumeattachment",
        &[],
        Cluster,
        "volumeattachments",
    ),
    r("storage.k8s.io", "v1", "CSIDriver", "csidrivers", "csidriver", &[], Cluster, "csidrivers"),
    r("storage.k8s.io", "v1", "CSINode", "csinodes", "csinode", &[], Cluster, "csinodes"),
    r(
        "snapshot.storage.k8s.io",
        "v1",
        "VolumeSnapshotClass",
        "volumesnapshotclasses",
        "volumesnapshotclass",
        &["vsclass", "vsclasses"],
        Cluster,
        "volumesnapshotclasses",
    ),
    r(
        "snapshot.storage.k8s.io",
        "v1",
        "VolumeSnapshotContent",
        "volumesnapshotcontents",
        "volumesnapshotcontent",
        &["vsc", "vscs"],
        Cluster,
        "volumesnapshotcontents",
    ),
    r(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        "customresourcedefinition",
        &["crd", "crds"],
        Cluster,
        "custom-resource-definitions",
    ),
    r(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        &[],
        Cluster,
        "validating-webhook-configurations",
    ),
    r(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        &[],
        Cluster,
        "mutating-webhook-configurations",
    ),
    r(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        &["pvc"],
        Namespaced,
        "pvcs",
    ),
    r("", "v1", "Pod", "pods", "pod", &["po"], Namespaced, "pods"),
    r("", "v1", "Event", "events", "event", &["ev"], Namespaced, "events"),
    r("apps", "v1", "Deployment", "deployments", "deployment", &["deploy"], Namespaced, "deployments"),
    r("apps", "v1", "DaemonSet", "daemonsets", "daemonset", &["ds"], Namespaced, "daemonsets"),
    r("apps", "v1", "StatefulSet", "statefulsets", "statefulset", &["sts"], Namespaced, "statefulsets"),
    r("apps", "v1", "ReplicaSet", "replicasets", "replicaset", &["rs"], Namespaced, "replicasets"),
    r("batch", "v1", "Job", "jobs", "job", &[], Namespaced, "jobs"),
    // Legacy, but `kubectl cluster-info dump` asks for it, so `serve` must know it.
    r(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        "replicationcontroller",
        &["rc"],
        Namespaced,
        "replicationcontrollers",
    ),
    r("", "v1", "Service", "services", "service", &["svc"], Namespaced, "services"),
    r("", "v1", "Endpoints", "endpoints", "endpoints", &["ep"], Namespaced, "endpoints"),
    r("", "v1", "ConfigMap", "configmaps", "configmap", &["cm"], Namespaced, "configmaps"),
    r("", "v1", "Secret", "secrets", "secret", &[], Namespaced, "secrets"),
    r("coordination.k8s.io", "v1", "Lease", "leases", "lease", &[], Namespaced, "leases"),
    r(
        "snapshot.storage.k8s.io",
        "v1",
        "VolumeSnapshot",
        "volumesnapshots",
        "volumesnapshot",
        &["vs"],
        Namespaced,
        "volumesnapshots",
    ),
];

/// Look a built-in up by its id (`pods`, `deployments.apps`).
pub fn builtin_by_id(id: &str) -> Option<&'static BuiltinResource> {
    BUILTINS.iter().find(|b| b.id() == id)
}

/// Look a built-in up by its bundle file or directory name (`pvcs`, `storage-classes`), accepting
/// the variants troubleshoot.sh has used over the years.
/// Kinds troubleshoot bundles hold that `collect` does not gather (its RBAC does not ask for
/// them): read from a bundle and served, so `kubectl get cronjobs,ingresses,roles…` work on a
/// troubleshoot bundle. Bundle names are troubleshoot's.
pub const READ_ONLY: &[BuiltinResource] = &[
    r("batch", "v1", "CronJob", "cronjobs", "cronjob", &["cj"], Namespaced, "cronjobs"),
    r("networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", &["ing"], Namespaced, "ingress"),
    r(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        "networkpolicy",
        &["netpol"],
        Namespaced,
        "network-policy",
    ),
    r(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        &["pdb"],
        Namespaced,
        "pod-disruption-budgets",
    ),
    r("", "v1", "ResourceQuota", "resourcequotas", "resourcequota", &["quota"], Namespaced, "resource-quota"),
    r("", "v1", "LimitRange", "limitranges", "limitrange", &["limits"], Namespaced, "limitranges"),
    r("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", &["sa"], Namespaced, "serviceaccounts"),
    r("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", &[], Namespaced, "endpointslices"),
    r("rbac.authorization.k8s.io", "v1", "Role", "roles", "role", &[], Namespaced, "roles"),
    r("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding", &[], Namespaced, "rolebindings"),
    r("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole", &[], Cluster, "clusterroles"),
    r(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        &[],
        Cluster,
        "clusterrolebindings",
    ),
    r(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        "priorityclass",
        &["pc"],
        Cluster,
        "priorityclasses",
    ),
];

/// A kind by its bundle file or directory name (troubleshoot's, and the older spellings).
pub fn builtin_by_bundle_name(name: &str) -> Option<&'static BuiltinResource> {
    let canonical = match name {
        "storageclasses" => "storage-classes",
        "persistentvolumes" => "pvs",
        "persistentvolumeclaims" => "pvcs",
        "customresourcedefinitions" => "custom-resource-definitions",
        // mayadiag before 0.2 and troubleshoot before 0.127 wrote the webhooks under these names.
        "validatingwebhookconfigurations" => "validating-webhook-configurations",
        "mutatingwebhookconfigurations" => "mutating-webhook-configurations",
        // troubleshoot before 0.60 or so.
        "clusterRoleBindings" => "clusterrolebindings",
        "resource-quotas" => "resource-quota",
        other => other,
    };
    BUILTINS.iter().chain(READ_ONLY).find(|b| b.bundle_name == canonical)
}

/// Look a built-in up by group and plural.
pub fn builtin_by_plural(group: &str, plural: &str) -> Option<&'static BuiltinResource> {
    BUILTINS.iter().find(|b| b.group == group && b.plural == plural)
}

/// Discovery categories of a built-in kind: `all` for the kinds `kubectl get all` shows.
pub fn builtin_categories(group: &str, plural: &str) -> &'static [&'static str] {
    match (group, plural) {
        ("", "pods" | "services" | "replicationcontrollers")
        | ("apps", "deployments" | "daemonsets" | "statefulsets" | "replicasets")
        | ("batch", "jobs" | "cronjobs")
        | ("autoscaling", "horizontalpodautoscalers") => &["all"],
        _ => &[],
    }
}

/// One resource of API discovery, as troubleshoot's `resources.json` holds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DiscoveredResource {
    /// API group (`""` for core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Plural (URL) name.
    pub plural: String,
    /// Kind.
    pub kind: String,
    /// Singular name.
    pub singular: String,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// kubectl short names.
    pub short_names: Vec<String>,
    /// Categories (`all`, …) for `kubectl get <category>`.
    pub categories: Vec<String>,
}

impl DiscoveredResource {
    /// A built-in kind as discovery describes it.
    pub fn from_builtin(b: &BuiltinResource) -> DiscoveredResource {
        DiscoveredResource {
            group: b.group.into(),
            version: b.version.into(),
            plural: b.plural.into(),
            kind: b.kind.into(),
            singular: b.singular.into(),
            namespaced: b.scope == Scope::Namespaced,
            short_names: b.short_names.iter().map(|s| s.to_string()).collect(),
            categories: builtin_categories(b.group, b.plural).iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// troubleshoot's two discovery files for a set of resources: `groups.json` (an array of
/// `APIGroup`, the core group as `""`) and `resources.json` (an array of `APIResourceList`, one
/// per group version), as `pkg/collect/cluster_resources.go` writes them and sbctl serves them.
pub fn discovery_files(resources: &[DiscoveredResource]) -> (serde_json::Value, serde_json::Value) {
    use serde_json::json;
    use std::collections::BTreeMap;
    let mut by_gv: BTreeMap<(&str, &str), Vec<&DiscoveredResource>> = BTreeMap::new();
    for r in resources {
        by_gv.entry((&r.group, &r.version)).or_default().push(r);
    }
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut lists = Vec::new();
    for ((group, version), rs) in &by_gv {
        groups.entry(group).or_default().push(version);
        let entries: Vec<serde_json::Value> = rs
            .iter()
            .map(|r| {
                let mut e = json!({"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                    "kind": r.kind, "verbs": ["get", "list"]});
                if !r.short_names.is_empty() {
                    e["shortNames"] = json!(r.short_names);
                }
                if !r.categories.is_empty() {
                    e["categories"] = json!(r.categories);
                }
                e
            })
            .collect();
        lists.push(json!({"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": api_version(group, version), "resources": entries}));
    }
    let groups: Vec<serde_json::Value> = groups
        .into_iter()
        .map(|(group, versions)| {
            let vs: Vec<serde_json::Value> =
                versions.iter().map(|v| json!({"groupVersion": api_version(group, v), "version": v})).collect();
            json!({"name": group, "versions": vs, "preferredVersion": vs[0]})
        })
        .collect();
    (serde_json::Value::Array(groups), serde_json::Value::Array(lists))
}

/// The listable resources of a `resources.json` (troubleshoot's or ours); subresources and
/// resources that cannot be listed are left out.
pub fn parse_resources_json(value: &serde_json::Value) -> Vec<DiscoveredResource> {
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
    };
    let mut out = Vec::new();
    for list in value.as_array().into_iter().flatten() {
        let Some(gv) = list["groupVersion"].as_str() else { continue };
        let (group, version) = gv.split_once('/').unwrap_or(("", gv));
        for r in list["resources"].as_array().into_iter().flatten() {
            let (Some(plural), Some(kind)) = (r["name"].as_str(), r["kind"].as_str()) else { continue };
            let listable = r["verbs"].as_array().is_none_or(|v| v.iter().any(|x| x == "list"));
            if plural.contains('/') || !listable {
                continue;
            }
            out.push(DiscoveredResource {
                group: group.to_string(),
                version: version.to_string(),
                plural: plural.to_string(),
                kind: kind.to_string(),
                singular: r["singularName"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map_or_else(|| kind.to_lowercase(), str::to_string),
                namespaced: r["namespaced"].as_bool().unwrap_or(true),
                short_names: strings(&r["shortNames"]),
                categories: strings(&r["categories"]),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_paths() {
        let pods = builtin_by_id("pods").unwrap();
        assert_eq!(pods.list_path(Some("openebs")), "/api/v1/namespaces/openebs/pods");
        let sc = builtin_by_id("storageclasses.storage.k8s.io").unwrap();
        assert_eq!(sc.list_path(None), "/apis/storage.k8s.io/v1/storageclasses");
        assert_eq!(sc.api_version(), "storage.k8s.io/v1");
        assert_eq!(builtin_by_bundle_name("storageclasses").unwrap().kind, "StorageClass");
    }

    #[test]
    fn bundle_names_are_unique() {
        let mut names: Vec<_> = BUILTINS.iter().map(|b| b.bundle_name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}

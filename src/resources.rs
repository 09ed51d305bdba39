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
        "validatingwebhookconfigurations",
    ),
    r(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        &[],
        Cluster,
        "mutatingwebhookconfigurations",
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
pub fn builtin_by_bundle_name(name: &str) -> Option<&'static BuiltinResource> {
    let canonical = match name {
        "storageclasses" => "storage-classes",
        "persistentvolumes" => "pvs",
        "persistentvolumeclaims" => "pvcs",
        "customresourcedefinitions" => "custom-resource-definitions",
        other => other,
    };
    BUILTINS.iter().find(|b| b.bundle_name == canonical)
}

/// Look a built-in up by group and plural.
pub fn builtin_by_plural(group: &str, plural: &str) -> Option<&'static BuiltinResource> {
    BUILTINS.iter().find(|b| b.group == group && b.plural == plural)
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

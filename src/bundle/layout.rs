//! Where things live inside a bundle: one function maps a path to what it holds, one parses the
//! object files, so the reader, `serve` and `redact` agree.

use serde_json::Value;

use crate::resources::{self, BuiltinResource, Scope};
use crate::snapshot::LogKey;

/// What a file in a bundle holds, judged from its path (relative to the top directory).
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A list of built-in objects.
    Builtin {
        /// Which kind.
        resource: &'static BuiltinResource,
        /// The namespace, for namespaced kinds.
        namespace: Option<String>,
    },
    /// Custom resources of one `<plural>.<group>`.
    Custom {
        /// `<plural>.<group>`.
        resource_id: String,
        /// The namespace, `None` for cluster-scoped resources.
        namespace: Option<String>,
        /// Stored as YAML (older troubleshoot bundles) rather than JSON.
        yaml: bool,
    },
    /// One container log.
    Log(LogKey),
    /// A NodeReport from the agent.
    NodeReport {
        /// The node.
        node: String,
    },
    /// `<kind>-errors.json`: what could not be collected.
    Errors {
        /// The kind (file stem without `-errors`).
        what: String,
    },
    /// `cluster-info/cluster_version.json`.
    ClusterVersion,
    /// `mayadiag/manifest.json`.
    Manifest,
    /// `mayadiag/analysis.json`.
    Analysis,
    /// `version.yaml`.
    Version,
    /// `cluster-resources/resources.json` (API discovery, an array of `APIResourceList`).
    DiscoveryResources,
    /// `cluster-resources/groups.json` (API discovery, an array of `APIGroup`).
    DiscoveryGroups,
    /// Anything else (troubleshoot host collectors, summaries, …).
    Other,
}

/// Classify a path relative to the bundle's top directory.
pub fn classify(rel: &str) -> Entry {
    match rel {
        "cluster-info/cluster_version.json" => return Entry::ClusterVersion,
        "mayadiag/manifest.json" => return Entry::Manifest,
        "mayadiag/analysis.json" => return Entry::Analysis,
        "version.yaml" => return Entry::Version,
        "cluster-resources/resources.json" => return Entry::DiscoveryResources,
        "cluster-resources/groups.json" => return Entry::DiscoveryGroups,
        _ => {}
    }
    if let Some(node) = rel.strip_prefix("node-reports/").and_then(|f| f.strip_suffix(".json"))
        && !node.contains('/')
    {
        return Entry::NodeReport { node: node.to_string() };
    }
    let Some(cr) = rel.strip_prefix("cluster-resources/") else { return Entry::Other };
    if let Some(key) = LogKey::from_bundle_path(cr) {
        // troubleshoot writes `<container>-logs-errors.log` beside a log it could not fetch
        // completely: a note about the container, not a container.
        if key.container.ends_with("-logs-errors") {
            return Entry::Other;
        }
        return Entry::Log(key);
    }
    if let Some(stem) = cr.strip_suffix("-errors.json") {
        return Entry::Errors { what: stem.to_string() };
    }
    if let Some(custom) = cr.strip_prefix("custom-resources/") {
        let (stem, yaml) = match (custom.strip_suffix(".json"), custom.strip_suffix(".yaml")) {
            (Some(s), _) => (s, false),
            (_, Some(s)) => (s, true),
            _ => return Entry::Other,
        };
        return match stem.split_once('/') {
            Some((id, ns)) if !ns.contains('/') && id.contains('.') => {
                Entry::Custom { resource_id: id.to_string(), namespace: Some(ns.to_string()), yaml }
            }
            None if stem.contains('.') => Entry::Custom { resource_id: stem.to_string(), namespace: None, yaml },
            _ => Entry::Other,
        };
    }
    let Some(stem) = cr.strip_suffix(".json") else { return Entry::Other };
    match stem.split_once('/') {
        None => match resources::builtin_by_bundle_name(stem) {
            Some(r) if r.scope == Scope::Cluster => Entry::Builtin { resource: r, namespace: None },
            _ => Entry::Other,
        },
        Some((dir, ns)) if !ns.contains('/') => match resources::builtin_by_bundle_name(dir) {
            Some(r) if r.scope == Scope::Namespaced => Entry::Builtin { resource: r, namespace: Some(ns.to_string()) },
            _ => Entry::Other,
        },
        _ => Entry::Other,
    }
}

/// Custom-resource files by `(resource id, namespace)`, keeping one copy when a bundle has both
/// `.json` and `.yaml` (troubleshoot 0.76–0.132 wrote both): JSON wins, whatever the order.
#[derive(Debug, Default)]
pub struct CustomFiles {
    files: std::collections::BTreeMap<(String, Option<String>), (bool, Vec<Value>)>,
}

impl CustomFiles {
    /// Record a file's objects.
    pub fn add(&mut self, resource_id: String, namespace: Option<String>, yaml: bool, items: Vec<Value>) {
        let slot = self.files.entry((resource_id, namespace)).or_insert((yaml, Vec::new()));
        if slot.1.is_empty() || (slot.0 && !yaml) {
            *slot = (yaml, items);
        } else if slot.0 == yaml {
            slot.1.extend(items);
        }
    }

    /// Whether a file for this key in the other format should be skipped unread (a JSON copy is
    /// already there).
    pub fn has_json(&self, resource_id: &str, namespace: Option<&str>) -> bool {
        self.files
            .get(&(resource_id.to_string(), namespace.map(str::to_string)))
            .is_some_and(|(yaml, items)| !yaml && !items.is_empty())
    }

    /// Objects by resource id.
    pub fn into_objects(self) -> std::collections::BTreeMap<String, Vec<Value>> {
        let mut out: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
        for ((id, _), (_, items)) in self.files {
            out.entry(id).or_default().extend(items);
        }
        out
    }
}

/// The bundle path (relative to the top directory) of a list file.
pub fn list_path(resource: &BuiltinResource, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("cluster-resources/{}/{}.json", resource.bundle_name, ns),
        None => format!("cluster-resources/{}.json", resource.bundle_name),
    }
}

/// The bundle path of a custom-resource file.
pub fn custom_path(resource_id: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("cluster-resources/custom-resources/{resource_id}/{ns}.json"),
        None => format!("cluster-resources/custom-resources/{resource_id}.json"),
    }
}

/// The newest `lastTimestamp`/`eventTime`/`firstTimestamp` of some events: the best guess of
/// when a bundle without a manifest (troubleshoot.sh) was collected.
pub fn newest_event_time<'a>(events: impl IntoIterator<Item = &'a Value>) -> Option<chrono::DateTime<chrono::Utc>> {
    events
        .into_iter()
        .flat_map(|e| ["lastTimestamp", "eventTime", "firstTimestamp"].map(|k| e.get(k).and_then(Value::as_str)))
        .flatten()
        .filter_map(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok())
        .max()
}

/// YAML as troubleshoot's redaction leaves it: `ip: ***HIDDEN***` (an unquoted value that YAML
/// reads as an alias) and keys made equal by the masking (`f:tcp://***HIDDEN***:10000` twice in
/// managedFields). Read tolerantly: the mask is quoted where it starts a value, the last of equal
/// keys wins.
fn parse_redacted_yaml(text: &str) -> Result<Value, String> {
    use serde_saphyr::DuplicateKeyPolicy;
    let options = || serde_saphyr::options! { duplicate_keys: DuplicateKeyPolicy::LastWins };
    let first = serde_saphyr::from_str_with_options(text, options());
    match first {
        Ok(v) => Ok(v),
        Err(e) if text.contains("***HIDDEN***") => {
            static MASK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
                regex::Regex::new(r"(?m)((?:^|:|-)[ \t]+)(\*\*\*HIDDEN\*\*\*[^'\n]*?)[ \t]*$")
                    .unwrap_or_else(|_| unreachable!())
            });
            let quoted = MASK.replace_all(text, "$1'$2'");
            serde_saphyr::from_str_with_options(&quoted, options()).map_err(|_| format!("invalid YAML: {e}"))
        }
        Err(e) => Err(format!("invalid YAML: {e}")),
    }
}

/// Parse an object file: a `List` object, a JSON array, or (for YAML files) a YAML sequence or list.
pub fn parse_items(data: &[u8], yaml: bool) -> Result<Vec<Value>, String> {
    let value: Value = if yaml {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"))?;
        parse_redacted_yaml(text)?
    } else {
        serde_json::from_slice(data).map_err(|e| format!("invalid JSON: {e}"))?
    };
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(mut map) => match map.remove("items") {
            Some(Value::Array(items)) => Ok(items),
            Some(Value::Null) | None if map.contains_key("kind") || map.contains_key("metadata") => Ok(Vec::new()),
            _ => Err("expected a List object or an array of objects".into()),
        },
        Value::Null => Ok(Vec::new()),
        _ => Err("expected a List object or an array of objects".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_troubleshoot_and_our_paths() {
        assert!(matches!(classify("cluster-resources/pods/kube-system.json"),
            Entry::Builtin { resource, namespace: Some(ns) } if resource.plural == "pods" && ns == "kube-system"));
        assert!(matches!(classify("cluster-resources/storage-classes.json"),
            Entry::Builtin { resource, namespace: None } if resource.kind == "StorageClass"));
        assert!(matches!(classify("cluster-resources/pvcs/default.json"),
            Entry::Builtin { resource, .. } if resource.kind == "PersistentVolumeClaim"));
        assert_eq!(
            classify("cluster-resources/custom-resources/cstorvolumes.cstor.openebs.io/openebs.json"),
            Entry::Custom {
                resource_id: "cstorvolumes.cstor.openebs.io".into(),
                namespace: Some("openebs".into()),
                yaml: false
            }
        );
        assert_eq!(
            classify("cluster-resources/custom-resources/helmcharts.helm.cattle.io/kube-system.yaml"),
            Entry::Custom {
                resource_id: "helmcharts.helm.cattle.io".into(),
                namespace: Some("kube-system".into()),
                yaml: true
            }
        );
        assert!(matches!(classify("cluster-resources/pods/logs/ns/p/c-previous.log"), Entry::Log(k) if k.previous));
        assert_eq!(classify("cluster-resources/pods/logs/ns/p/c-logs-errors.log"), Entry::Other);
        assert_eq!(classify("cluster-resources/resources.json"), Entry::DiscoveryResources);
        assert!(matches!(classify("cluster-resources/validating-webhook-configurations.json"),
            Entry::Builtin { resource, .. } if resource.kind == "ValidatingWebhookConfiguration"));
        assert!(matches!(classify("cluster-resources/mutatingwebhookconfigurations.json"),
            Entry::Builtin { resource, .. } if resource.kind == "MutatingWebhookConfiguration"));
        assert_eq!(classify("cluster-resources/pods-errors.json"), Entry::Errors { what: "pods".into() });
        assert_eq!(classify("node-reports/n1.json"), Entry::NodeReport { node: "n1".into() });
        assert_eq!(classify("cluster-resources/auth-cani-list/default.json"), Entry::Other);
        assert_eq!(classify("dns/debug.json"), Entry::Other);
    }

    #[test]
    fn parses_lists_arrays_and_yaml() {
        assert_eq!(parse_items(br#"{"kind":"PodList","items":[{"a":1}]}"#, false).unwrap().len(), 1);
        assert_eq!(parse_items(br#"[{"a":1},{"b":2}]"#, false).unwrap().len(), 2);
        assert_eq!(parse_items(b"- a: 1\n- b: 2\n", true).unwrap().len(), 2);
        assert_eq!(parse_items(br#"{"kind":"EventList","items":null}"#, false).unwrap().len(), 0);
        assert!(parse_items(b"{nope", false).is_err());
        // troubleshoot-redacted YAML: an unquoted mask, and keys the mask made equal.
        let redacted = b"- status:\n    ip: ***HIDDEN***\n    ports:\n    - ***HIDDEN***\n    map:\n      r-1: ***HIDDEN***:10000\n  metadata:\n    f:tcp://***HIDDEN***:1: {}\n    f:tcp://***HIDDEN***:1: {}\n";
        let items = parse_items(redacted, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(items[0]["status"]["ip"], "***HIDDEN***");
        assert_eq!(items[0]["status"]["ports"][0], "***HIDDEN***");
        assert_eq!(items[0]["status"]["map"]["r-1"], "***HIDDEN***:10000");
    }

    /// The table of troubleshoot file names in README.md, read side: every name maps to what it
    /// holds (the write side is checked on a collected bundle in tests/interop.rs).
    #[test]
    fn troubleshoot_file_names_table() {
        let builtin = |rel: &str, kind: &str| {
            assert!(
                matches!(classify(rel), Entry::Builtin { resource, .. } if resource.kind == kind),
                "{rel} should hold {kind}"
            );
        };
        for (rel, kind) in [
            ("cluster-resources/namespaces.json", "Namespace"),
            ("cluster-resources/nodes.json", "Node"),
            ("cluster-resources/pvs.json", "PersistentVolume"),
            ("cluster-resources/persistentvolumes.json", "PersistentVolume"),
            ("cluster-resources/storage-classes.json", "StorageClass"),
            ("cluster-resources/storageclasses.json", "StorageClass"),
            ("cluster-resources/custom-resource-definitions.json", "CustomResourceDefinition"),
            ("cluster-resources/customresourcedefinitions.json", "CustomResourceDefinition"),
            ("cluster-resources/volumeattachments.json", "VolumeAttachment"),
            ("cluster-resources/csidrivers.json", "CSIDriver"),
            ("cluster-resources/csinodes.json", "CSINode"),
            ("cluster-resources/validating-webhook-configurations.json", "ValidatingWebhookConfiguration"),
            ("cluster-resources/validatingwebhookconfigurations.json", "ValidatingWebhookConfiguration"),
            ("cluster-resources/mutating-webhook-configurations.json", "MutatingWebhookConfiguration"),
            ("cluster-resources/mutatingwebhookconfigurations.json", "MutatingWebhookConfiguration"),
            ("cluster-resources/pods/ns.json", "Pod"),
            ("cluster-resources/pvcs/ns.json", "PersistentVolumeClaim"),
            ("cluster-resources/persistentvolumeclaims/ns.json", "PersistentVolumeClaim"),
            ("cluster-resources/events/ns.json", "Event"),
            ("cluster-resources/deployments/ns.json", "Deployment"),
            ("cluster-resources/daemonsets/ns.json", "DaemonSet"),
            ("cluster-resources/statefulsets/ns.json", "StatefulSet"),
            ("cluster-resources/replicasets/ns.json", "ReplicaSet"),
            ("cluster-resources/jobs/ns.json", "Job"),
            ("cluster-resources/services/ns.json", "Service"),
            ("cluster-resources/endpoints/ns.json", "Endpoints"),
            ("cluster-resources/configmaps/ns.json", "ConfigMap"),
            ("cluster-resources/secrets/ns.json", "Secret"),
            ("cluster-resources/leases/ns.json", "Lease"),
            ("cluster-resources/replicationcontrollers/ns.json", "ReplicationController"),
            ("cluster-resources/cronjobs/ns.json", "CronJob"),
            ("cluster-resources/ingress/ns.json", "Ingress"),
            ("cluster-resources/network-policy/ns.json", "NetworkPolicy"),
            ("cluster-resources/pod-disruption-budgets/ns.json", "PodDisruptionBudget"),
            ("cluster-resources/resource-quota/ns.json", "ResourceQuota"),
            ("cluster-resources/resource-quotas/ns.json", "ResourceQuota"),
            ("cluster-resources/limitranges/ns.json", "LimitRange"),
            ("cluster-resources/serviceaccounts/ns.json", "ServiceAccount"),
            ("cluster-resources/endpointslices/ns.json", "EndpointSlice"),
            ("cluster-resources/roles/ns.json", "Role"),
            ("cluster-resources/rolebindings/ns.json", "RoleBinding"),
            ("cluster-resources/clusterroles.json", "ClusterRole"),
            ("cluster-resources/clusterrolebindings.json", "ClusterRoleBinding"),
            ("cluster-resources/clusterRoleBindings.json", "ClusterRoleBinding"),
            ("cluster-resources/priorityclasses.json", "PriorityClass"),
        ] {
            builtin(rel, kind);
        }
        assert_eq!(classify("version.yaml"), Entry::Version);
        assert_eq!(classify("cluster-info/cluster_version.json"), Entry::ClusterVersion);
        assert_eq!(classify("cluster-resources/resources.json"), Entry::DiscoveryResources);
        assert_eq!(classify("cluster-resources/groups.json"), Entry::DiscoveryGroups);
        assert!(matches!(
            classify("cluster-resources/custom-resources/a.x.io/ns.yaml"),
            Entry::Custom { yaml: true, .. }
        ));
        assert!(matches!(
            classify("cluster-resources/custom-resources/a.x.io.json"),
            Entry::Custom { namespace: None, yaml: false, .. }
        ));
        assert!(matches!(classify("cluster-resources/pods/logs/ns/p/c.log"), Entry::Log(k) if !k.previous));
        assert_eq!(classify("cluster-resources/pods/logs/ns/p/c-logs-errors.log"), Entry::Other);
        assert_eq!(classify("cluster-resources/deployments-errors.json"), Entry::Errors { what: "deployments".into() });
        // We write troubleshoot's spelling of the webhook files.
        let written = |kind: &str| {
            crate::resources::BUILTINS.iter().find(|b| b.kind == kind).map(|b| list_path(b, None)).unwrap_or_default()
        };
        assert_eq!(
            written("ValidatingWebhookConfiguration"),
            "cluster-resources/validating-webhook-configurations.json"
        );
        assert_eq!(written("MutatingWebhookConfiguration"), "cluster-resources/mutating-webhook-configurations.json");
    }
}

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
        _ => {}
    }
    if let Some(node) = rel.strip_prefix("node-reports/").and_then(|f| f.strip_suffix(".json"))
        && !node.contains('/')
    {
        return Entry::NodeReport { node: node.to_string() };
    }
    let Some(cr) = rel.strip_prefix("cluster-resources/") else { return Entry::Other };
    if let Some(key) = LogKey::from_bundle_path(cr) {
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

/// Parse an object file: a `List` object, a JSON array, or (for YAML files) a YAML sequence or list.
pub fn parse_items(data: &[u8], yaml: bool) -> Result<Vec<Value>, String> {
    let value: Value = if yaml {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"))?;
        serde_saphyr::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?
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
    }
}

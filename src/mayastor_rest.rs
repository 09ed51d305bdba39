//! Mayastor's control-plane state that is not in CRDs: volumes, pools, io-engine
//! nodes, nexuses and replicas, read from the api-rest service (`/v0/...`) through the API
//! server's service proxy, as `kubectl mayastor` does.
//!
//! In a bundle they are stored as if they were cluster-scoped custom resources of the group
//! [`GROUP`] (`cluster-resources/custom-resources/volumes.rest.mayastor.openebs.io.json`, …): each
//! REST entry keeps its fields and gains `apiVersion`, `kind` and `metadata.name` (its id). So the
//! bundle reader, the checks (`cr-status` on `state.status`) and `serve` (`kubectl get
//! volumes.rest.mayastor.openebs.io`) treat them like any other resource, and `serve` answers the
//! service-proxy paths from them with the REST shapes again.

use serde_json::{Map, Value, json};

/// The pseudo API group the REST objects are stored under. No API server serves it.
pub const GROUP: &str = "rest.mayastor.openebs.io";
/// Their `apiVersion`.
pub const API_VERSION: &str = "rest.mayastor.openebs.io/v0";
/// The api-rest pods' label, also on its Service.
pub const SERVICE_LABEL: (&str, &str) = ("app", "api-rest");
/// api-rest's HTTP port in the chart.
pub const DEFAULT_PORT: u16 = 8081;

/// One REST collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestKind {
    /// Path under `/v0/` and the plural of the stored resource.
    pub path: &'static str,
    /// `kind` of the stored objects.
    pub kind: &'static str,
    /// JSON pointers to the id, first present wins.
    id_pointers: &'static [&'static str],
    /// `/v0/volumes` is paginated (`max_entries`, `starting_token` → `{entries, next_token}`);
    /// the others answer a plain array.
    pub paginated: bool,
}

/// Everything collected, in collection order.
pub const KINDS: [RestKind; 5] = [
    RestKind { path: "nodes", kind: "IoEngineNode", id_pointers: &["/id"], paginated: false },
    RestKind { path: "pools", kind: "Pool", id_pointers: &["/id"], paginated: false },
    RestKind { path: "volumes", kind: "Volume", id_pointers: &["/spec/uuid", "/state/uuid"], paginated: true },
    RestKind { path: "nexuses", kind: "Nexus", id_pointers: &["/uuid"], paginated: false },
    RestKind { path: "replicas", kind: "Replica", id_pointers: &["/uuid"], paginated: false },
];

/// Entries per page when paging `/v0/volumes`.
pub const PAGE_SIZE: usize = 500;

impl RestKind {
    /// `<path>.rest.mayastor.openebs.io`: the snapshot resource id and bundle file stem.
    pub fn resource_id(&self) -> String {
        format!("{}.{GROUP}", self.path)
    }

    /// The REST kind stored under a plural.
    pub fn from_path(path: &str) -> Option<RestKind> {
        KINDS.into_iter().find(|k| k.path == path)
    }

    /// The service-proxy path of this collection (`query` without `?`, may be empty).
    pub fn proxy_path(&self, namespace: &str, service: &str, port: u16, query: &str) -> String {
        let q = if query.is_empty() { String::new() } else { format!("?{query}") };
        format!("/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy/v0/{}{q}", self.path)
    }

    /// A REST entry as a stored object (fields kept; `apiVersion`, `kind`, `metadata.name` added).
    pub fn to_object(&self, entry: Value) -> Value {
        let id =
            self.id_pointers.iter().find_map(|p| entry.pointer(p).and_then(Value::as_str)).unwrap_or("").to_string();
        let mut object = match entry {
            Value::Object(map) => map,
            other => Map::from_iter([("value".to_string(), other)]),
        };
        object.insert("apiVersion".into(), json!(API_VERSION));
        object.insert("kind".into(), json!(self.kind));
        object.insert("metadata".into(), json!({"name": id}));
        Value::Object(object)
    }
}

/// A stored object back as the REST entry (what api-rest answered).
pub fn to_entry(object: &Value) -> Value {
    match object {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One REST page: its entries and the next page's token (paginated collections).
pub fn parse_page(kind: &RestKind, body: Value) -> Result<(Vec<Value>, Option<u64>), String> {
    match body {
        Value::Array(entries) => Ok((entries, None)),
        Value::Object(mut map) if kind.paginated => {
            let entries = match map.remove("entries") {
                Some(Value::Array(entries)) => entries,
                _ => return Err(format!("/v0/{}: no `entries` array in the answer", kind.path)),
            };
            Ok((entries, map.get("next_token").and_then(Value::as_u64)))
        }
        _ => Err(format!("/v0/{}: expected a JSON array", kind.path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_stored_objects() {
        let volumes = RestKind::from_path("volumes").unwrap();
        let entry = json!({"spec": {"uuid": "v-1", "num_replicas": 1}, "state": {"uuid": "v-1", "status": "Faulted"}});
        let object = volumes.to_object(entry.clone());
        assert_eq!(object["metadata"]["name"], "v-1");
        assert_eq!(object["kind"], "Volume");
        assert_eq!(object["apiVersion"], API_VERSION);
        assert_eq!(to_entry(&object), entry);
        assert_eq!(volumes.resource_id(), "volumes.rest.mayastor.openebs.io");
        let pools = RestKind::from_path("pools").unwrap();
        assert_eq!(
            pools.to_object(json!({"id": "pool-1", "state": {"status": "Online"}}))["metadata"]["name"],
            "pool-1"
        );
    }

    #[test]
    fn pages() {
        let volumes = RestKind::from_path("volumes").unwrap();
        let (entries, next) = parse_page(&volumes, json!({"entries": [{"a": 1}], "next_token": 500})).unwrap();
        assert_eq!((entries.len(), next), (1, Some(500)));
        let (entries, next) = parse_page(&volumes, json!({"entries": []})).unwrap();
        assert_eq!((entries.len(), next), (0, None));
        let nodes = RestKind::from_path("nodes").unwrap();
        assert_eq!(parse_page(&nodes, json!([{"id": "n"}])).unwrap().0.len(), 1);
        assert!(parse_page(&nodes, json!({"entries": []})).is_err());
        assert!(parse_page(&volumes, json!("nope")).is_err());
        assert_eq!(
            volumes.proxy_path("openebs", "openebs-api-rest", 8081, "max_entries=500"),
            "/api/v1/namespaces/openebs/services/openebs-api-rest:8081/proxy/v0/volumes?max_entries=500"
        );
    }
}

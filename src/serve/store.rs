//! The objects and logs `serve` answers from, loaded once from a bundle, plus what discovery
//! advertises about them.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::bundle::layout::{self, Entry};
use crate::bundle::reader::ensure_type_meta;
use crate::bundle::reader::{ReadLimits, holds_data, plausible_mtime};
use crate::bundle::{BundleError, OpenBundle};
use crate::inventory::AGENT_GROUP;
use crate::resources::{self, BUILTINS, Scope};
use crate::snapshot::{LogKey, meta_str};

/// What discovery says about one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceInfo {
    /// API group (`""` for core).
    pub group: String,
    /// Served version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Plural name.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Short names for kubectl.
    pub short_names: Vec<String>,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Printer columns from the CRD (`additionalPrinterColumns`), for tables.
    pub printer_columns: Vec<PrinterColumn>,
    /// Discovery categories (`all` makes `kubectl get all` list it).
    pub categories: Vec<String>,
}

impl ResourceInfo {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        resources::api_version(&self.group, &self.version)
    }
}

/// One `additionalPrinterColumns` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    /// Column header.
    pub name: String,
    /// `string`, `integer`, `date`, …
    pub column_type: String,
    /// JSONPath (simple dotted form is evaluated).
    pub json_path: String,
    /// 0 shows by default; higher only with `-o wide`.
    pub priority: i64,
}

/// Everything served.
#[derive(Debug, Default)]
pub struct Store {
    /// Resource infos keyed by `(group, plural)`.
    pub resources: BTreeMap<(String, String), ResourceInfo>,
    /// Objects keyed by `(group, plural)`, sorted by namespace and name.
    pub objects: BTreeMap<(String, String), Vec<Value>>,
    /// Container logs, kept in a spill file rather than in memory.
    pub logs: LogSpill,
    /// `/version` answer; `None` when the bundle has no `cluster_version.json` (404, as sbctl).
    pub version: Option<Value>,
    /// What could not be read because a limit was hit.
    pub limit_gaps: Vec<crate::bundle::reader::LimitGap>,
    /// Reference time for ages (collection time of the bundle).
    pub reference_time: Option<DateTime<Utc>>,
}

/// The NodeReport resource (mayadiag's own CRD), served from `node-reports/` and writable with
/// `--accept-writes`.
pub fn node_report_info() -> ResourceInfo {
    ResourceInfo {
        group: AGENT_GROUP.into(),
        version: "v1alpha1".into(),
        kind: "NodeReport".into(),
        plural: "nodereports".into(),
        singular: "nodereport".into(),
        short_names: vec!["nrep".into()],
        namespaced: false,
        categories: Vec::new(),
        printer_columns: vec![
            PrinterColumn {
                name: "Node".into(),
                column_type: "string".into(),
                json_path: ".spec.nodeName".into(),
                priority: 0,
            },
            PrinterColumn {
                name: "Verdict".into(),
                column_type: "string".into(),
                json_path: ".status.verdict".into(),
                priority: 0,
            },
            PrinterColumn {
                name: "Failing".into(),
                column_type: "string".into(),
                json_path: ".status.failing".into(),
                priority: 0,
            },
            PrinterColumn {
                name: "Last Run".into(),
                column_type: "date".into(),
                json_path: ".status.lastRun".into(),
                priority: 0,
            },
        ],
    }
}

/// Container logs appended to one anonymous temporary file (deleted when closed), indexed by
/// key: serving 500,000 logs costs their keys in memory, not their bytes.
#[derive(Debug, Default)]
pub struct LogSpill {
    file: Option<std::fs::File>,
    end: u64,
    index: BTreeMap<LogKey, (u64, u64)>,
}

impl LogSpill {
    /// Append a log (a later copy of the same key replaces the earlier one).
    pub fn insert(&mut self, key: LogKey, data: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.write_all(data)?;
        self.index.insert(key, (self.end, data.len() as u64));
        self.end += data.len() as u64;
        Ok(())
    }

    /// Whether a log was collected.
    pub fn contains(&self, key: &LogKey) -> bool {
        self.index.contains_key(key)
    }

    /// The collected logs' keys.
    pub fn keys(&self) -> impl Iterator<Item = &LogKey> {
        self.index.keys()
    }

    /// How many logs.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// No logs at all.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// A log's bytes, read back from the spill file.
    pub fn get(&self, key: &LogKey) -> Option<std::io::Result<Bytes>> {
        use std::os::unix::fs::FileExt;
        let &(offset, len) = self.index.get(key)?;
        let file = self.file.as_ref()?;
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
        Some(file.read_exact_at(&mut buf, offset).map(|()| Bytes::from(buf)))
    }
}

impl Store {
    /// Load a bundle (tar.gz or directory) with the default limits.
    pub fn load(path: &Path) -> Result<Store, BundleError> {
        Store::load_with(path, ReadLimits::default())
    }

    /// Load a bundle within `limits`; what a limit kept out is in [`Store::limit_gaps`].
    pub fn load_with(path: &Path, limits: ReadLimits) -> Result<Store, BundleError> {
        let bundle = OpenBundle::open(path, limits)?;
        let mut store = Store::default();
        for b in BUILTINS.iter().chain(resources::READ_ONLY) {
            store.resources.insert(
                (b.group.to_string(), b.plural.to_string()),
                ResourceInfo {
                    group: b.group.into(),
                    version: b.version.into(),
                    kind: b.kind.into(),
                    plural: b.plural.into(),
                    singular: b.singular.into(),
                    short_names: b.short_names.iter().map(|s| s.to_string()).collect(),
                    namespaced: b.scope == Scope::Namespaced,
                    printer_columns: Vec::new(),
                    categories: resources::builtin_categories(b.group, b.plural)
                        .iter()
                        .map(|c| c.to_string())
                        .collect(),
                },
            );
        }
        let mut custom = layout::CustomFiles::default();
        let mut node_reports = Vec::new();
        let mut spill_error = None;
        let mut discovered = Vec::new();
        let outcome = bundle.visit(&holds_data, &mut |member| {
            let (rel, data) = (member.rel, member.data);
            match layout::classify(rel) {
                Entry::Builtin { resource, .. } => {
                    let Some(items) = readable_items(rel, &data, false) else { return Ok(()) };
                    let key = (resource.group.to_string(), resource.plural.to_string());
                    let list = store.objects.entry(key).or_default();
                    for mut item in items {
                        ensure_type_meta(&mut item, &resource.api_version(), resource.kind);
                        list.push(item);
                    }
                }
                Entry::Custom { resource_id, namespace, yaml } => {
                    if yaml && custom.has_json(&resource_id, namespace.as_deref()) {
                        return Ok(());
                    }
                    let Some(items) = readable_items(rel, &data, yaml) else { return Ok(()) };
                    custom.add(resource_id, namespace, yaml, items);
                }
                Entry::DiscoveryResources => match serde_json::from_slice::<Value>(&data) {
                    Ok(v) => discovered = resources::parse_resources_json(&v),
                    Err(e) => eprintln!("mayadiag: skipping {rel}: invalid JSON: {e}"),
                },
                Entry::Log(key) => {
                    if let Err(e) = store.logs.insert(key, &data) {
                        spill_error.get_or_insert(e);
                    }
                }
                Entry::NodeReport { .. } => {
                    if let Ok(report) = serde_json::from_slice::<Value>(&data) {
                        node_reports.push(report);
                    }
                }
                Entry::ClusterVersion => {
                    if let Ok(v) = serde_json::from_slice::<Value>(&data)
                        && let Some(info) = v.get("info")
                    {
                        store.version = Some(info.clone());
                    }
                }
                Entry::Manifest => {
                    if let Ok(v) = serde_json::from_slice::<Value>(&data) {
                        store.reference_time =
                            v.get("collected_at").and_then(Value::as_str).and_then(|s| s.parse().ok());
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        if let Some(source) = spill_error {
            return Err(BundleError::Open { path: std::env::temp_dir(), source });
        }
        store.limit_gaps = outcome.gaps;
        if store.reference_time.is_none() {
            store.reference_time = outcome
                .newest_mtime
                .and_then(plausible_mtime)
                .or_else(|| crate::bundle::layout::newest_event_time(store.list("", "events")));
        }
        store.add_crd_resources();
        store.add_custom_objects(custom.into_objects());
        store.add_discovered(discovered);
        if !node_reports.is_empty() {
            store.ensure_resource(node_report_info());
            let key = (AGENT_GROUP.to_string(), "nodereports".to_string());
            store.objects.entry(key).or_default().extend(node_reports);
        }
        for list in store.objects.values_mut() {
            list.sort_by(|a, b| {
                (meta_str(a, "namespace"), meta_str(a, "name")).cmp(&(meta_str(b, "namespace"), meta_str(b, "name")))
            });
        }
        Ok(store)
    }

    /// Add a resource to discovery unless it is already known.
    pub fn ensure_resource(&mut self, info: ResourceInfo) {
        self.resources.entry((info.group.clone(), info.plural.clone())).or_insert(info);
    }

    /// Discovery entries for every CRD in the bundle (their storage or first served version).
    fn add_crd_resources(&mut self) {
        let crds = self
            .objects
            .get(&("apiextensions.k8s.io".to_string(), "customresourcedefinitions".to_string()))
            .cloned()
            .unwrap_or_default();
        for crd in crds {
            let spec = &crd["spec"];
            let (Some(group), Some(plural), Some(kind)) =
                (spec["group"].as_str(), spec["names"]["plural"].as_str(), spec["names"]["kind"].as_str())
            else {
                continue;
            };
            let versions = spec["versions"].as_array().cloned().unwrap_or_default();
            let chosen = versions
                .iter()
                .find(|v| v["storage"].as_bool() == Some(true))
                .or_else(|| versions.iter().find(|v| v["served"].as_bool() != Some(false)))
                .cloned();
            let version = chosen
                .as_ref()
                .and_then(|v| v["name"].as_str())
                .or_else(|| spec["version"].as_str())
                .unwrap_or("v1alpha1");
            let columns = chosen
                .as_ref()
                .and_then(|v| v["additionalPrinterColumns"].as_array().cloned())
                .or_else(|| spec["additionalPrinterColumns"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|c| {
                    Some(PrinterColumn {
                        name: c["name"].as_str()?.to_string(),
                        column_type: c["type"].as_str().unwrap_or("string").to_string(),
                        json_path: c["jsonPath"].as_str().or_else(|| c["JSONPath"].as_str())?.to_string(),
                        priority: c["priority"].as_i64().unwrap_or(0),
                    })
                })
                .collect();
            self.resources.insert(
                (group.to_string(), plural.to_string()),
                ResourceInfo {
                    group: group.into(),
                    version: version.into(),
                    kind: kind.into(),
                    plural: plural.into(),
                    singular: spec["names"]["singular"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| kind.to_lowercase()),
                    short_names: spec["names"]["shortNames"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                        .unwrap_or_default(),
                    namespaced: spec["scope"].as_str() != Some("Cluster"),
                    printer_columns: columns,
                    categories: spec["names"]["categories"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                        .unwrap_or_default(),
                },
            );
        }
    }

    /// What the bundle's `resources.json` says the cluster served (troubleshoot and mayadiag
    /// write it; sbctl serves discovery from it): categories and short names of known resources,
    /// and the resources the bundle holds no objects of (served as empty lists, as sbctl does,
    /// so `kubectl get all` can ask for every kind in the category).
    fn add_discovered(&mut self, discovered: Vec<resources::DiscoveredResource>) {
        for d in discovered {
            let key = (d.group.clone(), d.plural.clone());
            match self.resources.get_mut(&key) {
                Some(info) => {
                    for c in d.categories {
                        if !info.categories.contains(&c) {
                            info.categories.push(c);
                        }
                    }
                    for n in d.short_names {
                        if !info.short_names.contains(&n) {
                            info.short_names.push(n);
                        }
                    }
                }
                None => {
                    self.resources.insert(
                        key,
                        ResourceInfo {
                            group: d.group,
                            version: d.version,
                            kind: d.kind,
                            plural: d.plural,
                            singular: d.singular,
                            short_names: d.short_names,
                            namespaced: d.namespaced,
                            printer_columns: Vec::new(),
                            categories: d.categories,
                        },
                    );
                }
            }
        }
    }

    /// Custom objects; resources without a CRD in the bundle are inferred from the objects.
    fn add_custom_objects(&mut self, custom: BTreeMap<String, Vec<Value>>) {
        for (resource_id, items) in custom {
            let Some((plural, group)) = resource_id.split_once('.') else { continue };
            let key = (group.to_string(), plural.to_string());
            if !self.resources.contains_key(&key) {
                // An empty Mayastor REST collection was still read from api-rest: serve it empty.
                let rest = (group == crate::mayastor_rest::GROUP)
                    .then(|| crate::mayastor_rest::RestKind::from_path(plural))
                    .flatten();
                let (version, kind) = match (items.first(), rest) {
                    (Some(first), _) => (
                        first["apiVersion"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("v1").to_string(),
                        first["kind"].as_str().unwrap_or(plural).to_string(),
                    ),
                    (None, Some(rest)) => ("v0".to_string(), rest.kind.to_string()),
                    (None, None) => continue,
                };
                self.resources.insert(
                    key.clone(),
                    ResourceInfo {
                        group: group.into(),
                        version,
                        singular: kind.to_lowercase(),
                        kind,
                        plural: plural.into(),
                        short_names: Vec::new(),
                        namespaced: items.iter().any(|i| !meta_str(i, "namespace").is_empty()),
                        printer_columns: Vec::new(),
                        categories: Vec::new(),
                    },
                );
            }
            self.objects.entry(key).or_default().extend(items);
        }
    }

    /// Find a resource by group and plural.
    pub fn resource(&self, group: &str, plural: &str) -> Option<&ResourceInfo> {
        self.resources.get(&(group.to_string(), plural.to_string()))
    }

    /// Objects of a resource.
    pub fn list(&self, group: &str, plural: &str) -> &[Value] {
        self.objects.get(&(group.to_string(), plural.to_string())).map_or(&[][..], |v| &v[..])
    }

    /// Insert or merge an object written through the API (`--accept-writes`).
    pub fn upsert(&mut self, group: &str, plural: &str, incoming: Value, status_only: bool) -> Value {
        let list = self.objects.entry((group.to_string(), plural.to_string())).or_default();
        let (ns, name) = (meta_str(&incoming, "namespace").to_string(), meta_str(&incoming, "name").to_string());
        let pos = list.iter().position(|o| meta_str(o, "namespace") == ns && meta_str(o, "name") == name);

        match pos {
            Some(i) => {
                let mut current = list[i].clone();
                if status_only {
                    if let Some(status) = incoming.get("status") {
                        merge_json(current.as_object_mut().map(|m| m.entry("status").or_insert(json!({}))), status);
                    }
                } else {
                    merge_json(Some(&mut current), &incoming);
                }
                list[i] = current.clone();
                current
            }
            None => {
                list.push(incoming.clone());
                list.sort_by(|a, b| {
                    (meta_str(a, "namespace"), meta_str(a, "name"))
                        .cmp(&(meta_str(b, "namespace"), meta_str(b, "name")))
                });
                incoming
            }
        }
    }
}

/// The objects of a list file; a file the collector dropped (failed redaction) or one that does
/// not parse is skipped with a warning, so the rest of the bundle can still be served.
fn readable_items(rel: &str, data: &[u8], yaml: bool) -> Option<Vec<Value>> {
    if let Some(reason) = crate::redact::parse_dropped_file_note(data) {
        let (rel, reason) = (crate::term::escape_line(rel), crate::term::escape_line(&reason));
        eprintln!("mayadiag: {rel} was dropped at collection ({reason}); not served");
        return None;
    }
    match layout::parse_items(data, yaml) {
        Ok(items) => Some(items),
        Err(reason) => {
            eprintln!(
                "mayadiag: skipping {}: {}",
                crate::term::escape_line(rel),
                crate::term::escape_line(&reason.to_string())
            );
            None
        }
    }
}

/// Server-side-apply-like merge: maps merge recursively, everything else is replaced.
fn merge_json(target: Option<&mut Value>, patch: &Value) {
    let Some(target) = target else { return };
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge_json(Some(existing), v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_like_apply() {
        let mut store = Store::default();
        store.upsert(
            "mayadiag.io",
            "nodereports",
            json!({"metadata": {"name": "n1"}, "spec": {"nodeName": "n1"}}),
            false,
        );
        let merged = store.upsert(
            "mayadiag.io",
            "nodereports",
            json!({"metadata": {"name": "n1"}, "status": {"verdict": "fail"}}),
            true,
        );
        assert_eq!(merged["spec"]["nodeName"], "n1");
        assert_eq!(merged["status"]["verdict"], "fail");
        assert_eq!(store.list("mayadiag.io", "nodereports").len(), 1);
    }

    #[test]
    fn loads_troubleshoot_bundle_with_crds() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/troubleshoot-bundles/testdata-sb.tar.gz");
        if !path.exists() {
            return;
        }
        let store = Store::load(&path).unwrap();
        assert!(!store.list("", "pods").is_empty());
        assert!(store.resource("helm.cattle.io", "helmcharts").is_some());
        assert!(!store.list("helm.cattle.io", "helmcharts").is_empty());
        assert!(!store.logs.is_empty());
    }
}

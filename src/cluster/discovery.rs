//! Which custom resources to collect: API discovery for the OpenEBS / Litmus / mayadiag groups,
//! each kind at the most preferred version that serves it (so a DiskPool is read as v1beta2 on one
//! release and v1beta3 on the next without us knowing in advance).

use serde_json::Value;

use super::{ApiError, Kube};
use crate::inventory::is_relevant_crd_group;
use crate::resources;

/// One custom resource to list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CustomResource {
    /// API group.
    pub group: String,
    /// Preferred served version.
    pub version: String,
    /// Plural.
    pub plural: String,
    /// Kind.
    pub kind: String,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Singular name, short names and categories as discovery gave them (for `resources.json`).
    pub singular: String,
    /// kubectl short names.
    pub short_names: Vec<String>,
    /// Discovery categories.
    pub categories: Vec<String>,
}

impl CustomResource {
    /// `<plural>.<group>`.
    pub fn id(&self) -> String {
        resources::resource_id(&self.group, &self.plural)
    }

    /// Cluster-wide list path (all namespaces for namespaced resources).
    pub fn list_path(&self) -> String {
        resources::list_path(&self.group, &self.version, &self.plural, None)
    }

    /// `group/version`.
    pub fn api_version(&self) -> String {
        resources::api_version(&self.group, &self.version)
    }

    /// As an entry of `resources.json`.
    pub fn discovered(&self) -> resources::DiscoveredResource {
        resources::DiscoveredResource {
            group: self.group.clone(),
            version: self.version.clone(),
            plural: self.plural.clone(),
            kind: self.kind.clone(),
            singular: if self.singular.is_empty() { self.kind.to_lowercase() } else { self.singular.clone() },
            namespaced: self.namespaced,
            short_names: self.short_names.clone(),
            categories: self.categories.clone(),
        }
    }
}

/// Discover the relevant custom resources. Returns them sorted, plus per-group errors (a group
/// whose discovery fails is reported, the others still count).
pub async fn custom_resources(kube: &Kube) -> Result<(Vec<CustomResource>, Vec<(String, ApiError)>), ApiError> {
    let groups = kube.get_json("/apis").await?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for group in groups["groups"].as_array().cloned().unwrap_or_default() {
        let Some(name) = group["name"].as_str() else { continue };
        // The Mayastor REST pseudo-group is only served by `mayadiag serve` (from a bundle); its
        // objects are read from api-rest itself (collect::mayastor).
        if !is_relevant_crd_group(name) || name == crate::mayastor_rest::GROUP {
            continue;
        }
        // The preferred version first, then the others: a kind served only in an older version
        // (BlockDevice v1alpha1 beside JivaVolume v1 in `openebs.io`) is still found, each kind
        // at the most preferred version that serves it.
        let preferred = group["preferredVersion"]["version"].as_str();
        let mut versions: Vec<&str> = preferred.into_iter().collect();
        for v in group["versions"].as_array().into_iter().flatten() {
            if let Some(v) = v["version"].as_str().filter(|v| Some(*v) != preferred) {
                versions.push(v);
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for version in versions {
            match kube.get_json(&format!("/apis/{name}/{version}")).await {
                Ok(list) => {
                    for r in parse_resource_list(name, version, &list) {
                        if seen.insert(r.plural.clone()) {
                            out.push(r);
                        }
                    }
                }
                Err(e) => errors.push((format!("{name}/{version}"), e)),
            }
        }
    }
    out.sort();
    Ok((out, errors))
}

/// The listable top-level resources of one `APIResourceList`.
pub fn parse_resource_list(group: &str, version: &str, list: &Value) -> Vec<CustomResource> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
    };
    list["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| r["name"].as_str().is_some_and(|n| !n.contains('/')))
                .filter(|r| r["verbs"].as_array().is_none_or(|v| v.iter().any(|x| x == "list")))
                .filter_map(|r| {
                    Some(CustomResource {
                        group: group.to_string(),
                        version: version.to_string(),
                        plural: r["name"].as_str()?.to_string(),
                        kind: r["kind"].as_str()?.to_string(),
                        namespaced: r["namespaced"].as_bool().unwrap_or(true),
                        singular: r["singularName"].as_str().unwrap_or_default().to_string(),
                        short_names: strings(&r["shortNames"]),
                        categories: strings(&r["categories"]),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn skips_subresources_and_unlistable() {
        let list = json!({"resources": [
            {"name": "cstorvolumes", "kind": "CStorVolume", "namespaced": true, "verbs": ["get", "list"]},
            {"name": "cstorvolumes/status", "kind": "CStorVolume", "namespaced": true, "verbs": ["get"]},
            {"name": "weird", "kind": "W", "namespaced": false, "verbs": ["create"]}]});
        let rs = parse_resource_list("cstor.openebs.io", "v1", &list);
        assert_eq!(rs.len(), 1);
        assert_eq!(rs[0].id(), "cstorvolumes.cstor.openebs.io");
        assert_eq!(rs[0].list_path(), "/apis/cstor.openebs.io/v1/cstorvolumes");
    }
}

//! The host names `--redact-hostnames` replaces by pseudonyms: every Node's name, its
//! `kubernetes.io/hostname` label and its hostname/DNS addresses, plus the short form of dotted
//! names (logs often print `node-1` for `node-1.example.internal`). Read from the cluster before
//! collection starts, or from a bundle's `nodes.json` before re-redacting it, so the redactor
//! knows them all before the first file and every file gets the same pseudonym for one host.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::cluster::{ApiError, Kube};

/// Address types that hold a host name rather than an IP.
const NAME_ADDRESS_TYPES: &[&str] = &["Hostname", "InternalDNS", "ExternalDNS"];

/// The host names of these Node objects, longest first, without repeats.
pub fn of_nodes<'a>(nodes: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    let mut names = BTreeSet::new();
    for node in nodes {
        let name = node.pointer("/metadata/name").and_then(Value::as_str);
        let label = node.pointer("/metadata/labels/kubernetes.io~1hostname").and_then(Value::as_str);
        let addresses = node
            .pointer("/status/addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|a| a.get("type").and_then(Value::as_str).is_some_and(|t| NAME_ADDRESS_TYPES.contains(&t)))
            .filter_map(|a| a.get("address").and_then(Value::as_str));
        for host in name.into_iter().chain(label).chain(addresses) {
            let host = host.trim();
            if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
                continue;
            }
            names.insert(host.to_string());
            // The first label of a dotted name, when it still names a host (not `ip-10` or `a`).
            if let Some((short, _)) = host.split_once('.')
                && short.len() >= 3
                && short.chars().any(|c| c.is_ascii_alphabetic())
            {
                names.insert(short.to_string());
            }
        }
    }
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    names
}

/// The host names of the cluster's nodes (one list request).
pub async fn of_cluster(kube: &Kube) -> Result<Vec<String>, ApiError> {
    let nodes = kube.list("/api/v1/nodes", "", 500).await?;
    Ok(of_nodes(&nodes))
}

/// The host names in a bundle's `cluster-resources/nodes.json` (a List or a plain array).
pub fn of_nodes_file(data: &[u8]) -> Vec<String> {
    match crate::bundle::layout::parse_items(data, false) {
        Ok(items) => of_nodes(&items),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_labels_and_dns_addresses_are_collected_once() {
        let nodes = [
            json!({"metadata": {"name": "worker-1.corp.example", "labels": {"kubernetes.io/hostname": "worker-1"}},
                   "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.5"},
                                            {"type": "Hostname", "address": "worker-1.corp.example"},
                                            {"type": "InternalDNS", "address": "ip-10-0-0-5.ec2.internal"}]}}),
            json!({"metadata": {"name": "cp"}}),
        ];
        let names = of_nodes(&nodes);
        assert_eq!(
            names,
            ["ip-10-0-0-5.ec2.internal", "worker-1.corp.example", "ip-10-0-0-5", "worker-1", "cp"],
            "longest first, the IP address left to --redact-ips"
        );
    }

    #[test]
    fn a_bundle_nodes_file_is_read_as_list_or_array() {
        let list = br#"{"kind": "NodeList", "items": [{"metadata": {"name": "n-a"}}]}"#;
        assert_eq!(of_nodes_file(list), ["n-a"]);
        assert_eq!(of_nodes_file(br#"[{"metadata": {"name": "n-b"}}]"#), ["n-b"]);
        assert!(of_nodes_file(b"not json").is_empty());
    }
}

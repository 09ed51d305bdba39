//! Publishing to the API server: the NodeReport (server-side apply, field manager
//! `mayadiag-agent`, forced) and its `/status` subresource, Events on the Node when a probe changes
//! state, and the node facts the probes use (labels, hugepages allocatable, runtime, CSINode
//! drivers, engines of the pods on the node).
//!
//! Every call is bounded by a timeout; failures are returned to the loop, which keeps probing and
//! retries next round. Events not delivered are retried too (the last *published* state is what a
//! change is measured against).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::api::storage::v1::CSINode;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

use super::probes::NodeFacts;
use super::report::{NodeReport, NodeReportStatus, ProbeResult, ProbeStatus};

/// Field manager of every apply.
pub const FIELD_MANAGER: &str = "mayadiag-agent";
/// Namespace the Node Events are written to (Node is cluster-scoped; kubelet uses `default` too).
pub const EVENT_NAMESPACE: &str = "default";
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// What went wrong talking to the API server.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The kubeconfig could not be read or used.
    #[error("kubeconfig {path}: {message}")]
    Kubeconfig {
        /// Path (or "in-cluster/default").
        path: String,
        /// Why.
        message: String,
    },
    /// An API call failed.
    #[error("{action}: {source}")]
    Api {
        /// What we were doing, with the object.
        action: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// An API call did not answer in time.
    #[error("{action}: no answer within {}s", CALL_TIMEOUT.as_secs())]
    Timeout {
        /// What we were doing.
        action: String,
    },
    /// An object could not be built.
    #[error("{action}: {message}")]
    Build {
        /// What we were building.
        action: String,
        /// Why.
        message: String,
    },
}

async fn bounded<T>(action: String, call: impl Future<Output = Result<T, kube::Error>>) -> Result<T, PublishError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(PublishError::Api { action, source }),
        Err(_) => Err(PublishError::Timeout { action }),
    }
}

/// A client from `--kubeconfig`/`--context`, else in-cluster / default kubeconfig.
pub async fn client(kubeconfig: Option<&PathBuf>, context: Option<&str>) -> Result<Client, PublishError> {
    let options = KubeConfigOptions { context: context.map(str::to_string), ..KubeConfigOptions::default() };
    let config = match kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .map_err(|e| PublishError::Kubeconfig { path: path.display().to_string(), message: e.to_string() })?;
            Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| PublishError::Kubeconfig { path: path.display().to_string(), message: e.to_string() })?
        }
        None if context.is_some() => Config::from_kubeconfig(&options)
            .await
            .map_err(|e| PublishError::Kubeconfig { path: "default kubeconfig".into(), message: e.to_string() })?,
        None => Config::infer()
            .await
            .map_err(|e| PublishError::Kubeconfig { path: "in-cluster/default".into(), message: e.to_string() })?,
    };
    Client::try_from(config).map_err(|e| PublishError::Kubeconfig { path: "client".into(), message: e.to_string() })
}

/// Parse a Kubernetes quantity (`2Gi`, `2048Mi`, `1G`, `0`) into bytes.
pub fn parse_quantity(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let value: u64 = number.parse().ok()?;
    let factor: u64 = match suffix {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        _ => return None,
    };
    value.checked_mul(factor)
}

/// What the API says about `node`. The Node itself must be readable; CSINode and pods are best effort.
pub async fn node_facts(client: &Client, node: &str) -> Result<NodeFacts, PublishError> {
    let nodes: Api<Node> = Api::all(client.clone());
    let object = bounded(format!("get node {node}"), nodes.get(node)).await?;
    let mut facts = NodeFacts {
        uid: object.metadata.uid.clone(),
        labels: object.metadata.labels.clone().unwrap_or_default().into_iter().collect(),
        ..NodeFacts::default()
    };
    if let Some(status) = &object.status {
        facts.hugepages_2mi_allocatable =
            status.allocatable.as_ref().and_then(|a| a.get("hugepages-2Mi")).and_then(|q| parse_quantity(&q.0));
        facts.container_runtime_version = status.node_info.as_ref().map(|i| i.container_runtime_version.clone());
    }
    let csinodes: Api<CSINode> = Api::all(client.clone());
    if let Ok(Some(csinode)) = bounded(format!("get csinode {node}"), csinodes.get_opt(node)).await {
        facts.csi_drivers = csinode.spec.drivers.into_iter().map(|d| d.name).collect();
    }
    let pods: Api<Pod> = Api::all(client.clone());
    let params = ListParams::default().fields(&format!("spec.nodeName={node}"));
    if let Ok(list) = bounded(format!("list pods on {node}"), pods.list(&params)).await {
        for pod in list.items {
            let value = serde_json::to_value(&pod).unwrap_or_default();
            if let Some(component) = crate::inventory::classify_pod(&value)
                && !facts.pod_engines.contains(&component.engine)
            {
                facts.pod_engines.push(component.engine);
            }
        }
    }
    Ok(facts)
}

/// Writes NodeReports and Events for one node, remembering what was last published.
pub struct Publisher {
    client: Client,
    node: String,
    node_uid: Option<String>,
    /// Probe statuses as last delivered (in the NodeReport or as an Event).
    published: HashMap<String, ProbeStatus>,
    loaded_previous: bool,
}

impl Publisher {
    /// A publisher for `node`.
    pub fn new(client: Client, node: &str) -> Publisher {
        Publisher { client, node: node.to_string(), node_uid: None, published: HashMap::new(), loaded_previous: false }
    }

    /// The client in use.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Remember the Node's UID for Events.
    pub fn set_node_uid(&mut self, uid: Option<String>) {
        if uid.is_some() {
            self.node_uid = uid;
        }
    }

    /// Seed the last-published states from an existing NodeReport, so a restart does not repeat Events.
    async fn load_previous(&mut self) -> Result<(), PublishError> {
        let api: Api<NodeReport> = Api::all(self.client.clone());
        let existing = bounded(format!("get nodereport {}", self.node), api.get_opt(&self.node)).await?;
        if let Some(status) = existing.and_then(|r| r.status) {
            for probe in status.probes {
                self.published.entry(probe.id).or_insert(probe.status);
            }
        }
        self.loaded_previous = true;
        Ok(())
    }

    /// Apply the NodeReport and its status, then post Events for changed probes.
    pub async fn publish(&mut self, status: &NodeReportStatus) -> Result<(), PublishError> {
        if !self.loaded_previous {
            // Best effort: without the previous report, first-seen non-passing probes get an Event again.
            if let Err(err) = self.load_previous().await {
                eprintln!("mayadiag-agent: previous NodeReport unavailable ({err}); treating every probe as new");
            }
        }
        let api: Api<NodeReport> = Api::all(self.client.clone());
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let spec = json!({
            "apiVersion": "mayadiag.io/v1alpha1",
            "kind": "NodeReport",
            "metadata": {"name": self.node},
            "spec": {"nodeName": self.node},
        });
        bounded(format!("apply nodereport {}", self.node), api.patch(&self.node, &params, &Patch::Apply(&spec)))
            .await?;
        let status_body = json!({
            "apiVersion": "mayadiag.io/v1alpha1",
            "kind": "NodeReport",
            "metadata": {"name": self.node},
            "status": status,
        });
        bounded(
            format!("apply nodereport {}/status", self.node),
            api.patch_status(&self.node, &params, &Patch::Apply(&status_body)),
        )
        .await?;
        self.post_events(&status.probes).await
    }

    /// Post one Event per probe whose status differs from the last published one.
    async fn post_events(&mut self, probes: &[ProbeResult]) -> Result<(), PublishError> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), EVENT_NAMESPACE);
        let mut first_error = None;
        for probe in probes {
            let previous = self.published.get(&probe.id).copied();
            // A probe seen for the first time and passing is not news.
            let changed = match previous {
                Some(previous) => previous != probe.status,
                None => probe.status != ProbeStatus::Pass,
            };
            if !changed {
                self.published.insert(probe.id.clone(), probe.status);
                continue;
            }
            let event = build_event(&self.node, self.node_uid.as_deref(), probe, previous)?;
            match bounded(format!("create event for {}", probe.id), events.create(&PostParams::default(), &event)).await
            {
                Ok(_) => {
                    self.published.insert(probe.id.clone(), probe.status);
                }
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// The Event announcing that `probe` changed from `previous` on `node`.
pub fn build_event(
    node: &str,
    node_uid: Option<&str>,
    probe: &ProbeResult,
    previous: Option<ProbeStatus>,
) -> Result<Event, PublishError> {
    let (reason, kind) = match probe.status {
        ProbeStatus::Pass => ("ProbeRecovered", "Normal"),
        ProbeStatus::Warn => ("ProbeWarning", "Warning"),
        ProbeStatus::Fail => ("ProbeFailed", "Warning"),
        ProbeStatus::Error => ("ProbeError", "Warning"),
    };
    let from = previous.map_or("unknown", ProbeStatus::as_str);
    let mut message = format!("{} {} -> {}: {}", probe.id, from, probe.status.as_str(), probe.message);
    if !probe.remediation.is_empty() {
        message.push_str(&format!(" Fix: {}", probe.remediation));
    }
    // Events cap the message at 1 KiB; cut on a char boundary.
    if message.len() > 1024 {
        let mut cut = 1021;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("...");
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut involved = json!({"apiVersion": "v1", "kind": "Node", "name": node});
    if let Some(uid) = node_uid {
        involved["uid"] = json!(uid);
    }
    let value = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": format!("{node}.mayadiag-"), "namespace": EVENT_NAMESPACE,
                     "labels": {"mayadiag.io/probe": probe.id.replace('.', "-")}},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": kind,
        "source": {"component": FIELD_MANAGER, "host": node},
        "reportingComponent": FIELD_MANAGER,
        "reportingInstance": node,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    });
    serde_json::from_value(value)
        .map_err(|e| PublishError::Build { action: format!("event for {}", probe.id), message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("2Gi"), Some(2 << 30));
        assert_eq!(parse_quantity("2048Mi"), Some(2 << 30));
        assert_eq!(parse_quantity("0"), Some(0));
        assert_eq!(parse_quantity("1G"), Some(1_000_000_000));
        assert_eq!(parse_quantity("1.5Gi"), None);
    }

    #[test]
    fn events_name_the_node_and_the_change() {
        let probe = ProbeResult {
            id: "mayastor.nvme_tcp".into(),
            engine: "mayastor".into(),
            title: "t".into(),
            status: ProbeStatus::Fail,
            message: "nvme_tcp is not loaded".into(),
            evidence: vec![],
            remediation: "modprobe nvme_tcp".into(),
        };
        let event = build_event("node-1", Some("uid-1"), &probe, Some(ProbeStatus::Pass))
            .unwrap_or_else(|e| panic!("event: {e}"));
        assert_eq!(event.involved_object.kind.as_deref(), Some("Node"));
        assert_eq!(event.involved_object.name.as_deref(), Some("node-1"));
        assert_eq!(event.involved_object.uid.as_deref(), Some("uid-1"));
        assert_eq!(event.reason.as_deref(), Some("ProbeFailed"));
        assert_eq!(event.type_.as_deref(), Some("Warning"));
        assert_eq!(event.metadata.namespace.as_deref(), Some("default"));
        let message = event.message.unwrap_or_default();
        assert!(message.starts_with("mayastor.nvme_tcp pass -> fail"), "{message}");
        assert!(message.contains("modprobe nvme_tcp"));
    }
}

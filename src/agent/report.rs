//! The `NodeReport` custom resource (group `mayadiag.io`, version `v1alpha1`, cluster-scoped) that
//! the agent writes per node and `collect` gathers into `node-reports/<node>.json`.
//!
//! The CRD in `manifests/crd-nodereport.yaml` is generated from these types (`crd_yaml`, or
//! `mayadiag agent --print-crd`); a unit test keeps the committed file and the types in step.

use kube::CustomResource;
use kube::core::CustomResourceExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version string written to `status.agentVersion`.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The outcome of one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProbeStatus {
    /// The prerequisite is met.
    Pass,
    /// Not broken, but likely to hurt (optional feature missing, low headroom).
    Warn,
    /// The prerequisite is not met; the engine will fail on this node.
    Fail,
    /// The probe itself could not read what it needs (permission, unreadable file).
    Error,
}

impl ProbeStatus {
    /// The word used in JSON, text output and Events.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeStatus::Pass => "pass",
            ProbeStatus::Warn => "warn",
            ProbeStatus::Fail => "fail",
            ProbeStatus::Error => "error",
        }
    }

    /// Value of the `mayadiag_probe_status` gauge: 0 pass, 1 warn, 2 fail, 3 error.
    pub fn gauge_value(self) -> u8 {
        match self {
            ProbeStatus::Pass => 0,
            ProbeStatus::Warn => 1,
            ProbeStatus::Fail => 2,
            ProbeStatus::Error => 3,
        }
    }
}

/// The node-level verdict over all probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every probe passed.
    Pass,
    /// Some probe warned or could not run, none failed.
    Warn,
    /// At least one probe failed.
    Fail,
}

/// One thing a probe read: the file (host path, without the host-root prefix) and the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// Host path that was read, e.g. `/sys/module/nvme_tcp`.
    pub file: String,
    /// What was found there, e.g. `absent`, `HugePages_Total: 0`.
    pub value: String,
}

impl Evidence {
    /// Evidence for `file` with `value`.
    pub fn new(file: impl Into<String>, value: impl Into<String>) -> Evidence {
        Evidence { file: file.into(), value: value.into() }
    }
}

/// The result of one probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProbeResult {
    /// Stable id `<family>.<check>`, e.g. `mayastor.nvme_tcp`.
    pub id: String,
    /// Probe family / engine: common, hostpath, lvm, zfs, mayastor, iscsi (cStor and Jiva), ndm, litmus.
    pub engine: String,
    /// What is checked, for people.
    pub title: String,
    /// pass, warn, fail or error.
    pub status: ProbeStatus,
    /// What was found.
    pub message: String,
    /// Files read and their values.
    pub evidence: Vec<Evidence>,
    /// What to do when not passing (empty on pass).
    pub remediation: String,
}

/// `spec` of a NodeReport: which node it describes.
#[derive(CustomResource, Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "mayadiag.io",
    version = "v1alpha1",
    kind = "NodeReport",
    plural = "nodereports",
    singular = "nodereport",
    shortname = "nr",
    status = "NodeReportStatus",
    doc = "Node pre-flight results of the mayadiag agent for one node (metadata.name = node name).",
    printcolumn = r#"{"name":"Node","type":"string","jsonPath":".spec.nodeName"}"#,
    printcolumn = r#"{"name":"Verdict","type":"string","jsonPath":".status.verdict"}"#,
    printcolumn = r#"{"name":"Failing","type":"string","jsonPath":".status.failing"}"#,
    printcolumn = r#"{"name":"Last Run","type":"date","jsonPath":".status.lastRun"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct NodeReportSpec {
    /// Name of the Node this report is about.
    pub node_name: String,
}

/// `status` of a NodeReport, written by the agent with server-side apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeReportStatus {
    /// fail if any probe failed; warn if any warned or errored; else pass.
    pub verdict: Verdict,
    /// Ids of the probes that are fail or warn.
    pub failing: Vec<String>,
    /// When the probes last ran (RFC 3339).
    pub last_run: String,
    /// Version of the agent that wrote this.
    pub agent_version: String,
    /// Every probe result of the last run.
    pub probes: Vec<ProbeResult>,
}

impl NodeReportStatus {
    /// Summarise probe results into a status.
    pub fn from_results(probes: Vec<ProbeResult>, last_run: String) -> NodeReportStatus {
        NodeReportStatus {
            verdict: verdict_of(&probes),
            failing: probes
                .iter()
                .filter(|p| matches!(p.status, ProbeStatus::Fail | ProbeStatus::Warn))
                .map(|p| p.id.clone())
                .collect(),
            last_run,
            agent_version: AGENT_VERSION.to_string(),
            probes,
        }
    }
}

/// The verdict over a set of results.
pub fn verdict_of(probes: &[ProbeResult]) -> Verdict {
    if probes.iter().any(|p| p.status == ProbeStatus::Fail) {
        Verdict::Fail
    } else if probes.iter().any(|p| matches!(p.status, ProbeStatus::Warn | ProbeStatus::Error)) {
        Verdict::Warn
    } else {
        Verdict::Pass
    }
}

/// Process exit code for a verdict: 0 pass, 3 any fail, 4 only warnings (or probe errors).
pub fn exit_code_of(verdict: Verdict) -> i32 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::Fail => 3,
        Verdict::Warn => 4,
    }
}

/// A complete NodeReport object for `node` (what `--once -o json` prints and collect stores).
pub fn node_report(node: &str, status: NodeReportStatus) -> NodeReport {
    let mut report = NodeReport::new(node, NodeReportSpec { node_name: node.to_string() });
    report.status = Some(status);
    report
}

/// The CustomResourceDefinition for NodeReport, as YAML (the content of `manifests/crd-nodereport.yaml`).
pub fn crd_yaml() -> String {
    let crd = NodeReport::crd();
    let body = match serde_saphyr::to_string(&crd) {
        Ok(yaml) => yaml,
        // Serialising a value built from our own types cannot fail; keep a readable marker if it ever does.
        Err(err) => format!("# failed to serialise the NodeReport CRD: {err}\n"),
    };
    format!("# Generated by `mayadiag agent --print-crd` from src/agent/report.rs; do not edit by hand.\n---\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: ProbeStatus) -> ProbeResult {
        ProbeResult {
            id: id.to_string(),
            engine: "common".to_string(),
            title: String::new(),
            status,
            message: String::new(),
            evidence: vec![],
            remediation: String::new(),
        }
    }

    #[test]
    fn verdict_and_failing_follow_the_worst_probe() {
        let status = NodeReportStatus::from_results(
            vec![result("a", ProbeStatus::Pass), result("b", ProbeStatus::Warn), result("c", ProbeStatus::Error)],
            "2026-01-01T00:00:00Z".into(),
        );
        assert_eq!(status.verdict, Verdict::Warn);
        assert_eq!(status.failing, vec!["b".to_string()]);
        assert_eq!(exit_code_of(status.verdict), 4);
        let failing = NodeReportStatus::from_results(
            vec![result("a", ProbeStatus::Fail), result("b", ProbeStatus::Pass)],
            String::new(),
        );
        assert_eq!(failing.verdict, Verdict::Fail);
        assert_eq!(exit_code_of(failing.verdict), 3);
        assert_eq!(exit_code_of(verdict_of(&[result("a", ProbeStatus::Pass)])), 0);
    }

    #[test]
    fn crd_is_cluster_scoped_with_status_and_columns() {
        let crd = serde_json::to_value(NodeReport::crd()).unwrap_or_default();
        assert_eq!(crd["spec"]["scope"], "Cluster");
        assert_eq!(crd["spec"]["group"], "mayadiag.io");
        let version = &crd["spec"]["versions"][0];
        assert_eq!(version["name"], "v1alpha1");
        assert!(version["subresources"]["status"].is_object());
        let columns: Vec<&str> = version["additionalPrinterColumns"]
            .as_array()
            .map(|cols| cols.iter().filter_map(|c| c["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(columns, vec!["Node", "Verdict", "Failing", "Last Run"]);
    }

    #[test]
    fn committed_crd_manifest_matches_the_generated_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/manifests/crd-nodereport.yaml");
        let committed = std::fs::read_to_string(path)
            .unwrap_or_else(|err| panic!("read {path}: {err}; regenerate with `mayadiag agent --print-crd`"));
        assert_eq!(
            committed,
            crd_yaml(),
            "manifests/crd-nodereport.yaml is stale: run `mayadiag agent --print-crd > manifests/crd-nodereport.yaml`"
        );
    }

    #[test]
    fn node_report_serialises_to_the_contract_shape() {
        let report = node_report(
            "node-1",
            NodeReportStatus::from_results(vec![result("mayastor.nvme_tcp", ProbeStatus::Fail)], "t".into()),
        );
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["apiVersion"], "mayadiag.io/v1alpha1");
        assert_eq!(json["kind"], "NodeReport");
        assert_eq!(json["metadata"]["name"], "node-1");
        assert_eq!(json["spec"]["nodeName"], "node-1");
        assert_eq!(json["status"]["verdict"], "fail");
        assert_eq!(json["status"]["failing"][0], "mayastor.nvme_tcp");
        assert_eq!(json["status"]["probes"][0]["status"], "fail");
        assert_eq!(json["status"]["agentVersion"], AGENT_VERSION);
        assert!(json["status"]["lastRun"].is_string());
    }
}

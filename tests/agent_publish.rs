//! The agent publishing to a local API that accepts writes (`mayadiag serve --accept-writes` over
//! the demo bundle): NodeReport applied with its status, Events on the Node when probes change
//! state, `kubectl get nodereports` listing it, and `collect` storing `node-reports/<node>.json`.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `mayadiag serve` running in the background; killed on drop.
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `serve <bundle> --port 0 --accept-writes --write-kubeconfig <kubeconfig>` and wait for its
/// `serving <bundle> on http://127.0.0.1:<port>` line.
fn start_server(bundle: &Path, kubeconfig: &Path) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .arg("serve")
        .arg(bundle)
        .args(["--port", "0", "--accept-writes", "--write-kubeconfig"])
        .arg(kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn serve: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("serve has no stdout"));
    let server = Server { child };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("serving ") {
                let _ = tx.send(line);
            }
        }
    });
    let line =
        rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|e| panic!("serve did not report its address: {e}"));
    let url = line.rsplit(' ').next().unwrap_or("").to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "unexpected serve line {line:?}");
    (server, url)
}

/// Run the agent once against the server; returns (exit code, printed NodeReport).
fn agent_once(kubeconfig: &Path, host_case: &str) -> (i32, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .args(["agent", "--once", "--publish", "--node-name", "node-1", "--probes", "common,mayastor", "-o", "json"])
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--host-root")
        .arg(root().join("tests/fixtures/hosts").join(host_case))
        .env_remove("NODE_NAME")
        .output()
        .unwrap_or_else(|e| panic!("run agent: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("agent stdout is not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (output.status.code().unwrap_or(-1), report)
}

/// `mayadiag collect` from the server into `bundle`.
fn collect(kubeconfig: &Path, bundle: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .arg("collect")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--output")
        .arg(bundle)
        .output()
        .unwrap_or_else(|e| panic!("run collect: {e}"))
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    let output = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run kubectl (is it installed?): {e}"));
    assert!(output.status.success(), "kubectl {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn probe_status<'a>(report: &'a Value, id: &str) -> &'a str {
    report["status"]["probes"]
        .as_array()
        .and_then(|probes| probes.iter().find(|p| p["id"] == id))
        .and_then(|p| p["status"].as_str())
        .unwrap_or_else(|| panic!("probe {id} missing in {report}"))
}

/// Events in `default` about Node node-1 from the agent, as (reason, message).
fn node_events(kubeconfig: &Path) -> Vec<(String, String)> {
    let events: Value = serde_json::from_str(&kubectl(kubeconfig, &["get", "events", "-n", "default", "-o", "json"]))
        .unwrap_or_else(|e| panic!("events JSON: {e}"));
    events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["involvedObject"]["kind"] == "Node" && e["involvedObject"]["name"] == "node-1")
        .filter(|e| e["source"]["component"] == "mayadiag-agent" || e["reportingComponent"] == "mayadiag-agent")
        .map(|e| (e["reason"].as_str().unwrap_or("").to_string(), e["message"].as_str().unwrap_or("").to_string()))
        .collect()
}

#[test]
fn agent_publishes_node_reports_and_events_that_collect_gathers() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let kubeconfig = work.path().join("kubeconfig");
    let (_server, _url) = start_server(&root().join("tests/fixtures/clusters/demo"), &kubeconfig);

    // Round 1: a node without nvme_tcp and hugepages.
    let (code, printed) = agent_once(&kubeconfig, "mayastor-no-nvme-tcp-no-hugepages");
    assert_eq!(code, 3, "{printed}");
    assert_eq!(probe_status(&printed, "mayastor.nvme_tcp"), "fail");
    // The demo Node advertises hugepages-2Mi: 2Gi, read from the API.
    assert_eq!(probe_status(&printed, "mayastor.hugepages_advertised"), "pass");

    let table = kubectl(&kubeconfig, &["get", "nodereports"]);
    assert!(table.lines().any(|l| l.starts_with("node-1")), "kubectl get nodereports:\n{table}");
    let stored: Value = serde_json::from_str(&kubectl(&kubeconfig, &["get", "nodereport", "node-1", "-o", "json"]))
        .unwrap_or_else(|e| panic!("nodereport JSON: {e}"));
    assert_eq!(stored["spec"]["nodeName"], "node-1");
    assert_eq!(stored["status"]["verdict"], "fail");
    assert_eq!(probe_status(&stored, "mayastor.nvme_tcp"), "fail");
    let failing: Vec<&str> =
        stored["status"]["failing"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(failing.contains(&"mayastor.nvme_tcp"), "{failing:?}");
    let events = node_events(&kubeconfig);
    assert!(
        events.iter().any(|(reason, message)| reason == "ProbeFailed" && message.starts_with("mayastor.nvme_tcp")),
        "events: {events:?}"
    );

    // Round 2: the node is fixed; the status is replaced and recoveries are announced.
    let (code, _) = agent_once(&kubeconfig, "mayastor-ok");
    assert_eq!(code, 0);
    let verdict = kubectl(&kubeconfig, &["get", "nodereport", "node-1", "-o", "jsonpath={.status.verdict}"]);
    assert_eq!(verdict.trim(), "pass");
    let events = node_events(&kubeconfig);
    assert!(
        events
            .iter()
            .any(|(reason, message)| reason == "ProbeRecovered" && message.contains("mayastor.nvme_tcp fail -> pass")),
        "events: {events:?}"
    );
    // Unchanged probes do not repeat: exactly one ProbeFailed for nvme_tcp so far.
    let nvme_failed = events.iter().filter(|(r, m)| r == "ProbeFailed" && m.starts_with("mayastor.nvme_tcp ")).count();
    assert_eq!(nvme_failed, 1, "events: {events:?}");

    // collect picks the NodeReport up as node-reports/node-1.json.
    let bundle = work.path().join("bundle.tar.gz");
    let collect = collect(&kubeconfig, &bundle);
    assert!(
        [0, 3, 4].contains(&collect.status.code().unwrap_or(-1)),
        "collect failed: {}",
        String::from_utf8_lossy(&collect.stderr)
    );
    let file = std::fs::File::open(&bundle).unwrap_or_else(|e| panic!("open bundle: {e}"));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut node_report = None;
    for entry in archive.entries().unwrap_or_else(|e| panic!("read bundle: {e}")) {
        let mut entry = entry.unwrap_or_else(|e| panic!("bundle entry: {e}"));
        let path = entry.path().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        if path.ends_with("node-reports/node-1.json") {
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap_or_else(|e| panic!("read {path}: {e}"));
            node_report = Some(serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{path}: {e}")));
        }
    }
    let node_report = node_report.unwrap_or_else(|| panic!("bundle has no node-reports/node-1.json"));
    assert_eq!(node_report["kind"], "NodeReport");
    assert_eq!(node_report["metadata"]["name"], "node-1");
    assert_eq!(node_report["status"]["verdict"], "pass");
    assert_eq!(probe_status(&node_report, "mayastor.nvme_tcp"), "pass");
    assert!(node_report["status"]["probes"].as_array().is_some_and(|p| p.len() >= 6));
}

#[test]
fn agent_with_unreachable_api_still_prints_results_and_reports_the_publish_error() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let kubeconfig = work.path().join("kubeconfig");
    // Port 9 (discard) on localhost: connection refused.
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:9\n\
         contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {}\n",
    )
    .unwrap_or_else(|e| panic!("write kubeconfig: {e}"));
    let (code, printed) = agent_once(&kubeconfig, "mayastor-ok");
    assert_eq!(code, 1, "publishing to an unreachable API is a runtime error in --once mode");
    assert_eq!(printed["status"]["verdict"], "pass");
}

/// FM25 end to end: the agent on a node with a fresh kernel crash dump publishes a failing
/// `common.kernel_crashes`; `collect` gathers it and the analysis of the bundle reports it as a
/// Sev 1 finding on that node, quoting the panic line.
#[test]
fn kernel_crash_on_a_node_becomes_a_sev_1_finding() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let kubeconfig = work.path().join("kubeconfig");
    let (_server, _url) = start_server(&root().join("tests/fixtures/clusters/demo"), &kubeconfig);
    let (code, printed) = agent_once(&kubeconfig, "kernel-crash");
    assert_eq!(code, 3, "{printed}");
    assert_eq!(probe_status(&printed, "common.kernel_crashes"), "fail");

    let bundle = work.path().join("bundle.tar.gz");
    let collect = collect(&kubeconfig, &bundle);
    assert!(bundle.exists(), "collect wrote no bundle: {}", String::from_utf8_lossy(&collect.stderr));
    let analyze = Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .arg("analyze")
        .arg(&bundle)
        .args(["-o", "json"])
        .output()
        .unwrap_or_else(|e| panic!("run analyze: {e}"));
    let analysis: Value = serde_json::from_slice(&analyze.stdout)
        .unwrap_or_else(|e| panic!("analyze JSON: {e}: {}", String::from_utf8_lossy(&analyze.stderr)));
    let finding = analysis["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| {
            f["check"] == "node-report-probes"
                && f["message"].as_str().is_some_and(|m| m.contains("common.kernel_crashes"))
        })
        .unwrap_or_else(|| panic!("no kernel-crash finding in {:#}", analysis["findings"]));
    assert_eq!(finding["sev"], 1, "{finding:#}");
    assert_eq!(finding["status"], "fail");
    assert_eq!(finding["object"]["name"], "node-1");
    assert!(finding["evidence"].to_string().contains("general protection fault"), "{finding:#}");
}

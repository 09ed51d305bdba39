//! The real kubectl against `mayadiag serve`: proof that serve speaks Kubernetes.

mod common;

use common::*;
use serde_json::Value;

fn ok(out: std::process::Output, what: &str) -> String {
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "kubectl {what} failed: {stderr}");
    stdout
}

fn first_pod_with(served: &Served, ns: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let list: Value =
        serde_json::from_str(&ok(served.kubectl(&["get", "pods", "-n", ns, "-o", "json"]), "get -o json")).unwrap();
    list["items"].as_array().unwrap().iter().find(|p| pred(p)).cloned().expect("a matching pod")
}

#[test]
fn kubectl_get_describe_logs_events_and_crs() {
    let served = Served::start(&fixture("openebs-3x"), &[]);
    // get -A with the server-side table.
    let all = ok(served.kubectl(&["get", "pods", "-A"]), "get pods -A");
    assert!(
        all.lines().next().unwrap().contains("NAMESPACE") && all.contains("READY") && all.contains("STATUS"),
        "{all}"
    );
    assert!(all.contains("openebs-ndm"), "{all}");
    // -o yaml of one object.
    let pod = first_pod_with(&served, "openebs", |p| {
        p["status"]["containerStatuses"]
            .as_array()
            .is_some_and(|c| c.iter().any(|s| s["restartCount"].as_u64().unwrap_or(0) > 0))
    });
    let name = pod["metadata"]["name"].as_str().unwrap().to_string();
    let yaml = ok(served.kubectl(&["get", "pod", "-n", "openebs", &name, "-o", "yaml"]), "get -o yaml");
    assert!(yaml.contains("kind: Pod") && yaml.contains(&format!("name: {name}")), "{yaml}");
    // describe shows the pod and its events.
    let describe = ok(served.kubectl(&["describe", "pod", "-n", "openebs", &name]), "describe pod");
    assert!(describe.contains(&format!("Name:         {name}")) || describe.contains(&name), "{describe}");
    assert!(describe.contains("Events:"), "{describe}");
    // logs and logs --previous.
    let container = pod["status"]["containerStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["restartCount"].as_u64().unwrap_or(0) > 0)
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    let want = std::fs::read_to_string(
        fixture("openebs-3x").join(format!("cluster-resources/pods/logs/openebs/{name}/{container}.log")),
    )
    .unwrap();
    let logs = ok(served.kubectl(&["logs", "-n", "openebs", &name, "-c", &container]), "logs");
    assert_eq!(logs, want);
    let want_prev = std::fs::read_to_string(
        fixture("openebs-3x").join(format!("cluster-resources/pods/logs/openebs/{name}/{container}-previous.log")),
    )
    .unwrap();
    let prev = ok(served.kubectl(&["logs", "-n", "openebs", &name, "-c", &container, "--previous"]), "logs --previous");
    assert_eq!(prev, want_prev);
    let tail = ok(served.kubectl(&["logs", "-n", "openebs", &name, "-c", &container, "--tail", "1"]), "logs --tail");
    assert_eq!(tail.trim_end(), want.trim_end().lines().last().unwrap());
    // events.
    let events = ok(served.kubectl(&["get", "events", "-A"]), "get events");
    assert!(events.contains("REASON") && events.contains("MESSAGE"), "{events}");
    // custom resources by plural and short name.
    for (resource, expect) in [
        ("cstorpoolinstances", "ONLINE"),
        ("cspi", "ONLINE"),
        ("cstorvolumes", "Healthy"),
        ("cv", "Healthy"),
        ("bd", "Active"),
        ("jivavolumes", "Ready"),
    ] {
        let out = ok(served.kubectl(&["get", resource, "-A"]), resource);
        assert!(out.contains(expect), "kubectl get {resource}: {out}");
    }
    // label and field selectors.
    let ndm = ok(
        served.kubectl(&["get", "pods", "-A", "-l", "openebs.io/component-name=ndm", "-o", "name"]),
        "label selector",
    );
    assert!(!ndm.trim().is_empty() && ndm.lines().all(|l| l.contains("ndm")), "{ndm}");
    let by_field = ok(
        served.kubectl(&["get", "pods", "-A", "--field-selector", &format!("metadata.name={name}"), "-o", "name"]),
        "field selector",
    );
    assert_eq!(by_field.trim(), format!("pod/{name}"));
    // pagination through kubectl's chunking.
    let chunked = ok(served.kubectl(&["get", "pods", "-A", "--chunk-size", "2", "-o", "name"]), "chunked");
    let unchunked = ok(served.kubectl(&["get", "pods", "-A", "-o", "name"]), "unchunked");
    assert_eq!(chunked, unchunked);
    // writes are refused with a Status.
    let del = served.kubectl(&["delete", "pod", "-n", "openebs", &name]);
    assert!(!del.status.success());
    assert!(texts(&del).1.contains("MethodNotAllowed"), "{}", texts(&del).1);
    // not found is a proper 404.
    let nf = served.kubectl(&["get", "pod", "-n", "openebs", "no-such-pod"]);
    assert!(texts(&nf).1.contains("NotFound") || texts(&nf).1.contains("not found"), "{}", texts(&nf).1);
}

#[test]
fn kubectl_on_openebs_4x_and_troubleshoot_bundle() {
    let served = Served::start(&fixture("openebs-4x"), &[]);
    for (resource, expect) in [
        ("diskpools", "Online"),
        ("dsp", "Online"),
        ("lvmvolumes", "Ready"),
        ("zfsvolumes", "Ready"),
        ("zv", "Ready"),
        ("lvmnodes", "node-"),
    ] {
        let out = ok(served.kubectl(&["get", resource, "-A"]), resource);
        assert!(out.contains(expect), "kubectl get {resource}: {out}");
    }
    let nodes = ok(served.kubectl(&["get", "nodes"]), "get nodes");
    assert!(nodes.contains("Ready"), "{nodes}");
    drop(served);
    let ts = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/troubleshoot-bundles/testdata-sb.tar.gz");
    if ts.exists() {
        let served = Served::start(&ts, &[]);
        let pods = ok(served.kubectl(&["get", "pods", "-A"]), "get pods (troubleshoot bundle)");
        assert!(pods.contains("coredns"), "{pods}");
        let logs = ok(
            served.kubectl(&["logs", "-n", "kube-system", "-l", "k8s-app=kube-dns", "--tail", "3"]),
            "logs by label",
        );
        assert!(!logs.is_empty());
        let charts = ok(served.kubectl(&["get", "helmcharts", "-A"]), "CRs without a CRD list entry");
        assert!(charts.contains("traefik"), "{charts}");
    }
}

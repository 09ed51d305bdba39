//! `collect` against `serve`d fixture clusters: round trip, determinism, faults, limits, errors.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn key(o: &Value) -> (String, String, String) {
    let m = &o["metadata"];
    (
        o["kind"].as_str().unwrap_or("").into(),
        m["namespace"].as_str().unwrap_or("").into(),
        m["name"].as_str().unwrap_or("").into(),
    )
}

fn strip(mut o: Value) -> Value {
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    o
}

/// serve(fixture) → collect → the bundle holds the same objects and the same log bytes.
#[test]
fn round_trip_every_fixture_cluster() {
    for name in ["openebs-4x", "openebs-3x", "legacy-1x", "litmus"] {
        let dir = fixture(name);
        let served = Served::start(&dir, &[]);
        let out = served.dir.path().join("b.tar.gz");
        let o = served.collect(&out, &["--app-logs", "--no-redact", "--yes", "--since", "100000h", "-o", "json"]);
        let (stdout, stderr) = texts(&o);
        assert!(o.status.success(), "{name}: collect failed: {stderr}");
        let report: Value = serde_json::from_str(&stdout).expect("collect -o json prints one JSON object");
        assert_eq!(report["bundle"].as_str(), Some(out.to_str().unwrap()));
        let bundle = bundle_map(&out);
        let fixture_files = fixture_files(&dir);
        let mut compared_objects = 0;
        let mut compared_logs = 0;
        for (rel, data) in &fixture_files {
            let Some(cr) = rel.strip_prefix("cluster-resources/") else { continue };
            if rel.ends_with(".log") {
                // Logs of collected pods must be byte-identical.
                let got = bundle.get(rel).unwrap_or_else(|| panic!("{name}: log {rel} missing from the bundle"));
                assert_eq!(got, data, "{name}: log bytes differ for {rel}");
                compared_logs += 1;
                continue;
            }
            if !rel.ends_with(".json") || cr.ends_with("-errors.json") {
                continue;
            }
            let want: Vec<Value> = items(data).into_iter().map(strip).collect();
            if want.is_empty() {
                continue;
            }
            let got_data = bundle.get(rel).unwrap_or_else(|| panic!("{name}: {rel} missing from the bundle"));
            let got: Vec<Value> = items(got_data);
            let got_keys: BTreeSet<_> = got.iter().map(key).collect();
            for w in &want {
                assert!(got_keys.contains(&key(w)), "{name}: {rel}: {:?} missing", key(w));
                let g = got.iter().find(|g| key(g) == key(w)).unwrap();
                assert_eq!(g, w, "{name}: {rel}: object {:?} differs", key(w));
                compared_objects += 1;
            }
        }
        assert!(compared_objects > 20, "{name}: only {compared_objects} objects compared");
        assert!(compared_logs > 0, "{name}: no logs compared");
        // The manifest lists every file before it with the right size and sha256.
        let manifest: Value = serde_json::from_slice(&bundle["mayadiag/manifest.json"]).unwrap();
        let files = manifest["files"].as_array().unwrap();
        assert_eq!(files.len() + 1, bundle.len(), "{name}: manifest lists every other file");
        for f in files {
            let path = f["path"].as_str().unwrap();
            let data = &bundle[path];
            assert_eq!(f["size"].as_u64(), Some(data.len() as u64), "{name}: size of {path}");
            assert_eq!(f["sha256"].as_str().unwrap(), hex::encode(Sha256::digest(data)), "{name}: sha256 of {path}");
        }
        assert_eq!(manifest["redaction"]["disabled_by_user"], true);
    }
}

/// Two collections of the same cluster give the same files in the same order, same metadata.
#[test]
fn bundles_are_deterministic() {
    let served = Served::start(&fixture("openebs-3x"), &[]);
    let a = served.dir.path().join("a.tar.gz");
    let b = served.dir.path().join("b.tar.gz");
    assert!(served.collect(&a, &["--since", "100000h"]).status.success());
    assert!(served.collect(&b, &["--since", "100000h"]).status.success());
    let (ea, eb) = (read_bundle(&a), read_bundle(&b));
    let names = |e: &Vec<(String, Vec<u8>)>| e.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ea), names(&eb));
    for ((n, da), (_, db)) in ea.iter().zip(eb.iter()) {
        if n.starts_with("mayadiag/") {
            continue; // timings and collection time differ
        }
        assert_eq!(da, db, "{n} differs between two collections");
    }
    let file = std::fs::File::open(&a).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mtimes: BTreeSet<u64> = ar.entries().unwrap().map(|e| e.unwrap().header().mtime().unwrap()).collect();
    assert_eq!(mtimes.len(), 1, "one mtime for every entry");
}

fn write_faults(dir: &Path, yaml: &str) -> String {
    let p = dir.join("faults.yaml");
    std::fs::write(&p, yaml).unwrap();
    p.display().to_string()
}

/// 403 on one kind, a CRD gone, intermittent 500s and 429s, a pod whose logs 404, a stalled log
/// stream: the bundle is still written and every fault is recorded.
#[test]
fn faults_are_recorded_and_collection_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let faults = write_faults(
        tmp.path(),
        r#"rules:
  - path: "/api/v1/namespaces/[^/]+/configmaps$"
    status: 403
  - path: "^/apis/local.openebs.io/v1alpha1/lvmvolumes$"
    status: 404
  - path: "^/api/v1/nodes$"
    status: 500
    times: 2
  - path: "^/apis/storage.k8s.io/v1/storageclasses$"
    status: 429
    retry_after: 1
    times: 1
  - path: "/pods/openebs-localpv-provisioner-[^/]+/log$"
    status: 404
  - path: "/pods/openebs-api-rest-[^/]+/log$"
    stall_after_bytes: 20
"#,
    );
    let served = Served::start(&fixture("openebs-4x"), &["--inject-faults", &faults]);
    let out = served.dir.path().join("f.tar.gz");
    let o = served.collect(&out, &["--request-timeout", "2s", "--since", "100000h"]);
    let (_, stderr) = texts(&o);
    assert!(o.status.success(), "collect must still succeed: {stderr}");
    assert!(stderr.contains("failed") || stderr.contains("skipped"), "summary of what was skipped on stderr: {stderr}");
    let bundle = bundle_map(&out);
    let cm_errors = String::from_utf8_lossy(&bundle["cluster-resources/configmaps-errors.json"]).into_owned();
    assert!(
        cm_errors.contains("forbidden") && cm_errors.contains("list") && cm_errors.contains("configmaps"),
        "{cm_errors}"
    );
    let lvm_errors =
        String::from_utf8_lossy(&bundle["cluster-resources/custom-resources/lvmvolumes.local.openebs.io-errors.json"])
            .into_owned();
    assert!(lvm_errors.contains("not found"), "{lvm_errors}");
    let log_errors = String::from_utf8_lossy(&bundle["cluster-resources/pods/logs-errors.json"]).into_owned();
    assert!(log_errors.contains("openebs-localpv-provisioner"), "404 log recorded: {log_errors}");
    assert!(
        log_errors.contains("openebs-api-rest") && log_errors.contains("timed out"),
        "stalled stream recorded: {log_errors}"
    );
    // Retried kinds were collected in the end.
    assert!(!items(&bundle["cluster-resources/nodes.json"]).is_empty(), "nodes collected after two 500s");
    assert!(
        !items(&bundle["cluster-resources/storage-classes.json"]).is_empty(),
        "storage classes collected after a 429"
    );
    let manifest: Value = serde_json::from_slice(&bundle["mayadiag/manifest.json"]).unwrap();
    let failed: Vec<&str> = manifest["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failed")
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(failed.iter().any(|n| n.starts_with("configmaps/")), "{failed:?}");
    assert!(failed.contains(&"lvmvolumes.local.openebs.io"), "{failed:?}");
}

/// A `410 Gone` on a continue token restarts the list; small pages exercise pagination.
#[test]
fn pagination_restarts_on_410() {
    let tmp = tempfile::tempdir().unwrap();
    let faults = write_faults(
        tmp.path(),
        "rules:\n  - path: \"^/api/v1/pods$\"\n    query: \"continue=\"\n    status: 410\n    times: 1\n",
    );
    let served = Served::start(&fixture("openebs-4x"), &["--inject-faults", &faults]);
    let out = served.dir.path().join("p.tar.gz");
    let o = served.collect(&out, &["--page-size", "3", "--since", "100000h"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let bundle = bundle_map(&out);
    let want = items(&std::fs::read(fixture("openebs-4x").join("cluster-resources/pods/openebs.json")).unwrap()).len();
    assert!(want > 6);
    assert_eq!(items(&bundle["cluster-resources/pods/openebs.json"]).len(), want, "every pod despite the 410");
}

/// CRDs of other groups are dropped as their pages arrive (a cluster's CRDs can be hundreds of MB
/// of schemas); ours are all kept, across page boundaries.
#[test]
fn only_crds_of_detected_groups_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let cluster = tmp.path().join("cluster");
    copy_dir(&fixture("openebs-4x"), &cluster);
    let crd_file = cluster.join("cluster-resources/custom-resource-definitions.json");
    let mut list: Value = serde_json::from_slice(&std::fs::read(&crd_file).unwrap()).unwrap();
    let ours: BTreeSet<String> =
        list["items"].as_array().unwrap().iter().map(|c| c["metadata"]["name"].as_str().unwrap().to_string()).collect();
    assert!(ours.len() > 3);
    list["items"].as_array_mut().unwrap().push(serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "certificates.cert-manager.io"},
        "spec": {"group": "cert-manager.io", "scope": "Namespaced",
                 "names": {"kind": "Certificate", "plural": "certificates", "singular": "certificate", "listKind": "CertificateList"},
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}}]}
    }));
    std::fs::write(&crd_file, serde_json::to_vec_pretty(&list).unwrap()).unwrap();

    let served = Served::start(&cluster, &[]);
    let out = served.dir.path().join("crds.tar.gz");
    let o = served.collect(&out, &["--page-size", "2"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let bundle = bundle_map(&out);
    let kept: BTreeSet<String> = items(&bundle["cluster-resources/custom-resource-definitions.json"])
        .iter()
        .map(|c| c["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kept, ours);
}

const REST_VOLUMES: &str = "cluster-resources/custom-resources/volumes.rest.mayastor.openebs.io.json";

/// Mayastor's volume, pool and node state comes from api-rest through the service proxy (what
/// `kubectl mayastor` reads), paged; `serve` answers the same paths from a bundle; the checks read it.
#[test]
fn mayastor_rest_state_through_the_service_proxy() {
    // A cluster with 1,201 volumes: three pages of /v0/volumes.
    let tmp = tempfile::tempdir().unwrap();
    let cluster = tmp.path().join("cluster");
    copy_dir(&fixture("openebs-4x"), &cluster);
    let mut volumes: Vec<Value> = serde_json::from_slice(&std::fs::read(cluster.join(REST_VOLUMES)).unwrap()).unwrap();
    assert_eq!(volumes.len(), 1);
    let template = volumes[0].clone();
    for i in 0..1200 {
        let mut v = template.clone();
        let id = format!("00000000-0000-4000-8000-{i:012}");
        v["metadata"]["name"] = Value::from(id.clone());
        v["spec"]["uuid"] = Value::from(id.clone());
        v["state"]["uuid"] = Value::from(id);
        volumes.push(v);
    }
    std::fs::write(cluster.join(REST_VOLUMES), serde_json::to_vec_pretty(&volumes).unwrap()).unwrap();

    let served = Served::start(&cluster, &[]);
    let raw = served.kubectl(&[
        "get",
        "--raw",
        "/api/v1/namespaces/openebs/services/openebs-api-rest:8081/proxy/v0/volumes?max_entries=500&starting_token=1000",
    ]);
    assert!(raw.status.success(), "{}", texts(&raw).1);
    let page: Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(201));
    assert!(page.get("next_token").is_none(), "last page: {}", page["next_token"]);
    assert!(page["entries"][0].get("metadata").is_none(), "served in api-rest's own shape");
    let nodes =
        served.kubectl(&["get", "--raw", "/api/v1/namespaces/openebs/services/openebs-api-rest:8081/proxy/v0/nodes"]);
    assert_eq!(serde_json::from_slice::<Value>(&nodes.stdout).unwrap().as_array().map(Vec::len), Some(3));
    let listed = served.kubectl(&["get", "volumes.rest.mayastor.openebs.io", "-o", "name"]);
    assert_eq!(texts(&listed).0.lines().count(), 1201, "kubectl lists them like any resource");

    let out = served.dir.path().join("m.tar.gz");
    let o = served.collect(&out, &["-o", "json"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let bundle = bundle_map(&out);
    let got = items(&bundle[REST_VOLUMES]);
    assert_eq!(got.len(), 1201, "every page collected");
    assert!(got.iter().all(|v| v["kind"] == "Volume" && v["state"]["status"] == "Online"));
    for kind in ["nodes", "pools", "nexuses", "replicas"] {
        let rel = format!("cluster-resources/custom-resources/{kind}.rest.mayastor.openebs.io.json");
        assert!(!items(&bundle[&rel]).is_empty(), "{rel}");
    }
    let manifest: Value = serde_json::from_slice(&bundle["mayadiag/manifest.json"]).unwrap();
    let collector =
        manifest["collectors"].as_array().unwrap().iter().find(|c| c["name"] == "mayastor-rest/openebs/volumes");
    assert_eq!(collector.map(|c| c["items"].clone()), Some(Value::from(1201)), "{:#}", manifest["collectors"]);

    // The demo's single-replica volume has no reachable replica: Faulted, Sev 1 (not accessible, nothing shows loss); its node Offline.
    let demo = Served::start(&fixture("demo"), &[]);
    let out = demo.dir.path().join("d.tar.gz");
    let o = demo.collect(&out, &["-o", "json"]);
    let report: Value = serde_json::from_str(&texts(&o).0).unwrap();
    let finding = |check: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == check)
            .cloned()
            .unwrap_or_else(|| panic!("no {check} finding in {:#}", report["findings"]))
    };
    let volume = finding("mayastor-volume-status");
    assert_eq!(
        (volume["sev"].as_u64(), volume["object"]["name"].as_str()),
        (Some(1), Some("6e9bf08b-0ccf-4a37-a2fd-551a7a7f531f"))
    );
    assert!(volume["evidence"].to_string().contains("Faulted"), "{volume:#}");
    let node = finding("mayastor-io-engine-node-status");
    assert_eq!((node["sev"].as_u64(), node["object"]["name"].as_str()), (Some(1), Some("node-2")));
}

/// api-rest unreachable (its pods wait for etcd) or the proxy forbidden: recorded once, the paths
/// not tried after it are marked so in the manifest, and the rest of the bundle is collected.
#[test]
fn mayastor_rest_failures_are_recorded() {
    let rest_file = |kind: &str| format!("cluster-resources/custom-resources/{kind}.rest.mayastor.openebs.io.json");
    let tmp = tempfile::tempdir().unwrap();
    let forbidden = write_faults(tmp.path(), "rules:\n  - path: \"/proxy/v0/volumes$\"\n    status: 403\n");
    let served = Served::start(&fixture("openebs-4x"), &["--inject-faults", &forbidden]);
    let out = served.dir.path().join("f.tar.gz");
    let o = served.collect(&out, &["--request-timeout", "2s"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let bundle = bundle_map(&out);
    let errors = String::from_utf8_lossy(&bundle["cluster-resources/mayastor-rest-errors.json"]).into_owned();
    assert!(errors.contains("Mayastor volumes: forbidden: missing RBAC permission to get services/proxy"), "{errors}");
    assert!(!items(&bundle[&rest_file("nodes")]).is_empty() && !items(&bundle[&rest_file("pools")]).is_empty());
    for kind in ["volumes", "nexuses", "replicas"] {
        assert!(!bundle.contains_key(&rest_file(kind)), "{kind}");
    }
    let manifest: Value = serde_json::from_slice(&bundle["mayadiag/manifest.json"]).unwrap();
    let replicas =
        manifest["collectors"].as_array().unwrap().iter().find(|c| c["name"] == "mayastor-rest/openebs/replicas");
    assert_eq!(replicas.map(|c| c["status"].clone()), Some(Value::from("skipped")), "{:#}", manifest["collectors"]);
    assert!(bundle.contains_key("cluster-resources/pods/openebs.json"));

    let no_endpoints = write_faults(tmp.path(), "rules:\n  - path: \"/proxy/v0/\"\n    status: 503\n");
    let served = Served::start(&fixture("openebs-4x"), &["--inject-faults", &no_endpoints]);
    let out = served.dir.path().join("g.tar.gz");
    let o = served.collect(&out, &["--request-timeout", "2s"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let bundle = bundle_map(&out);
    let errors: Vec<String> = serde_json::from_slice(&bundle["cluster-resources/mayastor-rest-errors.json"]).unwrap();
    assert_eq!(errors.len(), 1, "one error, not one per path: {errors:?}");
    assert!(errors[0].starts_with("Mayastor nodes:"), "{errors:?}");
    assert!(bundle.keys().all(|k| !k.contains(".rest.mayastor.openebs.io")));
    assert!(bundle.contains_key("cluster-resources/pods/openebs.json"));
}

/// The cluster does not answer: a clear error naming the server and the fix, and no file at all.
#[test]
fn unreachable_cluster_gives_clear_error_and_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let kc = tmp.path().join("kc");
    write_plain_kubeconfig(&kc, port);
    let out = tmp.path().join("never.tar.gz");
    let collect = |timeout: &str| {
        run(&[
            "collect",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--request-timeout",
            timeout,
        ])
    };
    let o = collect("2s");
    let (_, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the Kubernetes API server") && stderr.contains(&port.to_string()),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!out.exists());
    assert!(partial_files(tmp.path()).is_empty());

    // A server that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    write_plain_kubeconfig(&kc, port);
    let o = collect("1s");
    let (_, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot reach") && stderr.contains("timed out"), "{stderr}");
    assert!(!out.exists());
    drop(silent);
}

/// A broken kubeconfig is a usage error naming the file.
#[test]
fn broken_kubeconfig_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let kc = tmp.path().join("broken-kubeconfig");
    std::fs::write(&kc, "this: [is not a kubeconfig").unwrap();
    let o = run(&["collect", "--kubeconfig", kc.to_str().unwrap()]);
    let (_, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("broken-kubeconfig"), "{stderr}");
}

/// Bearer token over HTTPS with a CA, given directly or by an exec credential plugin; a wrong token
/// is a clear credentials error.
#[test]
fn tls_with_bearer_token() {
    let served = Served::start(&fixture("litmus"), &["--tls"]);
    assert!(served.url.starts_with("https://"));
    let out = served.dir.path().join("t.tar.gz");
    let o = served.collect(&out, &["--since", "100000h"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    assert!(bundle_map(&out).contains_key("cluster-resources/pods/litmus.json"));
    let kc = std::fs::read_to_string(&served.kubeconfig).unwrap();
    let token_line = kc.lines().find(|l| l.trim_start().starts_with("token:")).unwrap().to_string();
    let bad = served.dir.path().join("bad-kc");
    std::fs::write(&bad, kc.replace(&token_line, "    token: wrong")).unwrap();
    let o =
        run(&["collect", "--kubeconfig", bad.to_str().unwrap(), "--output", out.with_extension("x").to_str().unwrap()]);
    let (_, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr.contains("rejected the credentials"), "{stderr}");

    // The same token from an exec credential plugin (as cloud providers' kubeconfigs do), for
    // mayadiag and for kubectl alike.
    let token = token_line.trim_start().trim_start_matches("token:").trim().trim_matches('"').to_string();
    let plugin = served.dir.path().join("credential-plugin.sh");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\"}}}}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let indent = &token_line[..token_line.len() - token_line.trim_start().len()];
    let exec = format!(
        "{indent}exec:\n{indent}  apiVersion: client.authentication.k8s.io/v1beta1\n{indent}  command: {}",
        plugin.display()
    );
    let exec_kc = served.dir.path().join("exec-kc");
    std::fs::write(&exec_kc, kc.replace(&token_line, &exec)).unwrap();
    let exec_out = served.dir.path().join("exec.tar.gz");
    let o = run(&[
        "collect",
        "--kubeconfig",
        exec_kc.to_str().unwrap(),
        "--output",
        exec_out.to_str().unwrap(),
        "--since",
        "100000h",
    ]);
    assert!(o.status.success(), "exec plugin: {}", texts(&o).1);
    assert_eq!(
        bundle_map(&exec_out).get("cluster-resources/pods/litmus.json"),
        bundle_map(&out).get("cluster-resources/pods/litmus.json")
    );
    let k = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&exec_kc)
        .args(["get", "pods", "-n", "litmus", "-o", "name"])
        .output()
        .unwrap();
    assert!(k.status.success() && !k.stdout.is_empty(), "kubectl with the exec plugin: {}", texts(&k).1);
}

/// Client-certificate auth over HTTPS: collect and kubectl authenticate with the certificate and
/// key in the kubeconfig; without them the server refuses and collect says so.
#[test]
fn tls_with_client_certificate() {
    let served = Served::start(&fixture("litmus"), &["--tls", "--client-cert"]);
    let kc = std::fs::read_to_string(&served.kubeconfig).unwrap();
    assert!(kc.contains("client-certificate-data:") && kc.contains("client-key-data:"), "{kc}");
    assert!(!kc.contains("token:"), "{kc}");
    let out = served.dir.path().join("c.tar.gz");
    let o = served.collect(&out, &["--since", "100000h"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    assert!(!items(&bundle_map(&out)["cluster-resources/pods/litmus.json"]).is_empty());
    let k = served.kubectl(&["get", "pods", "-n", "litmus", "-o", "name"]);
    assert!(k.status.success() && !k.stdout.is_empty(), "kubectl with the client certificate: {}", texts(&k).1);

    let anonymous: String =
        kc.lines().filter(|l| !l.trim_start().starts_with("client-")).map(|l| format!("{l}\n")).collect();
    let anonymous = anonymous.replace("  user:\n", "  user: {}\n");
    let bad = served.dir.path().join("anonymous-kc");
    std::fs::write(&bad, anonymous).unwrap();
    let o =
        run(&["collect", "--kubeconfig", bad.to_str().unwrap(), "--output", out.with_extension("x").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", texts(&o).1);
    assert!(texts(&o).1.contains("rejected the credentials"), "{}", texts(&o).1);
}

/// Limits: per-log newest bytes, and a total size after which logs are skipped and recorded.
#[test]
fn log_limits_hold() {
    let served = Served::start(&fixture("openebs-4x"), &[]);
    let out = served.dir.path().join("l.tar.gz");
    let o = served.collect(&out, &["--max-log-bytes", "100", "--since", "100000h", "--no-redact", "--yes"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let bundle = bundle_map(&out);
    let manifest: Value = serde_json::from_slice(&bundle["mayadiag/manifest.json"]).unwrap();
    let truncations = manifest["truncations"].as_array().unwrap();
    assert!(!truncations.is_empty());
    for t in truncations {
        let file = t["file"].as_str().unwrap();
        let kept = &bundle[file];
        assert!(kept.len() <= 100, "{file}: {} bytes kept", kept.len());
        let original = std::fs::read(fixture("openebs-4x").join(file)).unwrap();
        assert!(original.ends_with(kept), "{file}: the newest bytes are kept");
    }
    let out2 = served.dir.path().join("s.tar.gz");
    let o = served.collect(&out2, &["--max-bundle-size", "60KiB", "--since", "100000h"]);
    assert!(o.status.success());
    let manifest: Value = serde_json::from_slice(&bundle_map(&out2)["mayadiag/manifest.json"]).unwrap();
    assert!(
        manifest["skips"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reason"].as_str().unwrap().contains("--max-bundle-size"))
    );
}

/// Ctrl-C removes the partial file and exits 130.
#[test]
fn interrupt_removes_partial_bundle() {
    let served = Served::start(&fixture("openebs-4x"), &["--latency", "300ms"]);
    let out = served.dir.path().join("i.tar.gz");
    let kc = served.kc();
    let mut child = std::process::Command::new(bin())
        .args(["collect", "--kubeconfig", &kc, "--output", out.to_str().unwrap(), "--concurrency", "1"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The partial file has a random name beside the target (`.i.tar.gz.XXXXXX.partial`).
    let partials = || partial_files(served.dir.path());
    assert!(wait_for(std::time::Duration::from_secs(20), || !partials().is_empty()), "collection started");
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(partials().is_empty(), "partial removed");
    assert!(!out.exists());
}

/// `collect --demo` needs no cluster and finds the demo's problem.
#[test]
fn demo_collects_without_a_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo.tar.gz");
    let o = run(&["collect", "--demo", "--output", out.to_str().unwrap()]);
    let (stdout, stderr) = texts(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(stdout.contains("bundle:"), "{stdout}");
    let bundle = bundle_map(&out);
    assert!(
        bundle.keys().any(|k| k.contains("io-engine") && k.ends_with("-previous.log")),
        "io-engine previous log collected"
    );
    assert!(bundle.contains_key("mayadiag/manifest.json"));
}

/// A corrupt bundle given to serve is a one-line error.
#[test]
fn serve_rejects_corrupt_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.tar.gz");
    std::fs::write(&bad, b"\x1f\x8bgarbage").unwrap();
    let o = run(&["serve", bad.to_str().unwrap()]);
    let (_, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr.contains("bad.tar.gz") && stderr.contains("not a readable bundle"), "{stderr}");
}

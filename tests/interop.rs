//! Interoperability with the troubleshoot.sh / sbctl ecosystem and bounded reading of any bundle:
//! real bundles written by other projects open with `analyze` and `serve` + kubectl, non-bundles
//! are refused, hostile archives stay bounded, our own bundles carry the discovery files sbctl
//! serves from, and `serve` answers nonsense query parameters with 400.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::{Served, fixture, run, texts};
use serde_json::Value;

fn reference(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference").join(rel);
    if path.exists() {
        Some(path)
    } else {
        println!("skipped: {} is absent", path.display());
        None
    }
}

/// Every real bundle of other projects (tar.gz or extracted tree).
fn third_party_bundles() -> Vec<PathBuf> {
    [
        "third-party-bundles/ts-testdata-2022/support-bundle.tar.gz",
        "third-party-bundles/ts-baseline-2025/baseline.tar.gz",
        "third-party-bundles/mcp-fixture-2025-04/support-bundle-2025-04-11T14_05_31.tar.gz",
        "third-party-bundles/sbctl-kurl-longhorn/tests/support-bundle",
        "third-party-bundles/ts-extracted-sb/testdata/supportbundle/extracted-sb",
        "third-party-bundles/ts-analyze-files/pkg/analyze/files/support-bundle",
        "troubleshoot-bundles/testdata-sb.tar.gz",
        "troubleshoot-bundles/baseline.tar.gz",
    ]
    .iter()
    .filter_map(|rel| reference(rel))
    .collect()
}

/// The files of a bundle relative to its root (the directory holding `cluster-resources/`).
fn bundle_files(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let raw = if path.is_dir() { common::fixture_files(path) } else { common::bundle_map(path) };
    let root = raw.keys().find_map(|k| k.find("cluster-resources/").map(|i| k[..i].to_string())).unwrap_or_default();
    raw.into_iter().filter_map(|(k, v)| k.strip_prefix(&root).map(|r| (r.to_string(), v))).collect()
}

/// Objects in a list file (List object or array); `None` when it does not parse as JSON.
fn json_items(data: &[u8]) -> Option<Vec<Value>> {
    match serde_json::from_slice::<Value>(data).ok()? {
        Value::Array(items) => Some(items),
        Value::Object(mut o) => Some(o.remove("items").and_then(|i| i.as_array().cloned()).unwrap_or_default()),
        _ => None,
    }
}

fn kubectl_json(served: &Served, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let out = served.kubectl(&all);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "kubectl {args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("kubectl {args:?}: {e}"))
}

#[test]
fn third_party_bundles_analyze_and_serve_with_exact_row_counts() {
    for bundle in third_party_bundles() {
        let name = bundle.display().to_string();
        let out = run(&["analyze", &name]);
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}{stderr}");
        assert!(stdout.contains("no OpenEBS or Litmus component found"), "{name}: {stdout}");
        // troubleshoot-redacted YAML (`ip: ***HIDDEN***`) is read, not dropped.
        assert!(!stdout.contains("unreadable in bundle"), "{name}: {stdout}");

        let files = bundle_files(&bundle);
        let pods_in_files: usize = files
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix("cluster-resources/pods/").is_some_and(|r| r.ends_with(".json") && !r.contains('/'))
            })
            .filter_map(|(_, v)| json_items(v))
            .map(|items| items.len())
            .sum();
        let served = Served::start(&bundle, &[]);
        let pods = kubectl_json(&served, &["get", "pods", "-A"]);
        assert_eq!(pods["items"].as_array().map(Vec::len), Some(pods_in_files), "{name}: pods");

        // `kubectl get all -A` works, and the pod rows have their printer columns filled.
        let out = served.kubectl(&["get", "all", "-A"]);
        let (stdout, stderr) = texts(&out);
        assert!(out.status.success(), "{name}: get all: {stderr}");
        if pods_in_files > 0 {
            let rows: Vec<&str> = stdout.lines().filter(|l| l.contains(" pod/")).collect();
            assert_eq!(rows.len(), pods_in_files, "{name}: {stdout}");
            assert!(rows.iter().all(|r| r.split_whitespace().count() >= 6), "{name}: {stdout}");
        }

        // The common kinds troubleshoot writes: each listed exactly as in its files.
        for (dir, resource) in [
            ("deployments", "deployments"),
            ("services", "services"),
            ("events", "events"),
            ("cronjobs", "cronjobs"),
            ("ingress", "ingresses"),
            ("network-policy", "networkpolicies"),
            ("pod-disruption-budgets", "poddisruptionbudgets"),
            ("resource-quota", "resourcequotas"),
            ("limitranges", "limitranges"),
            ("serviceaccounts", "serviceaccounts"),
            ("endpointslices", "endpointslices"),
            ("roles", "roles"),
            ("rolebindings", "rolebindings"),
            ("clusterroles", "clusterroles"),
            ("clusterrolebindings", "clusterrolebindings"),
            ("priorityclasses", "priorityclasses"),
        ] {
            let in_files: Option<usize> = files
                .iter()
                .filter(|(k, _)| {
                    k.strip_prefix("cluster-resources/").is_some_and(|r| {
                        r == format!("{dir}.json")
                            || r.strip_prefix(&format!("{dir}/"))
                                .is_some_and(|f| f.ends_with(".json") && !f.contains('/'))
                    })
                })
                .map(|(_, v)| json_items(v).map_or(0, |i| i.len()))
                .reduce(|a, b| a + b);
            let Some(count) = in_files else { continue };
            let listed = kubectl_json(&served, &["get", resource, "-A"]);
            assert_eq!(listed["items"].as_array().map(Vec::len), Some(count), "{name}: {resource}");
        }

        // Custom resources with a JSON file: served once each, even when a YAML copy exists.
        let mut by_resource: BTreeMap<String, usize> = BTreeMap::new();
        for (rel, data) in &files {
            let Some(cr) = rel.strip_prefix("cluster-resources/custom-resources/") else { continue };
            let Some(stem) = cr.strip_suffix(".json") else { continue };
            let id = stem.split('/').next().unwrap_or(stem).to_string();
            *by_resource.entry(id).or_default() += json_items(data).map_or(0, |i| i.len());
        }
        for (id, count) in by_resource {
            let listed = kubectl_json(&served, &["get", &id, "-A"]);
            assert_eq!(listed["items"].as_array().map(Vec::len), Some(count), "{name}: {id}");
        }
    }
}

#[test]
fn non_bundles_are_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let only_analysis = dir.path().join("not-a-bundle");
    std::fs::create_dir_all(&only_analysis).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(only_analysis.join("analysis.json"), "[]").unwrap_or_else(|e| panic!("{e}"));
    let mut inputs = vec![only_analysis];
    inputs.extend(reference("third-party-bundles/ts-missing-version/missing-version.tar.gz"));
    for input in inputs {
        let name = input.display().to_string();
        for args in [vec!["analyze", &name], vec!["serve", &name, "--port", "0"]] {
            let out = run(&args);
            let (stdout, stderr) = texts(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {stdout}{stderr}");
            assert!(stdout.is_empty(), "{args:?}: {stdout}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
            assert!(stderr.contains("is not a support bundle"), "{args:?}: {stderr}");
        }
    }
}

/// Pack a fixture cluster directory as `<top>/...`, with extra members first.
fn pack(dir: &Path, top: &str, first: &[(&str, &[u8])], extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_750_000_000);
        header.set_cksum();
        builder.append_data(&mut header, name, data).unwrap_or_else(|e| panic!("{e}"));
    };
    for (name, data) in first {
        add(name, data);
    }
    for (rel, data) in common::fixture_files(dir) {
        add(&format!("{top}/{rel}"), &data);
    }
    for (name, data) in extra {
        add(&format!("{top}/{name}"), data);
    }
    builder.into_inner().unwrap_or_else(|e| panic!("{e}"))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap_or_else(|e| panic!("{e}"));
    gz.finish().unwrap_or_else(|e| panic!("{e}"))
}

/// The verdict line: the first line after `analyze`'s `bundle: PATH (…)` header, which names the
/// input and so differs between the forms of one bundle.
fn first_line(out: &std::process::Output) -> String {
    texts(out).0.lines().find(|l| !l.starts_with("bundle: ") && !l.trim().is_empty()).unwrap_or_default().to_string()
}

#[test]
fn readme_first_and_multi_member_archives_read_like_the_directory() {
    let cluster = fixture("fm12-cstor-pool-crashloop");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let from_dir = run(&["analyze", &cluster.display().to_string()]);
    assert_eq!(from_dir.status.code(), Some(3), "{}", texts(&from_dir).0);

    let tar = pack(&cluster, "bundle", &[("README.md", b"# unpack me\n")], &[]);
    let readme_first = dir.path().join("readme-first.tar.gz");
    std::fs::write(&readme_first, gzip(&tar)).unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = tar.split_at(tar.len() / 3);
    let mut multi = gzip(a);
    multi.extend(gzip(b));
    let multi_member = dir.path().join("multi.tar.gz");
    std::fs::write(&multi_member, multi).unwrap_or_else(|e| panic!("{e}"));
    for archive in [readme_first, multi_member] {
        let out = run(&["analyze", &archive.display().to_string()]);
        assert_eq!(out.status.code(), Some(3), "{}", texts(&out).0);
        assert_eq!(first_line(&out), first_line(&from_dir));
    }
}

#[test]
fn gzip_bomb_is_bounded_and_reported() {
    let cluster = fixture("fm12-cstor-pool-crashloop");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let zeros = vec![b' '; 48 << 20];
    let tar = pack(
        &cluster,
        "bundle",
        &[],
        &[("cluster-resources/pods/zz-bomb.json", &zeros), ("host-collectors/blob.bin", &zeros)],
    );
    let bomb = dir.path().join("bomb.tar.gz");
    std::fs::write(&bomb, gzip(&tar)).unwrap_or_else(|e| panic!("{e}"));
    let name = bomb.display().to_string();
    let out = run(&["analyze", &name, "--max-member-size", "8MiB"]);
    let (stdout, stderr) = texts(&out);
    // The rest of the bundle still counts (the pool crash loop is found); the bomb is a gap.
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(stdout.contains("zz-bomb.json") && stdout.contains("--max-member-size"), "{stdout}");

    let out = run(&["analyze", &name, "--max-inflated-size", "16MiB"]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.code().is_some_and(|c| c != 1), "{stdout}{stderr}");
    assert!(stdout.contains("--max-inflated-size"), "{stdout}");

    let served = Served::start(&bomb, &["--max-member-size", "8MiB"]);
    let pods = kubectl_json(&served, &["get", "pods", "-A"]);
    assert!(pods["items"].as_array().is_some_and(|i| !i.is_empty()));
}

#[test]
fn serve_logs_answer_like_sbctl_and_query_parameters_are_bounded() {
    let cluster = fixture("fm12-cstor-pool-crashloop");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A log of a pod that is in no pod list, and troubleshoot's per-container error file.
    let tar = pack(
        &cluster,
        "bundle",
        &[],
        &[
            ("cluster-resources/pods/logs/kube-system/ghost-1/main.log", b"ghost line 1\nghost line 2\n"),
            ("cluster-resources/pods/logs/kube-system/ghost-1/main-logs-errors.log", b"[]"),
        ],
    );
    let bundle = dir.path().join("b.tar.gz");
    std::fs::write(&bundle, gzip(&tar)).unwrap_or_else(|e| panic!("{e}"));
    let served = Served::start(&bundle, &[]);
    let out = served.kubectl(&["get", "--raw", "/api/v1/namespaces/kube-system/pods/ghost-1/log?tailLines=1"]);
    assert!(out.status.success(), "{}", texts(&out).1);
    assert_eq!(texts(&out).0, "ghost line 2\n");

    // A container whose log was not collected: 404, not an empty log.
    let pods = kubectl_json(&served, &["get", "pods", "-A"]);
    let logged: Vec<String> = common::fixture_files(&cluster)
        .keys()
        .filter_map(|k| k.strip_prefix("cluster-resources/pods/logs/").map(str::to_string))
        .collect();
    let unlogged = pods["items"].as_array().into_iter().flatten().find_map(|p| {
        let (ns, name) = (p["metadata"]["namespace"].as_str()?, p["metadata"]["name"].as_str()?);
        let c = p["spec"]["containers"][0]["name"].as_str()?;
        (!logged.iter().any(|l| l.starts_with(&format!("{ns}/{name}/"))))
            .then(|| (ns.to_string(), name.to_string(), c.to_string()))
    });
    if let Some((ns, name, container)) = unlogged {
        let path = format!("/api/v1/namespaces/{ns}/pods/{name}/log?container={container}");
        let out = served.kubectl(&["get", "--raw", &path]);
        assert!(!out.status.success());
        assert!(texts(&out).1.contains("NotFound") || texts(&out).1.contains("not found"), "{}", texts(&out).1);
    }

    use base64::Engine as _;
    let near_max = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("o:18446744073709551615");
    for query in [
        "/api/v1/pods?limit=18446744073709551615".to_string(),
        "/api/v1/pods?limit=-1".to_string(),
        "/api/v1/pods?limit=ten".to_string(),
        format!("/api/v1/pods?limit=1&continue={near_max}"),
        "/api/v1/namespaces/kube-system/pods/ghost-1/log?tailLines=99999999999999999999".to_string(),
        "/api/v1/namespaces/kube-system/pods/ghost-1/log?limitBytes=x".to_string(),
    ] {
        let out = served.kubectl(&["get", "--raw", &query]);
        let stderr = texts(&out).1;
        assert!(!out.status.success(), "{query}");
        assert!(
            stderr.contains("BadRequest") || stderr.contains("400") || stderr.contains("invalid"),
            "{query}: {stderr}"
        );
    }
    // Still serving, and a sane page works.
    let page = kubectl_json(&served, &["get", "pods", "-A", "--chunk-size", "1"]);
    assert_eq!(page["items"].as_array().map(Vec::len), pods["items"].as_array().map(Vec::len));
}

#[test]
fn our_bundle_carries_the_discovery_files_serve_reads() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out_path = dir.path().join("ours.tar.gz");
    let served = Served::start(&fixture("demo"), &[]);
    let out = served.collect(&out_path, &["--no-redact", "--yes", "--since", "100000h"]);
    assert!(out_path.exists(), "{}", texts(&out).1);
    drop(served);
    let files = bundle_files(&out_path);
    let resources: Value = serde_json::from_slice(&files["cluster-resources/resources.json"])
        .unwrap_or_else(|e| panic!("resources.json: {e}"));
    let groups: Value =
        serde_json::from_slice(&files["cluster-resources/groups.json"]).unwrap_or_else(|e| panic!("groups.json: {e}"));
    assert!(groups.as_array().is_some_and(|g| g.iter().any(|g| g["name"] == "")), "core group in groups.json");
    // troubleshoot's file names (README table, write side).
    for name in [
        "version.yaml",
        "cluster-info/cluster_version.json",
        "cluster-resources/validating-webhook-configurations.json",
        "cluster-resources/mutating-webhook-configurations.json",
        "cluster-resources/storage-classes.json",
        "cluster-resources/custom-resource-definitions.json",
    ] {
        assert!(files.contains_key(name), "{name} missing from our bundle");
    }
    // No empty custom-resource files (troubleshoot never writes them).
    for (rel, data) in &files {
        if rel.starts_with("cluster-resources/custom-resources/") && !rel.contains(".rest.mayastor.") {
            assert!(json_items(data).is_some_and(|i| !i.is_empty()), "{rel} is empty");
        }
    }
    // Served discovery (what sbctl would serve from these files) matches the files.
    let served = Served::start(&out_path, &[]);
    for list in resources.as_array().into_iter().flatten() {
        let gv = list["groupVersion"].as_str().unwrap_or_default();
        let path = if gv.contains('/') { format!("/apis/{gv}") } else { format!("/api/{gv}") };
        let out = served.kubectl(&["get", "--raw", &path]);
        assert!(out.status.success(), "{path}: {}", texts(&out).1);
        let got: Value = serde_json::from_str(&texts(&out).0).unwrap_or_else(|e| panic!("{path}: {e}"));
        for r in list["resources"].as_array().into_iter().flatten() {
            let found = got["resources"].as_array().into_iter().flatten().find(|x| x["name"] == r["name"]);
            let found = found.unwrap_or_else(|| panic!("{path}: {} not served", r["name"]));
            assert_eq!(found["kind"], r["kind"], "{path}");
            assert_eq!(found["namespaced"], r["namespaced"], "{path}");
            if let Some(cats) = r["categories"].as_array() {
                assert_eq!(found["categories"].as_array(), Some(cats), "{path}");
            }
        }
    }
    let out = served.kubectl(&["get", "all", "-A"]);
    assert!(out.status.success(), "{}", texts(&out).1);
    assert!(texts(&out).0.contains("pod/"), "{}", texts(&out).0);
}

#[test]
fn optional_apis_not_installed_are_not_failures() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let faults = dir.path().join("faults.yaml");
    std::fs::write(&faults, "rules:\n  - path: \"^/apis/snapshot.storage.k8s.io/\"\n    status: 404\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let served = Served::start(&fixture("demo"), &["--inject-faults", &faults.display().to_string()]);
    let out_path = dir.path().join("b.tar.gz");
    let out = served.collect(&out_path, &["--since", "100000h"]);
    let stderr = texts(&out).1;
    assert!(out_path.exists(), "{stderr}");
    assert!(!stderr.contains("failed") && !stderr.contains("skipped"), "{stderr}");
    let files = bundle_files(&out_path);
    let manifest: Value =
        serde_json::from_slice(&files["mayadiag/manifest.json"]).unwrap_or_else(|e| panic!("manifest: {e}"));
    let not_installed: Vec<&Value> =
        manifest["collectors"].as_array().into_iter().flatten().filter(|c| c["status"] == "not installed").collect();
    assert!(
        not_installed.iter().any(|c| c["name"].as_str().is_some_and(|n| n.contains("snapshot.storage.k8s.io"))),
        "{:#}",
        manifest["collectors"]
    );
    // Not advertised in the bundle's discovery either.
    let resources = String::from_utf8_lossy(&files["cluster-resources/resources.json"]).into_owned();
    assert!(!resources.contains("snapshot.storage.k8s.io"), "{resources}");
}

#[test]
fn pods_events_and_workloads_of_every_namespace_are_collected() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cluster = dir.path().join("cluster");
    common::copy_dir(&fixture("demo"), &cluster);
    let pod = r#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"apiVersion":"v1","kind":"Pod",
        "metadata":{"name":"coredns-1","namespace":"kube-system","creationTimestamp":"2026-11-01T00:00:00Z"},
        "spec":{"containers":[{"name":"coredns","image":"coredns:1.11"}],"nodeName":"node-1"},
        "status":{"phase":"Running","containerStatuses":[{"name":"coredns","ready":false,"restartCount":9,
        "state":{"running":{"startedAt":"2026-11-30T11:00:00Z"}}}]}}]}"#;
    let deploy = r#"{"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{},"items":[{"apiVersion":"apps/v1",
        "kind":"Deployment","metadata":{"name":"coredns","namespace":"kube-system"},"spec":{"replicas":1},"status":{}}]}"#;
    for (rel, data) in
        [("cluster-resources/pods/kube-system.json", pod), ("cluster-resources/deployments/kube-system.json", deploy)]
    {
        let path = cluster.join(rel);
        std::fs::create_dir_all(path.parent().unwrap_or(&cluster)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(path, data).unwrap_or_else(|e| panic!("{e}"));
    }
    let log: String = (0..300).map(|i| format!("line {i}\n")).collect();
    let log_dir = cluster.join("cluster-resources/pods/logs/kube-system/coredns-1");
    std::fs::create_dir_all(&log_dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(log_dir.join("coredns.log"), log).unwrap_or_else(|e| panic!("{e}"));
    let served = Served::start(&cluster, &[]);
    let out_path = dir.path().join("b.tar.gz");
    let out = served.collect(&out_path, &["--since", "100000h"]);
    assert!(out_path.exists(), "{}", texts(&out).1);
    let files = bundle_files(&out_path);
    let pods = files.get("cluster-resources/pods/kube-system.json").and_then(|d| json_items(d)).unwrap_or_default();
    assert_eq!(pods.len(), 1, "kube-system pods collected");
    let deployments =
        files.get("cluster-resources/deployments/kube-system.json").and_then(|d| json_items(d)).unwrap_or_default();
    assert_eq!(deployments.len(), 1, "kube-system deployments collected");
    assert!(files.contains_key("cluster-resources/events/kube-system.json"), "kube-system events collected");
    // The crash-looping system pod's log tail is taken (the fixture server has no log for it: the
    // attempt is recorded instead).
    let log = files
        .get("cluster-resources/pods/logs/kube-system/coredns-1/coredns.log")
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .unwrap_or_default();
    assert_eq!(log.lines().count(), 200, "the last 200 lines of the coredns log");
    assert!(log.ends_with("line 299\n"), "{log:.80}");
}

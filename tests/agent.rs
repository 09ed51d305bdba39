//! `mayadiag agent --once` over fixture host roots (tests/fixtures/hosts/<case>) and over this
//! machine's own root: statuses, evidence, exit codes, probe selection, and the committed CRD.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn hosts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts")
}

/// Run `mayadiag agent --once -o json --host-root <root> <extra…>`; returns (exit code, report JSON).
fn run_agent(root: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .arg("agent")
        .arg("--once")
        .arg("--host-root")
        .arg(root)
        .args(["-o", "json"])
        .args(extra)
        .env_remove("NODE_NAME")
        .env_remove("RUNTIME_SOCKET")
        .output()
        .unwrap_or_else(|e| panic!("run mayadiag: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    (output.status.code().unwrap_or(-1), json)
}

fn case(name: &str, probes: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--probes", probes, "--node-name", "node-1"];
    args.extend_from_slice(extra);
    run_agent(&hosts().join(name), &args)
}

fn probes(report: &Value) -> &Vec<Value> {
    report["status"]["probes"].as_array().unwrap_or_else(|| panic!("no status.probes in {report}"))
}

fn probe<'a>(report: &'a Value, id: &str) -> &'a Value {
    probes(report)
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("probe {id} missing in {:#}", report["status"]["probes"]))
}

fn status(report: &Value, id: &str) -> String {
    probe(report, id)["status"].as_str().unwrap_or("").to_string()
}

/// Whether probe `id` has evidence for `file` whose value contains `needle`.
fn has_evidence(report: &Value, id: &str, file: &str, needle: &str) -> bool {
    probe(report, id)["evidence"].as_array().is_some_and(|ev| {
        ev.iter().any(|e| e["file"] == file && e["value"].as_str().is_some_and(|v| v.contains(needle)))
    })
}

fn assert_all(report: &Value, expected: &str) {
    for p in probes(report) {
        assert_eq!(p["status"], expected, "probe {} in {:#}", p["id"], p);
    }
}

#[test]
fn mayastor_ok_passes() {
    let (code, report) = case("mayastor-ok", "common,mayastor", &[]);
    assert_all(&report, "pass");
    assert_eq!(code, 0);
    assert_eq!(report["kind"], "NodeReport");
    assert_eq!(report["metadata"]["name"], "node-1");
    assert_eq!(report["status"]["verdict"], "pass");
    assert_eq!(report["status"]["failing"], serde_json::json!([]));
    assert!(has_evidence(
        &report,
        "mayastor.hugepages",
        "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
        "1024"
    ));
    assert!(has_evidence(&report, "mayastor.nvme_tcp", "/sys/module/nvme_tcp", "present"));
    assert!(has_evidence(&report, "mayastor.nvme_multipath", "/sys/module/nvme_core/parameters/multipath", "Y"));
    assert!(has_evidence(&report, "mayastor.kernel_version", "/proc/sys/kernel/osrelease", "5.15.0-91-generic"));
    assert!(has_evidence(&report, "common.kubelet_shared_mount", "/proc/1/mountinfo", "shared:1"));
    assert!(has_evidence(&report, "common.kernel_crashes", "/var/crash", "absent"));
    // Without API access the Node's advertised hugepages are unknown, so that probe is not run.
    assert!(probes(&report).iter().all(|p| p["id"] != "mayastor.hugepages_advertised"));
}

/// FM25: a kdump directory from the last days with the verbatim panic lines, NVMe timeouts in
/// kern.log, and a userland crash file that must not count.
#[test]
fn kernel_crash_dumps_and_nvme_timeouts_fail() {
    let (code, report) = case("kernel-crash", "common", &[]);
    assert_eq!(code, 3, "{report:#}");
    let p = probe(&report, "common.kernel_crashes");
    assert_eq!(p["status"], "fail", "{p:#}");
    assert!(p["message"].as_str().is_some_and(|m| m.contains("1 kernel crash dump(s) from the last 7 days")), "{p:#}");
    assert!(has_evidence(&report, "common.kernel_crashes", "/var/crash/202611301012", "general protection fault"));
    assert!(has_evidence(&report, "common.kernel_crashes", "/var/log/kern.log", "nvme nvme1: I/O 12 QID 3 timeout"));
    assert!(has_evidence(&report, "common.kernel_crashes", "/var/log/kern.log", "(2 such lines)"));
    assert!(!p.to_string().contains("python3"), "a userland crash is not a kernel crash: {p:#}");
    assert!(p["remediation"].as_str().is_some_and(|r| r.contains("nvme_tcp")));

    // The same dump a month old, and no kernel log: only a warning.
    let tmp = tempfile::tempdir().unwrap();
    let host = tmp.path().join("host");
    assert!(Command::new("cp").arg("-r").arg(hosts().join("kernel-crash")).arg(&host).status().unwrap().success());
    std::fs::remove_file(host.join("var/log/kern.log")).unwrap();
    let dump = host.join("var/crash/202611301012");
    assert!(Command::new("touch").args(["-d", "30 days ago"]).arg(&dump).status().unwrap().success());
    let (_, old) = run_agent(&host, &["--probes", "common", "--node-name", "node-1"]);
    assert_eq!(status(&old, "common.kernel_crashes"), "warn", "{old:#}");
    // Only the NVMe timeouts: a warning too.
    let (_, nvme) = {
        std::fs::remove_dir_all(host.join("var/crash")).unwrap();
        std::fs::copy(hosts().join("kernel-crash/var/log/kern.log"), host.join("var/log/kern.log")).unwrap();
        run_agent(&host, &["--probes", "common", "--node-name", "node-1"])
    };
    let p = probe(&nvme, "common.kernel_crashes");
    assert_eq!(p["status"], "warn", "{p:#}");
    assert!(p["message"].as_str().is_some_and(|m| m.contains("2 NVMe controller timeout")), "{p:#}");
}

#[test]
fn mayastor_without_nvme_tcp_and_hugepages_fails() {
    let (code, report) = case("mayastor-no-nvme-tcp-no-hugepages", "common,mayastor", &[]);
    assert_eq!(code, 3);
    assert_eq!(report["status"]["verdict"], "fail");
    assert_eq!(status(&report, "mayastor.hugepages"), "fail");
    assert!(has_evidence(&report, "mayastor.hugepages", "/proc/meminfo", "HugePages_Total: 0"));
    assert_eq!(status(&report, "mayastor.nvme_tcp"), "fail");
    assert!(has_evidence(&report, "mayastor.nvme_tcp", "/sys/module/nvme_tcp", "absent"));
    assert!(has_evidence(&report, "mayastor.nvme_tcp", "/proc/modules", "nvme_tcp not listed"));
    assert!(
        probe(&report, "mayastor.nvme_tcp")["remediation"].as_str().is_some_and(|r| r.contains("modprobe nvme_tcp"))
    );
    assert_eq!(status(&report, "mayastor.nvme_multipath"), "warn");
    assert_eq!(status(&report, "mayastor.sse4_2"), "fail");
    assert_eq!(status(&report, "mayastor.kernel_version"), "fail");
    assert_eq!(status(&report, "common.kernel_version"), "warn");
    assert_eq!(status(&report, "common.kubelet_shared_mount"), "fail");
    assert!(has_evidence(&report, "common.kubelet_shared_mount", "/proc/1/mountinfo", "/var/lib/kubelet (xfs)"));
    let failing: Vec<&str> =
        report["status"]["failing"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(failing.contains(&"mayastor.nvme_tcp") && failing.contains(&"mayastor.nvme_multipath"), "{failing:?}");
}

#[test]
fn iscsi_ok_passes() {
    let (code, report) = case("iscsi-ok", "iscsi", &[]);
    assert_all(&report, "pass");
    assert_eq!(code, 0);
    assert!(has_evidence(
        &report,
        "iscsi.initiator_name",
        "/etc/iscsi/initiatorname.iscsi",
        "iqn.2004-10.com.ubuntu:01:5b1c7d9e2a4f"
    ));
    assert!(has_evidence(&report, "iscsi.iscsid_running", "/proc/811/comm", "iscsid"));
    assert!(has_evidence(&report, "iscsi.multipath", "/etc/multipath.conf", "find_multipaths yes"));
}

#[test]
fn iscsi_missing_fails_every_probe() {
    let (code, report) = case("iscsi-missing", "cstor", &[]);
    assert_eq!(code, 3);
    assert_all(&report, "fail");
    assert!(has_evidence(&report, "iscsi.initiator_name", "/etc/iscsi/initiatorname.iscsi", "absent"));
    assert!(has_evidence(&report, "iscsi.multipath", "/proc/655/comm", "multipathd"));
    assert!(has_evidence(&report, "iscsi.multipath", "/etc/multipath.conf", "find_multipaths unset"));
}

#[test]
fn lvm_ok_passes_and_lists_volume_groups() {
    let (code, report) = case("lvm-ok", "lvm", &[]);
    assert_all(&report, "pass");
    assert_eq!(code, 0);
    assert!(has_evidence(&report, "lvm.volume_groups", "/etc/lvm/backup", "lvmvg"));
    assert!(has_evidence(&report, "lvm.volume_groups", "/dev/lvmvg", "directory"));
    assert!(has_evidence(&report, "lvm.lvm2", "/sbin/lvm", "present"));
}

#[test]
fn lvm_without_thin_pool_only_warns() {
    let (code, report) = case("lvm-no-thin", "lvm", &[]);
    assert_eq!(status(&report, "lvm.lvm2"), "pass");
    assert!(has_evidence(&report, "lvm.lvm2", "/usr/sbin/lvm", "present"));
    // dm_snapshot is found through /proc/modules when /sys/module has no entry.
    assert_eq!(status(&report, "lvm.dm_snapshot"), "pass");
    assert!(has_evidence(&report, "lvm.dm_snapshot", "/proc/modules", "dm_snapshot listed"));
    assert_eq!(status(&report, "lvm.dm_thin_pool"), "warn");
    assert_eq!(status(&report, "lvm.volume_groups"), "warn");
    assert_eq!(report["status"]["verdict"], "warn");
    assert_eq!(code, 4);
}

#[test]
fn lvm_missing_fails_and_node_name_falls_back_to_hostname() {
    let (code, report) = run_agent(&hosts().join("lvm-missing"), &["--probes", "lvm"]);
    assert_eq!(code, 3);
    assert_eq!(status(&report, "lvm.lvm2"), "fail");
    assert_eq!(status(&report, "lvm.dm_snapshot"), "fail");
    assert_eq!(report["metadata"]["name"], "worker-3");
    assert_eq!(report["spec"]["nodeName"], "worker-3");
}

#[test]
fn zfs_ok_passes() {
    let (code, report) = case("zfs-ok", "zfs", &[]);
    assert_all(&report, "pass");
    assert_eq!(code, 0);
    assert!(has_evidence(&report, "zfs.version_match", "/var/lib/dpkg/status", "zfsutils-linux 2.2.2-0ubuntu9.1"));
    assert!(has_evidence(&report, "zfs.pools_online", "/proc/spl/kstat/zfs/zfspv-pool/state", "ONLINE"));
}

#[test]
fn zfs_module_userland_mismatch_fails() {
    let (code, report) = case("zfs-mismatch", "zfs", &[]);
    assert_eq!(code, 3);
    assert_eq!(status(&report, "zfs.version_match"), "fail");
    assert!(has_evidence(&report, "zfs.version_match", "/sys/module/zfs/version", "2.3.2-1"));
    assert!(has_evidence(&report, "zfs.version_match", "/var/lib/dpkg/status", "2.3.1-1"));
    assert_eq!(status(&report, "zfs.pools_online"), "warn");
    assert_eq!(status(&report, "zfs.zfs_binary"), "pass");
}

#[test]
fn zfs_missing_fails() {
    let (_, report) = case("zfs-missing", "zfs", &[]);
    assert_all(&report, "fail");
}

#[test]
fn hostpath_cases() {
    let (_, ok) = case("hostpath-ok", "hostpath", &[]);
    assert_eq!(status(&ok, "hostpath.base_path"), "pass");
    for id in ["hostpath.free_space", "hostpath.free_inodes"] {
        assert_ne!(status(&ok, id), "error", "{id}");
        assert!(has_evidence(&ok, id, "/var/openebs/local", "statvfs:"), "{id}");
    }
    let (code, missing) = case("hostpath-missing", "hostpath", &[]);
    assert_eq!(status(&missing, "hostpath.base_path"), "fail");
    assert_eq!(code, 3);
    let (_, under_root) = case("hostpath-ok", "hostpath", &["--hostpath-base", "/data"]);
    assert_eq!(status(&under_root, "hostpath.base_path"), "fail");
}

#[test]
fn ndm_cases() {
    let (code, ok) = case("ndm-ok", "ndm", &[]);
    assert_all(&ok, "pass");
    assert_eq!(code, 0);
    assert!(has_evidence(&ok, "ndm.proc_mounts", "/proc/1/mounts", "/dev/sda2 on /"));
    let (_, missing) = case("ndm-missing", "ndm", &[]);
    assert_all(&missing, "fail");
}

#[test]
fn litmus_cases() {
    let (_, ok) = case("litmus-ok", "litmus", &[]);
    assert_eq!(status(&ok, "litmus.runtime_socket"), "pass");
    let (code, missing) = case("litmus-missing", "litmus", &[]);
    assert_eq!(status(&missing, "litmus.runtime_socket"), "warn");
    assert_eq!(code, 4);
    let (_, wrong) = case("litmus-ok", "litmus", &["--runtime-socket", "/run/crio/crio.sock"]);
    assert_eq!(status(&wrong, "litmus.runtime_socket"), "fail");
    assert!(has_evidence(&wrong, "litmus.runtime_socket", "/run/crio/crio.sock", "absent"));
    assert!(has_evidence(&wrong, "litmus.runtime_socket", "/run/containerd/containerd.sock", "present"));
}

#[test]
fn families_are_detected_from_the_host_without_probes_flag() {
    let (_, zfs) = run_agent(&hosts().join("zfs-ok"), &["--node-name", "n"]);
    let engines: std::collections::BTreeSet<&str> = probes(&zfs).iter().filter_map(|p| p["engine"].as_str()).collect();
    assert_eq!(engines.into_iter().collect::<Vec<_>>(), vec!["common", "zfs"]);
    let (_, iscsi) = run_agent(&hosts().join("iscsi-ok"), &["--node-name", "n"]);
    let engines: std::collections::BTreeSet<&str> =
        probes(&iscsi).iter().filter_map(|p| p["engine"].as_str()).collect();
    assert_eq!(engines.into_iter().collect::<Vec<_>>(), vec!["common", "iscsi"]);
}

#[test]
fn own_root_produces_a_result_per_probe_family() {
    let (code, report) = run_agent(std::path::Path::new("/"), &["--probes", "all"]);
    assert!([0, 3, 4].contains(&code), "exit code {code}");
    let all = probes(&report);
    for family in ["common", "hostpath", "lvm", "zfs", "mayastor", "iscsi", "ndm", "litmus"] {
        assert!(all.iter().any(|p| p["engine"] == family), "no result for {family}");
    }
    let mut ids: Vec<&str> = all.iter().filter_map(|p| p["id"].as_str()).collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate probe ids");
    for p in all {
        assert!(["pass", "warn", "fail", "error"].contains(&p["status"].as_str().unwrap_or("")), "{p}");
        assert!(p["evidence"].as_array().is_some_and(|e| !e.is_empty()), "no evidence: {p}");
    }
    assert!(report["status"]["lastRun"].as_str().is_some_and(|t| t.ends_with('Z')));
}

#[test]
fn text_output_and_usage_errors() {
    let output = Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .args(["agent", "--once", "--probes", "iscsi", "--node-name", "node-1", "--host-root"])
        .arg(hosts().join("iscsi-missing"))
        .output()
        .unwrap_or_else(|e| panic!("run: {e}"));
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3));
    assert!(text.starts_with("node node-1: fail"), "{text}");
    assert!(text.contains("FAIL  iscsi.iscsi_tcp"), "{text}");
    assert!(text.contains("fix: modprobe iscsi_tcp"), "{text}");

    let bad = Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .args(["agent", "--once", "--probes", "nonsense", "--host-root", "/"])
        .output()
        .unwrap_or_else(|e| panic!("run: {e}"));
    assert_eq!(bad.status.code(), Some(2));
    let missing_root = Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .args(["agent", "--once", "--host-root", "/nonexistent/host/root"])
        .output()
        .unwrap_or_else(|e| panic!("run: {e}"));
    assert_eq!(missing_root.status.code(), Some(2));
}

#[test]
fn committed_crd_matches_print_crd() {
    let output = Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .args(["agent", "--print-crd"])
        .output()
        .unwrap_or_else(|e| panic!("run: {e}"));
    let generated = String::from_utf8_lossy(&output.stdout);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("manifests/crd-nodereport.yaml");
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert_eq!(committed, generated, "regenerate with `mayadiag agent --print-crd > manifests/crd-nodereport.yaml`");
    assert!(generated.contains("name: nodereports.mayadiag.io"));
}

#[test]
fn unreadable_files_become_error_results_not_crashes() {
    // A directory where a file is expected cannot be read (EISDIR) even as root.
    let host = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    for dir in ["proc/meminfo", "etc/iscsi/initiatorname.iscsi", "proc/1/mountinfo", "sys/module/zfs/version"] {
        std::fs::create_dir_all(host.path().join(dir)).unwrap_or_else(|e| panic!("mkdir {dir}: {e}"));
    }
    let (code, report) = run_agent(host.path(), &["--probes", "common,mayastor,iscsi,zfs", "--node-name", "n"]);
    assert_eq!(code, 3, "other probes fail on an empty host");
    for id in ["mayastor.hugepages", "iscsi.initiator_name", "common.kubelet_shared_mount", "zfs.version_match"] {
        assert_eq!(status(&report, id), "error", "{id}");
        assert!(probe(&report, id)["message"].as_str().is_some_and(|m| m.starts_with("cannot read ")), "{id}");
    }
}

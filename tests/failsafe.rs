//! Fail safe (issue 15): no all-clear that was not earned, never a destroyed file, always
//! interruptible, failing fast, control characters escaped. The real binary against `serve`
//! with injected faults, silent and closed ports, and signals sent to the real process.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn write_faults(dir: &Path, name: &str, yaml: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, yaml).unwrap();
    p.display().to_string()
}

/// 403 on every resource and discovery document (a service account without RBAC).
const FORBIDDEN: &str = "rules:\n  - path: \"^/(api|apis)/.+\"\n    status: 403\n";
/// 500 on every resource and discovery document.
const FAILING: &str = "rules:\n  - path: \"^/(api|apis)/.+\"\n    status: 500\n";
/// 401 everywhere except /version (a wrong token on a server that serves /version anonymously).
const REJECTED: &str = "rules:\n  - path: \"^/(api|apis)(/.*)?$\"\n    status: 401\n";

fn check(served: &Served, extra: &[&str]) -> std::process::Output {
    let kc = served.kc();
    let mut args = vec!["check", "--kubeconfig", &kc, "--fail-on", "warn"];
    args.extend(extra);
    run(&args)
}

fn coverage(stdout: &str) -> Value {
    let report: Value = serde_json::from_str(stdout).expect("JSON report");
    report["coverage"].clone()
}

/// Every resource forbidden: not "Sev 3: no problem found" and exit 0, but "verdict unknown",
/// exit 5, the report leading with what could not be read and the RBAC rule to add.
#[test]
fn forbidden_everywhere_is_an_unknown_verdict_with_the_rbac_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let served = Served::start(&fixture("openebs-4x"), &["--inject-faults", &write_faults(tmp.path(), "f", FORBIDDEN)]);
    let o = check(&served, &[]);
    let (stdout, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("Verdict unknown"), "leads with the verdict: {stdout}");
    assert!(!stdout.contains("no problem found"), "{stdout}");
    let could_not_read = stdout.find("Could not read:").expect("what could not be read");
    let fix = stdout.find("Fix:").expect("the fix");
    let checks_line = stdout.find("checks could not be evaluated").expect("the verdict line");
    assert!(could_not_read < fix && fix < checks_line, "what and how to fix come first: {stdout}");
    assert!(stdout.contains("  - pods (core): forbidden"), "{stdout}");
    assert!(stdout.contains("apiGroups: [\"\"], resources: [") && stdout.contains("pods"), "RBAC rule: {stdout}");

    let o = check(&served, &["-o", "json"]);
    let (stdout, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("verdict unknown (exit 5)"), "{stderr}");
    let c = coverage(&stdout);
    assert_eq!(c["verdict"], "unknown");
    // "I could not tell" is never triaged as the low-priority all-clear of Sev 3.
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (report["severity"]["level"].as_u64(), report["severity"]["driven_by"].as_str()),
        (Some(2), Some("unknown"))
    );
    assert!(report["severity"]["reasons"][0].as_str().unwrap_or("").starts_with("verdict unknown: the core inputs"));
    let not_evaluated: Vec<&str> = c["not_evaluated"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(not_evaluated.contains(&"openebs-pod-crashloop") && not_evaluated.contains(&"zfs-volume-failed"));
    let unreadable = c["unreadable"].as_array().unwrap();
    assert!(unreadable.iter().any(|u| u["resource"] == "pods" && u["core"] == true && u["cause"] == "forbidden"));
}

/// Every resource answering 500: unknown too, with the server named as the thing to fix.
#[test]
fn server_errors_everywhere_are_an_unknown_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let served = Served::start(&fixture("healthy-4x"), &["--inject-faults", &write_faults(tmp.path(), "f", FAILING)]);
    let o = check(&served, &[]);
    let (stdout, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("Verdict unknown"), "{stdout}");
    assert!(stdout.contains("the API server failed (5xx)"), "{stdout}");
}

/// A rejected token (401 everywhere but /version): collect writes the bundle but says so loudly
/// and exits 5; the bundle's analysis records the unknown verdict.
#[test]
fn collect_with_a_rejected_token_says_so_and_exits_5() {
    let tmp = tempfile::tempdir().unwrap();
    let served = Served::start(&fixture("openebs-4x"), &["--inject-faults", &write_faults(tmp.path(), "f", REJECTED)]);
    let out = served.dir.path().join("rejected.tar.gz");
    let o = served.collect(&out, &[]);
    let (stdout, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(stderr.contains("WARNING: the bundle was written, but the core inputs could not be read"), "{stderr}");
    assert!(stderr.contains("credentials rejected (401): check the token/kubeconfig"), "{stderr}");
    assert!(stdout.contains("Verdict unknown"), "{stdout}");
    let bundle = bundle_map(&out);
    let analysis: Value = serde_json::from_slice(&bundle["mayadiag/analysis.json"]).unwrap();
    assert_eq!(analysis["coverage"]["verdict"], "unknown");
    assert!(String::from_utf8_lossy(&bundle["mayadiag/summary.md"]).contains("Verdict unknown"));
}

/// One side resource forbidden: the checks reading it are "not evaluated", the rest stand.
#[test]
fn a_forbidden_side_resource_leaves_its_checks_not_evaluated() {
    let tmp = tempfile::tempdir().unwrap();
    let faults = write_faults(tmp.path(), "f", "rules:\n  - path: \"^/api/v1/nodes$\"\n    status: 403\n");
    let served = Served::start(&fixture("healthy-4x"), &["--inject-faults", &faults]);
    let o = check(&served, &[]);
    let (stdout, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(0), "a healthy cluster stays healthy: {stdout}\n{stderr}");
    assert!(stdout.starts_with("Partial coverage:"), "{stdout}");
    assert!(stdout.contains("no problem found in what could be read"), "{stdout}");
    let c = coverage(&texts(&check(&served, &["-o", "json"])).0);
    assert_eq!(c["verdict"], "partial");
    let not_evaluated: Vec<&str> = c["not_evaluated"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(not_evaluated.contains(&"node-not-ready"), "{not_evaluated:?}");
    assert!(!not_evaluated.contains(&"openebs-pod-crashloop"), "{not_evaluated:?}");
}

fn collect_demo(out: &Path, extra: &[&str]) -> std::process::Output {
    let o = out.display().to_string();
    let mut args = vec!["collect", "--demo", "--output", &o];
    args.extend(extra);
    run(&args)
}

/// An existing file is refused without --force, a symlink, a FIFO and a directory always; what
/// was there is untouched, and no partial file is left.
#[test]
fn output_never_destroys_what_is_there() {
    let tmp = tempfile::tempdir().unwrap();
    let existing = tmp.path().join("existing.tar.gz");
    std::fs::write(&existing, b"an earlier bundle").unwrap();
    let o = collect_demo(&existing, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", texts(&o).1);
    assert!(texts(&o).1.contains("refusing to overwrite") && texts(&o).1.contains("--force"), "{}", texts(&o).1);
    assert_eq!(std::fs::read(&existing).unwrap(), b"an earlier bundle");

    let victim = tmp.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let link = tmp.path().join("link.tar.gz");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let fifo = tmp.path().join("fifo.tar.gz");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let dir = tmp.path().join("dir.tar.gz");
    std::fs::create_dir(&dir).unwrap();
    for (target, kind) in [(&link, "a symlink"), (&fifo, "a FIFO"), (&dir, "a directory")] {
        let o = collect_demo(target, &["--force"]);
        let stderr = texts(&o).1;
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&format!("it exists and is {kind}, not a regular file")), "{stderr}");
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());

    // --force replaces a regular file with a complete bundle.
    let o = collect_demo(&existing, &["--force"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    assert!(bundle_map(&existing).contains_key("version.yaml"));
    assert!(partial_files(tmp.path()).is_empty());

    // A planted `.partial` symlink is never followed.
    let out = tmp.path().join("fresh.tar.gz");
    std::os::unix::fs::symlink(&victim, tmp.path().join("fresh.tar.gz.partial")).unwrap();
    let o = collect_demo(&out, &[]);
    assert!(o.status.success(), "{}", texts(&o).1);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");

    // redact refuses the same way.
    let text = tmp.path().join("in.txt");
    std::fs::write(&text, "password=hunter2\n").unwrap();
    let o = run(&["redact", text.to_str().unwrap(), "-o", existing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", texts(&o).1);
    let o = run(&["redact", text.to_str().unwrap(), "-o", link.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2), "{}", texts(&o).1);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}

/// `--output -` streams the bundle to stdout; the report goes to stderr.
#[test]
fn output_dash_streams_the_bundle_to_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(&["collect", "--demo", "--output", "-"]);
    let stderr = texts(&o).1;
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("bundle: stdout"), "{stderr}");
    let path = tmp.path().join("streamed.tar.gz");
    std::fs::write(&path, &o.stdout).unwrap();
    let bundle = bundle_map(&path);
    assert!(bundle.contains_key("version.yaml") && bundle.contains_key("mayadiag/manifest.json"));
}

/// Spawn the binary with piped output.
fn spawn(args: &[&str]) -> Child {
    Command::new(bin()).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill only sends a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

/// Wait for the child; returns its exit code and how long the wait took.
fn wait_timed(child: &mut Child, limit: Duration) -> (Option<i32>, Duration) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    (None, start.elapsed())
}

fn stderr_of(child: Child) -> String {
    String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned()
}

/// Once a partial file exists in `dir`, send `sig`; assert the process exits with `code` within a
/// second, leaving neither a partial file nor `out`, and saying it removed the partial file.
fn interrupt_once_writing(mut child: Child, dir: &Path, out: &Path, sig: i32, code: i32) {
    assert!(wait_for(Duration::from_secs(20), || !partial_files(dir).is_empty()), "a partial file appears");
    std::thread::sleep(Duration::from_millis(250));
    signal(&child, sig);
    let (status, took) = wait_timed(&mut child, Duration::from_secs(5));
    let stderr = stderr_of(child);
    assert_eq!(status, Some(code), "{stderr}");
    assert!(took < Duration::from_secs(1), "honoured in {took:?}");
    assert!(partial_files(dir).is_empty(), "{:?}", partial_files(dir));
    assert!(!out.exists());
    assert!(stderr.contains("; removed the partial file"), "{stderr}");
}

/// SIGTERM and Ctrl-C in the middle of a collection (a slow API server): exit 143/130 within a
/// second, the partial bundle removed, and the message says so.
#[test]
fn signals_during_collect_remove_the_partial_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let slow = write_faults(tmp.path(), "slow", "rules:\n  - path: \"^/(api|apis)/.+\"\n    delay_ms: 400\n");
    let served = Served::start(&fixture("openebs-4x"), &["--inject-faults", &slow]);
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.tar.gz");
        let kc = served.kc();
        let child = spawn(&["collect", "--kubeconfig", &kc, "--output", out.to_str().unwrap()]);
        interrupt_once_writing(child, dir.path(), &out, sig, code);
    }
}

/// Ctrl-C and SIGTERM while `redact` writes a text file or a bundle: exit 130/143, no partial
/// file, no output.
#[test]
fn signals_during_redact_remove_the_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..200_000 {
        text.push_str(&format!(
            "2026-01-01T00:00:00Z pod-{i} password=hunter{i} from 10.0.{}.{} done\n",
            i % 250,
            i % 200
        ));
    }
    let text = text.repeat(3);
    let input = tmp.path().join("big.log");
    std::fs::write(&input, &text).unwrap();
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("redacted.log");
        let child = spawn(&["redact", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        interrupt_once_writing(child, dir.path(), &out, sig, code);
    }
    // A bundle (directory) whose big log takes a while to re-redact.
    let cluster = tmp.path().join("cluster");
    copy_dir(&fixture("healthy-4x"), &cluster);
    let logs = cluster.join("cluster-resources/pods/logs/openebs/big-pod");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("main.log"), &text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("redacted.tar.gz");
    let child = spawn(&["redact", cluster.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    interrupt_once_writing(child, dir.path(), &out, libc::SIGTERM, 143);
}

/// A full disk: the error says the partial file was removed, and it was. Needs root to mount a
/// small tmpfs; skipped with a message otherwise.
#[test]
fn full_disk_removes_the_partial_file_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("tiny");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=32k", "tmpfs"])
        .arg(&mnt)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipping full_disk_removes_the_partial_file_and_says_so: cannot mount a tmpfs (not root?)");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mnt.clone());
    let out = mnt.join("b.tar.gz");
    let o = collect_demo(&out, &["--compression-level", "0"]);
    let stderr = texts(&o).1;
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device") && stderr.contains("the partial file was removed"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&mnt).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "{left:?}");

    // The disk fills in the middle of the collection (a 3 MB log, more than the write buffer):
    // the writer thread's error is reported, and it is true.
    let cluster = tmp.path().join("cluster");
    copy_dir(&fixture("healthy-4x"), &cluster);
    let log = cluster.join("cluster-resources/pods/logs/openebs/openebs-io-engine-0/io-engine.log");
    let mut big = std::fs::read_to_string(&log).unwrap();
    for i in 0..40_000 {
        big.push_str(&format!("2026-11-30T12:00:00Z INFO io-engine: filler line {i} to fill the disk\n"));
    }
    std::fs::write(&log, big).unwrap();
    let served = Served::start(&cluster, &[]);
    let o = served.collect(&out, &["--compression-level", "0", "--since", "100000h"]);
    let stderr = texts(&o).1;
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device") && stderr.contains("the partial file was removed"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&mnt).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "{left:?}");

    let input = tmp.path().join("in.txt");
    std::fs::write(&input, "line password=x\n".repeat(10_000)).unwrap();
    let o = run(&["redact", input.to_str().unwrap(), "-o", mnt.join("r.txt").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", texts(&o).1);
    let left: Vec<_> = std::fs::read_dir(&mnt).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Nothing listens: one line within seconds, not retries.
#[test]
fn connection_refused_fails_in_seconds_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let kc = tmp.path().join("kc");
    write_plain_kubeconfig(&kc, port);
    for command in ["collect", "check"] {
        let start = Instant::now();
        let o = run(&[command, "--kubeconfig", kc.to_str().unwrap()]);
        let took = start.elapsed();
        let stderr = texts(&o).1;
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("Connection refused"), "{stderr}");
        assert!(took < Duration::from_secs(3), "{command} took {took:?}");
    }
}

/// A server that accepts and never answers: after 2 s the probe says it is waiting, and Ctrl-C
/// ends it at once with 130.
#[test]
fn a_silent_server_is_announced_and_ctrl_c_is_honoured() {
    let tmp = tempfile::tempdir().unwrap();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let kc = tmp.path().join("kc");
    write_plain_kubeconfig(&kc, silent.local_addr().unwrap().port());
    let out = tmp.path().join("never.tar.gz");
    let mut child = spawn(&["collect", "--kubeconfig", kc.to_str().unwrap(), "--output", out.to_str().unwrap()]);
    std::thread::sleep(Duration::from_millis(2600));
    signal(&child, libc::SIGINT);
    let (status, took) = wait_timed(&mut child, Duration::from_secs(5));
    let stderr = stderr_of(child);
    assert_eq!(status, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(1), "honoured in {took:?}");
    assert!(stderr.contains("waiting for the API server at http://127.0.0.1:"), "{stderr}");
    assert!(!out.exists() && partial_files(tmp.path()).is_empty());
    drop(silent);
}

/// Terminal escapes in a bundle (clipboard write, clear screen, title) are shown escaped by
/// `analyze` and `serve`, never sent raw.
#[test]
fn control_characters_from_a_bundle_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let cluster = tmp.path().join("cluster");
    copy_dir(&fixture("fm12-cstor-pool-crashloop"), &cluster);
    let hostile = "evil\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2J\u{1b}]0;owned\u{7}\u{9b}31m";
    std::fs::write(
        cluster.join("cluster-resources/configmaps-errors.json"),
        serde_json::to_vec(&vec![format!("forbidden: {hostile}")]).unwrap(),
    )
    .unwrap();
    let pods = cluster.join("cluster-resources/pods/openebs.json");
    let text = std::fs::read_to_string(&pods).unwrap();
    let escaped_json = serde_json::to_string(hostile).unwrap();
    let renamed = text.replace(
        "\"cstor-disk-pool-mx7f-6d7d9477c9-gc4l0\"",
        &format!("\"cstor-disk-pool-mx7f-6d7d9477c9-gc4l0{}\"", &escaped_json[1..escaped_json.len() - 1]),
    );
    assert_ne!(text, renamed, "the fixture's crash-looping pod is renamed");
    std::fs::write(&pods, renamed).unwrap();

    let o = run(&["analyze", cluster.to_str().unwrap()]);
    let stdout = texts(&o).0;
    assert!(stdout.contains("cstor-disk-pool-mx7f-6d7d9477c9-gc4l0evil\\e]52;c;"), "{stdout}");
    assert!(stdout.contains("evil\\e]52;c;cm0gLXJmIH4=\\x07\\e[2J"), "the gap is escaped: {stdout}");
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}') && !stdout.contains('\u{9b}'), "{stdout:?}");

    // YAML output escapes too; JSON keeps the exact value, escaped by JSON's own rules.
    let o = run(&["analyze", cluster.to_str().unwrap(), "-o", "yaml"]);
    assert!(!texts(&o).0.contains('\u{1b}'));
    let o = run(&["analyze", cluster.to_str().unwrap(), "-o", "json"]);
    let stdout = texts(&o).0;
    assert!(!stdout.contains('\u{1b}') && stdout.contains("\\u001b]52;c;"), "{stdout}");
}

/// A file the redaction rules cannot be applied to fails `redact` (exit 1, nothing written)
/// instead of a bundle that looks done.
#[test]
fn redact_fails_when_a_rule_cannot_be_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let cluster = tmp.path().join("cluster");
    copy_dir(&fixture("healthy-4x"), &cluster);
    std::fs::write(cluster.join("cluster-resources/pods/broken.json"), "{\"items\": [{\"password\": \"hunter2\"")
        .unwrap();
    let out = tmp.path().join("out.tar.gz");
    let o = run(&["redact", cluster.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let (stdout, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("could not apply the redaction rules to 1 file(s)")
            && stderr.contains("cluster-resources/pods/broken.json"),
        "{stderr}"
    );
    assert!(!out.exists() && partial_files(tmp.path()).is_empty());

    std::fs::remove_file(cluster.join("cluster-resources/pods/broken.json")).unwrap();
    let o = run(&["redact", cluster.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", texts(&o).1);
    assert!(bundle_map(&out).contains_key("mayadiag/redaction-report.json"));
}

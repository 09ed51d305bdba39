//! A new user's first hour (issue 14), end to end on the real binary: host names really redacted,
//! one meaning for `-o`, the markdown summary, one count, completions and man page, the kubectl
//! plugin, `checks list/lint`, the ticket dry run without a desk, `agent --once` without a cluster.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Served, bundle_map, fixture, run, run_env, texts};
use serde_json::Value;

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", texts(out).0, texts(out).1))
}

fn finding_checks(analysis: &Value) -> BTreeSet<String> {
    analysis["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["check"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Node names as whole words (`pool-on-node-1` counts, `node-10` does not).
fn node_name_regex() -> regex::Regex {
    regex::Regex::new(r"(?i)(^|[^a-z0-9])node-[123]($|[^a-z0-9])").unwrap()
}

/// The bundle files whose path or content names a node.
fn node_name_leaks(files: &std::collections::BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let names = node_name_regex();
    files
        .iter()
        .filter(|(path, data)| names.is_match(path) || names.is_match(&String::from_utf8_lossy(data)))
        .map(|(path, _)| path.clone())
        .collect()
}

#[test]
fn redact_hostnames_leaves_no_node_name_in_any_file_or_path() {
    let tmp = tempfile::tempdir().unwrap();
    let served = Served::start(&fixture("fm25-node-kernel-panic"), &[]);
    let plain = tmp.path().join("plain.tar.gz");
    let hidden = tmp.path().join("hidden.tar.gz");
    let common = ["--since", "100000h", "--app-logs", "-o", "json"];
    let plain_out = served.collect(&plain, &common);
    assert!(plain_out.status.success(), "{}", texts(&plain_out).1);
    let mut args = common.to_vec();
    args.push("--redact-hostnames");
    let hidden_out = served.collect(&hidden, &args);
    assert!(hidden_out.status.success(), "{}", texts(&hidden_out).1);

    let names = node_name_regex();
    let plain_files = bundle_map(&plain);
    assert!(!node_name_leaks(&plain_files).is_empty(), "the fixture must name its nodes, or this test proves nothing");
    let hidden_files = bundle_map(&hidden);
    let leaks = node_name_leaks(&hidden_files);
    assert!(leaks.is_empty(), "node names left in {leaks:?}");
    assert!(!names.is_match(&texts(&hidden_out).0), "node names in collect's own output");

    // One node, one pseudonym: the node report is filed under the name its Node object got.
    let report = hidden_files.keys().find(|p| p.contains("node-reports/")).expect("a node report");
    let pseudonym = report.rsplit('/').next().unwrap().trim_end_matches(".json").to_string();
    assert!(pseudonym.starts_with("host-"), "{report}");
    let nodes = hidden_files.iter().find(|(p, _)| p.ends_with("cluster-resources/nodes.json")).unwrap().1;
    let node_names: Vec<String> =
        common::items(nodes).iter().map(|n| n["metadata"]["name"].as_str().unwrap_or("").to_string()).collect();
    assert!(node_names.contains(&pseudonym), "{pseudonym} not among {node_names:?}");

    // The pseudonymised bundle still diagnoses the same problems.
    let plain_analysis = json_of(&run(&["analyze", plain.to_str().unwrap(), "-o", "json"]));
    let hidden_analysis = json_of(&run(&["analyze", hidden.to_str().unwrap(), "-o", "json"]));
    assert!(!finding_checks(&plain_analysis).is_empty());
    assert_eq!(finding_checks(&plain_analysis), finding_checks(&hidden_analysis));
    assert_eq!(plain_analysis["severity"]["level"], hidden_analysis["severity"]["level"]);
}

#[test]
fn redact_of_a_bundle_with_redact_hostnames_uses_its_node_list() {
    let tmp = tempfile::tempdir().unwrap();
    let served = Served::start(&fixture("fm25-node-kernel-panic"), &[]);
    let raw = tmp.path().join("raw.tar.gz");
    assert!(served.collect(&raw, &["--since", "100000h"]).status.success());
    let clean = tmp.path().join("clean.tar.gz");
    let out = run(&["redact", raw.to_str().unwrap(), "--redact-hostnames", "--out", clean.to_str().unwrap()]);
    assert!(out.status.success(), "{}", texts(&out).1);
    let names = node_name_regex();
    let leaks: Vec<String> = bundle_map(&clean)
        .into_iter()
        .filter(|(path, data)| {
            // The manifest records the original command line and file list of the first run.
            names.is_match(path)
                || (!path.ends_with("mayadiag/manifest.json") && names.is_match(&String::from_utf8_lossy(data)))
        })
        .map(|(path, _)| path)
        .collect();
    assert!(leaks.is_empty(), "node names left in {leaks:?}");
}

#[test]
fn markdown_output_is_the_bundle_summary_and_counts_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("demo.tar.gz");
    let out = run(&["collect", "--demo", "--output", bundle.to_str().unwrap()]);
    assert!(out.status.success(), "{}", texts(&out).1);
    let (stdout, _) = texts(&out);
    let files = bundle_map(&bundle);
    let file = |suffix: &str| files.iter().find(|(p, _)| p.ends_with(suffix)).map(|(_, d)| d.clone()).unwrap();
    let stored: Value = serde_json::from_slice(&file("mayadiag/analysis.json")).unwrap();
    let counts = &stored["counts"];
    let line = format!(
        "collected: {} objects and {} events in ",
        counts["objects"].as_u64().unwrap(),
        counts["events"].as_u64().unwrap()
    );
    assert!(stdout.contains(&line), "stdout does not say {line:?}:\n{stdout}");
    let summary = String::from_utf8(file("mayadiag/summary.md")).unwrap();
    assert!(
        summary.contains(&format!(
            "{} / {} / {}",
            counts["objects"].as_u64().unwrap(),
            counts["events"].as_u64().unwrap(),
            counts["logs"].as_u64().unwrap()
        )),
        "{summary}"
    );
    let checked = json_of(&run(&["check", "--demo", "-o", "json"]));
    assert_eq!(checked["counts"]["objects"], counts["objects"], "check and collect count objects alike");

    let analyzed_md = run(&["analyze", bundle.to_str().unwrap(), "-o", "markdown"]);
    let (md, _) = texts(&analyzed_md);
    assert!(md.starts_with(&format!("bundle: {} (written by mayadiag ", bundle.display())), "{md}");
    assert!(md.ends_with(&summary), "analyze -o markdown prints summary.md:\n{md}");
    let collected_md =
        run(&["collect", "--demo", "-o", "markdown", "--output", tmp.path().join("md.tar.gz").to_str().unwrap()]);
    let (md, stderr) = texts(&collected_md);
    assert!(md.starts_with("# mayadiag summary"), "collect -o markdown prints the summary only:\n{md}");
    assert!(stderr.contains("md.tar.gz"), "and says where the bundle went, on stderr: {stderr}");
    let checked_md = texts(&run(&["check", "--demo", "-o", "markdown"])).0;
    assert!(checked_md.starts_with("# mayadiag summary"), "{checked_md}");
}

#[test]
fn analyze_names_the_bundle_its_writer_and_collection_time() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("b.tar.gz");
    assert!(run(&["collect", "--demo", "--output", bundle.to_str().unwrap()]).status.success());
    let (text, _) = texts(&run(&["analyze", bundle.to_str().unwrap()]));
    let first = text.lines().next().unwrap_or("");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        first,
        format!("bundle: {} (written by mayadiag {version}, collected 2026-11-30T12:05:00Z)", bundle.display())
    );
    let json = json_of(&run(&["analyze", bundle.to_str().unwrap(), "-o", "json"]));
    assert_eq!(json["source"]["written_by"], format!("mayadiag {version}"));
    // A bundle of another tool says so.
    let other = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/troubleshoot-bundles/baseline.tar.gz");
    if other.exists() {
        let (text, _) = texts(&run(&["analyze", other.to_str().unwrap()]));
        assert!(text.lines().next().unwrap_or("").contains("(written by troubleshoot.sh v"), "{text}");
    } else {
        println!("skipped the troubleshoot bundle: {} is absent", other.display());
    }
}

#[test]
fn namespace_flag_narrows_check() {
    let all = json_of(&run(&["check", "--demo", "-o", "json"]));
    let narrowed = json_of(&run(&["check", "--demo", "-n", "openebs", "-o", "json"]));
    let namespaces = |v: &Value| -> BTreeSet<String> {
        v["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| f["object"]["namespace"].as_str().unwrap_or("").to_string())
            .filter(|ns| !ns.is_empty())
            .collect()
    };
    assert!(namespaces(&all).len() > 1, "the demo has findings in several namespaces: {:?}", namespaces(&all));
    assert_eq!(namespaces(&narrowed), BTreeSet::from(["openebs".to_string()]));
}

#[test]
fn old_redact_o_spelling_still_works_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.log");
    std::fs::write(&input, "password=hunter2hunter2\n").unwrap();
    let output = tmp.path().join("out.log");
    let out = run(&["redact", input.to_str().unwrap(), "-o", output.to_str().unwrap()]);
    let (_, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("`redact -o PATH` is now `redact --output PATH`"), "{stderr}");
    assert!(!std::fs::read_to_string(&output).unwrap().contains("hunter2hunter2"));
}

#[test]
fn completions_for_every_shell_and_the_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell]);
        let (script, stderr) = texts(&out);
        assert!(out.status.success(), "{shell}: {stderr}");
        for word in ["collect", "analyze", "redact-hostnames"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // bash parses its script and completes a subcommand from it.
    let script = texts(&run(&["completions", "bash"])).0;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("mayadiag.bash");
    std::fs::write(&file, &script).unwrap();
    let probe = format!(
        "source {}; COMP_WORDS=(mayadiag col); COMP_CWORD=1; _mayadiag mayadiag col mayadiag; echo ${{COMPREPLY[@]}}",
        file.display()
    );
    let completed = Command::new("bash").args(["-c", &probe]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&completed.stdout).trim(), "collect", "{}", texts(&completed).1);
    assert!(run(&["completions", "tcsh"]).status.code() == Some(2), "an unknown shell is a usage error");

    let page = texts(&run(&["man"])).0;
    assert!(page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH mayadiag 1"), "{page}");
    assert!(page.contains("collect") && page.contains("completions"));
    let dir = tmp.path().join("man1");
    assert!(run(&["man", "--output", dir.to_str().unwrap()]).status.success());
    for page in ["mayadiag.1", "mayadiag-collect.1", "mayadiag-checks-lint.1"] {
        assert!(dir.join(page).is_file(), "{page} missing");
    }
    // groff renders it without warnings, when the machine has it.
    if Path::new("/usr/bin/groff").exists() {
        let rendered =
            Command::new("groff").args(["-man", "-Tutf8", "-ww"]).arg(dir.join("mayadiag-collect.1")).output().unwrap();
        assert!(rendered.status.success(), "{}", texts(&rendered).1);
        assert!(String::from_utf8_lossy(&rendered.stdout).contains("redact"), "rendered page lacks options");
    }
}

#[test]
fn works_as_a_kubectl_plugin() {
    let tmp = tempfile::tempdir().unwrap();
    let plugin = tmp.path().join("kubectl-mayadiag");
    std::os::unix::fs::symlink(common::bin(), &plugin).unwrap();
    let path = format!("{}:{}", tmp.path().display(), std::env::var("PATH").unwrap_or_default());
    let kubectl = |args: &[&str]| {
        Command::new("kubectl")
            .arg("mayadiag")
            .args(args)
            .env("PATH", &path)
            .current_dir(tmp.path())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let help = kubectl(&["--help"]);
    assert!(help.status.success(), "{}", texts(&help).1);
    assert!(texts(&help).0.contains("Usage: kubectl mayadiag <COMMAND>"), "{}", texts(&help).0);
    let out = kubectl(&["collect", "--demo", "--output", "b.tar.gz"]);
    assert!(out.status.success(), "{}", texts(&out).1);
    assert!(tmp.path().join("b.tar.gz").is_file());
    let listed = Command::new("kubectl").args(["plugin", "list"]).env("PATH", &path).output().unwrap();
    assert!(texts(&listed).0.contains("kubectl-mayadiag"), "{}", texts(&listed).0);
}

#[test]
fn checks_list_and_lint() {
    let listed = json_of(&run(&["checks", "list", "-o", "json"]));
    let rows = listed.as_array().unwrap();
    // README names the analyzer kinds the code has (`node-conditions`, not `node-condition`).
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for row in rows {
        let kind = row["kind"].as_str().unwrap();
        assert!(readme.contains(&format!("`{kind}`")), "README does not list the analyzer kind {kind}");
    }
    assert!(!readme.contains("node-condition,"), "README still names node-condition");
    let table = texts(&run(&["checks", "list"])).0;
    assert!(table.ends_with(&format!("{} checks\n", rows.len())), "{table}");
    assert!(rows.iter().all(|r| r["id"].is_string() && r["title"].is_string() && r["sev"].is_u64()));

    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
    let clean = run(&["checks", "lint", builtin.to_str().unwrap()]);
    assert!(clean.status.success(), "{}", texts(&clean).0);

    let tmp = tempfile::tempdir().unwrap();
    let good = "- id: a\n  title: t\n  engine: mayastor\n  kind: log-pattern\n  regex: 'x+'\n  sev: 1\n  message: m\n  remediation: r\n  docs: d\n";
    std::fs::write(tmp.path().join("1.yaml"), good).unwrap();
    std::fs::write(tmp.path().join("2.yaml"), good).unwrap();
    std::fs::write(
        tmp.path().join("3.yaml"),
        good.replace("id: a", "id: b").replace("message: m", "message: '{pool}'"),
    )
    .unwrap();
    std::fs::write(tmp.path().join("4.yaml"), good.replace("id: a", "id: c").replace("'x+'", "'(x'")).unwrap();
    let out = run(&["checks", "lint", tmp.path().to_str().unwrap()]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    let dir = tmp.path().display();
    for expected in [
        format!("{dir}/3.yaml:7: check `b`: unknown placeholder `{{pool}}`"),
        format!("{dir}/4.yaml:5: check `c`: bad regex `(x`"),
        format!("{dir}/2.yaml:1: duplicate check id `a` (first defined at {dir}/1.yaml:1)"),
    ] {
        assert!(stdout.contains(&expected), "missing {expected:?} in:\n{stdout}");
    }
    assert!(stderr.contains("3 problem(s) in 4 check files"), "{stderr}");
    // The example check in CONTRIBUTING.md is a valid check file.
    let guide = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("CONTRIBUTING.md")).unwrap();
    let example = guide.split("```yaml\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a yaml example");
    let example_dir = tmp.path().join("example");
    std::fs::create_dir(&example_dir).unwrap();
    std::fs::write(example_dir.join("example.yaml"), example).unwrap();
    let linted = run(&["checks", "lint", example_dir.to_str().unwrap()]);
    assert!(linted.status.success(), "CONTRIBUTING's example: {}{}", texts(&linted).0, texts(&linted).1);
    // The same directory is refused by the commands that load it.
    let checked = run(&["check", "--demo", "--checks", tmp.path().to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(2));
}

#[test]
fn check_error_hint_and_demo_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-kubeconfig");
    let out = run_env(&["check"], &[("KUBECONFIG", missing.to_str().unwrap()), ("HOME", tmp.path().to_str().unwrap())]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--demo"), "{stderr}");
    // What the hint suggests, `check` accepts.
    let demo = run(&["check", "--demo", "--fail-on", "never"]);
    assert_eq!(demo.status.code(), Some(0), "{}", texts(&demo).1);
}

#[test]
fn ticket_dry_run_needs_no_desk() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("b.tar.gz");
    assert!(run(&["collect", "--demo", "--output", bundle.to_str().unwrap()]).status.success());
    let out = Command::new(common::bin())
        .args(["ticket", "--bundle", bundle.to_str().unwrap(), "--dry-run"])
        .env_remove("MAYADIAG_DESK_URL")
        .env("HOME", tmp.path())
        .env("XDG_CONFIG_HOME", tmp.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("no desk URL configured"), "{stderr}");
    let comment = stdout.split("The comment, as the ticket will show it:").nth(1).expect("the comment as text");
    assert!(comment.contains("# mayadiag summary"), "{comment}");
    assert!(!comment.contains("\\n"), "the comment is shown as text, not JSON");
    let sha = {
        use sha2::Digest;
        hex_of(&sha2::Sha256::digest(std::fs::read(&bundle).unwrap()))
    };
    assert_eq!(comment.matches(&sha).count(), 1, "{comment}");
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn agent_once_without_a_cluster_says_so_and_skips_absent_engines() {
    let host = tempfile::tempdir().unwrap();
    let out = run(&["agent", "--once", "--host-root", host.path().to_str().unwrap(), "--node-name", "n1"]);
    let (stdout, stderr) = texts(&out);
    assert!(stderr.contains("without cluster access"), "{stderr}");
    for family in ["zfs", "lvm", "mayastor", "iscsi", "litmus"] {
        assert!(stdout.contains(&format!("SKIP  {family}")), "{family} not skipped:\n{stdout}");
        assert!(
            !stdout.lines().any(|l| l.starts_with("FAIL") && l.contains(&format!(" {family}."))),
            "{family} failed although absent:\n{stdout}"
        );
    }
    // The old long spelling of the format flag still works, with a warning.
    let json = run(&["agent", "--once", "--host-root", host.path().to_str().unwrap(), "--output", "json"]);
    assert!(serde_json::from_slice::<Value>(&json.stdout).is_ok(), "{}", texts(&json).1);
    assert!(texts(&json).1.contains("`agent --output FORMAT` is now"), "{}", texts(&json).1);
}

#[test]
fn krew_package_matches_its_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = tmp.path().join("mayadiag.yaml");
    std::fs::copy(root.join("plugins/krew/mayadiag.yaml"), &manifest).unwrap();
    let out = Command::new("bash")
        .arg(root.join("plugins/krew/package.sh"))
        .arg(common::bin())
        .arg(tmp.path())
        .env("KREW_MANIFEST", &manifest)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", texts(&out).1);
    let archive = tmp.path().join("mayadiag-linux-amd64.tar.gz");
    let sha = {
        use sha2::Digest;
        hex_of(&sha2::Sha256::digest(std::fs::read(&archive).unwrap()))
    };
    let plugin: Value = serde_saphyr::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let platform = &plugin["spec"]["platforms"][0];
    assert_eq!(plugin["kind"], "Plugin");
    assert_eq!(plugin["spec"]["version"], format!("v{}", env!("CARGO_PKG_VERSION")));
    assert_eq!(platform["sha256"], sha.as_str());
    assert_eq!(platform["bin"], "kubectl-mayadiag");
    // What the manifest names is in the archive, and the binary in it runs as the plugin.
    let listed = Command::new("tar").arg("-tzf").arg(&archive).output().unwrap();
    let names = String::from_utf8_lossy(&listed.stdout).into_owned();
    for file in platform["files"].as_array().unwrap() {
        assert!(names.lines().any(|n| n == file["from"].as_str().unwrap()), "{file} not in {names}");
    }
    let unpacked = tmp.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    assert!(Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(&unpacked).status().unwrap().success());
    let version = Command::new(unpacked.join("kubectl-mayadiag")).arg("--version").output().unwrap();
    assert!(texts(&version).0.contains(env!("CARGO_PKG_VERSION")));
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out
}

/// A pod named after its node (as static pods and some DaemonSets are): its log file path and
/// the pod name inside the bundle carry the node's pseudonym, and the checks still pair the pod
/// with its logs, in collect's own analysis and in analyze's.
#[test]
fn pods_named_after_nodes_get_the_node_pseudonym_in_paths_too() {
    let tmp = tempfile::tempdir().unwrap();
    let cluster = tmp.path().join("cluster");
    common::copy_dir(&fixture("fm25-node-kernel-panic"), &cluster);
    for file in files_under(&cluster) {
        if let Ok(text) = std::fs::read_to_string(&file)
            && text.contains("openebs-io-engine-0")
        {
            std::fs::write(&file, text.replace("openebs-io-engine-0", "openebs-io-engine-node-1")).unwrap();
        }
    }
    let logs = cluster.join("cluster-resources/pods/logs/openebs");
    std::fs::rename(logs.join("openebs-io-engine-0"), logs.join("openebs-io-engine-node-1")).unwrap();

    let served = Served::start(&cluster, &[]);
    let bundle = tmp.path().join("b.tar.gz");
    let out = served.collect(&bundle, &["--since", "100000h", "--redact-hostnames", "-o", "json"]);
    assert!(out.status.success(), "{}", texts(&out).1);
    let files = bundle_map(&bundle);
    let leaks = node_name_leaks(&files);
    assert!(leaks.is_empty(), "node names left in {leaks:?}");
    assert!(
        files.keys().any(|p| p.contains("pods/logs/openebs/openebs-io-engine-host-")),
        "the renamed pod's logs: {:?}",
        files.keys().filter(|p| p.contains("pods/logs")).collect::<Vec<_>>()
    );
    let collected = json_of(&out);
    let analyzed = json_of(&run(&["analyze", bundle.to_str().unwrap(), "-o", "json"]));
    assert_eq!(finding_checks(&collected), finding_checks(&analyzed), "collect and analyze agree");
    assert_eq!(collected["counts"], analyzed["counts"]);
}

/// Without --output, the bundle lands in the current directory under a name `.gitignore` ignores.
#[test]
fn default_bundle_goes_to_the_current_directory_and_is_git_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(common::bin())
        .args(["collect", "--demo"])
        .current_dir(tmp.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", texts(&out).1);
    let written: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let name = &written[0];
    assert!(name.starts_with("mayadiag-demo-") && name.ends_with(".tar.gz"), "{name}");
    assert!(texts(&out).0.starts_with(&format!("bundle: {name} (")), "{}", texts(&out).0);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match Command::new("git").args(["check-ignore", "-q", name]).current_dir(root).status() {
        Ok(status) if root.join(".git").exists() => assert!(status.success(), "{name} is not git-ignored"),
        _ => println!("skipped the .gitignore check: no git checkout at {}", root.display()),
    }
}

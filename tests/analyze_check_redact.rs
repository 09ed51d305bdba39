//! One engine everywhere: `analyze` on a bundle equals the `collect` that wrote it; `check`
//! live; exit codes; bad check files; the planted-secret corpus end to end; `redact`.

mod common;

use base64::Engine as _;
use common::*;
use serde_json::Value;

fn json_out(out: &std::process::Output) -> Value {
    let (stdout, stderr) = texts(out);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}\nstderr: {stderr}"))
}

/// `analyze` on a bundle gives the same findings and Sev as the `collect` that wrote it.
#[test]
fn analyze_matches_collect_on_every_failure_mode() {
    let mut fixtures: Vec<String> = std::fs::read_dir(fixture(""))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("fm") || n.starts_with("class-") || n == "demo" || n == "healthy-4x")
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 17, "{fixtures:?}");
    for name in fixtures {
        let served = Served::start(&fixture(&name), &[]);
        let out = served.dir.path().join("b.tar.gz");
        let collected = served.collect(&out, &["-o", "json", "--since", "100000h", "--app-logs"]);
        assert!(collected.status.success(), "{name}: {}", texts(&collected).1);
        let c = json_out(&collected);
        let analyzed = run(&["analyze", out.to_str().unwrap(), "-o", "json"]);
        let a = json_out(&analyzed);
        assert_eq!(c["severity"], a["severity"], "{name}: Sev differs between collect and analyze");
        assert_eq!(c["findings"], a["findings"], "{name}: findings differ between collect and analyze");
        assert_eq!(c["incidents"], a["incidents"], "{name}: incidents differ between collect and analyze");
        assert_eq!(c["engines"], a["engines"], "{name}: engines differ");
        // The bundle's stored analysis is the same document.
        let stored: Value = serde_json::from_slice(&bundle_map(&out)["mayadiag/analysis.json"]).unwrap();
        assert_eq!(stored["findings"], a["findings"], "{name}: stored analysis.json differs");
        let level = a["severity"]["level"].as_u64().unwrap();
        let code = analyzed.status.code().unwrap();
        if name == "healthy-4x" || name == "class-healthy-noise" {
            assert_eq!(level, 3, "healthy cluster is Sev 3");
            assert_eq!(code, 0);
        } else if name == "class-app-own-config" {
            // The application's own crash: a warning at Sev 3, nothing failing.
            assert_eq!((level, code), (3, 4), "{name}");
        } else {
            assert!(
                a["findings"].as_array().unwrap().iter().any(|f| f["status"] == "fail"),
                "{name}: a failing finding"
            );
            assert_eq!(code, 3, "{name}: a failed check exits 3");
        }
    }
}

/// `check` reads the log tails of an unhealthy application pod on an OpenEBS volume and quotes
/// its last error line; `--no-log-tails` reads none.
#[test]
fn live_check_quotes_app_log_tails_unless_turned_off() {
    let served = Served::start(&fixture("class-app-own-config"), &[]);
    let kc = served.kc();
    let crash = |v: &Value| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == "app-pod-crashloop-openebs-volume")
            .cloned()
            .unwrap_or_else(|| panic!("no app crash-loop finding: {v:#}"))
    };
    let out = run(&["check", "--kubeconfig", &kc, "-o", "json"]);
    assert_eq!(out.status.code(), Some(4), "a warning only: {}", texts(&out).1);
    let f = crash(&json_out(&out));
    assert_eq!((f["sev"].as_u64(), f["node"].as_str()), (Some(3), Some("node-3")), "{f:#}");
    assert!(f["evidence"].to_string().contains("invalid config key"), "{f:#}");
    let off = json_out(&run(&["check", "--kubeconfig", &kc, "-o", "json", "--no-log-tails"]));
    let f = crash(&off);
    assert!(!f["evidence"].to_string().contains("previous log"), "{f:#}");
}

/// `check` against a live (served) cluster, JSON contract and `--fail-on`.
#[test]
fn live_check_contract_and_exit_codes() {
    let served = Served::start(&fixture("fm18-mayastor-hugepages"), &[]);
    let kc = served.kc();
    let out = run(&["check", "--kubeconfig", &kc, "-o", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", texts(&out).1);
    let v = json_out(&out);
    assert_eq!(v["severity"]["level"], 0, "{v}");
    assert!(!v["severity"]["reasons"].as_array().unwrap().is_empty());
    let f = &v["findings"][0];
    for key in ["check", "status", "sev", "object", "message", "remediation"] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    assert!(f["object"].get("kind").is_some() && f["object"].get("name").is_some());
    let never = run(&["check", "--kubeconfig", &kc, "--fail-on", "never"]);
    assert_eq!(never.status.code(), Some(0));
    assert!(texts(&never).0.contains("Sev 0"), "{}", texts(&never).0);
    let healthy = Served::start(&fixture("healthy-4x"), &[]);
    let out = run(&["check", "--kubeconfig", &healthy.kc(), "-o", "json", "--fail-on", "warn"]);
    let v = json_out(&out);
    assert_eq!(v["severity"]["level"], 3);
    assert_eq!(out.status.code(), Some(if v["findings"].as_array().unwrap().is_empty() { 0 } else { 4 }));
    // A Sev override is recorded beside the suggestion.
    let over = json_out(&run(&["check", "--kubeconfig", &healthy.kc(), "-o", "json", "--sev", "1"]));
    assert_eq!(over["severity"]["level"], 1);
    assert_eq!(over["severity"]["suggested"], 3);
}

/// A bad check file is rejected before anything runs, naming file and line.
#[test]
fn bad_check_file_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("mine.yaml"), "- id: my-check\n  title: t\n  engine: mayastor\n  kind: no-such-kind\n  sev: 1\n  message: m\n  remediation: r\n  docs: https://openebs.io\n").unwrap();
    let out = run(&["analyze", fixture("healthy-4x").to_str().unwrap(), "--checks", tmp.path().to_str().unwrap()]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("mine.yaml:") && stderr.contains("no-such-kind"), "{stderr}");
}

/// A check added with --checks runs alongside the built-in ones.
#[test]
fn extra_check_directory_adds_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let builtin =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks/mayastor.yaml")).unwrap();
    // Reuse a built-in definition under a new id: the engine must report both.
    let first = builtin.split("\n- ").nth(1).map(|c| format!("- {c}")).unwrap();
    let id_line = first.lines().next().unwrap().to_string();
    assert!(id_line.starts_with("- id:"), "{id_line}");
    let copy = first.replacen(&id_line, "- id: site-copy-of-check", 1);
    std::fs::write(tmp.path().join("site.yaml"), copy).unwrap();
    let out = run(&[
        "analyze",
        fixture("fm18-mayastor-hugepages").to_str().unwrap(),
        "-o",
        "json",
        "--checks",
        tmp.path().to_str().unwrap(),
    ]);
    let v = json_out(&out);
    assert!(v["checked"].as_array().unwrap().iter().any(|c| c == "site-copy-of-check"), "{}", v["checked"]);
}

fn planted() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redaction/planted.txt"),
    )
    .unwrap();
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The planted-secret corpus: zero leaks in the collected bundle (also base64-encoded), controls survive.
#[test]
fn no_planted_secret_leaves_the_cluster() {
    let planted = planted();
    let kinds: std::collections::BTreeSet<&str> = planted.iter().map(|(k, _)| k.as_str()).collect();
    assert!(planted.len() >= 40 && kinds.len() >= 25, "{} values of {} kinds", planted.len(), kinds.len());
    let served = Served::start(&fixture("secrets"), &[]);
    let out = served.dir.path().join("s.tar.gz");
    let o = served.collect(&out, &["--app-logs", "--since", "100000h"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let bundle = read_bundle(&out);
    let mut leaks = Vec::new();
    for (file, data) in &bundle {
        let text = String::from_utf8_lossy(data);
        for (kind, value) in &planted {
            let b64 = base64::engine::general_purpose::STANDARD.encode(value.as_bytes());
            if text.contains(value.as_str()) || (b64.len() > 12 && text.contains(b64.trim_end_matches('='))) {
                leaks.push(format!("{kind} in {file}"));
            }
        }
    }
    assert!(leaks.is_empty(), "leaked: {leaks:#?}");
    let controls = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redaction/controls.txt"),
    )
    .unwrap();
    let all: String = bundle.iter().map(|(_, d)| String::from_utf8_lossy(d).into_owned()).collect();
    let lost: Vec<&str> = controls
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('\t').map_or(l, |(_, v)| v))
        .filter(|c| !all.contains(c))
        .collect();
    println!("false positives on controls: {}", lost.len());
    assert!(lost.is_empty(), "controls damaged by redaction: {lost:#?}");
    let report: Value =
        serde_json::from_slice(&bundle.iter().find(|(f, _)| f == "mayadiag/redaction-report.json").unwrap().1).unwrap();
    assert!(report["total"].as_u64().unwrap() >= 40, "{report}");
    assert!(!report.to_string().contains(&planted[0].1), "the report never holds a value");
}

/// `--no-redact` needs `--yes`, and is recorded.
#[test]
fn no_redact_needs_yes() {
    let out = run(&["collect", "--demo", "--no-redact"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(texts(&out).1.contains("--yes"));
}

/// `redact` on stdin-like text and on an existing bundle.
#[test]
fn redact_command_text_and_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("app.log");
    std::fs::write(&input, "ok line\nconnecting to postgres://admin:S3cr3tPassw0rd@db:5432/app\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\n").unwrap();
    let out = run(&["redact", input.to_str().unwrap()]);
    let (stdout, _) = texts(&out);
    assert!(out.status.success());
    assert!(
        stdout.contains("ok line") && !stdout.contains("S3cr3tPassw0rd") && !stdout.contains("dozjgNryP4J3"),
        "{stdout}"
    );
    assert!(stdout.contains("REDACTED"), "{stdout}");
    // Re-redact an unredacted bundle with the default rules.
    let served = Served::start(&fixture("secrets"), &[]);
    let raw = tmp.path().join("raw.tar.gz");
    assert!(served.collect(&raw, &["--no-redact", "--yes", "--app-logs", "--since", "100000h"]).status.success());
    let planted = planted();
    let raw_text: String = read_bundle(&raw).iter().map(|(_, d)| String::from_utf8_lossy(d).into_owned()).collect();
    assert!(planted.iter().any(|(_, v)| raw_text.contains(v.as_str())), "the raw bundle holds secrets");
    let clean = tmp.path().join("clean.tar.gz");
    let out = run(&["redact", raw.to_str().unwrap(), "--output", clean.to_str().unwrap()]);
    assert!(out.status.success(), "{}", texts(&out).1);
    let clean_text: String = read_bundle(&clean).iter().map(|(_, d)| String::from_utf8_lossy(d).into_owned()).collect();
    let leaks: Vec<&String> = planted.iter().filter(|(_, v)| clean_text.contains(v.as_str())).map(|(k, _)| k).collect();
    assert!(leaks.is_empty(), "re-redaction leaked {leaks:?}");
    // The new bundle is still a bundle analyze can read.
    assert!(run(&["analyze", clean.to_str().unwrap()]).status.code().is_some_and(|c| c != 1 && c != 2));
}

/// A bad redaction rule file is rejected before collection starts, naming file and line.
#[test]
fn bad_redaction_config_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules.yaml");
    std::fs::write(&rules, "rules:\n  - name: broken\n    regex: '(unclosed'\n").unwrap();
    let out = run(&[
        "collect",
        "--demo",
        "--redact-config",
        rules.to_str().unwrap(),
        "--output",
        tmp.path().join("x.tar.gz").to_str().unwrap(),
    ]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rules.yaml:"), "{stderr}");
    assert!(!tmp.path().join("x.tar.gz").exists());
}

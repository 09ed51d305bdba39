//! The HTML report: `mayadiag report` over every fixture cluster and the third-party bundles,
//! parsed with an HTML5 parser; the page `collect` writes into the bundle; hostile names and log
//! lines rendered as text; and the demo report loaded in headless Chromium.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use scraper::{Html, Selector};
use serde_json::Value;

const SECTIONS: &[&str] = &["verdict", "incidents", "health", "volumes", "timeline", "collection"];

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

/// Build the report of a bundle with the binary, parse it, check structure; returns the DOM.
fn build_and_check(bundle: &Path, out: &Path) -> Html {
    let o = run(&["report", bundle.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let (stdout, stderr) = texts(&o);
    assert_eq!(o.status.code(), Some(0), "report {}: {stdout}{stderr}", bundle.display());
    assert!(stdout.contains("report: "), "{stdout}");
    let text = std::fs::read_to_string(out).expect("report written");
    check_page(&text, &format!("{}", bundle.display()))
}

/// Well-formed (no HTML5 parse errors), every section present, no external resource.
fn check_page(text: &str, what: &str) -> Html {
    let dom = Html::parse_document(text);
    assert!(dom.errors.is_empty(), "{what}: HTML parse errors: {:?}", dom.errors);
    for id in SECTIONS {
        assert_eq!(dom.select(&sel(&format!("section#{id}"))).count(), 1, "{what}: section #{id}");
    }
    for (tag, attr) in [("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")] {
        assert_eq!(dom.select(&sel(&format!("{tag}[{attr}]"))).count(), 0, "{what}: external {tag}");
    }
    assert_eq!(dom.select(&sel("script")).count(), 1, "{what}: exactly our one inline script");
    assert!(dom.select(&sel("meta[http-equiv=Content-Security-Policy]")).next().is_some(), "{what}: CSP");
    assert!(dom.select(&sel("#timeline svg")).next().is_some(), "{what}: timeline SVG");
    dom
}

/// The failing findings `analyze` reports for the same bundle.
fn failing_findings(bundle: &Path) -> Vec<Value> {
    let o = run(&["analyze", bundle.to_str().unwrap(), "-o", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("analyze json");
    v["findings"].as_array().cloned().unwrap_or_default().into_iter().filter(|f| f["status"] == "fail").collect()
}

/// Every failing finding has its article, naming its check and object.
fn assert_findings_present(dom: &Html, bundle: &Path) {
    for f in failing_findings(bundle) {
        let object: mayadiag::checks::ObjectRef = serde_json::from_value(f["object"].clone()).unwrap();
        let check = f["check"].as_str().unwrap();
        let anchor = mayadiag::html::view::finding_anchor(check, &object);
        let article = dom
            .select(&sel(&format!("article#{anchor}")))
            .next()
            .unwrap_or_else(|| panic!("{}: finding {check} on {} missing", bundle.display(), object.name));
        let text: String = article.text().collect();
        assert!(text.contains(check) && text.contains(&object.name), "{check}: {text}");
        assert!(article.value().classes().any(|c| c == "fail"), "{check} marked failing");
    }
}

#[test]
fn every_fixture_cluster_gets_a_well_formed_report() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clusters");
    let mut built = 0;
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        let dir = e.path();
        if !dir.join("cluster-resources").is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let dom = build_and_check(&dir, &tmp.path().join(format!("{name}.html")));
        assert_findings_present(&dom, &dir);
        built += 1;
    }
    assert!(built >= 15, "only {built} fixture clusters");
}

fn reference_bundles() -> Option<Vec<PathBuf>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    if !root.is_dir() {
        return None;
    }
    let mut out = Vec::new();
    let mut stack = vec![root.join("third-party-bundles"), root.join("troubleshoot-bundles")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.join("cluster-resources").is_dir() {
                    out.push(p);
                } else {
                    stack.push(p);
                }
            } else if p.to_string_lossy().ends_with(".tar.gz") {
                out.push(p);
            }
        }
    }
    out.sort();
    Some(out)
}

#[test]
fn third_party_bundles_get_a_report() {
    let Some(bundles) = reference_bundles() else {
        println!("skipped: ../shared/reference is not here");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    assert!(!bundles.is_empty());
    for (i, b) in bundles.iter().enumerate() {
        // troubleshoot's analysis-only archive has no bundle root: refused, never an empty report.
        if b.to_string_lossy().contains("missing-version") {
            let o = run(&["report", b.to_str().unwrap(), "-o", tmp.path().join("refused.html").to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(1), "{}: {:?}", b.display(), texts(&o));
            assert!(texts(&o).1.contains("is not a support bundle"), "{:?}", texts(&o));
            assert!(!tmp.path().join("refused.html").exists());
            continue;
        }
        let dom = build_and_check(b, &tmp.path().join(format!("{i}.html")));
        assert_findings_present(&dom, b);
        // No manifest: the collection section says so instead of inventing facts.
        let collection: String = dom.select(&sel("#collection")).next().unwrap().text().collect();
        assert!(collection.contains("no mayadiag manifest"), "{}: {collection}", b.display());
    }
}

#[test]
fn collect_writes_the_report_into_the_bundle() {
    let served = Served::start(&fixture("demo"), &[]);
    let out = served.dir.path().join("demo.tar.gz");
    let o = served.collect(&out, &["--description", "orders <db> is down", "--since", "6h"]);
    assert!(matches!(o.status.code(), Some(0)), "{:?}", texts(&o));
    let files = bundle_map(&out);
    let page = String::from_utf8(files["mayadiag/report.html"].clone()).unwrap();
    let dom = check_page(&page, "collected demo");
    // The manifest lists the page; the page shows the collection facts of that manifest.
    let manifest: Value = serde_json::from_slice(&files["mayadiag/manifest.json"]).unwrap();
    assert!(manifest["files"].as_array().unwrap().iter().any(|f| f["path"] == "mayadiag/report.html"));
    let text: String = dom.root_element().text().collect();
    assert!(text.contains("orders <db> is down"), "description shown as text");
    assert!(text.contains("of the 6 h before collection"), "window from --since");
    assert!(text.contains("mayadiag "), "tool version");
    let collectors = manifest["collectors"].as_array().unwrap().len();
    assert!(text.contains(&format!("{} ok", collectors - count_not_ok(&manifest))), "collector counts");
    // The demo's problem: a Faulted volume on an Offline io-engine node, failing first in the table.
    let first_row: String = dom.select(&sel("table.volumes tbody tr")).next().unwrap().text().collect();
    assert!(first_row.contains("Faulted"), "{first_row}");
    assert!(dom.select(&sel("#health-grid td.cell.fail")).next().is_some(), "a failing grid cell");
    assert!(dom.select(&sel("#incidents article.fail")).next().is_some(), "the failing finding");
    // Rebuilding from the bundle gives the same sections and findings.
    let again = build_and_check(&out, &served.dir.path().join("again.html"));
    assert_findings_present(&again, &out);
}

/// Redaction is shown as counts per rule, the manifest's; values never (the leak test of
/// analyze_check_redact.rs scans every bundle file, this page included, for the planted secrets).
#[test]
fn redaction_counts_per_rule_are_shown() {
    let served = Served::start(&fixture("secrets"), &[]);
    let out = served.dir.path().join("s.tar.gz");
    let o = served.collect(&out, &["--app-logs", "--since", "100000h"]);
    assert!(o.status.success(), "{}", texts(&o).1);
    let files = bundle_map(&out);
    let manifest: Value = serde_json::from_slice(&files["mayadiag/manifest.json"]).unwrap();
    let per_rule = manifest["redaction"]["per_rule"].as_object().unwrap();
    assert!(per_rule.len() >= 3, "the fixture trips several rules: {per_rule:?}");
    let dom = check_page(&String::from_utf8_lossy(&files["mayadiag/report.html"]), "secrets");
    let rows: Vec<(String, String)> = dom
        .select(&sel("#collection table.sortable tbody tr"))
        .map(|tr| {
            let cells: Vec<String> = tr.select(&sel("td")).map(|td| td.text().collect()).collect();
            (cells[0].clone(), cells.get(1).cloned().unwrap_or_default())
        })
        .collect();
    for (rule, n) in per_rule {
        assert!(rows.contains(&(rule.clone(), n.to_string())), "rule {rule} = {n} in {rows:?}");
    }
}

fn count_not_ok(manifest: &Value) -> usize {
    manifest["collectors"].as_array().unwrap().iter().filter(|c| c["status"] != "ok").count()
}

/// Replace every occurrence of `from` by `to` in the files of a directory tree.
fn rewrite_tree(dir: &Path, from: &str, to: &str) {
    for (rel, data) in fixture_files(dir) {
        let text = String::from_utf8_lossy(&data);
        if text.contains(from) {
            std::fs::write(dir.join(&rel), text.replace(from, to)).unwrap();
        }
    }
}

#[test]
fn hostile_names_and_log_lines_render_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("fm18");
    copy_dir(&fixture("fm18-mayastor-hugepages"), &bundle);
    // A pod name with markup, in every object and the log directory, and a log line that closes
    // the table and adds an image with a handler.
    let pods = bundle.join("cluster-resources/pods/logs/openebs");
    let pod = std::fs::read_dir(&pods)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.contains("io-engine"))
        .expect("an io-engine pod log");
    let hostile_pod = "<script>alert(1)";
    rewrite_tree(&bundle.join("cluster-resources"), &format!("\"{pod}\""), &format!("\"{hostile_pod}\""));
    let hostile_line = "</table><img src=x onerror=alert(2)>";
    let log_dir = pods.join(&pod);
    for e in std::fs::read_dir(&log_dir).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        let poisoned: String = text
            .lines()
            .map(|l| if l.contains("pages") { format!("{l} {hostile_line}\n") } else { format!("{l}\n") })
            .collect();
        std::fs::write(e.path(), poisoned).unwrap();
    }
    std::fs::rename(&log_dir, pods.join(hostile_pod)).unwrap();
    let out = tmp.path().join("r.html");
    let dom = build_and_check(&bundle, &out);
    assert_eq!(dom.select(&sel("img")).count(), 0, "no injected image");
    assert_eq!(dom.select(&sel("script")).count(), 1, "no injected script");
    let text: String = dom.root_element().text().collect();
    assert!(text.contains(hostile_pod), "the hostile pod name is shown as text");
    assert!(text.contains(hostile_line), "the hostile log line is shown as text");
    let raw = std::fs::read_to_string(&out).unwrap();
    assert!(raw.contains("&lt;script&gt;alert(1)"), "escaped in the source");
    assert!(!raw.contains(hostile_line), "never raw in the source");
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        let o = Command::new("sh").arg("-c").arg(format!("command -v {name}")).output().ok()?;
        let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
        (o.status.success() && !p.is_empty()).then(|| PathBuf::from(p))
    })
}

fn headless(browser: &Path, profile: &Path, extra: &[&str], page: &Path) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

#[test]
fn demo_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have chromium: .ci/run installs it");
        println!("skipped: chromium is not installed (CI installs it in .ci/run)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("demo.html");
    build_and_check(&fixture("demo"), &page);
    let dom = headless(&browser, &tmp.path().join("p1"), &["--dump-dom"], &page);
    let (stdout, stderr) = texts(&dom);
    assert!(dom.status.success(), "chromium failed: {stderr}");
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let rendered = Html::parse_document(&stdout);
    // The script ran to its end: it added the filter box and made headers sortable.
    assert!(rendered.select(&sel("input.filter")).next().is_some(), "script added the filter:\n{stdout}");
    assert!(rendered.select(&sel("th.sortable-col")).next().is_some(), "script made tables sortable");
    assert!(rendered.select(&sel("#incidents article.fail")).count() >= 1, "incidents render");
    assert!(rendered.select(&sel("#health-grid td.cell")).count() >= 3, "grid renders");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-demo.png");
    let _ = std::fs::remove_file(&shot);
    let o = headless(
        &browser,
        &tmp.path().join("p2"),
        &[&format!("--screenshot={}", shot.display()), "--window-size=1280,2200", "--hide-scrollbars"],
        &page,
    );
    assert!(o.status.success(), "screenshot: {:?}", texts(&o));
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a real screenshot ({} bytes)", png.len());
    println!("screenshot: {}", shot.display());
}

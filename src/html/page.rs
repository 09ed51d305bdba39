//! The page's markup (maud): six sections top to bottom. Every `(value)` is escaped by maud;
//! only the page's own CSS and script are inserted verbatim.

use std::collections::BTreeMap;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::view::{self, FindingIndex, Health, MAX_ROWS};
use super::{ReportInput, collected, timeline};
use crate::checks::{Finding, Status};
use crate::diagnose::{Incident, Verdict};

/// Findings shown unfolded when there are no incidents (the most severe first).
const OPEN_FINDINGS: usize = 2;
const CSS: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");
/// No network at all: only the inline style and script run, images only from data: URLs.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// The whole page.
pub fn render(input: &ReportInput) -> Markup {
    let a = input.analysis;
    let snap = input.snapshot;
    let since = input.facts.since();
    let idx = FindingIndex::new(&a.findings);
    let verdict = view::verdict(a, input.facts, input.description, since);
    let timeline = view::timeline(a, snap, collected(snap), since);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                title { "mayadiag report " (input.bundle_name) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { "mayadiag report" }
                    p.sub {
                        @if !input.bundle_name.is_empty() { "bundle " code { (input.bundle_name) } " · " }
                        "collected " (verdict.collected_at)
                    }
                    nav {
                        a href="#verdict" { "Verdict" }
                        a href="#incidents" { "Incidents" }
                        a href="#health" { "Health" }
                        a href="#volumes" { "Volumes" }
                        a href="#timeline" { "Timeline" }
                        a href="#collection" { "Collection" }
                    }
                }
                main {
                    (verdict_section(&verdict))
                    (incidents_section(input))
                    (health_section(input, &idx))
                    (volumes_section(input, &idx))
                    section #timeline {
                        h2 { "Timeline" }
                        p.note {
                            "Warning events (by reason) and container restarts (by component) within the "
                            (verdict.window_length) " before collection, from "
                            (timeline.start.format("%Y-%m-%d %H:%M")) " to " (timeline.end.format("%Y-%m-%d %H:%M UTC"))
                            "; dashed lines mark " @if a.incidents.is_empty() { "failing findings" } @else { "incidents" }
                            " at their last Warning event."
                            @if timeline.older > 0 { " " (timeline.older) " older Warning event(s) are not drawn." }
                        }
                        div.scroll { (timeline::svg(&timeline)) }
                    }
                    (collection_section(input))
                }
                footer {
                    "Built by mayadiag " (env!("CARGO_PKG_VERSION")) " from the bundle's data and its analysis. "
                    "To look further: " code { "mayadiag serve BUNDLE --write-kubeconfig ./kc && export KUBECONFIG=./kc" }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn sev_badge(level: u8) -> Markup {
    html! { span class=(format!("sev sev{level}")) { "Sev " (level) } }
}

fn status_badge(s: Status) -> Markup {
    let (class, label) = match s {
        Status::Fail => ("badge fail", "FAIL"),
        Status::Warn => ("badge warn", "WARN"),
        Status::Pass => ("badge ok", "PASS"),
    };
    html! { span class=(class) { (label) } }
}

fn health_badge(h: Health) -> Markup {
    html! { span class=(format!("badge {}", h.class())) { (h.class()) } }
}

fn verdict_section(v: &view::VerdictView) -> Markup {
    html! {
        section #verdict {
            h2 { "Verdict" }
            div.verdict {
                div.big { (sev_badge(v.level)) }
                div {
                    p.headline { (v.headline) }
                    p {
                        "Suggested Sev " (v.suggested) ", driven by " (v.driven_by)
                        @if let Some(o) = v.sev_override { "; the customer chose Sev " (o) }
                        "."
                    }
                    @if !v.reasons.is_empty() {
                        ul.reasons { @for r in &v.reasons { li { (r) } } }
                    }
                    @if let Some(d) = &v.description {
                        blockquote.description { (d) }
                    }
                }
            }
            table.facts {
                tr { th { "Cluster version" } td { (v.cluster_version) } }
                tr {
                    th { "OpenEBS / Litmus" }
                    td {
                        @if v.engines.is_empty() { "none found" }
                        @for (name, version, state) in &v.engines {
                            span.engine { (name) " " (version) " (" (state) ")" }
                        }
                    }
                }
                tr { th { "Collected" } td { (v.collected_at) "; " (v.window) } }
                tr { th { "Written by" } td { (v.written_by) } }
            }
        }
    }
}

fn incidents_section(input: &ReportInput) -> Markup {
    let a = input.analysis;
    let kinds = view::kinds_of(input.snapshot);
    let shown = findings_shown(&a.findings);
    let omitted = a.findings.len() - shown.len();
    html! {
        section #incidents {
            h2 { @if a.incidents.is_empty() { "Failing findings" } @else { "Incidents" } }
            @if a.findings.is_empty() {
                p.allgood { "Every check passed." }
            }
            @for inc in &a.incidents {
                (incident(inc))
            }
            @if !a.findings.is_empty() {
                @if !a.incidents.is_empty() { h3 { "Findings" } }
                p.note {
                    "Click a finding for its evidence and remediation. Each names the bundle file that shows it (links work when this page sits in the unpacked bundle's "
                    code { "mayadiag/" } " folder) and the kubectl command that shows it through "
                    code { "mayadiag serve" } "."
                }
                @for (i, f) in shown.iter().enumerate() {
                    (finding(input, &kinds, f, a.incidents.is_empty() && i < OPEN_FINDINGS))
                }
                @if omitted > 0 {
                    p.note { (omitted) " more warning(s) not shown; " code { "mayadiag analyze BUNDLE" } " lists them all." }
                }
            }
        }
    }
}

/// Every failing finding, then warnings up to the row limit.
fn findings_shown(findings: &[Finding]) -> Vec<&Finding> {
    let fails = findings.iter().filter(|f| f.status == Status::Fail);
    let warns = findings.iter().filter(|f| f.status == Status::Warn);
    let mut out: Vec<&Finding> = fails.collect();
    let room = MAX_ROWS.saturating_sub(out.len());
    out.extend(warns.take(room));
    out
}

fn safe_id(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

fn incident(inc: &Incident) -> Markup {
    let o = &inc.root_cause.object;
    html! {
        article.incident id=(format!("incident-{}", safe_id(&inc.id))) {
            h3 { (sev_badge(inc.sev)) " " span.rule { "rule " (inc.rule) } " " (inc.title) }
            p {
                strong { "Root cause: " } (o.kind) " " @if !o.namespace.is_empty() { (o.namespace) "/" } (o.name)
                @if let Some(n) = &inc.root_cause.node { " on node " code { (n) } }
            }
            @if !inc.root_cause.evidence.is_empty() {
                pre.evidence { @for e in &inc.root_cause.evidence { (e) "\n" } }
            }
            @if !inc.chain.is_empty() {
                p { strong { "Chain" } " (root first):" }
                ol.chain {
                    @for c in &inc.chain {
                        li { a href=(format!("#{}", view::finding_anchor(&c.check, &c.object))) {
                            code { (c.check) } " " (c.object.kind) " "
                            @if !c.object.namespace.is_empty() { (c.object.namespace) "/" } (c.object.name)
                        } }
                    }
                }
            }
            @if !inc.impact.is_empty() {
                table.impact {
                    thead { tr { th { "Workload" } th { "PVC" } th { "Is it storage?" } th { "Why" } } }
                    tbody {
                        @for i in &inc.impact {
                            @let (class, word) = match i.verdict {
                                Verdict::Storage => ("fail", "storage"),
                                Verdict::NotStorage => ("ok", "not storage"),
                                Verdict::Unknown => ("warn", "unknown"),
                            };
                            tr {
                                td { (i.workload) }
                                td { (i.pvc.as_deref().unwrap_or("-")) }
                                td { span class=(format!("badge {class}")) { (word) } }
                                td { (i.facts.join("; ")) }
                            }
                        }
                    }
                }
            }
            p.remedy { strong { "Remediation: " } (inc.remediation) }
        }
    }
}

fn docs_link(url: &str) -> Markup {
    let safe = url.starts_with("https://") || url.starts_with("http://");
    html! {
        @if safe { a href=(url) rel="noreferrer" { (url) } } @else { code { (url) } }
    }
}

/// A bundle path as a link relative to `mayadiag/report.html`.
fn bundle_href(path: &str) -> String {
    let mut out = String::from("../");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn finding(input: &ReportInput, kinds: &BTreeMap<String, String>, f: &Finding, open: bool) -> Markup {
    let o = &f.object;
    let proofs = view::proofs(input.snapshot, kinds, f);
    html! {
        article class=(format!("finding {}", if f.status == Status::Fail { "fail" } else { "warn" }))
            id=(view::finding_anchor(&f.check, o)) {
            details open[open] {
                summary {
                    (status_badge(f.status)) " " (sev_badge(f.sev)) " " strong { (f.title) } " · "
                    (o.kind) " " @if !o.namespace.is_empty() { (o.namespace) "/" } strong { (o.name) }
                    @if let Some(n) = &f.node { " on " code { (n) } }
                    " " code.check { (f.check) }
                }
                p { (f.message) }
                @if !f.evidence.is_empty() {
                    pre.evidence { @for e in &f.evidence { (e) "\n" } }
                }
                p.remedy { strong { "Remediation: " } (f.remediation) }
                @if !f.docs.is_empty() { p { "Docs: " (docs_link(&f.docs)) } }
                @if !proofs.is_empty() {
                    ul.proof {
                        @for p in &proofs {
                            li { a href=(bundle_href(&p.path)) { (p.path) } " " code { (p.kubectl) } }
                        }
                    }
                }
            }
        }
    }
}

fn health_section(input: &ReportInput, idx: &FindingIndex) -> Markup {
    let grid = view::grid(input.snapshot, idx);
    let pools = view::pools(input.snapshot, idx);
    html! {
        section #health {
            h2 { "Health" }
            @if grid.nodes.is_empty() && grid.rows.is_empty() {
                p.note { "No nodes and no OpenEBS or Litmus pods in the bundle." }
            } @else {
                p.note {
                    "Each cell is the state of that component's pod(s) on that node: "
                    (health_badge(Health::Ok)) " " (health_badge(Health::Warn)) " " (health_badge(Health::Fail)) " "
                    (health_badge(Health::Absent)) ". Hover a cell for its pods."
                    @if grid.folded_nodes > 0 { " " (grid.folded_nodes) " more node(s) with nothing to report are folded away." }
                }
                div.scroll {
                    table.grid #health-grid {
                        thead { tr { th { "Component" } @for n in &grid.nodes { th.node { (n) } } } }
                        tbody {
                            tr.noderow { th { "Node Ready" } @for c in &grid.node_row { (cell(c)) } }
                            @if grid.has_probes {
                                tr.noderow { th { "Node probes (NodeReport)" } @for c in &grid.probe_row { (cell(c)) } }
                            }
                            @for r in &grid.rows {
                                tr { th { span.engine-name { (r.engine) } " " (r.component) } @for c in &r.cells { (cell(c)) } }
                            }
                        }
                    }
                }
            }
            h3 { "Pools, volume groups and zpools" }
            @if pools.total == 0 {
                p.note { "None in the bundle." }
            } @else {
                (cut_note(&pools))
                table.pools.sortable {
                    thead { tr { th { "Status" } th { "Kind" } th { "Name" } th { "Node" } th { "State" } th { "Used" } } }
                    tbody {
                        @for p in &pools.rows {
                            tr class=(p.health.class()) {
                                td { (health_badge(p.health)) }
                                td { (p.kind) }
                                td { (p.name) }
                                td { (p.node) }
                                td { (p.state) }
                                td { (capacity(p)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Says how many healthy rows a summarised table left out.
fn cut_note<T>(table: &view::Table<T>) -> Markup {
    html! {
        @if table.omitted() > 0 {
            p.note {
                "Showing " (table.rows.len()) " of " (table.total) " rows: every failing one, and "
                (table.omitted()) " healthy one(s) left out."
            }
        }
    }
}

fn cell(c: &view::Cell) -> Markup {
    let label = match c.health {
        Health::Absent => "–",
        h => h.class(),
    };
    html! { td class=(format!("cell {}", c.health.class())) title=(c.detail) { (label) } }
}

fn gib(bytes: f64) -> String {
    format!("{:.1} GiB", bytes / 1_073_741_824.0)
}

fn capacity(p: &view::PoolView) -> Markup {
    match (p.ratio(), p.used, p.capacity) {
        (Some(r), Some(u), Some(c)) => {
            let pct = r * 100.0;
            let class = if pct >= 95.0 {
                "fill fail"
            } else if pct >= 85.0 {
                "fill warn"
            } else {
                "fill ok"
            };
            html! {
                span.bar title=(format!("{pct:.0}% used")) { span class=(class) style=(format!("width:{pct:.1}%")) {} }
                " " (gib(u)) " of " (gib(c)) " (" (format!("{pct:.0}")) "%)"
            }
        }
        _ => html! { "unknown" },
    }
}

fn volumes_section(input: &ReportInput, idx: &FindingIndex) -> Markup {
    let table = view::volumes(input.snapshot, idx);
    html! {
        section #volumes {
            h2 { "Volumes" }
            @if table.total == 0 {
                p.note { "No PersistentVolumeClaims or PersistentVolumes in the bundle." }
            } @else {
                p.note {
                    "PVC → PV → engine → volume and replica state → nodes → pods, failing rows first."
                }
                (cut_note(&table))
                div.scroll {
                    table.volumes.sortable.filterable {
                        thead { tr {
                            th { "Status" } th { "PVC" } th { "PV" } th { "Engine" } th { "State" }
                            th { "Replicas" } th { "Nodes" } th { "Pods" }
                        } }
                        tbody {
                            @for r in &table.rows {
                                tr class=(r.health.class()) {
                                    td { (health_badge(r.health)) }
                                    td { (r.pvc) @if !r.pvc_phase.is_empty() { " " small { "(" (r.pvc_phase) ")" } } }
                                    td { (r.pv) }
                                    td { (r.engine) }
                                    td { (r.state) }
                                    td { (r.replicas.join(", ")) }
                                    td { (r.nodes.join(", ")) }
                                    td {
                                        @for (i, (pod, h)) in r.pods.iter().enumerate().take(5) {
                                            @if i > 0 { ", " }
                                            span class=(format!("pod {}", h.class())) { (pod) }
                                        }
                                        @if r.pods.len() > 5 { " +" (r.pods.len() - 5) " more" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn collection_section(input: &ReportInput) -> Markup {
    let facts = input.facts;
    let a = input.analysis;
    let troubled: Vec<_> = facts.collectors.iter().filter(|c| c.status != "ok").collect();
    let ok = facts.collectors.len() - troubled.len();
    let mut skips: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in &facts.skips {
        skips.entry(s.reason.as_str()).or_default().push(s.what.as_str());
    }
    let gaps = input.snapshot.gaps();
    let bytes: u64 = facts.files.iter().map(|f| f.size).sum();
    html! {
        section #collection {
            h2 { "Collection" }
            table.facts {
                tr { th { "Collected" } td {
                    (a.counts.objects) " objects, " (a.counts.events) " events, " (a.counts.logs) " container logs"
                    @if !facts.namespaces.is_empty() { " from " (facts.namespaces.len()) " namespace(s): " (facts.namespaces.join(", ")) }
                } }
                @if !facts.files.is_empty() {
                    tr { th { "Bundle" } td { (facts.files.len()) " files, " (crate::units::human_bytes(bytes)) " uncompressed" } }
                }
                @if let Some(ms) = facts.duration_ms { tr { th { "Took" } td { (format!("{:.1}", ms as f64 / 1000.0)) " s" } } }
                tr { th { "Collectors" } td {
                    @if facts.collectors.is_empty() { "not recorded (no mayadiag manifest)" }
                    @else { (ok) " ok, " (troubled.len()) " failed, partial or skipped" }
                } }
            }
            @if !troubled.is_empty() {
                h3 { "Collectors that failed or were skipped" }
                table.sortable {
                    thead { tr { th { "What" } th { "Status" } th { "Items" } th { "Why" } } }
                    tbody { @for c in troubled.iter().take(MAX_ROWS) {
                        tr { td { (c.name) } td { (c.status) } td { (c.items) } td { (c.reason.as_deref().unwrap_or("")) } }
                    } }
                }
            }
            @if !skips.is_empty() {
                h3 { "Skipped" }
                ul { @for (reason, whats) in &skips {
                    li { (whats.len()) " × " (reason) ": " (whats.iter().take(5).copied().collect::<Vec<_>>().join(", "))
                        @if whats.len() > 5 { ", …" } }
                } }
            }
            @if !gaps.is_empty() {
                h3 { "Not collected" }
                ul { @for g in gaps.iter().take(MAX_ROWS) { li { code { (g.what) } ": " (g.reason) } } }
                @if gaps.len() > MAX_ROWS { p.note { (gaps.len() - MAX_ROWS) " more." } }
            }
            @if !facts.truncations.is_empty() {
                h3 { "Truncated logs (newest bytes kept)" }
                table.sortable {
                    thead { tr { th { "File" } th { "Kept" } th { "Received" } } }
                    tbody { @for t in facts.truncations.iter().take(MAX_ROWS) {
                        tr { td { (t.file) } td { (t.kept_bytes) } td { (t.received_bytes) } }
                    } }
                }
                @if facts.truncations.len() > MAX_ROWS { p.note { (facts.truncations.len() - MAX_ROWS) " more." } }
            }
            h3 { "Redaction" }
            @match &facts.redaction {
                None => p.note { "Not recorded (the bundle has no mayadiag manifest)." },
                Some(r) => {
                    p {
                        @if r.disabled_by_user { strong.failtext { "Redaction was turned off (--no-redact --yes)." } }
                        @else if r.enabled { (r.total) " value(s) redacted" @if r.dropped_files > 0 { "; " (r.dropped_files) " file(s) replaced by a note because their redaction failed" } "." }
                        @else { "Redaction was off." }
                    }
                    @if !r.per_rule.is_empty() {
                        table.sortable {
                            thead { tr { th { "Rule" } th { "Values" } } }
                            tbody { @for (rule, n) in &r.per_rule { tr { td { (rule) } td { (n) } } } }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use scraper::{Html, Selector};

    use super::*;
    use crate::checks::CheckSet;
    use crate::diagnose::{FindingRef, Impact, RootCause};
    use crate::html::ManifestFacts;

    fn sel(s: &str) -> Selector {
        Selector::parse(s).unwrap()
    }

    /// One hand-made incident over the demo's findings (in place of the diagnosed one), with markup
    /// in what it quotes: it must render as text, first, and link to its findings.
    #[test]
    fn incidents_render_first_with_links_to_their_findings() {
        let set = CheckSet::load(None).unwrap();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clusters/demo");
        let snap = crate::bundle::read_bundle(&demo, &set.log_patterns()).unwrap();
        let mut a = crate::report::analyze(&set, &snap, &Default::default());
        let root = a.findings[0].clone();
        a.incidents.clear();
        a.incidents.push(Incident {
            id: "inc-1".into(),
            sev: 0,
            rule: "0b".into(),
            title: "io-engine <b>cannot</b> start".into(),
            root_cause: RootCause {
                object: root.object.clone(),
                node: Some("node-2".into()),
                evidence: vec!["</pre><script>alert(1)</script>".into()],
            },
            chain: a.findings.iter().take(3).map(FindingRef::to).collect(),
            impact: vec![Impact {
                workload: "Deployment shop/orders-db".into(),
                pvc: Some("shop/orders-db".into()),
                verdict: Verdict::Storage,
                facts: vec!["volume Faulted".into()],
            }],
            remediation: "Set vm.nr_hugepages=1024.".into(),
        });
        let facts = ManifestFacts::default();
        let page = render(&ReportInput {
            analysis: &a,
            snapshot: &snap,
            facts: &facts,
            description: None,
            bundle_name: "demo",
        })
        .into_string();
        let dom = Html::parse_document(&page);
        assert!(dom.errors.is_empty(), "{:?}", dom.errors);
        let incident = dom.select(&sel("#incidents article#incident-inc-1")).next().expect("incident");
        let text: String = incident.text().collect();
        assert!(text.contains("io-engine <b>cannot</b> start") && text.contains("</pre><script>alert(1)</script>"));
        assert!(text.contains("storage") && text.contains("shop/orders-db") && text.contains("rule 0b"));
        assert_eq!(dom.select(&sel("script")).count(), 1, "quoted markup stays text");
        // Incidents come before the findings, and every chain link lands on a finding.
        assert!(page.find("incident-inc-1") < page.find("<h3>Findings</h3>"));
        let links: Vec<String> = dom
            .select(&sel("ol.chain a"))
            .filter_map(|a| a.value().attr("href").map(|h| h.trim_start_matches('#').to_string()))
            .collect();
        assert_eq!(links.len(), 3);
        for id in links {
            assert!(dom.select(&sel(&format!("article#{id}"))).next().is_some(), "chain link {id}");
        }
        // The timeline marks the incident, not the findings.
        assert!(dom.select(&sel("#timeline a[href='#incident-inc-1']")).next().is_some());
    }
}

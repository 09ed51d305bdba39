//! What `check`, `analyze` and `collect` print and store: the [`Analysis`] (serde, the JSON
//! contract of docs/json-contract.md), the human report (incidents first, then the remaining findings by
//! engine), and `summary.md` for the ticket.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::checks::{CheckSet, Finding, Status, run_checks};
use crate::diagnose::{FindingRef, Incident, Verdict, clip, diagnose, explained};
use crate::inventory::{EngineReport, EngineState, detect_engines};
use crate::severity::{Severity, SeverityInput, suggest};
use crate::snapshot::ObjectRef;
use crate::snapshot::Snapshot;

/// Everything one analysis found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The Sev suggestion.
    pub severity: Severity,
    /// Failing and warning findings, most severe first.
    pub findings: Vec<Finding>,
    /// One per root cause, most severe first (the diagnosis layer, `crate::diagnose`).
    #[serde(default)]
    pub incidents: Vec<Incident>,
    /// Every engine with its state and version.
    pub engines: Vec<EngineReport>,
    /// Ids of the checks that ran.
    pub checked: Vec<String>,
    /// API server `gitVersion`.
    pub cluster_version: Option<String>,
    /// When the cluster was read (RFC 3339).
    pub collected_at: String,
    /// Objects, events and logs in the snapshot.
    pub counts: Counts,
    /// What could not be collected (`what: reason`).
    pub gaps: Vec<String>,
    /// What the verdict rests on: `complete`, `partial` (checks not evaluated) or `unknown` (core
    /// inputs unreadable; exit code 5). See `crate::coverage`.
    #[serde(default)]
    pub coverage: crate::coverage::Coverage,
}

/// Snapshot sizes, for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Objects.
    pub objects: usize,
    /// Events.
    pub events: usize,
    /// Container logs.
    pub logs: usize,
}

/// When a run counts as failed for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// Failures exit 3, warnings 4.
    #[default]
    Warn,
    /// Failures exit 3, warnings 0.
    Fail,
    /// Always 0.
    Never,
}

/// Run the checks, detect engines, suggest the Sev.
pub fn analyze(set: &CheckSet, snap: &Snapshot, input: &SeverityInput) -> Analysis {
    let findings = run_checks(set, snap);
    let mut engines = detect_engines(snap);
    for e in &mut engines {
        if findings.iter().any(|f| f.engine == e.engine && f.status == Status::Fail)
            && e.state != EngineState::NotInstalled
        {
            e.state = EngineState::Degraded;
        }
    }
    let incidents = diagnose(&findings, snap);
    let coverage = crate::coverage::assess(set, snap.gaps());
    let mut severity = suggest(&findings, &incidents, input);
    if coverage.verdict == crate::coverage::Verdict::Unknown && severity.driven_by == "nothing found" {
        withhold_all_clear(&mut severity, &coverage);
    }
    let (objects, events, logs) = snap.counts();
    Analysis {
        severity,
        findings,
        incidents,
        engines,
        checked: set.ids().into_iter().map(String::from).collect(),
        cluster_version: snap.meta.cluster_version.clone(),
        collected_at: snap.meta.collected_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        counts: Counts { objects, events, logs },
        gaps: snap.gaps().iter().map(|g| format!("{}: {}", g.what, g.reason)).collect(),
        coverage,
    }
}

/// Sev when nothing was found because the core inputs could not be read: not Sev 3 (which means
/// "nothing wrong, a feature request" and maps to the desk's low priority) but Sev 2 until a
/// complete bundle shows more — "I could not tell" must not be triaged as "all clear".
pub const UNKNOWN_VERDICT_SEV: u8 = 2;

fn withhold_all_clear(severity: &mut Severity, coverage: &crate::coverage::Coverage) {
    severity.suggested = UNKNOWN_VERDICT_SEV;
    if severity.r#override.is_none() {
        severity.level = UNKNOWN_VERDICT_SEV;
    }
    severity.driven_by = "unknown".into();
    let unread: Vec<&str> =
        coverage.unreadable.iter().filter(|u| u.core).map(|u| u.resource.as_str()).take(6).collect();
    severity.reasons.retain(|r| r != "no problem found");
    severity.reasons.insert(
        0,
        format!(
            "verdict unknown: the core inputs could not be read ({}); Sev {UNKNOWN_VERDICT_SEV} until a complete collection shows otherwise",
            unread.join(", ")
        ),
    );
}

impl Analysis {
    /// 0 nothing failing, 3 a check (or an incident) failed, 4 only warnings (per `fail_on`), 5 the
    /// verdict is unknown (core inputs unreadable; a failing check still says 3: that much is known).
    pub fn exit_code(&self, fail_on: FailOn) -> i32 {
        // An incident built from an absence (no finding in its chain) fails like a check.
        let fails = self.findings.iter().any(|f| f.status == Status::Fail)
            || self.incidents.iter().any(|i| i.chain.is_empty() && i.sev < 3);
        let warns = self.findings.iter().any(|f| f.status == Status::Warn);
        let unknown = self.coverage.verdict == crate::coverage::Verdict::Unknown;
        match fail_on {
            _ if unknown && !(fails && fail_on != FailOn::Never) => crate::exit::UNKNOWN,
            FailOn::Never => 0,
            _ if fails => 3,
            FailOn::Warn if warns => 4,
            _ => 0,
        }
    }

    /// Engine ids in report order: those with findings or installed, then the cross-engine group.
    fn groups(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .engines
            .iter()
            .filter(|e| e.state != EngineState::NotInstalled || self.findings.iter().any(|f| f.engine == e.engine))
            .map(|e| (e.engine.clone(), e.name.clone()))
            .collect();
        for f in &self.findings {
            if !out.iter().any(|(id, _)| id == &f.engine) {
                out.push((f.engine.clone(), f.engine.clone()));
            }
        }
        out
    }
}

/// Findings no incident explains, in report order.
fn remaining(a: &Analysis) -> Vec<&Finding> {
    let covered = explained(&a.incidents);
    a.findings.iter().filter(|f| !covered.contains(&(f.check.clone(), f.object.clone()))).collect()
}

/// `2 × Sev 0, 1 × Sev 2`.
fn sev_counts(sevs: impl Iterator<Item = u8>) -> String {
    let mut n = [0usize; 4];
    for s in sevs {
        n[usize::from(s.min(3))] += 1;
    }
    (0..4).filter(|&s| n[s] > 0).map(|s| format!("{} × Sev {s}", n[s])).collect::<Vec<_>>().join(", ")
}

/// The verdict line every view leads with: the Sev, then incidents and other findings counted
/// per Sev, or why there is no all-clear.
pub fn verdict_line(a: &Analysis) -> String {
    let rest = remaining(a);
    if a.incidents.is_empty() && rest.is_empty() {
        let not_evaluated = a.coverage.not_evaluated.len();
        if a.coverage.verdict == crate::coverage::Verdict::Unknown {
            return format!("Verdict unknown: {not_evaluated} of {} checks could not be evaluated", a.checked.len());
        }
        if not_evaluated > 0 {
            return format!(
                "Sev {}: no problem found in what could be read ({not_evaluated} of {} checks not evaluated)",
                a.severity.level,
                a.checked.len()
            );
        }
        if a.engines.iter().all(|e| e.state == EngineState::NotInstalled) {
            // "Nothing to check" is not "healthy": say so instead of an all-clear.
            return format!(
                "Sev {}: no OpenEBS or Litmus component found, nothing to check ({} checks)",
                a.severity.level,
                a.checked.len()
            );
        }
        return format!("Sev {}: no problem found ({} checks)", a.severity.level, a.checked.len());
    }
    let mut parts = Vec::new();
    if !a.incidents.is_empty() {
        let n = a.incidents.len();
        parts.push(format!(
            "{n} incident{} ({})",
            if n == 1 { "" } else { "s" },
            sev_counts(a.incidents.iter().map(|i| i.sev))
        ));
    }
    if !rest.is_empty() {
        let n = rest.len();
        let label = if a.incidents.is_empty() { "finding" } else { "other finding" };
        parts.push(format!(
            "{n} {label}{} ({})",
            if n == 1 { "" } else { "s" },
            sev_counts(rest.iter().map(|f| f.sev))
        ));
    }
    format!("Sev {}: {} ({} checks)", a.severity.level, parts.join(", "), a.checked.len())
}

fn object(f: &Finding) -> String {
    object_label(&f.object)
}

fn object_label(o: &ObjectRef) -> String {
    if o.namespace.is_empty() {
        format!("{} {}", o.kind, o.name)
    } else {
        format!("{} {}/{}", o.kind, o.namespace, o.name)
    }
}

fn paint(color: bool, code: &str, s: &str) -> String {
    if color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
}

fn sev_paint(sev: u8) -> &'static str {
    match sev {
        0 => "1;31",
        1 => "31",
        2 => "33",
        _ => "32",
    }
}

/// Longest message or evidence line printed; longer ones are cut at a word boundary.
const MAX_TEXT: usize = 300;

/// The finding a chain entry points at.
fn finding_of<'a>(a: &'a Analysis, r: &FindingRef) -> Option<&'a Finding> {
    a.findings.iter().find(|f| f.check == r.check && f.object == r.object)
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Storage => "storage",
        Verdict::NotStorage => "not storage",
        Verdict::Unknown => "unknown",
    }
}

fn render_incident(out: &mut String, a: &Analysis, inc: &Incident, color: bool) {
    let head = format!("{}  Sev {} (rule {})  {}", inc.id, inc.sev, inc.rule, clip(&inc.title, MAX_TEXT));
    let _ = writeln!(out, "\n{}", paint(color, sev_paint(inc.sev), &head));
    let rc = &inc.root_cause;
    let on = rc.node.as_ref().filter(|n| !(rc.object.kind == "Node" && &rc.object.name == *n));
    let _ = writeln!(
        out,
        "  root cause  {}{}",
        object_label(&rc.object),
        on.map(|n| format!(" on node {n}")).unwrap_or_default()
    );
    for e in &rc.evidence {
        let _ = writeln!(out, "              │ {}", clip(e, MAX_TEXT));
    }
    for (n, r) in inc.chain.iter().enumerate() {
        let lead = if n == 0 { "  chain     " } else { "            " };
        let title = finding_of(a, r).map_or(r.check.as_str(), |f| f.title.as_str());
        let arrow = if n == 0 { "  " } else { "→ " };
        let _ = writeln!(
            out,
            "{lead}  {arrow}{title} — {} {}",
            object_label(&r.object),
            paint(color, "2", &format!("[{}]", r.check))
        );
    }
    for (n, i) in inc.impact.iter().enumerate() {
        let lead = if n == 0 { "  impact    " } else { "            " };
        let v = verdict_word(i.verdict);
        let v = paint(color, if i.verdict == Verdict::Storage { "31" } else { "32" }, v);
        let pvc = i.pvc.as_ref().map(|p| format!(" (PVC {p})")).unwrap_or_default();
        let _ = writeln!(out, "{lead}  {}{pvc}: {v}", i.workload);
        for f in &i.facts {
            let _ = writeln!(out, "                · {}", clip(f, MAX_TEXT));
        }
    }
    for (n, line) in inc.remediation.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let lead = if n == 0 { "  what to do" } else { "           " };
        let _ = writeln!(out, "{lead}  {}", clip(line, 2 * MAX_TEXT));
    }
}

/// The report for a terminal: incidents first (root cause → chain → impact → what to do), then
/// the findings no incident explains, grouped by engine.
pub fn render_human(a: &Analysis, color: bool) -> String {
    let mut out = String::new();
    let coverage = a.coverage.headline();
    for line in &coverage {
        let _ = writeln!(out, "{}", paint(color, "1;31", line));
    }
    if !coverage.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", paint(color, sev_paint(a.severity.level), &verdict_line(a)));
    // With the core inputs unread, the suggestion says "unknown" (never "nothing found").
    let _ = writeln!(out, "  suggested Sev {} ({})", a.severity.suggested, a.severity.driven_by);
    for r in a.severity.reasons.iter().filter(|r| r.as_str() != "no problem found") {
        let _ = writeln!(out, "  - {}", clip(r, MAX_TEXT));
    }
    let _ =
        writeln!(out, "  cluster {} · collected {}", a.cluster_version.as_deref().unwrap_or("unknown"), a.collected_at);
    for inc in &a.incidents {
        render_incident(&mut out, a, inc, color);
    }
    let rest = remaining(a);
    if !a.incidents.is_empty() && !rest.is_empty() {
        let _ = writeln!(out, "\n{}", paint(color, "1", "Other findings"));
    }
    for (id, name) in a.groups() {
        let findings: Vec<&Finding> = rest.iter().copied().filter(|f| f.engine == id).collect();
        let engine = a.engines.iter().find(|e| e.engine == id);
        if findings.is_empty() && !a.incidents.is_empty() {
            continue;
        }
        let state = engine.map(|e| format!("{:?}", e.state).to_lowercase()).unwrap_or_default();
        let version = engine.and_then(|e| e.version.clone()).map(|v| format!(" {v}")).unwrap_or_default();
        let in_incidents = a
            .incidents
            .iter()
            .filter(|i| i.chain.iter().any(|c| finding_of(a, c).is_some_and(|f| f.engine == id)))
            .count();
        let head = match findings.iter().map(|f| f.sev).min() {
            Some(s) => format!("{name}{version} [{state}]: Sev {s}, {} finding(s)", findings.len()),
            None if in_incidents > 0 => format!("{name}{version} [{state}]: see incidents"),
            None => format!("{name}{version} [{state}]: ok"),
        };
        let _ = writeln!(out, "\n{}", paint(color, "1", &head));
        for f in findings {
            let tag = match f.status {
                Status::Fail => paint(color, "31", "FAIL"),
                Status::Warn => paint(color, "33", "WARN"),
                Status::Pass => paint(color, "32", "PASS"),
            };
            let _ = writeln!(
                out,
                "  {tag} Sev {} {} — {} {}",
                f.sev,
                f.title,
                object(f),
                paint(color, "2", &format!("[{}]", f.check))
            );
            let _ = writeln!(out, "       {}", clip(&f.message, MAX_TEXT));
            for e in &f.evidence {
                let _ = writeln!(out, "       │ {}", clip(e, MAX_TEXT));
            }
            let _ = writeln!(out, "       → {}", f.remediation.trim().replace('\n', "\n         "));
            if !f.docs.is_empty() {
                let _ = writeln!(out, "         docs: {}", f.docs);
            }
        }
    }
    if !a.gaps.is_empty() {
        let _ = writeln!(out, "\nNot collected:");
        for g in &a.gaps {
            let _ = writeln!(out, "  - {g}");
        }
    }
    out
}

/// `summary.md`: the same content, for the ticket body; incidents first.
pub fn summary_markdown(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# mayadiag summary\n");
    for line in a.coverage.headline() {
        let _ = writeln!(out, "    {line}");
    }
    let _ = writeln!(out, "\n**{}**\n", verdict_line(a));
    let _ = writeln!(
        out,
        "Suggested Sev {} (driven by {}){}.\n",
        a.severity.suggested,
        a.severity.driven_by,
        a.severity.r#override.map(|o| format!("; override Sev {o}")).unwrap_or_default()
    );
    for r in a.severity.reasons.iter().filter(|r| r.as_str() != "no problem found") {
        let _ = writeln!(out, "- {}", md(&clip(r, MAX_TEXT)));
    }
    if !a.incidents.is_empty() {
        let _ = writeln!(out, "\n## Incidents\n");
    }
    for inc in &a.incidents {
        let rc = &inc.root_cause;
        let _ = writeln!(
            out,
            "### {} · Sev {} (rule {}) · {}\n",
            inc.id,
            inc.sev,
            inc.rule,
            md(&clip(&inc.title, MAX_TEXT))
        );
        let _ = writeln!(
            out,
            "**Root cause:** {}{}\n",
            object_label(&rc.object),
            rc.node.as_ref().map(|n| format!(" on node `{n}`")).unwrap_or_default()
        );
        for e in &rc.evidence {
            let _ = writeln!(out, "    {}", clip(e, MAX_TEXT));
        }
        let _ = writeln!(out, "\n**Chain** (root first):\n");
        for (n, r) in inc.chain.iter().enumerate() {
            let title = finding_of(a, r).map_or(r.check.as_str(), |f| f.title.as_str());
            let _ = writeln!(out, "{}. {} — {} (`{}`)", n + 1, md(title), object_label(&r.object), r.check);
        }
        if !inc.impact.is_empty() {
            let _ = writeln!(out, "\n**Impact (is it storage?):**\n");
            for i in &inc.impact {
                let pvc = i.pvc.as_ref().map(|p| format!(", PVC `{p}`")).unwrap_or_default();
                let _ = writeln!(out, "- {}{pvc}: **{}**", i.workload, verdict_word(i.verdict));
                for f in &i.facts {
                    let _ = writeln!(out, "  - {}", md(&clip(f, MAX_TEXT)));
                }
            }
        }
        let _ = writeln!(out, "\n**What to do:** {}\n", md(&inc.remediation));
    }
    let _ = writeln!(
        out,
        "\n| | |\n|---|---|\n| Cluster version | {} |\n| Collected at | {} |\n| Objects / events / logs | {} / {} / {} |\n",
        a.cluster_version.as_deref().unwrap_or("unknown"),
        a.collected_at,
        a.counts.objects,
        a.counts.events,
        a.counts.logs
    );
    let _ = writeln!(out, "## Engines\n\n| Engine | State | Version | Pods (not ready) |\n|---|---|---|---|");
    for e in a.engines.iter().filter(|e| e.state != EngineState::NotInstalled) {
        let _ = writeln!(
            out,
            "| {} | {:?} | {} | {} ({}) |",
            e.name,
            e.state,
            e.version.as_deref().unwrap_or("-"),
            e.pods,
            e.pods_not_ready
        );
    }
    let rest = remaining(a);
    let _ = writeln!(out, "\n## {}\n", if a.incidents.is_empty() { "Findings" } else { "Other findings" });
    if rest.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            if a.incidents.is_empty() { "No failing or warning checks." } else { "None beyond the incidents." }
        );
    }
    for (id, name) in a.groups() {
        let findings: Vec<&Finding> = rest.iter().copied().filter(|f| f.engine == id).collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {name}\n");
        for f in findings {
            let _ = writeln!(
                out,
                "- **{} Sev {}** {} (`{}`) — {}",
                if f.status == Status::Fail { "FAIL" } else { "WARN" },
                f.sev,
                md(&f.title),
                f.check,
                md(&clip(&f.message, MAX_TEXT))
            );
            for e in &f.evidence {
                let _ = writeln!(out, "  - `{}`", clip(e, MAX_TEXT).replace('`', "'"));
            }
            let _ = writeln!(out, "  - Remediation: {}", md(&f.remediation));
            if !f.docs.is_empty() {
                let _ = writeln!(out, "  - Docs: {}", f.docs);
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Checked\n\n{}", a.checked.join(", "));
    if !a.gaps.is_empty() {
        let _ = writeln!(out, "\n## Not collected\n");
        for g in &a.gaps {
            let _ = writeln!(out, "- {}", md(g));
        }
    }
    out
}

fn md(s: &str) -> String {
    s.replace('\n', " ")
}

//! What `check`, `analyze` and `collect` print and store: the [`Analysis`] (serde, the JSON
//! contract of DESIGN.md), the human report grouped by engine, and `summary.md` for the ticket.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::checks::{CheckSet, Finding, Status, run_checks};
use crate::diagnose::{Incident, diagnose};
use crate::inventory::{EngineReport, EngineState, detect_engines};
use crate::severity::{Severity, SeverityInput, suggest};
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
    let severity = suggest(&findings, input);
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
    }
}

impl Analysis {
    /// 0 nothing failing, 3 a check failed, 4 only warnings (per `fail_on`).
    pub fn exit_code(&self, fail_on: FailOn) -> i32 {
        let fails = self.findings.iter().any(|f| f.status == Status::Fail);
        let warns = self.findings.iter().any(|f| f.status == Status::Warn);
        match fail_on {
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

fn verdict(a: &Analysis) -> String {
    let fails = a.findings.iter().filter(|f| f.status == Status::Fail).count();
    let warns = a.findings.iter().filter(|f| f.status == Status::Warn).count();
    let nothing_installed = a.engines.iter().all(|e| e.state == EngineState::NotInstalled);
    if fails + warns == 0 && nothing_installed {
        // "Nothing to check" is not "healthy": say so instead of an all-clear.
        format!(
            "Sev {}: no OpenEBS or Litmus component found, nothing to check ({} checks)",
            a.severity.level,
            a.checked.len()
        )
    } else if fails + warns == 0 {
        format!("Sev {}: no problem found ({} checks)", a.severity.level, a.checked.len())
    } else {
        format!("Sev {}: {fails} failing, {warns} warning ({} checks)", a.severity.level, a.checked.len())
    }
}

fn object(f: &Finding) -> String {
    let o = &f.object;
    if o.namespace.is_empty() {
        format!("{} {}", o.kind, o.name)
    } else {
        format!("{} {}/{}", o.kind, o.namespace, o.name)
    }
}

fn paint(color: bool, code: &str, s: &str) -> String {
    if color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
}

/// The report for a terminal, grouped by engine.
pub fn render_human(a: &Analysis, color: bool) -> String {
    let mut out = String::new();
    let sev_color = match a.severity.level {
        0 => "1;31",
        1 => "31",
        2 => "33",
        _ => "32",
    };
    let _ = writeln!(out, "{}", paint(color, sev_color, &verdict(a)));
    let _ = writeln!(out, "  suggested Sev {} ({})", a.severity.suggested, a.severity.driven_by);
    for r in &a.severity.reasons {
        let _ = writeln!(out, "  - {r}");
    }
    let _ =
        writeln!(out, "  cluster {} · collected {}", a.cluster_version.as_deref().unwrap_or("unknown"), a.collected_at);
    for (id, name) in a.groups() {
        let findings: Vec<&Finding> = a.findings.iter().filter(|f| f.engine == id).collect();
        let engine = a.engines.iter().find(|e| e.engine == id);
        let state = engine.map(|e| format!("{:?}", e.state).to_lowercase()).unwrap_or_default();
        let version = engine.and_then(|e| e.version.clone()).map(|v| format!(" {v}")).unwrap_or_default();
        let head = match findings.iter().map(|f| f.sev).min() {
            Some(s) => format!("{name}{version} [{state}]: Sev {s}, {} finding(s)", findings.len()),
            None => format!("{name}{version} [{state}]: ok"),
        };
        let _ = writeln!(out, "\n{}", paint(color, "1", &head));
        for f in findings {
            let tag = match f.status {
                Status::Fail => paint(color, "31", "FAIL"),
                Status::Warn => paint(color, "33", "WARN"),
                Status::Pass => paint(color, "32", "PASS"),
            };
            let _ = writeln!(out, "  {tag} Sev {} {} — {}", f.sev, f.check, object(f));
            let _ = writeln!(out, "       {}", f.message);
            for e in &f.evidence {
                let _ = writeln!(out, "       │ {e}");
            }
            let _ = writeln!(out, "       → {}", f.remediation.replace('\n', "\n         "));
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

/// `summary.md`: the same content, for the ticket body.
pub fn summary_markdown(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# mayadiag summary\n\n**{}**\n", verdict(a));
    let _ = writeln!(
        out,
        "Suggested Sev {} (driven by {}){}.\n",
        a.severity.suggested,
        a.severity.driven_by,
        a.severity.r#override.map(|o| format!("; override Sev {o}")).unwrap_or_default()
    );
    for r in &a.severity.reasons {
        let _ = writeln!(out, "- {}", md(r));
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
    let _ = writeln!(out, "\n## Findings\n");
    if a.findings.is_empty() {
        let _ = writeln!(out, "No failing or warning checks.\n");
    }
    for (id, name) in a.groups() {
        let findings: Vec<&Finding> = a.findings.iter().filter(|f| f.engine == id).collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {name}\n");
        for f in findings {
            let _ = writeln!(
                out,
                "- **{} Sev {}** `{}` — {}",
                if f.status == Status::Fail { "FAIL" } else { "WARN" },
                f.sev,
                f.check,
                md(&f.message)
            );
            for e in &f.evidence {
                let _ = writeln!(out, "  - `{}`", e.replace('`', "'"));
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

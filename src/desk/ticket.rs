//! What goes into the ticket, decided before anything is sent: subject from the top finding, body
//! from `summary.md` plus the attachment note and a sha256 marker, tags, Sev, requester, and the
//! idempotency key / external_id derived from the bundle's sha256. Rendering is deterministic, so a
//! rerun produces the same bytes (and so the same idempotency key stays valid).

use super::args::TicketTarget;
use super::bundle_info::BundleInfo;
use super::config::DeskConfig;
use super::upload::{self, PartPlan};
use super::{DeskError, TicketDraft};

/// Subjects are cut to this many characters.
const SUBJECT_MAX_CHARS: usize = 150;
/// Zendesk comments are limited (64 KB); keep the summary well below.
const BODY_SUMMARY_MAX_CHARS: usize = 50_000;

/// What a submission will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create(TicketDraft),
    Comment { ticket_id: u64, body: String },
}

/// Everything decided before the first request.
#[derive(Debug, Clone)]
pub struct SubmissionPlan {
    pub target: TicketTarget,
    pub parts: Vec<PartPlan>,
    pub action: Action,
    /// In every comment body; identifies this bundle on the ticket.
    pub marker: String,
    pub bundle_file_name: String,
    pub bundle_size: u64,
    pub bundle_sha256: String,
}

impl SubmissionPlan {
    /// `"new"` or the ticket id, as recorded in the state file.
    pub fn target_label(&self) -> String {
        match self.target {
            TicketTarget::New => "new".to_string(),
            TicketTarget::Existing(id) => id.to_string(),
        }
    }
}

/// The stable per-bundle id used as external_id (and, for generation 0, the idempotency key).
pub fn external_id(bundle_sha256: &str) -> String {
    format!("mayadiag-{}", &bundle_sha256[..bundle_sha256.len().min(40)])
}

/// The idempotency key for a key generation (bumped only when uploads had to be redone).
pub fn idempotency_key(bundle_sha256: &str, generation: u32) -> String {
    match generation {
        0 => external_id(bundle_sha256),
        n => format!("{}-r{n}", external_id(bundle_sha256)),
    }
}

/// The marker line that lets a rerun recognise its own comment.
pub fn marker(bundle_sha256: &str) -> String {
    format!("mayadiag bundle sha256: {bundle_sha256}")
}

fn truncate_chars(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", one_line[..cut].trim_end()),
        None => one_line,
    }
}

/// "Sev N: <top finding's title> on <object>" or the no-problem subject. The title is what a
/// person recognises in a ticket list; the message (with evidence) is in the body.
pub fn subject(info: &BundleInfo) -> String {
    let sev = info.sev();
    // An incident names the root cause, which is what support triages on.
    let incident = info.analysis.as_ref().and_then(|a| {
        a.incidents
            .iter()
            .filter(|i| i.title.as_ref().is_some_and(|t| !t.trim().is_empty()))
            .min_by_key(|i| i.sev.unwrap_or(3))
    });
    if let Some(title) = incident.and_then(|i| i.title.as_deref()) {
        return truncate_chars(&format!("Sev {sev}: {}", title.trim()), SUBJECT_MAX_CHARS);
    }
    match info.problem_findings().first() {
        Some(top) => {
            let text = [&top.title, &top.message, &top.check]
                .into_iter()
                .flatten()
                .find(|t| !t.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| "problem found".into());
            let object = top.object.as_ref().and_then(|o| {
                let name = o.name.as_deref().filter(|n| !n.is_empty())?;
                let kind = o.kind.as_deref().unwrap_or("");
                Some(match o.namespace.as_deref().filter(|ns| !ns.is_empty()) {
                    Some(ns) => format!("{kind} {ns}/{name}"),
                    None => format!("{kind} {name}"),
                })
            });
            let text = match object {
                Some(object) if top.title.as_ref().is_some_and(|t| !t.trim().is_empty()) => {
                    format!("{text} on {}", object.trim())
                }
                _ => text,
            };
            truncate_chars(&format!("Sev {sev}: {text}"), SUBJECT_MAX_CHARS)
        }
        None => format!("Sev {sev}: mayadiag diagnostics bundle (no problem found)"),
    }
}

/// Tags: `mayadiag`, `sev-N`, and the engines installed in the cluster (lowercase, tag-safe);
/// engines the analysis found no trace of are not tagged.
pub fn tags(info: &BundleInfo) -> Vec<String> {
    let mut tags = vec!["mayadiag".to_string(), format!("sev-{}", info.sev())];
    if let Some(analysis) = &info.analysis {
        let engines = analysis
            .engines
            .iter()
            .filter(|e| e.state.as_deref().is_some_and(|s| s != "not-installed"))
            .filter_map(|e| e.engine.clone());
        for engine in engines {
            let tag: String = engine
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
                .collect();
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    tags
}

/// A plain summary when the bundle has no summary.md.
fn fallback_summary(info: &BundleInfo) -> String {
    let mut text = format!("Suggested Sev {}.\n", info.sev());
    if let Some(analysis) = &info.analysis {
        for reason in &analysis.severity.reasons {
            text.push_str(&format!("  - {reason}\n"));
        }
        let problems = info.problem_findings();
        text.push_str(&format!("\nFindings ({}):\n", problems.len()));
        for finding in problems {
            text.push_str(&format!(
                "- [{}] {}: {}\n",
                finding.status.as_deref().unwrap_or("?"),
                finding.check.as_deref().unwrap_or("?"),
                finding.message.as_deref().unwrap_or("")
            ));
            if let Some(remediation) = &finding.remediation {
                text.push_str(&format!("  remediation: {remediation}\n"));
            }
        }
        if !analysis.engines.is_empty() {
            text.push_str("\nEngines:\n");
            for engine in &analysis.engines {
                text.push_str(&format!(
                    "- {} {} ({})\n",
                    engine.engine.as_deref().unwrap_or("?"),
                    engine.version.as_deref().unwrap_or("?"),
                    engine.state.as_deref().unwrap_or("?")
                ));
            }
        }
        if let Some(version) = &analysis.cluster_version {
            text.push_str(&format!("\nKubernetes {version}\n"));
        }
    }
    text
}

/// The comment body: description, summary, attachment note, marker.
pub fn comment_body(info: &BundleInfo, config: &DeskConfig, parts: &[PartPlan]) -> String {
    let mut body = String::new();
    if let Some(description) = config.description.as_ref().filter(|d| !d.trim().is_empty()) {
        body.push_str(description.trim());
        body.push_str("\n\n");
    }
    let summary = info.summary_md.clone().unwrap_or_else(|| fallback_summary(info));
    match summary.char_indices().nth(BODY_SUMMARY_MAX_CHARS) {
        Some((cut, _)) => {
            body.push_str(&summary[..cut]);
            body.push_str("\n[… summary truncated; the full summary.md is in the bundle]\n");
        }
        None => body.push_str(&summary),
    }
    body.push_str("\n\n---\nDiagnostics bundle attached");
    body.push_str(&format!(" ({}, {} bytes).\n", info.file_name, info.size));
    // The marker line carries the bundle's sha256; the reassembly note's own copy of it is left
    // out so the hash appears once (part hashes stay: they are different numbers).
    let whole_file_line = format!("sha256 of {}: {}\n", info.file_name, info.sha256);
    body.push_str(&upload::reassembly_note(&info.file_name, parts, &info.sha256).replace(&whole_file_line, ""));
    body.push_str(&marker(&info.sha256));
    body.push('\n');
    body
}

/// Decide everything: parts, ticket or comment, marker.
pub fn plan_submission(
    info: &BundleInfo,
    target: &TicketTarget,
    config: &DeskConfig,
) -> Result<SubmissionPlan, DeskError> {
    let parts = upload::plan_parts(&info.path, &info.file_name, info.size, config.attachment_limit)?;
    let body = comment_body(info, config, &parts);
    let action = match *target {
        TicketTarget::New => Action::Create(TicketDraft {
            subject: subject(info),
            body,
            sev: info.sev(),
            tags: tags(info),
            requester: config.requester.clone(),
            sev_field_id: config.sev_field_id,
            external_id: external_id(&info.sha256),
            idempotency_key: idempotency_key(&info.sha256, 0),
        }),
        TicketTarget::Existing(ticket_id) => Action::Comment { ticket_id, body },
    };
    Ok(SubmissionPlan {
        target: *target,
        parts,
        action,
        marker: marker(&info.sha256),
        bundle_file_name: info.file_name.clone(),
        bundle_size: info.size,
        bundle_sha256: info.sha256.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::bundle_info::{Analysis, EngineInfo, Finding};

    fn info_with(findings: Vec<Finding>, level: Option<u8>) -> BundleInfo {
        let mut analysis = Analysis { findings, ..Analysis::default() };
        analysis.severity.level = level;
        let engine = |id: &str, state: &str| EngineInfo {
            engine: Some(id.into()),
            state: Some(state.into()),
            ..EngineInfo::default()
        };
        analysis.engines = vec![engine("cStor", "degraded"), engine("jiva", "not-installed"), engine("lvm", "healthy")];
        BundleInfo {
            path: "/nonexistent/b.tar.gz".into(),
            file_name: "b.tar.gz".into(),
            size: 10,
            sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            analysis: Some(analysis),
            summary_md: None,
            manifest: None,
            warnings: Vec::new(),
        }
    }

    fn finding(status: &str, sev: u8, message: &str) -> Finding {
        Finding { status: Some(status.into()), sev: Some(sev), message: Some(message.into()), ..Finding::default() }
    }

    #[test]
    fn subject_from_the_most_severe_incident() {
        let mut info = info_with(vec![finding("fail", 0, "OpenEBS pod crash-looping")], Some(0));
        if let Some(a) = info.analysis.as_mut() {
            a.incidents = vec![
                crate::desk::bundle_info::IncidentInfo { sev: Some(2), title: Some("webhook cert expired".into()) },
                crate::desk::bundle_info::IncidentInfo {
                    sev: Some(0),
                    title: Some("io-engine cannot get hugepages on node node-2".into()),
                },
            ];
        }
        assert_eq!(subject(&info), "Sev 0: io-engine cannot get hugepages on node node-2");
    }

    #[test]
    fn subject_from_top_finding_and_truncated() {
        let info =
            info_with(vec![finding("warn", 2, "slow"), finding("fail", 1, "cStor volume pvc-1 offline")], Some(1));
        assert_eq!(subject(&info), "Sev 1: cStor volume pvc-1 offline", "no title: the message");
        let mut titled = finding("fail", 0, "Pod openebs/io-1: container io-engine is crash-looping (7 restarts)");
        titled.title = Some("OpenEBS pod crash-looping".into());
        titled.object = Some(crate::desk::bundle_info::ObjectRef {
            kind: Some("Pod".into()),
            namespace: Some("openebs".into()),
            name: Some("io-1".into()),
        });
        assert_eq!(subject(&info_with(vec![titled], Some(0))), "Sev 0: OpenEBS pod crash-looping on Pod openebs/io-1");
        let long = info_with(vec![finding("fail", 0, &"x".repeat(400))], Some(0));
        assert!(subject(&long).chars().count() <= SUBJECT_MAX_CHARS + 1);
        let none = info_with(vec![finding("pass", 0, "fine")], None);
        assert_eq!(subject(&none), "Sev 3: mayadiag diagnostics bundle (no problem found)");
    }

    #[test]
    fn tags_and_keys() {
        let info = info_with(vec![finding("fail", 1, "x")], Some(1));
        assert_eq!(tags(&info), vec!["mayadiag", "sev-1", "cstor", "lvm"], "jiva is not installed");
        let key = idempotency_key(&info.sha256, 0);
        assert_eq!(key, external_id(&info.sha256));
        assert!(key.starts_with("mayadiag-0123") && key.len() < 255);
        assert_ne!(idempotency_key(&info.sha256, 1), key);
    }

    #[test]
    fn the_bundle_hash_appears_once_in_the_body() {
        let info = info_with(vec![finding("fail", 1, "x")], Some(1));
        let config = DeskConfig::resolve(
            &crate::desk::args::DeskArgs { desk_url: Some("https://acme.zendesk.com".into()), ..Default::default() },
            &|_| None,
            true,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for parts in [1, 3] {
            let plans: Vec<PartPlan> = (0..parts)
                .map(|i| PartPlan {
                    name: format!("b.tar.gz.part-{i}"),
                    offset: 0,
                    size: 1,
                    sha256: format!("part{i}"),
                })
                .collect();
            let body = comment_body(&info, &config, &plans);
            assert_eq!(body.matches(&info.sha256).count(), 1, "{body}");
            assert!(body.ends_with(&format!("{}\n", marker(&info.sha256))), "{body}");
        }
    }
}

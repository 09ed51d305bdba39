//! The Sev 0–3 suggestion (the rubric of docs/severity.md): the most severe incident (or
//! finding no incident explains) decides, the reasons name the incidents and findings that drove it, the customer's description is weighed only where
//! the cluster has no evidence, and an override is recorded beside the suggestion.

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::checks::{Finding, Status};
use crate::diagnose::{Incident, explained};

/// What the customer said, and whether they chose a Sev themselves.
#[derive(Debug, Clone, Default)]
pub struct SeverityInput {
    /// `--description`: the ticket text.
    pub description: Option<String>,
    /// `--sev N`.
    pub sev_override: Option<u8>,
}

/// The suggested Sev with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// The Sev to use: the override if given, else the suggestion.
    pub level: u8,
    /// What the evidence suggests.
    pub suggested: u8,
    /// The customer's choice, if any.
    pub r#override: Option<u8>,
    /// `cluster evidence`, `description`, `override` or `nothing found`.
    pub driven_by: String,
    /// The findings (check id + object) or words that decided it.
    pub reasons: Vec<String>,
}

/// How many findings `reasons` names before summarising the rest.
const MAX_REASONS: usize = 8;

fn words(pattern: &str, text: &str) -> bool {
    // The patterns are constants; a failure to compile would be a programming error caught by tests.
    Regex::new(pattern).map(|re| re.is_match(text)).unwrap_or(false)
}

/// Words about data loss or corruption.
pub fn mentions_data_loss(text: &str) -> bool {
    words(
        r"(?i)\b(data ?loss|lost (my |our |the |all )?(data|files|volume)|data (is |was )?(gone|lost|missing|corrupt\w*)|corrupt\w*|fsck|structure needs cleaning|deleted (my |our |the )?(data|volume|pv)|missing (data|files))",
        text,
    )
}

/// Words of a feature or enhancement request.
pub fn is_feature_request(text: &str) -> bool {
    words(
        r"(?i)\b(feature request|enhancement|would be (nice|great|good)|it would help|please add|add (support|ability|an? option)|support for|can you add|wish|request(ing)? (a |an )?(new )?feature|feat\b|roadmap)",
        text,
    )
}

fn object_label(f: &Finding) -> String {
    let o = &f.object;
    if o.namespace.is_empty() {
        format!("{} {}", o.kind, o.name)
    } else {
        format!("{} {}/{}", o.kind, o.namespace, o.name)
    }
}

/// Suggest a Sev from the incidents, the findings no incident explains, and the customer's input.
pub fn suggest(findings: &[Finding], incidents: &[Incident], input: &SeverityInput) -> Severity {
    let covered = explained(incidents);
    let relevant: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status != Status::Pass && !covered.contains(&(f.check.clone(), f.object.clone())))
        .collect();
    let description = input.description.as_deref().unwrap_or("");
    let data_loss_words = mentions_data_loss(description);
    let mut reasons = Vec::new();
    let worst = incidents.iter().map(|i| i.sev).chain(relevant.iter().map(|f| f.sev)).min();
    let (suggested, mut driven_by) = match worst {
        Some(level) => {
            let top_incidents: Vec<&Incident> = incidents.iter().filter(|i| i.sev == level).collect();
            let top: Vec<&&Finding> = relevant.iter().filter(|f| f.sev == level).collect();
            for i in top_incidents.iter().take(MAX_REASONS) {
                reasons.push(format!("{} (rule {}): {}", i.id, i.rule, i.title));
            }
            for f in top.iter().take(MAX_REASONS.saturating_sub(top_incidents.len())) {
                reasons.push(format!(
                    "{} on {} (Sev {}, {}): {}",
                    f.check,
                    object_label(f),
                    f.sev,
                    status_word(f.status),
                    f.message
                ));
            }
            let shown =
                top_incidents.len().min(MAX_REASONS) + top.len().min(MAX_REASONS.saturating_sub(top_incidents.len()));
            let total = top_incidents.len() + top.len();
            if total > shown {
                reasons.push(format!("… and {} more at Sev {level}", total - shown));
            }
            if data_loss_words && level > 0 {
                reasons.push(format!(
                    "the description mentions data loss or corruption, but no Sev 0 evidence was found in the cluster; the cluster evidence (Sev {level}) decides — confirm with the customer"
                ));
            } else if data_loss_words {
                reasons.push(
                    "the description mentions data loss or corruption, consistent with the Sev 0 evidence".to_string(),
                );
            }
            (level, "cluster evidence")
        }
        None if data_loss_words => {
            reasons.push(
                "no problem found in the cluster, but the description mentions data loss or corruption: raised for attention; collect node logs and volume state to confirm"
                    .to_string(),
            );
            (1, "description")
        }
        None if !description.is_empty() && is_feature_request(description) => {
            reasons.push("no problem found; the description reads as a feature or enhancement request".to_string());
            (3, "description")
        }
        None => {
            reasons.push("no problem found".to_string());
            (3, "nothing found")
        }
    };
    let level = match input.sev_override {
        Some(o) => {
            let o = o.min(3);
            if o != suggested {
                reasons.push(format!("overridden to Sev {o} by the customer (suggested Sev {suggested})"));
            }
            driven_by = "override";
            o
        }
        None => suggested,
    };
    Severity {
        level,
        suggested,
        r#override: input.sev_override.map(|o| o.min(3)),
        driven_by: driven_by.to_string(),
        reasons,
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Fail => "fail",
        Status::Warn => "warn",
        Status::Pass => "pass",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::ObjectRef;

    fn finding(check: &str, sev: u8, status: Status) -> Finding {
        Finding {
            check: check.into(),
            title: "t".into(),
            engine: "mayastor".into(),
            status,
            sev,
            object: ObjectRef {
                kind: "Pod".into(),
                namespace: "openebs".into(),
                name: format!("{check}-pod"),
                uid: String::new(),
            },
            message: "m".into(),
            evidence: vec![],
            remediation: String::new(),
            docs: String::new(),
            node: None,
            rubric: None,
        }
    }

    #[test]
    fn most_severe_finding_decides_and_is_named() {
        let f = vec![finding("a", 2, Status::Warn), finding("b", 0, Status::Fail), finding("c", 1, Status::Fail)];
        let s = suggest(&f, &[], &SeverityInput::default());
        assert_eq!((s.level, s.suggested, s.driven_by.as_str()), (0, 0, "cluster evidence"));
        assert_eq!(s.reasons.len(), 1);
        assert!(s.reasons[0].starts_with("b on Pod openebs/b-pod"), "{:?}", s.reasons);
    }

    #[test]
    fn incidents_decide_and_are_named_and_explained_findings_are_not_repeated() {
        use crate::diagnose::{FindingRef, Incident, RootCause};
        let f = vec![
            finding("crash", 0, Status::Fail),
            finding("mount", 1, Status::Fail),
            finding("skew", 2, Status::Warn),
        ];
        let inc = Incident {
            id: "inc-1".into(),
            sev: 1,
            rule: "1".into(),
            title: "pool offline".into(),
            root_cause: RootCause { object: f[1].object.clone(), node: None, evidence: vec![] },
            chain: vec![FindingRef::to(&f[0]), FindingRef::to(&f[1])],
            impact: vec![],
            remediation: String::new(),
        };
        let s = suggest(&f, &[inc], &SeverityInput::default());
        assert_eq!((s.level, s.driven_by.as_str()), (1, "cluster evidence"));
        assert_eq!(s.reasons, vec!["inc-1 (rule 1): pool offline".to_string()]);
    }

    #[test]
    fn nothing_found_is_sev3() {
        let s = suggest(&[], &[], &SeverityInput::default());
        assert_eq!((s.level, s.driven_by.as_str()), (3, "nothing found"));
        assert_eq!(s.reasons, vec!["no problem found".to_string()]);
    }

    #[test]
    fn feature_request_words_with_nothing_failing() {
        let input = SeverityInput {
            description: Some("Feature request: support 1GiB hugepages please".into()),
            sev_override: None,
        };
        let s = suggest(&[], &[], &input);
        assert_eq!((s.level, s.driven_by.as_str()), (3, "description"));
    }

    #[test]
    fn data_loss_words_never_beat_evidence_but_are_noted() {
        let input = SeverityInput { description: Some("we lost data, volume is corrupted".into()), sev_override: None };
        let s = suggest(&[finding("x", 2, Status::Fail)], &[], &input);
        assert_eq!((s.level, s.driven_by.as_str()), (2, "cluster evidence"));
        assert!(s.reasons.iter().any(|r| r.contains("no Sev 0 evidence")));
        let s = suggest(&[], &[], &input);
        assert_eq!((s.level, s.driven_by.as_str()), (1, "description"));
    }

    #[test]
    fn override_recorded_beside_suggestion() {
        let input = SeverityInput { description: None, sev_override: Some(0) };
        let s = suggest(&[finding("x", 2, Status::Fail)], &[], &input);
        assert_eq!((s.level, s.suggested, s.r#override, s.driven_by.as_str()), (0, 2, Some(0), "override"));
        assert!(mentions_data_loss("I/O errors: structure needs cleaning"));
        assert!(!mentions_data_loss("pods pending"));
    }
}

//! Consent before anything leaves the machine: show what will be sent and where, and ask y/N on a
//! terminal. `--yes` skips the question; with no terminal and no `--yes` the run is refused (exit 2)
//! rather than sending a customer's diagnostics unasked.

use std::io::{BufRead, IsTerminal, Write};

use super::DeskError;
use super::bundle_info::BundleInfo;
use super::config::DeskConfig;
use super::ticket::SubmissionPlan;

/// The facts shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentSummary {
    pub file: String,
    pub size: u64,
    pub parts: usize,
    pub redaction: String,
    pub sev: u8,
    pub findings: usize,
    pub destination: String,
}

impl ConsentSummary {
    pub fn new(info: &BundleInfo, plan: &SubmissionPlan, config: &DeskConfig) -> ConsentSummary {
        let redaction = match info.manifest.as_ref().and_then(|m| m.redaction.as_ref()) {
            Some(r) if r.enabled == Some(false) => "DISABLED — values were NOT redacted".to_string(),
            Some(r) => format!("enabled, {} value(s) redacted", r.total.unwrap_or(0)),
            None => "unknown (no redaction record in the bundle manifest)".to_string(),
        };
        let destination = match plan.target {
            super::TicketTarget::New => format!("{} (new ticket)", config.base_url),
            super::TicketTarget::Existing(id) => format!("{} (ticket {id}, private comment)", config.base_url),
        };
        ConsentSummary {
            file: info.path.display().to_string(),
            size: info.size,
            parts: plan.parts.len(),
            redaction,
            sev: info.sev(),
            findings: info.problem_findings().len(),
            destination,
        }
    }

    /// The lines shown before the question.
    pub fn render(&self) -> String {
        let parts = if self.parts > 1 { format!(" in {} parts", self.parts) } else { String::new() };
        format!(
            "About to send to the support desk:\n  file:        {}\n  size:        {} bytes{parts}\n  redaction:   {}\n  Sev:         {}\n  findings:    {} problem(s)\n  destination: {}\n",
            self.file, self.size, self.redaction, self.sev, self.findings, self.destination
        )
    }
}

/// Ask for consent; Ok means go ahead.
pub fn ask(summary: &ConsentSummary, yes: bool, out: &mut dyn Write) -> Result<(), DeskError> {
    write!(out, "{}", summary.render())?;
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(DeskError::Consent(
            "refusing to send the bundle without confirmation: no terminal to ask on; review the above and pass --yes"
                .into(),
        ));
    }
    write!(out, "Send it? [y/N] ")?;
    out.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    decide(&answer)
}

/// Only an explicit yes sends.
fn decide(answer: &str) -> Result<(), DeskError> {
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(DeskError::Consent("not sent: you did not confirm".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_sends() {
        assert!(decide("y\n").is_ok());
        assert!(decide(" YES ").is_ok());
        assert!(decide("\n").is_err());
        assert!(decide("no").is_err());
        assert_eq!(decide("").err().map(|e| e.exit_code()), Some(2));
    }

    #[test]
    fn render_mentions_everything() {
        let summary = ConsentSummary {
            file: "/tmp/b.tar.gz".into(),
            size: 1234,
            parts: 3,
            redaction: "enabled, 7 value(s) redacted".into(),
            sev: 1,
            findings: 2,
            destination: "https://acme.zendesk.com (new ticket)".into(),
        };
        let text = summary.render();
        for needle in ["/tmp/b.tar.gz", "1234 bytes in 3 parts", "7 value(s)", "Sev:         1", "2 problem", "acme"] {
            assert!(text.contains(needle), "{needle} missing in {text}");
        }
    }
}

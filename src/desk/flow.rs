//! The submission flow over any [`Desk`]: resume from the state file, upload what is missing,
//! create the ticket (or add the comment) exactly once, record the result, print the links.
//! And the dry run, which prints the same requests without sending any.

use std::io::Write;

use chrono::Utc;

use super::args::TicketTarget;
use super::bundle_info::BundleInfo;
use super::config::DeskConfig;
use super::state::{self, SubmissionState};
use super::ticket::{self, Action, SubmissionPlan};
use super::{CreatedTicket, Desk, DeskError, SubmitOutcome, upload};

/// Env var that stops the run right after the uploads (tests simulate a crash with it).
pub const TEST_ABORT_AFTER_UPLOAD: &str = "MAYADIAG_DESK_TEST_ABORT_AFTER_UPLOAD";

fn outcome<D: Desk>(desk: &D, submission: &SubmissionState, ticket_id: u64, resumed: bool) -> SubmitOutcome {
    SubmitOutcome {
        ticket_id,
        ticket_url: desk.ticket_url(ticket_id),
        attachment_urls: submission.parts.iter().map(|p| p.content_url.clone()).filter(|u| !u.is_empty()).collect(),
        created: submission.created,
        resumed,
    }
}

fn print_outcome(result: &SubmitOutcome, plan: &SubmissionPlan, out: &mut dyn Write) -> Result<(), DeskError> {
    writeln!(out, "Ticket: {}", result.ticket_url)?;
    let count = result.attachment_urls.len();
    for (index, url) in result.attachment_urls.iter().enumerate() {
        if count > 1 {
            writeln!(out, "Bundle part {}/{count}: {url}", index + 1)?;
        } else {
            writeln!(out, "Bundle: {url}")?;
        }
    }
    if plan.parts.len() > 1 {
        writeln!(
            out,
            "Reassemble with: cat {0}.part-* > {0}   (sha256 {1})",
            plan.bundle_file_name, plan.bundle_sha256
        )?;
    }
    Ok(())
}

fn fresh_state(plan: &SubmissionPlan, config: &DeskConfig) -> SubmissionState {
    SubmissionState {
        version: 1,
        bundle_sha256: plan.bundle_sha256.clone(),
        bundle_size: plan.bundle_size,
        desk_url: config.base_url.clone(),
        target: plan.target_label(),
        external_id: ticket::external_id(&plan.bundle_sha256),
        idempotency_key: ticket::idempotency_key(&plan.bundle_sha256, 0),
        ..SubmissionState::default()
    }
}

/// Run the submission against `desk`.
pub async fn run<D: Desk>(
    desk: &mut D,
    info: &BundleInfo,
    plan: &SubmissionPlan,
    config: &DeskConfig,
    out: &mut dyn Write,
) -> Result<SubmitOutcome, DeskError> {
    for warning in &info.warnings {
        eprintln!("warning: {warning}");
    }
    let state_file = state::state_path(&info.path);
    let mut submission = match state::load(&state_file)? {
        Some(loaded) if loaded.matches(&plan.bundle_sha256, &config.base_url, &plan.target_label()) => loaded,
        Some(_) => {
            writeln!(
                out,
                "The state file {} is for another bundle, desk or ticket; starting over.",
                state_file.display()
            )?;
            fresh_state(plan, config)
        }
        None => fresh_state(plan, config),
    };
    let resumed = !submission.parts.is_empty() || submission.request_sent_at.is_some();
    if let (Some(ticket_id), Some(_)) = (submission.ticket_id, submission.completed_at) {
        writeln!(out, "Already sent to {} (recorded in {}).", desk.name(), state_file.display())?;
        let result = outcome(desk, &submission, ticket_id, true);
        print_outcome(&result, plan, out)?;
        return Ok(result);
    }

    match &plan.action {
        Action::Comment { ticket_id, .. } => desk.check_ticket(*ticket_id).await?,
        Action::Create(draft) => {
            // A ticket for this bundle may exist already (an earlier run, or a lost state file).
            if let Some(ticket_id) = desk.find_ticket(&draft.external_id).await? {
                writeln!(out, "A ticket for this bundle exists already.")?;
                submission.ticket_id = Some(ticket_id);
                submission.completed_at = Some(Utc::now());
                state::save(&state_file, &submission)?;
                let result = outcome(desk, &submission, ticket_id, true);
                print_outcome(&result, plan, out)?;
                return Ok(result);
            }
        }
    }

    let sent_before = submission.request_sent_at.is_some();
    let mut uploaded_again = false;
    let ticket_id = loop {
        match deliver(desk, info, plan, &mut submission, &state_file, sent_before, out).await {
            Ok(ticket_id) => break ticket_id,
            Err(error) if error.is_stale_upload() && !uploaded_again => {
                writeln!(out, "The desk no longer accepts the earlier uploads ({error}); uploading again.")?;
                uploaded_again = true;
                submission.parts.clear();
                submission.upload_token = None;
                submission.key_generation += 1;
                state::save(&state_file, &submission)?;
            }
            Err(error) => return Err(error),
        }
    };
    submission.ticket_id = Some(ticket_id);
    submission.completed_at = Some(Utc::now());
    state::save(&state_file, &submission)?;
    let result = outcome(desk, &submission, ticket_id, resumed);
    print_outcome(&result, plan, out)?;
    Ok(result)
}

/// Upload what is missing, then create the ticket or add the comment. Returns the ticket id.
async fn deliver<D: Desk>(
    desk: &mut D,
    info: &BundleInfo,
    plan: &SubmissionPlan,
    submission: &mut SubmissionState,
    state_file: &std::path::Path,
    sent_before: bool,
    out: &mut dyn Write,
) -> Result<u64, DeskError> {
    upload::upload_all(desk, &info.path, &plan.parts, submission, state_file, out).await?;
    if std::env::var(TEST_ABORT_AFTER_UPLOAD).is_ok_and(|v| v == "1") {
        return Err(DeskError::TestAbort);
    }
    let tokens: Vec<String> = submission.upload_token.iter().cloned().collect();

    let ticket_id = match &plan.action {
        Action::Create(draft) => {
            let mut draft = draft.clone();
            draft.idempotency_key = ticket::idempotency_key(&plan.bundle_sha256, submission.key_generation);
            submission.idempotency_key = draft.idempotency_key.clone();
            submission.request_sent_at = Some(Utc::now());
            state::save(state_file, submission)?;
            writeln!(out, "Creating the ticket…")?;
            let created = match desk.create_ticket(&draft, &tokens).await {
                Ok(created) => created,
                Err(error) if error.is_idempotency_conflict() => {
                    // The key was used with other bytes: the ticket was made earlier; find it.
                    match desk.find_ticket(&draft.external_id).await? {
                        Some(id) => CreatedTicket { id, replayed: true },
                        None => return Err(error),
                    }
                }
                Err(other) => return Err(other),
            };
            if created.replayed && sent_before {
                writeln!(out, "The desk had this ticket already (idempotent replay); not creating another.")?;
            } else if created.replayed {
                writeln!(out, "The desk confirmed the ticket on retry (idempotent replay); no duplicate.")?;
            }
            submission.created = !sent_before;
            created.id
        }
        Action::Comment { ticket_id, body } => {
            if sent_before && desk.has_comment(*ticket_id, &plan.marker).await? {
                writeln!(out, "Ticket {ticket_id} already has this bundle's comment.")?;
            } else {
                submission.request_sent_at = Some(Utc::now());
                state::save(state_file, submission)?;
                writeln!(out, "Adding a private comment to ticket {ticket_id}…")?;
                desk.add_comment(*ticket_id, body, &plan.marker, &tokens).await?;
            }
            *ticket_id
        }
    };
    Ok(ticket_id)
}

/// Print what would be sent, send nothing.
pub fn print_dry_run<D: Desk>(
    desk: &D,
    info: &BundleInfo,
    plan: &SubmissionPlan,
    config: &DeskConfig,
    out: &mut dyn Write,
) -> Result<SubmitOutcome, DeskError> {
    write!(out, "{}", super::consent::ConsentSummary::new(info, plan, config).render())?;
    writeln!(out, "\nDry run: nothing is sent. These requests would be made, in order:")?;
    for request in desk.preview(plan) {
        writeln!(out, "\n{} {}", request.method, request.url)?;
        for (name, value) in &request.headers {
            writeln!(out, "  {name}: {value}")?;
        }
        if !request.body.is_empty() {
            writeln!(out, "  {}", request.body)?;
        }
    }
    let ticket_id = match plan.target {
        TicketTarget::New => 0,
        TicketTarget::Existing(id) => id,
    };
    Ok(SubmitOutcome {
        ticket_id,
        ticket_url: if ticket_id == 0 { String::new() } else { desk.ticket_url(ticket_id) },
        attachment_urls: Vec::new(),
        created: false,
        resumed: false,
    })
}

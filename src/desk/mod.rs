//! Support-desk integration: send a diagnostics bundle to the support desk, either as a new ticket
//! or as a private comment on an open ticket, with the bundle attached.
//!
//! The flow lives here ([`submit`]) and is desk-neutral; the desk itself sits behind the small
//! [`Desk`] trait so another backend can be added next to [`zendesk::Zendesk`]. Everything that must
//! survive a crash (upload tokens, ticket id, idempotency key) is kept in a state file beside the
//! bundle ([`state`]), so running the same command again resumes instead of starting over.

pub mod args;
pub mod auth;
pub mod bundle_info;
pub mod config;
pub mod consent;
pub mod flow;
pub mod state;
pub mod ticket;
pub mod transport;
pub mod upload;
pub mod zendesk;

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;

pub use args::{DeskArgs, TicketTarget, parse_ticket_target};
pub use config::{DeskConfig, SensitiveString};

/// What a finished submission produced: where the ticket is and the link(s) to the attached bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitOutcome {
    /// The ticket the bundle went to (0 in a dry run of a new ticket: nothing was created).
    pub ticket_id: u64,
    /// `<desk>/agent/tickets/<id>`.
    pub ticket_url: String,
    /// The attachment `content_url` of every uploaded file (one per part).
    pub attachment_urls: Vec<String>,
    /// True when this run created the ticket (false for an existing ticket or a replay).
    pub created: bool,
    /// True when the run picked up work a previous run had left in the state file.
    pub resumed: bool,
}

/// Everything that can go wrong while sending a bundle. Messages are one line and never contain a
/// secret (secrets only live in [`SensitiveString`]).
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// Missing or invalid desk configuration (URL, auth, config file).
    #[error("desk configuration: {0}")]
    Config(String),
    /// The user did not agree to send, or could not be asked.
    #[error("{0}")]
    Consent(String),
    /// The bundle file does not exist.
    #[error("bundle {}: not found", path.display())]
    BundleNotFound { path: PathBuf },
    /// The bundle could not be read.
    #[error("bundle {}: {message}", path.display())]
    Bundle { path: PathBuf, message: String },
    /// The state file beside the bundle could not be read or written.
    #[error("state file {}: {message}", path.display())]
    State { path: PathBuf, message: String },
    /// The desk answered with an error that retrying cannot fix.
    #[error("{operation}: {explanation}")]
    Api {
        operation: String,
        status: u16,
        /// The machine label of the error (`IdempotentRequestError`, `RecordInvalid`, …), when given.
        error_code: Option<String>,
        /// Fields named in a validation error's `details`.
        fields: Vec<String>,
        explanation: String,
    },
    /// Retries were exhausted (network errors, 429, 5xx).
    #[error("{operation}: gave up after {attempts} attempts; last problem: {last}")]
    GaveUp { operation: String, attempts: u32, last: String },
    /// The desk asked us to wait longer than we are prepared to.
    #[error(
        "{operation}: rate limited; retry after {seconds} s (the bundle stays on disk; run the same command again)"
    )]
    RateLimited { operation: String, seconds: u64 },
    /// The desk's answer could not be understood.
    #[error("{operation}: unexpected response: {message}")]
    Protocol { operation: String, message: String },
    /// Writing progress output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    /// A test hook stopped the run on purpose (MAYADIAG_DESK_TEST_ABORT_AFTER_UPLOAD).
    #[error("aborted after upload (test hook MAYADIAG_DESK_TEST_ABORT_AFTER_UPLOAD)")]
    TestAbort,
}

impl DeskError {
    /// Process exit code: 2 for configuration and consent problems, 1 for runtime failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            DeskError::Config(_) | DeskError::Consent(_) | DeskError::BundleNotFound { .. } => 2,
            _ => 1,
        }
    }

    /// The desk no longer accepts our upload tokens (expired early, or deleted): upload again.
    pub fn is_stale_upload(&self) -> bool {
        match self {
            DeskError::Api { status: 422, fields, .. } => fields.iter().any(|f| f == "uploads"),
            DeskError::Api { status: 404, operation, .. } => operation.starts_with("upload "),
            _ => false,
        }
    }

    /// Same idempotency key, different body: the ticket was made earlier with other bytes.
    pub fn is_idempotency_conflict(&self) -> bool {
        matches!(self, DeskError::Api { status: 400, error_code: Some(code), .. } if code == "IdempotentRequestError")
    }
}

/// One uploaded file as the desk reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedPart {
    /// The upload token (shared by all parts uploaded with it).
    pub token: String,
    /// Attachment id, when the desk gives one.
    pub attachment_id: Option<u64>,
    /// Link to the attached file.
    pub content_url: String,
}

/// Desk-neutral description of a new ticket; the backend renders it into its own request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketDraft {
    pub subject: String,
    /// Plain-text first comment.
    pub body: String,
    /// Sev 0..=3 (0 most severe).
    pub sev: u8,
    pub tags: Vec<String>,
    pub requester: Option<config::Requester>,
    /// Custom field that receives `sev_N`, when the account has one.
    pub sev_field_id: Option<u64>,
    /// Stable per bundle: used to find the ticket again.
    pub external_id: String,
    /// Sent as `Idempotency-Key`, so a retried create never makes a second ticket.
    pub idempotency_key: String,
}

/// A created (or replayed) ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTicket {
    pub id: u64,
    /// True when the desk answered from its idempotency cache (the ticket existed already).
    pub replayed: bool,
}

/// One request as a dry run shows it (Authorization masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPreview {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// JSON body, or a description of the raw bytes of an upload.
    pub body: String,
}

/// A support desk backend. Methods are called in the order of [`submit`]; each does its own
/// retries and returns only errors that retrying cannot fix.
#[allow(async_fn_in_trait)]
pub trait Desk {
    /// Human name for messages ("Zendesk").
    fn name(&self) -> &'static str;
    /// Link to a ticket for people.
    fn ticket_url(&self, ticket_id: u64) -> String;
    /// Check that an existing ticket is there (fail fast before uploading).
    async fn check_ticket(&mut self, ticket_id: u64) -> Result<(), DeskError>;
    /// Upload one file; `token` adds it to an earlier upload.
    async fn upload(&mut self, file_name: &str, bytes: Bytes, token: Option<&str>) -> Result<UploadedPart, DeskError>;
    /// Find a ticket made earlier for the same bundle.
    async fn find_ticket(&mut self, external_id: &str) -> Result<Option<u64>, DeskError>;
    /// Create a ticket carrying the uploads.
    async fn create_ticket(
        &mut self,
        draft: &TicketDraft,
        upload_tokens: &[String],
    ) -> Result<CreatedTicket, DeskError>;
    /// Add a private comment with the uploads to an existing ticket. `marker` is a string in `body`
    /// that identifies this bundle; it is used to avoid adding the comment twice.
    async fn add_comment(
        &mut self,
        ticket_id: u64,
        body: &str,
        marker: &str,
        upload_tokens: &[String],
    ) -> Result<(), DeskError>;
    /// Whether the ticket already has a comment containing `marker`.
    async fn has_comment(&mut self, ticket_id: u64, marker: &str) -> Result<bool, DeskError>;
    /// The requests a dry run would make, in order.
    fn preview(&self, plan: &ticket::SubmissionPlan) -> Vec<RequestPreview>;
}

/// Send `bundle` to the configured desk: a new ticket or a comment on `target`, with consent,
/// resumable state, retries and idempotency. Prints progress, the ticket URL and the attachment
/// links to `out`; warnings (retries, deprecated auth) go to stderr.
pub async fn submit(
    bundle: &Path,
    target: TicketTarget,
    args: &DeskArgs,
    out: &mut dyn Write,
) -> Result<SubmitOutcome, DeskError> {
    let config = DeskConfig::resolve(args, &|name| std::env::var(name).ok(), args.dry_run)?;
    let info = bundle_info::read_bundle(bundle)?;
    let plan = ticket::plan_submission(&info, &target, &config)?;
    if args.dry_run {
        let desk = zendesk::Zendesk::new(&config)?;
        return flow::print_dry_run(&desk, &info, &plan, &config, out);
    }
    consent::ask(&consent::ConsentSummary::new(&info, &plan, &config), args.yes, out)?;
    let mut desk = zendesk::Zendesk::new(&config)?;
    flow::run(&mut desk, &info, &plan, &config, out).await
}

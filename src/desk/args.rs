//! Command-line flags of the support-desk integration, shared by `collect --ticket` and `ticket`
//! (the lead flattens [`DeskArgs`] into both). Secrets have no flag on purpose: argv is visible to
//! every user of the machine, so client secrets and API tokens come only from env or files.

use std::str::FromStr;

/// Where a bundle goes: a new ticket, or a comment on an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketTarget {
    New,
    Existing(u64),
}

impl FromStr for TicketTarget {
    type Err = String;

    /// Accepts `new` (what a bare `--ticket` becomes), a ticket number, `#4711`, or a ticket URL
    /// ending in `/tickets/4711`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("new") {
            return Ok(TicketTarget::New);
        }
        let number = trimmed
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(trimmed)
            .trim_start_matches('#')
            .trim_end_matches(".json");
        match number.parse::<u64>() {
            Ok(0) | Err(_) => {
                Err(format!("{text:?} is not a ticket number (expected e.g. 4711, or no value for a new ticket)"))
            }
            Ok(id) => Ok(TicketTarget::Existing(id)),
        }
    }
}

/// clap value parser for `--ticket [ID]`. Declare the flag as
/// `#[arg(long, num_args = 0..=1, default_missing_value = "new", value_parser = parse_ticket_target)]
/// ticket: Option<TicketTarget>` so that a bare `--ticket` creates a new ticket.
pub fn parse_ticket_target(text: &str) -> Result<TicketTarget, String> {
    text.parse()
}

/// How to authenticate to the desk.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// OAuth client credentials when configured, else the (deprecated) API token.
    Auto,
    /// OAuth client-credentials grant (POST /oauth/tokens), bearer tokens.
    Oauth,
    /// Email + API token basic auth; Zendesk switches API tokens off on 2027-04-30.
    ApiToken,
}

/// Support-desk flags. Secrets: MAYADIAG_DESK_CLIENT_SECRET / MAYADIAG_DESK_API_TOKEN (or their
/// `_FILE` variants) or `client_secret_file:` / `api_token_file:` in the config file.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct DeskArgs {
    /// Support desk URL, e.g. https://acme.zendesk.com
    #[arg(long, env = "MAYADIAG_DESK_URL", value_name = "URL")]
    pub desk_url: Option<String>,

    /// Requester email of a new ticket
    #[arg(long, env = "MAYADIAG_DESK_REQUESTER", value_name = "EMAIL")]
    pub requester: Option<String>,

    /// Requester display name (default: the part of the email before @)
    #[arg(long, env = "MAYADIAG_DESK_REQUESTER_NAME", value_name = "NAME")]
    pub requester_name: Option<String>,

    /// What you see, in your words; goes to the top of the ticket comment
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,

    /// Authentication: OAuth client credentials (primary) or the deprecated API token
    #[arg(long, value_enum, env = "MAYADIAG_DESK_AUTH_MODE", value_name = "MODE")]
    pub auth_mode: Option<AuthMode>,

    /// OAuth client id (the secret comes from MAYADIAG_DESK_CLIENT_SECRET or a file)
    #[arg(long, env = "MAYADIAG_DESK_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// OAuth scopes to request, space separated
    #[arg(long, env = "MAYADIAG_DESK_SCOPE", value_name = "SCOPES")]
    pub oauth_scope: Option<String>,

    /// Agent email for API-token auth (deprecated; the token comes from MAYADIAG_DESK_API_TOKEN)
    #[arg(long, env = "MAYADIAG_DESK_EMAIL", value_name = "EMAIL")]
    pub desk_email: Option<String>,

    /// Largest attachment; bigger bundles are split into numbered parts (e.g. 50MB, 20MiB, 1000000)
    #[arg(long, env = "MAYADIAG_DESK_ATTACHMENT_LIMIT", value_name = "SIZE", value_parser = parse_size)]
    pub attachment_limit: Option<u64>,

    /// Id of a ticket custom field that receives the Sev as `sev_N`
    #[arg(long, env = "MAYADIAG_DESK_SEV_FIELD_ID", value_name = "ID")]
    pub sev_field_id: Option<u64>,

    /// Send without asking for confirmation
    #[arg(long)]
    pub yes: bool,

    /// Print exactly what would be sent, and send nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Config file (default ~/.config/mayadiag/config.yaml)
    #[arg(long, env = "MAYADIAG_CONFIG", value_name = "FILE", hide = true)]
    pub desk_config: Option<std::path::PathBuf>,

    /// Backoff base in milliseconds (tests make it tiny)
    #[arg(long, env = "MAYADIAG_DESK_BACKOFF_BASE_MS", hide = true)]
    pub desk_backoff_base_ms: Option<u64>,

    /// Wait after a 429 without Retry-After, in milliseconds (default 60000)
    #[arg(long, env = "MAYADIAG_DESK_RETRY_AFTER_DEFAULT_MS", hide = true)]
    pub desk_retry_after_default_ms: Option<u64>,

    /// Attempts per request, the first included (default 5)
    #[arg(long, env = "MAYADIAG_DESK_MAX_ATTEMPTS", hide = true)]
    pub desk_max_attempts: Option<u32>,
}

pub use crate::units::parse_size;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_targets() {
        assert_eq!(parse_ticket_target("new"), Ok(TicketTarget::New));
        assert_eq!(parse_ticket_target(""), Ok(TicketTarget::New));
        assert_eq!(parse_ticket_target("4711"), Ok(TicketTarget::Existing(4711)));
        assert_eq!(parse_ticket_target("#4711"), Ok(TicketTarget::Existing(4711)));
        assert_eq!(
            parse_ticket_target("https://acme.zendesk.com/agent/tickets/4711"),
            Ok(TicketTarget::Existing(4711))
        );
        assert!(parse_ticket_target("0").is_err());
        assert!(parse_ticket_target("abc").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("50MB"), Ok(50_000_000));
        assert_eq!(parse_size("20MiB"), Ok(20 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("1.5k"), Ok(1500));
        assert!(parse_size("0").is_err());
        assert!(parse_size("ten").is_err());
    }

    #[test]
    fn bare_ticket_flag_means_new() {
        use clap::Parser;
        #[derive(Parser, Debug)]
        struct Cli {
            #[arg(long, num_args = 0..=1, default_missing_value = "new", value_parser = parse_ticket_target)]
            ticket: Option<TicketTarget>,
            #[command(flatten)]
            desk: DeskArgs,
        }
        let bare = Cli::try_parse_from(["x", "--ticket", "--yes"]).map(|c| c.ticket);
        assert_eq!(bare.ok(), Some(Some(TicketTarget::New)));
        let with_id = Cli::try_parse_from(["x", "--ticket", "4711"]).map(|c| c.ticket);
        assert_eq!(with_id.ok(), Some(Some(TicketTarget::Existing(4711))));
    }
}

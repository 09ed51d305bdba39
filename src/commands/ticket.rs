//! `mayadiag ticket`, and sending a bundle to the desk (also `collect --ticket`).

use std::path::Path;

use crate::desk::config::DeskConfig;
use crate::exit;
use crate::failure::Failure;

/// `mayadiag ticket --bundle B [--ticket ID]`: send a bundle collected earlier.
pub async fn run(args: crate::cli::TicketArgs) -> Result<i32, Failure> {
    let target = match args.ticket {
        Some(id) => crate::desk::args::TicketTarget::Existing(id),
        None => crate::desk::args::TicketTarget::New,
    };
    send_ticket(&args.bundle, target, &args.desk).await
}

/// Send a bundle to the desk and print the ticket URL and the bundle link(s).
pub async fn send_ticket(
    bundle: &Path,
    target: crate::desk::args::TicketTarget,
    desk: &crate::desk::args::DeskArgs,
) -> Result<i32, Failure> {
    let mut out = std::io::stdout();
    let mut desk = desk.clone();
    // A dry run only prints, so it needs no desk; requests are shown against a placeholder.
    if desk.dry_run && desk_url_missing(&desk) {
        eprintln!("mayadiag: no desk URL configured; the dry run shows the requests against {DRY_RUN_DESK_URL}");
        desk.desk_url = Some(DRY_RUN_DESK_URL.to_string());
    }
    let failure = |e: crate::desk::DeskError| Failure { code: e.exit_code(), message: e.to_string() };
    crate::desk::submit(bundle, target, &desk, &mut out).await.map_err(failure)?;
    if desk.dry_run {
        // The request previews show the body JSON-escaped; this is what the ticket will read.
        let config = DeskConfig::resolve(&desk, &|name| std::env::var(name).ok(), true).map_err(failure)?;
        let info = crate::desk::bundle_info::read_bundle(bundle).map_err(failure)?;
        let plan = crate::desk::ticket::plan_submission(&info, &target, &config).map_err(failure)?;
        let body = match plan.action {
            crate::desk::ticket::Action::Create(draft) => draft.body,
            crate::desk::ticket::Action::Comment { body, .. } => body,
        };
        println!("\nThe comment, as the ticket will show it:\n\n{body}");
    }
    Ok(exit::OK)
}

/// Where a dry run without a configured desk pretends to send (the `.invalid` TLD never resolves).
const DRY_RUN_DESK_URL: &str = "https://support-desk.invalid";

/// True when neither --desk-url, MAYADIAG_DESK_URL nor the config file names a desk.
fn desk_url_missing(desk: &crate::desk::args::DeskArgs) -> bool {
    matches!(
        DeskConfig::resolve(desk, &|name| std::env::var(name).ok(), true),
        Err(crate::desk::DeskError::Config(message)) if message.starts_with("no desk URL")
    )
}

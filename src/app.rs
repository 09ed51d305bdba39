//! Runs one parsed command and turns every outcome into an exit code and one clear line on
//! stderr. `main.rs` only parses arguments and calls [`run`].

use crate::cli::{Cli, Command};
pub use crate::failure::Failure;

/// Run a command; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    // serve and agent run until told to stop and handle their own signals; every other command
    // is ended by Ctrl-C/SIGTERM at once, its partial files removed (`crate::interrupt`).
    if !matches!(cli.command, Command::Serve(_) | Command::Agent(_)) {
        crate::interrupt::watch();
    }
    let result = match cli.command {
        Command::Serve(args) => crate::commands::serve::run(args).await,
        Command::Collect(args) => crate::commands::collect::run(args).await,
        Command::Check(args) => crate::commands::check::run(args).await,
        Command::Analyze(args) => crate::commands::analyze::run(args).await,
        Command::Ticket(args) => crate::commands::ticket::run(args).await,
        Command::Agent(args) => crate::commands::agent::run(args).await,
        Command::Redact(args) => crate::commands::redact::run(args).await,
        Command::Checks(crate::cli::ChecksCommand::List(args)) => crate::commands::checks::list(args),
        Command::Checks(crate::cli::ChecksCommand::Lint(args)) => crate::commands::checks::lint(args),
        Command::Completions(args) => crate::commands::completions::completions(args),
        Command::Man(args) => crate::commands::completions::man(args),
        Command::Report(args) => crate::commands::report::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("mayadiag: error: {}", f.message);
            f.code
        }
    }
}

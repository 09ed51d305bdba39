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
        Command::Serve(args) => crate::serve::command::run(args).await,
        Command::Collect(args) => crate::collect::command::run(args).await,
        Command::Check(args) => crate::commands::check(args).await,
        Command::Analyze(args) => crate::commands::analyze_bundle(args).await,
        Command::Ticket(args) => crate::commands::ticket(args).await,
        Command::Agent(args) => {
            crate::agent::run(&args).await.map_err(|e| Failure { code: e.exit_code(), message: e.to_string() })
        }
        Command::Redact(args) => crate::commands::redact(args).await,
        Command::Checks(crate::cli::ChecksCommand::List(args)) => crate::commands::checks_list(args),
        Command::Checks(crate::cli::ChecksCommand::Lint(args)) => crate::commands::checks_lint(args),
        Command::Completions(args) => {
            crate::introspect::completions(args.shell, &mut std::io::stdout().lock());
            Ok(crate::exit::OK)
        }
        Command::Man(args) => crate::commands::man(args),
        Command::Report(args) => crate::html::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("mayadiag: error: {}", f.message);
            f.code
        }
    }
}

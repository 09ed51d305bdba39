//! `mayadiag agent`: node pre-flight probes; the agent's errors carry their own exit codes.

use crate::agent::args::AgentArgs;
use crate::failure::Failure;

/// Run `mayadiag agent`.
pub async fn run(args: AgentArgs) -> Result<i32, Failure> {
    crate::agent::run(&args).await.map_err(|e| Failure { code: e.exit_code(), message: e.to_string() })
}

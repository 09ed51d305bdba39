//! Named exit codes (docs/json-contract.md): scripts and CI pipelines rely on them.

/// Success, nothing failing.
pub const OK: i32 = 0;
/// A runtime error (cluster unreachable, bundle unreadable, desk outage, …).
pub const RUNTIME: i32 = 1;
/// Bad usage or bad configuration (flags, check files, redaction rules, desk config).
pub const USAGE: i32 = 2;
/// A check failed.
pub const CHECK_FAILED: i32 = 3;
/// Only warnings.
pub const WARNINGS: i32 = 4;
/// Interrupted by Ctrl-C (128 + SIGINT), after removing any partial bundle.
pub const INTERRUPTED: i32 = 130;

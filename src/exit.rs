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
/// Verdict unknown: the core inputs (pods, PVs/PVCs, the engines' custom resources) could not be
/// read, so "no problem found" would be a guess (see `crate::coverage`).
pub const UNKNOWN: i32 = 5;
/// Interrupted by Ctrl-C (128 + SIGINT), after removing any partial file.
pub const INTERRUPTED: i32 = 130;
/// Terminated by SIGTERM (128 + SIGTERM), after removing any partial file.
pub const TERMINATED: i32 = 143;

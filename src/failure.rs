//! The error every command returns: one line for stderr and the exit code. It sits at the bottom
//! of the crate so every layer (commands, serve, html, collect) can use it without importing
//! upward.

use crate::exit;

/// A command's failure: the message (one line, naming the thing and the fix) and its exit code.
#[derive(Debug)]
pub struct Failure {
    /// Exit code (see [`crate::exit`]).
    pub code: i32,
    /// What went wrong and what to do.
    pub message: String,
}

impl Failure {
    /// A runtime failure (exit 1).
    pub fn runtime(message: impl std::fmt::Display) -> Failure {
        Failure { code: exit::RUNTIME, message: message.to_string() }
    }

    /// A usage or configuration failure (exit 2).
    pub fn usage(message: impl std::fmt::Display) -> Failure {
        Failure { code: exit::USAGE, message: message.to_string() }
    }
}

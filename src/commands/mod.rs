//! The command layer: one file per subcommand over [`shared`] (connect, redactor from flags,
//! check-engine glue, output formats, exit mapping). Library modules (collect, serve, html, desk,
//! bundle) never import from here; `app::run` dispatches into it.

pub mod agent;
pub mod analyze;
pub mod check;
pub mod checks;
pub mod collect;
pub mod completions;
pub mod redact;
pub mod report;
pub mod serve;
pub mod shared;
pub mod ticket;

//! mayadiag: diagnostics for OpenEBS and Litmus. See README.md and docs/ (severity rubric, JSON contract, bundle layout).
//!
//! One pipeline: collectors (live cluster, bounded and concurrent) or a bundle reader feed a
//! [`snapshot::Snapshot`]; the check engine turns it into findings and a suggested Sev; the bundle
//! writer streams the same redacted data into an atomic tar.gz; `serve` answers kubectl from a
//! bundle; `desk` opens a ticket with it; `agent` runs node pre-flight probes.

pub mod agent;
pub mod app;
pub mod bundle;
pub mod checks;
pub mod cli;
pub mod cluster;
pub mod collect;
pub mod commands;
pub mod coverage;
pub mod demo;
pub mod desk;
pub mod diagnose;
pub mod exit;
pub mod failure;
pub mod frozen;
pub mod html;
pub mod interrupt;
pub mod introspect;
pub mod inventory;
pub mod mayastor_rest;
pub mod redact;
pub mod report;
pub mod resources;
pub mod retry;
pub mod serve;
pub mod severity;
pub mod snapshot;
pub mod term;
pub mod units;

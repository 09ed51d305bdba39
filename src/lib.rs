//! mayadiag: diagnostics for OpenEBS and Litmus. See DESIGN.md in the shared folder.
pub mod resources;
pub mod retry;
pub mod snapshot;
pub mod bundle;
pub mod inventory;

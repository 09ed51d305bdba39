//! Bundles: the tar.gz (or directory) `collect` writes and `analyze`/`serve`/`redact` read.
//!
//! The layout follows Replicated troubleshoot.sh support bundles wherever they already cover a
//! thing (docs/bundle-layout.md), so existing tools open our bundles and we open theirs.

pub mod layout;
pub mod reader;
pub mod writer;

use std::path::PathBuf;

pub use layout::{Entry, classify};
pub use reader::{OpenBundle, ReadLimits, read_bundle, read_bundle_with, visit_bundle};
pub use writer::{BundleWriter, Destination, FileEntry, OutputError, PartialFile};

/// Errors reading or writing a bundle. Each names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The output directory is missing.
    #[error("cannot write the bundle: directory {} does not exist (create it or pick another --output)", path.display())]
    OutputDir {
        /// The directory.
        path: PathBuf,
    },
    /// The output file could not be created.
    #[error("cannot create {}: {source} (check permissions and free space, or pick another --output)", path.display())]
    Create {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Writing failed (disk full, I/O error).
    #[error("cannot write {}: {source} (check free space; the partial file was removed)", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The final rename failed.
    #[error("cannot move {} to {}: {source}", from.display(), to.display())]
    Rename {
        /// The partial file.
        from: PathBuf,
        /// The final name.
        to: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Written to after finishing (a bug, reported rather than panicking).
    #[error("internal error: bundle already finished")]
    Finished,
    /// The bundle could not be opened.
    #[error("cannot open bundle {}: {source}", path.display())]
    Open {
        /// The bundle.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The bundle is not a tar.gz or a directory in bundle layout, or is truncated.
    #[error("{} is not a readable bundle: {reason} (expected a .tar.gz or a directory written by mayadiag or troubleshoot.sh)", path.display())]
    Corrupt {
        /// The bundle.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// No bundle root anywhere in the input: not a support bundle.
    #[error("{} is not a support bundle: no version.yaml or cluster-resources/ in it (give the .tar.gz or directory written by mayadiag collect or troubleshoot.sh)", path.display())]
    NotABundle {
        /// The input.
        path: PathBuf,
    },
    /// One file inside the bundle is not valid JSON/YAML.
    #[error("{} in bundle {}: {reason}", member, path.display())]
    Member {
        /// The bundle.
        path: PathBuf,
        /// The file inside it.
        member: String,
        /// What was wrong.
        reason: String,
    },
}

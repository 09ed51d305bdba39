//! The embedded demo cluster: an OpenEBS 4.x cluster with a real Mayastor problem, kept in bundle
//! layout and served in-process through the `serve` code, so `collect --demo` shows the whole
//! pipeline on a machine with no cluster.

use std::path::Path;
use std::time::Duration;

use crate::serve::{ServeError, ServeOptions, ServerHandle, start};

include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

/// Write the demo cluster's files under `dir`.
pub fn materialize(dir: &Path) -> std::io::Result<()> {
    for (rel, data) in DEMO_FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, data)?;
    }
    Ok(())
}

/// A served demo cluster; the directory lives as long as this value.
pub struct Demo {
    /// The server.
    pub server: ServerHandle,
    _dir: tempfile::TempDir,
}

/// Materialize and serve the demo cluster on an ephemeral port (HTTPS with a token, like a real
/// cluster).
pub async fn serve_demo() -> Result<Demo, ServeError> {
    let dir = tempfile::tempdir().map_err(|e| ServeError::Tls(format!("cannot create a temporary directory: {e}")))?;
    materialize(dir.path()).map_err(|e| ServeError::Tls(format!("cannot unpack the demo cluster: {e}")))?;
    let opts = ServeOptions {
        bundle: dir.path().to_path_buf(),
        port: 0,
        tls: true,
        latency: Duration::ZERO,
        faults: None,
        accept_writes: false,
    };
    let server = start(&opts).await?;
    Ok(Demo { server, _dir: dir })
}

//! Ctrl-C and SIGTERM for the commands that write files or talk to a cluster.
//!
//! A watcher on its own OS thread (so a busy async runtime or a blocking phase cannot delay it)
//! waits for SIGINT or SIGTERM, removes every partial file still registered, says what it did on
//! stderr and ends the process at once with 130 or 143. Every phase (connecting, the reachability
//! probe, collecting, compressing, redacting, uploading) is covered the same way, within
//! milliseconds, and no phase has to poll for cancellation.
//!
//! Partial files register themselves while they exist (see `bundle::writer::PartialFile`);
//! renaming one into place happens under the same lock, so the watcher either removes the
//! partial file or finds the finished one, never half of each.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::exit;

/// Partial files to remove when a signal ends the process.
fn partials() -> MutexGuard<'static, Vec<PathBuf>> {
    static PARTIALS: OnceLock<Mutex<Vec<PathBuf>>> = OnceLock::new();
    // A panic while holding the lock leaves the list itself intact: keep using it.
    PARTIALS.get_or_init(|| Mutex::new(Vec::new())).lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Remember a partial file for removal on a signal.
pub fn register(path: &Path) {
    partials().push(path.to_path_buf());
}

/// Forget a partial file (it was removed or renamed into place).
pub fn unregister(path: &Path) {
    partials().retain(|p| p != path);
}

/// Run `f` (the final rename of a partial file) while no signal can remove partial files, then
/// forget `path`.
pub fn settle<T>(path: &Path, f: impl FnOnce() -> T) -> T {
    let mut list = partials();
    let out = f();
    list.retain(|p| p != path);
    out
}

/// Start the watcher. Call once, before the first slow step of a command.
pub fn watch() {
    let started = std::thread::Builder::new().name("mayadiag-signals".into()).spawn(|| {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(_) => return,
        };
        let code = runtime.block_on(wait_for_signal());
        if let Some(code) = code {
            stop(code);
        }
    });
    if let Err(e) = started {
        eprintln!("mayadiag: warning: cannot watch for Ctrl-C ({e}); an interrupt may leave a partial file");
    }
}

/// The exit code of the first SIGINT (130) or SIGTERM (143); `None` when signals cannot be caught.
async fn wait_for_signal() -> Option<i32> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).ok()?;
        let mut term = signal(SignalKind::terminate()).ok()?;
        tokio::select! {
            _ = int.recv() => Some(exit::INTERRUPTED),
            _ = term.recv() => Some(exit::TERMINATED),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok().map(|_| exit::INTERRUPTED)
    }
}

/// Remove the partial files, report, and end the process with `code`.
fn stop(code: i32) -> ! {
    let list = partials();
    let mut stderr = std::io::stderr().lock();
    if stderr.is_terminal() {
        // Leave a progress bar's line, if one is drawn.
        let _ = write!(stderr, "\r\x1b[2K");
    }
    let what = if code == exit::TERMINATED { "terminated" } else { "interrupted" };
    let _ = writeln!(stderr, "mayadiag: {what}{}", removal_report(&list));
    let _ = stderr.flush();
    // _exit: no destructor or atexit handler may block on a lock another thread holds (the
    // bundle writer may be inside a write to stdout); the partial files are handled above.
    // SAFETY: _exit only ends the process.
    unsafe { libc::_exit(code) }
}

/// Remove each file and say truthfully what happened to it.
fn removal_report(list: &[PathBuf]) -> String {
    let mut parts = Vec::new();
    for path in list {
        match std::fs::remove_file(path) {
            Ok(()) => parts.push(format!("removed the partial file {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => parts.push(format!("could not remove the partial file {}: {e}", path.display())),
        }
    }
    if parts.is_empty() { String::new() } else { format!("; {}", parts.join("; ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_report_is_true() {
        let dir = tempfile::tempdir().unwrap();
        let present = dir.path().join("a.partial");
        std::fs::write(&present, b"x").unwrap();
        let gone = dir.path().join("b.partial");
        let report = removal_report(&[present.clone(), gone]);
        assert!(!present.exists());
        assert_eq!(report, format!("; removed the partial file {}", present.display()));
    }

    #[test]
    fn settle_unregisters() {
        let p = PathBuf::from("/nonexistent/settle-test.partial");
        register(&p);
        assert!(partials().contains(&p));
        assert_eq!(settle(&p, || 7), 7);
        assert!(!partials().contains(&p));
    }
}

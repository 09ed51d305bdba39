//! The bundle writer on its own thread: compression never blocks the async collectors, and the
//! channel between them is bounded, so memory stays bounded when the disk is slow.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use crate::bundle::{BundleError, BundleWriter, Destination, FileEntry, OutputError};

enum Msg {
    Add(String, Vec<u8>),
    Barrier(oneshot::Sender<Vec<FileEntry>>),
    Finish(oneshot::Sender<Result<(u64, Vec<FileEntry>), BundleError>>),
}

/// A handle to the writer thread.
pub struct BundleSink {
    tx: Option<mpsc::Sender<Msg>>,
    thread: Option<tokio::task::JoinHandle<Result<(), BundleError>>>,
    written: Arc<AtomicU64>,
}

impl BundleSink {
    /// Create the partial file (or take stdout) and start the writer thread.
    pub fn create(
        output: &Destination,
        force: bool,
        top: &str,
        mtime: u64,
        level: u32,
    ) -> Result<BundleSink, OutputError> {
        let mut writer = BundleWriter::create(output, force, top, mtime, level)?;
        let (tx, mut rx) = mpsc::channel::<Msg>(8);
        let written = Arc::new(AtomicU64::new(0));
        let counter = written.clone();
        let thread = tokio::task::spawn_blocking(move || {
            while let Some(msg) = rx.blocking_recv() {
                match msg {
                    Msg::Add(rel, data) => {
                        writer.add(&rel, &data)?;
                        counter.store(writer.uncompressed_bytes(), Ordering::Relaxed);
                    }
                    Msg::Barrier(reply) => {
                        let _ = reply.send(writer.files().to_vec());
                    }
                    Msg::Finish(reply) => {
                        let files = writer.files().to_vec();
                        let result = writer.finish().map(|size| (size, files));
                        let _ = reply.send(result);
                        return Ok(());
                    }
                }
            }
            // The sender went away without finishing (error or Ctrl-C): dropping the writer
            // removes the partial file.
            Ok(())
        });
        Ok(BundleSink { tx: Some(tx), thread: Some(thread), written })
    }

    /// Queue one file.
    pub async fn add(&self, rel: impl Into<String>, data: Vec<u8>) -> Result<(), BundleError> {
        match &self.tx {
            Some(tx) if tx.send(Msg::Add(rel.into(), data)).await.is_ok() => Ok(()),
            _ => Err(BundleError::Finished),
        }
    }

    /// Wait until everything queued is written; returns the files written so far.
    pub async fn files(&self) -> Result<Vec<FileEntry>, BundleError> {
        let (reply, answer) = oneshot::channel();
        match &self.tx {
            Some(tx) if tx.send(Msg::Barrier(reply)).await.is_ok() => answer.await.map_err(|_| BundleError::Finished),
            _ => Err(BundleError::Finished),
        }
    }

    /// Uncompressed bytes written so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Finish the archive: returns its size and the list of files written.
    pub async fn finish(mut self) -> Result<(u64, Vec<FileEntry>), BundleError> {
        let (reply, answer) = oneshot::channel();
        let sent = match &self.tx {
            Some(tx) => tx.send(Msg::Finish(reply)).await.is_ok(),
            None => false,
        };
        self.tx = None;
        let thread_result = match self.thread.take() {
            Some(t) => t.await.unwrap_or(Err(BundleError::Finished)),
            None => Err(BundleError::Finished),
        };
        thread_result?;
        if !sent {
            return Err(BundleError::Finished);
        }
        answer.await.unwrap_or(Err(BundleError::Finished))
    }

    /// Stop without finishing: the partial file is removed. Waits for the writer thread.
    pub async fn abort(mut self) -> Option<BundleError> {
        self.tx = None;
        match self.thread.take() {
            Some(t) => t.await.ok().and_then(Result::err),
            None => None,
        }
    }

    /// The writer's own error, if it stopped early (e.g. disk full).
    pub async fn take_error(&mut self) -> Option<BundleError> {
        self.tx = None;
        match self.thread.take() {
            Some(t) => t.await.ok().and_then(Result::err),
            None => None,
        }
    }
}

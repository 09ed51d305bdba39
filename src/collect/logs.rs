//! Container logs: streamed, redacted line by line as they arrive, and cut to the newest
//! `--max-log-bytes` (at a line boundary) in a bounded buffer. A stream that breaks keeps what
//! arrived and is recorded.

use std::sync::Arc;

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::cluster::{ApiError, Kube, urlencode};
use crate::redact::{RedactionReport, Redactor};
use crate::snapshot::LogKey;

/// One log to fetch.
#[derive(Debug, Clone)]
pub struct LogJob {
    /// Which log.
    pub key: LogKey,
    /// `sinceSeconds`.
    pub since_seconds: u64,
    /// Keep at most this many (newest) bytes.
    pub max_bytes: u64,
    /// Only the last N lines (used by `check`, which reads tails of unhealthy pods only).
    pub tail_lines: Option<u64>,
}

/// A fetched (and redacted) log.
#[derive(Debug)]
pub struct FetchedLog {
    /// Which log.
    pub key: LogKey,
    /// The kept, redacted bytes.
    pub data: Vec<u8>,
    /// Bytes received (after redaction) before the cut.
    pub received: u64,
    /// The stream broke or stalled after `data` (the kept part is still good).
    pub broken: Option<String>,
    /// Redaction counts for this log.
    pub report: RedactionReport,
    /// Redaction failed: the log must not be written (fail closed).
    pub redaction_failed: Option<String>,
}

/// A log that could not be fetched at all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogFailure {
    /// Bundle path of the log.
    pub log: String,
    /// Why.
    pub reason: String,
}

/// Cut `data` to its last `max` bytes, starting after a newline so no line is half kept.
pub fn keep_newest(data: &mut Vec<u8>, max: usize) {
    if data.len() <= max {
        return;
    }
    let cut = data.len() - max;
    let start = data[cut..].iter().position(|&b| b == b'\n').map_or(cut, |i| cut + i + 1);
    data.drain(..start);
}

/// Fetch one log.
pub async fn fetch(kube: &Kube, redactor: &Arc<Redactor>, job: LogJob) -> Result<FetchedLog, ApiError> {
    let k = &job.key;
    let mut path = format!(
        "/api/v1/namespaces/{}/pods/{}/log?container={}&sinceSeconds={}",
        k.namespace,
        k.pod,
        urlencode(&k.container),
        job.since_seconds.max(1)
    );
    if k.previous {
        path.push_str("&previous=true");
    }
    if let Some(n) = job.tail_lines {
        path.push_str(&format!("&tailLines={n}"));
    }
    let mut stream = Box::pin(kube.stream(&path).await?);
    let file = format!("cluster-resources/{}", k.bundle_path());
    let mut redacting = redactor.stream(&file);
    let max = job.max_bytes as usize;
    let mut data: Vec<u8> = Vec::new();
    let mut received = 0u64;
    let mut broken = None;
    let mut redaction_failed = None;
    let mut report = RedactionReport::default();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                let before = data.len();
                if let Err(e) = redacting.push(&bytes, &mut data) {
                    redaction_failed = Some(e.to_string());
                    break;
                }
                received += (data.len() - before) as u64;
                // Keep the buffer bounded: trim once it holds twice the limit.
                if data.len() > max.saturating_mul(2).max(1 << 16) {
                    keep_newest(&mut data, max);
                }
            }
            Err(e) => {
                broken = Some(e.to_string());
                break;
            }
        }
    }
    if redaction_failed.is_none() {
        let before = data.len();
        if let Err(e) = redacting.finish(&mut data, &mut report) {
            redaction_failed = Some(e.to_string());
        }
        received += (data.len() - before) as u64;
    }
    keep_newest(&mut data, max);
    Ok(FetchedLog { key: job.key, data, received, broken, report, redaction_failed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_newest_whole_lines() {
        let mut d = b"line1\nline2\nline3\n".to_vec();
        keep_newest(&mut d, 8);
        assert_eq!(d, b"line3\n");
        let mut d = b"abc\n".to_vec();
        keep_newest(&mut d, 100);
        assert_eq!(d, b"abc\n");
    }
}

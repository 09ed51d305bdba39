//! Retries, kept apart from backoff (as Vector does): a caller classifies each outcome into a
//! [`RetryAction`], and a [`Backoff`] says how long to wait before the next attempt. Both the
//! Kubernetes collector and the support-desk client use this module.

use std::time::Duration;

use rand::RngExt;

/// What to do after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryAction {
    /// Done (success, or a failure that retrying cannot fix).
    Stop,
    /// Try again; `not_before` is the server's `Retry-After`, when it gave one.
    Retry {
        /// Why (for logs and error messages).
        reason: String,
        /// The earliest the next attempt may start.
        not_before: Option<Duration>,
    },
}

/// Exponential backoff with full jitter: attempt `n` waits a uniform random time in
/// `[0, min(cap, base * 2^n)]`, and never less than a server's `Retry-After`.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// First ceiling.
    pub base: Duration,
    /// Largest ceiling.
    pub cap: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
}

impl Backoff {
    /// The policy for Kubernetes API calls: quick, since a collection has thousands of them.
    pub fn kube() -> Backoff {
        Backoff { base: Duration::from_millis(200), cap: Duration::from_secs(5), max_attempts: 5 }
    }

    /// The delay before attempt `attempt + 1` (so `attempt` starts at 0 for the first retry).
    pub fn delay(&self, attempt: u32, not_before: Option<Duration>) -> Duration {
        let ceiling = self.base.saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX)).min(self.cap);
        let jittered = if ceiling.is_zero() {
            Duration::ZERO
        } else {
            let nanos = rand::rng().random_range(0..=ceiling.as_nanos().min(u64::MAX as u128) as u64);
            Duration::from_nanos(nanos)
        };
        match not_before {
            Some(floor) => jittered.max(floor),
            None => jittered,
        }
    }
}

/// Parse a `Retry-After` header value given in seconds. HTTP dates are rare from these APIs and
/// are treated as absent, so the caller's default applies.
pub fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value.and_then(|v| v.trim().parse::<f64>().ok()).filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

/// Whether an HTTP status is worth retrying (rate limits and transient server errors).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_respects_cap_and_floor() {
        let b = Backoff { base: Duration::from_millis(100), cap: Duration::from_millis(400), max_attempts: 5 };
        for attempt in 0..10 {
            assert!(b.delay(attempt, None) <= Duration::from_millis(400));
        }
        assert!(b.delay(0, Some(Duration::from_secs(2))) >= Duration::from_secs(2));
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after(Some("3")), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(Some(" 0.5 ")), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(parse_retry_after(None), None);
        assert_eq!(parse_retry_after(Some("-1")), None);
    }

    #[test]
    fn retryable_statuses() {
        assert!(is_retryable_status(429));
        assert!(is_retryable_status(503));
        assert!(!is_retryable_status(404));
        assert!(!is_retryable_status(403));
    }
}

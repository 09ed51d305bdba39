//! HTTP plumbing shared by the desk backends: one attempt of a request classified into a [`Step`],
//! the retry budget ([`Attempts`], full-jitter backoff from `crate::retry`, never sooner than
//! `Retry-After`), and error bodies turned into one-line explanations (JSON first, raw text second).

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::DeskError;
use super::config::RetryTuning;
use crate::retry::{is_retryable_status, parse_retry_after};

/// A request, rebuilt for every attempt (the body is cheap to clone).
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<Bytes>,
    pub timeout: Duration,
}

/// A successful (2xx) or unauthorized (401) answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What one attempt came to.
#[derive(Debug)]
pub enum Step {
    Done(Reply),
    /// 401: the caller may re-mint an OAuth token once.
    Unauthorized(DeskError),
    /// Worth another attempt. `maybe_applied` is true when the server may have acted on the
    /// request although we saw no answer (so non-idempotent requests must verify first).
    Retry {
        reason: String,
        not_before: Option<Duration>,
        maybe_applied: bool,
    },
    Fail(DeskError),
}

/// The HTTP client with its timeouts.
#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::Client,
    tuning: RetryTuning,
}

impl Transport {
    pub fn new(tuning: RetryTuning) -> Result<Transport, DeskError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("mayadiag/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| DeskError::Config(format!("HTTP client: {error}")))?;
        Ok(Transport { client, tuning })
    }

    pub fn tuning(&self) -> &RetryTuning {
        &self.tuning
    }

    /// Send once and classify the outcome.
    pub async fn execute(&self, operation: &str, request: &PreparedRequest) -> Step {
        let mut builder = self.client.request(request.method.clone(), &request.url).timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(error) => return network_step(&error),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) => return network_step(&error),
        };
        if (200..300).contains(&status) {
            return Step::Done(Reply { status, headers, body });
        }
        let retry_after = parse_retry_after(headers.get("retry-after").and_then(|v| v.to_str().ok()));
        if status == 401 {
            return Step::Unauthorized(api_error(operation, status, &body));
        }
        if is_retryable_status(status) {
            let not_before = match status {
                429 => Some(retry_after.unwrap_or(self.tuning.retry_after_default)),
                _ => retry_after,
            };
            let explanation = api_error(operation, status, &body).to_string();
            return Step::Retry {
                reason: explanation,
                not_before,
                // 429 and 503 mean "not now"; a 500/502/504 may come after the work was done.
                maybe_applied: !matches!(status, 429 | 503),
            };
        }
        Step::Fail(api_error(operation, status, &body))
    }
}

fn network_step(error: &reqwest::Error) -> Step {
    // A failed connect never reached the server; anything later may have.
    let maybe_applied = !error.is_connect();
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "connection failed"
    };
    // reqwest's Display includes the URL (no secrets in our URLs) but not headers.
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    Step::Retry { reason: format!("{kind} ({detail})"), not_before: None, maybe_applied }
}

/// The retry budget of one logical operation.
#[derive(Debug)]
pub struct Attempts {
    operation: String,
    tuning: RetryTuning,
    made: u32,
}

impl Attempts {
    pub fn new(operation: &str, tuning: &RetryTuning) -> Attempts {
        Attempts { operation: operation.to_string(), tuning: tuning.clone(), made: 1 }
    }

    /// Wait before the next attempt, or give up when the budget is spent.
    pub async fn wait(&mut self, reason: &str, not_before: Option<Duration>) -> Result<(), DeskError> {
        if self.made >= self.tuning.backoff.max_attempts {
            return Err(DeskError::GaveUp {
                operation: self.operation.clone(),
                attempts: self.made,
                last: reason.to_string(),
            });
        }
        if let Some(floor) = not_before
            && floor > self.tuning.retry_after_max
        {
            return Err(DeskError::RateLimited { operation: self.operation.clone(), seconds: floor.as_secs() });
        }
        let delay = self.tuning.backoff.delay(self.made - 1, not_before);
        eprintln!(
            "warning: {}: {reason}; retrying in {:.1} s (attempt {} of {})",
            self.operation,
            delay.as_secs_f64(),
            self.made + 1,
            self.tuning.backoff.max_attempts
        );
        tokio::time::sleep(delay).await;
        self.made += 1;
        Ok(())
    }
}

/// Zendesk's error envelope; every field optional because bodies vary (and may be text).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ErrorBody {
    error: Option<serde_json::Value>,
    description: Option<String>,
    details: Option<serde_json::Map<String, serde_json::Value>>,
    message: Option<String>,
}

/// Turn an error response into a [`DeskError::Api`] with a one-line explanation.
pub fn api_error(operation: &str, status: u16, body: &[u8]) -> DeskError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let fields: Vec<String> =
        parsed.as_ref().and_then(|e| e.details.as_ref()).map(|d| d.keys().cloned().collect()).unwrap_or_default();
    let (error_code, detail) = match &parsed {
        Some(envelope) => {
            let code = match &envelope.error {
                Some(serde_json::Value::String(text)) => Some(text.clone()),
                Some(serde_json::Value::Object(map)) => map.get("title").and_then(|t| t.as_str()).map(str::to_string),
                _ => None,
            };
            let mut parts: Vec<String> = Vec::new();
            if let Some(code) = &code {
                parts.push(code.clone());
            }
            if let Some(text) = envelope.description.as_ref().or(envelope.message.as_ref()) {
                parts.push(text.clone());
            }
            if let Some(details) = &envelope.details {
                parts.push(field_details(details));
            }
            (code, parts.join(": "))
        }
        None => (None, raw_text(body)),
    };
    let lead = match status {
        401 => "authentication failed (401): check the OAuth client id/secret (or the email/API token)".to_string(),
        403 => "permission denied (403): the OAuth client or user lacks the needed scope (read write) or agent role"
            .to_string(),
        404 => "not found (404)".to_string(),
        409 => "conflict (409): the ticket changed meanwhile; run the command again".to_string(),
        413 => "too large (413): the desk refused the file size; lower --attachment-limit so the bundle is split"
            .to_string(),
        422 => "rejected (422): invalid fields".to_string(),
        429 => "rate limited (429)".to_string(),
        other => format!("HTTP {other}"),
    };
    let explanation = if detail.is_empty() { lead } else { format!("{lead} — {detail}") };
    DeskError::Api { operation: operation.to_string(), status, error_code, fields, explanation }
}

/// `field: description (type); …` from a Zendesk `details` map.
fn field_details(details: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut lines = Vec::new();
    for (field, problems) in details {
        let entries: Vec<&serde_json::Value> = match problems {
            serde_json::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for entry in entries {
            let text = match entry {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Object(map) => {
                    let description = map.get("description").and_then(|d| d.as_str()).unwrap_or("invalid");
                    match map.get("error").or(map.get("type")).and_then(|t| t.as_str()) {
                        Some(kind) => format!("{description} ({kind})"),
                        None => description.to_string(),
                    }
                }
                other => other.to_string(),
            };
            lines.push(format!("{field}: {text}"));
        }
    }
    lines.join("; ")
}

/// At most 300 characters of a text body, on one line.
fn raw_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_422_with_field_details() {
        let body = br#"{"error":"RecordInvalid","description":"Record validation errors","details":{"requester":[{"description":"Requester: Email is invalid","error":"InvalidValue"}]}}"#;
        let error = api_error("create ticket", 422, body);
        let text = error.to_string();
        assert!(text.contains("422"), "{text}");
        assert!(text.contains("requester: Requester: Email is invalid (InvalidValue)"), "{text}");
        assert!(matches!(error, DeskError::Api { error_code: Some(ref c), .. } if c == "RecordInvalid"));
    }

    #[test]
    fn one_line_explanations_per_status() {
        let forbidden =
            api_error("create ticket", 403, br#"{"error":"Forbidden","description":"You do not have access"}"#);
        assert!(forbidden.to_string().contains("permission denied (403)"), "{forbidden}");
        assert!(forbidden.to_string().contains("You do not have access"), "{forbidden}");
        let unauthorized = api_error("upload", 401, br#"{"error":"Couldn't authenticate you"}"#).to_string();
        assert!(unauthorized.contains("authentication failed (401)") && !unauthorized.contains('\n'), "{unauthorized}");
    }

    #[test]
    fn falls_back_to_raw_text() {
        let text = api_error("upload", 413, b"<html>\n Request Entity Too Large </html>").to_string();
        assert!(text.contains("lower --attachment-limit"), "{text}");
        assert!(text.contains("Request Entity Too Large"), "{text}");
        let long = vec![b'x'; 1000];
        assert!(api_error("x", 400, &long).to_string().len() < 400);
    }

    #[test]
    fn idempotency_conflict_code_is_kept() {
        let body = br#"{"error":"IdempotentRequestError","description":"Request parameters don't match the given idempotency key"}"#;
        assert!(matches!(api_error("create", 400, body),
            DeskError::Api { status: 400, error_code: Some(ref c), .. } if c == "IdempotentRequestError"));
    }

    #[tokio::test]
    async fn attempts_give_up_after_budget() {
        let tuning = RetryTuning {
            backoff: crate::retry::Backoff {
                base: Duration::from_millis(1),
                cap: Duration::from_millis(2),
                max_attempts: 3,
            },
            retry_after_default: Duration::from_millis(1),
            retry_after_max: Duration::from_secs(1),
        };
        let mut attempts = Attempts::new("op", &tuning);
        assert!(attempts.wait("x", None).await.is_ok());
        assert!(attempts.wait("x", None).await.is_ok());
        assert!(matches!(attempts.wait("x", None).await, Err(DeskError::GaveUp { attempts: 3, .. })));
        let mut parked = Attempts::new("op", &tuning);
        assert!(matches!(
            parked.wait("429", Some(Duration::from_secs(5))).await,
            Err(DeskError::RateLimited { seconds: 5, .. })
        ));
    }
}

//! Kubernetes access: a kube-rs client built with kubectl's conventions, wrapped so every request
//! has a timeout, a concurrency bound, and retries with jittered backoff on 429 (honouring
//! `Retry-After`), 5xx, resets and timeouts. Lists are paginated and restart on `410 Gone`.

pub mod discovery;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use http::{Request, header};
use http_body_util::BodyExt;
use kube::client::Body;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::cli::KubeArgs;
use crate::frozen::{FrozenValue, Interner};
use crate::retry::{Backoff, RetryAction, is_retryable_status, parse_retry_after};

/// What [`Kube::list_pages`] hands over.
enum ListPage {
    /// The items (or table rows) of the next page.
    Items(Vec<Value>),
    /// The list restarted from the beginning (410 Gone): drop what came before.
    Restart,
}

/// Why the cluster could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No usable kubeconfig / in-cluster config.
    #[error("no usable Kubernetes configuration: {0} (pass --kubeconfig/--context, set KUBECONFIG, or use --demo)")]
    Config(String),
    /// The API server did not answer.
    #[error(
        "cannot reach the Kubernetes API server at {server}: {reason} (check that the cluster is up and that --context/--kubeconfig point at it, e.g. `kubectl cluster-info`)"
    )]
    Unreachable {
        /// Server URL.
        server: String,
        /// What happened.
        reason: String,
    },
    /// The API server rejected our credentials.
    #[error(
        "the API server at {server} rejected the credentials ({reason}); refresh them (e.g. re-login with your cloud CLI) or pick another --context"
    )]
    Unauthorized {
        /// Server URL.
        server: String,
        /// What it said.
        reason: String,
    },
}

/// One request's failure, after retries.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ApiError {
    /// The API answered with an error status.
    #[error("{code} {reason}: {message}")]
    Status {
        /// HTTP status.
        code: u16,
        /// `Status.reason` (`Forbidden`, `NotFound`, …).
        reason: String,
        /// `Status.message`.
        message: String,
    },
    /// Connection-level failure (refused, reset, TLS).
    #[error("connection failed: {0}")]
    Transport(String),
    /// No answer in time.
    #[error("timed out after {:.1}s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The answer was not what the API promises.
    #[error("undecodable response: {0}")]
    Decode(String),
}

impl ApiError {
    /// HTTP status, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// A kube client with our request policy.
#[derive(Clone)]
pub struct Kube {
    client: kube::Client,
    server: String,
    timeout: Duration,
    backoff: Backoff,
    limit: Arc<Semaphore>,
    server_date: Arc<std::sync::Mutex<Option<DateTime<Utc>>>>,
}

/// What `/version` tells about the API server.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// The `/version` document.
    pub version: Value,
    /// The server's clock (`Date` header). Recency is judged by the cluster's own clock, which
    /// wrote every timestamp we read, not by the workstation's; a served bundle reports the time
    /// it was collected, so replaying it reproduces its analysis.
    pub date: Option<DateTime<Utc>>,
}

impl Kube {
    /// Build from kubectl-style flags: `--kubeconfig`, `--context`, then `KUBECONFIG` /
    /// `~/.kube/config`, then the in-cluster service account.
    pub async fn connect(args: &KubeArgs, concurrency: usize) -> Result<Kube, ClusterError> {
        let options = KubeConfigOptions { context: args.context.clone(), cluster: None, user: None };
        let config = match (&args.kubeconfig, &args.context) {
            (Some(path), _) => {
                let kc = Kubeconfig::read_from(path)
                    .map_err(|e| ClusterError::Config(format!("{}: {e}", path.display())))?;
                kube::Config::from_custom_kubeconfig(kc, &options)
                    .await
                    .map_err(|e| ClusterError::Config(format!("{}: {e}", path.display())))?
            }
            (None, Some(ctx)) => kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| ClusterError::Config(format!("context {ctx:?}: {e}")))?,
            (None, None) => kube::Config::infer().await.map_err(|e| ClusterError::Config(e.to_string()))?,
        };
        Kube::from_config(config, args.request_timeout, concurrency)
    }

    /// Build from a ready config.
    pub fn from_config(mut config: kube::Config, timeout: Duration, concurrency: usize) -> Result<Kube, ClusterError> {
        config.default_retry = false;
        config.read_timeout = Some(timeout);
        config.connect_timeout = Some(timeout.min(Duration::from_secs(10)));
        let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
        let client = kube::Client::try_from(config).map_err(|e| ClusterError::Config(e.to_string()))?;
        Ok(Kube {
            client,
            server,
            timeout,
            backoff: Backoff::kube(),
            limit: Arc::new(Semaphore::new(concurrency.max(1))),
            server_date: Arc::new(std::sync::Mutex::new(None)),
        })
    }

    /// The API server URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Fetch `/version`, turning failure into the one-line "cannot use this cluster" errors.
    /// The probe has one overall deadline (`--request-timeout`), says on stderr that it is
    /// waiting once 2 s have passed, and fails at once when nothing listens at the address.
    pub async fn version(&self) -> Result<ServerInfo, ClusterError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let probe = self.version_document(deadline);
        tokio::pin!(probe);
        let version = tokio::select! {
            v = &mut probe => v,
            _ = tokio::time::sleep(PROBE_QUIET) => {
                eprintln!(
                    "mayadiag: waiting for the API server at {} (no answer yet; giving up after {}s, see --request-timeout)",
                    self.server,
                    self.timeout.as_secs_f64()
                );
                probe.await
            }
        }?;
        let date = self.server_date.lock().ok().and_then(|d| *d);
        Ok(ServerInfo { version, date })
    }

    async fn version_document(&self, deadline: tokio::time::Instant) -> Result<Value, ClusterError> {
        let bytes =
            self.retrying(Some(deadline), || self.get_bytes_once("/version", "application/json", deadline)).await;
        let result = bytes
            .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| ApiError::Decode(format!("/version: {e}"))));
        match result {
            Ok(v) => Ok(v),
            Err(ApiError::Status { code: 401, message, .. }) => {
                Err(ClusterError::Unauthorized { server: self.server.clone(), reason: message })
            }
            Err(ApiError::Status { code, message, .. }) if code != 403 && code != 404 => {
                Err(ClusterError::Unreachable {
                    server: self.server.clone(),
                    reason: format!("HTTP {code}: {message}"),
                })
            }
            Err(ApiError::Status { .. }) => Ok(Value::Null),
            Err(e) => Err(ClusterError::Unreachable { server: self.server.clone(), reason: e.to_string() }),
        }
    }

    async fn send_once(
        &self,
        path_and_query: &str,
        accept: &str,
        timeout: Duration,
    ) -> Result<http::Response<Body>, ApiError> {
        let request = Request::get(path_and_query)
            .header(header::ACCEPT, accept)
            .header(header::USER_AGENT, concat!("mayadiag/", env!("CARGO_PKG_VERSION")))
            .body(Body::empty())
            .map_err(|e| ApiError::Decode(format!("bad request path {path_and_query}: {e}")))?;
        let response = tokio::time::timeout(timeout, self.client.send(request))
            .await
            .map_err(|_| ApiError::Timeout(timeout))?
            .map_err(|e| ApiError::Transport(error_chain(&e)))?;
        Ok(response)
    }

    /// Classify one attempt's failure for the retry policy: rate limits, 5xx, resets and timeouts
    /// are transient; "nothing listens there" (connection refused, unknown host) and every other
    /// answer are not.
    fn classify(failed: &Failed) -> RetryAction {
        match &failed.error {
            ApiError::Status { code, .. } if is_retryable_status(*code) => {
                RetryAction::Retry { reason: format!("HTTP {code}"), not_before: failed.retry_after }
            }
            ApiError::Transport(r) if nothing_listens(r) => RetryAction::Stop,
            ApiError::Transport(r) => RetryAction::Retry { reason: r.clone(), not_before: None },
            ApiError::Timeout(_) => RetryAction::Retry { reason: "timeout".into(), not_before: None },
            _ => RetryAction::Stop,
        }
    }

    /// The one retry layer every request goes through: `attempt` is one whole try (headers and,
    /// for [`Kube::get_bytes`], the body); transient failures are retried with jittered backoff,
    /// up to `backoff.max_attempts` and, when given, never past `deadline`.
    async fn retrying<T, F, Fut>(&self, deadline: Option<tokio::time::Instant>, mut attempt: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failed>>,
    {
        let mut tries = 0u32;
        loop {
            let failed = match attempt().await {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            tries += 1;
            let RetryAction::Retry { not_before, .. } = Self::classify(&failed) else { return Err(failed.error) };
            if tries >= self.backoff.max_attempts {
                return Err(failed.error);
            }
            let delay = self.backoff.delay(tries - 1, not_before);
            if deadline.is_some_and(|d| tokio::time::Instant::now() + delay >= d) {
                return Err(failed.error);
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// One try: the response with a success status (headers read, body not yet).
    async fn get_response_once(
        &self,
        path_and_query: &str,
        accept: &str,
        timeout: Duration,
    ) -> Result<http::Response<Body>, Failed> {
        let response = self.send_once(path_and_query, accept, timeout).await.map_err(Failed::from)?;
        if response.status().is_success() {
            let date = response
                .headers()
                .get(header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|d| DateTime::parse_from_rfc2822(d).ok());
            if let (Some(date), Ok(mut slot)) = (date, self.server_date.lock()) {
                *slot = Some(date.with_timezone(&Utc));
            }
            return Ok(response);
        }
        let retry_after = parse_retry_after(response.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()));
        Err(Failed { error: status_error(response, timeout).await, retry_after })
    }

    /// One try of a whole body; the attempt's time is bounded by the timeout and by `deadline`.
    async fn get_bytes_once(
        &self,
        path_and_query: &str,
        accept: &str,
        deadline: tokio::time::Instant,
    ) -> Result<Bytes, Failed> {
        let _permit =
            self.limit.acquire().await.map_err(|_| Failed::from(ApiError::Transport("client closed".into())))?;
        let timeout = self.timeout.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let response = self.get_response_once(path_and_query, accept, timeout).await?;
        tokio::time::timeout_at(
            deadline.min(tokio::time::Instant::now() + self.timeout),
            response.into_body().collect_bytes(),
        )
        .await
        .map_err(|_| Failed::from(ApiError::Timeout(self.timeout)))?
        .map_err(|e| Failed::from(ApiError::Transport(error_chain(&e))))
    }

    /// GET a body, whole, with retries (the body must arrive within the timeout too).
    pub async fn get_bytes(&self, path_and_query: &str, accept: &str) -> Result<Bytes, ApiError> {
        self.retrying(None, || {
            // Each attempt gets the full timeout.
            let deadline = tokio::time::Instant::now() + self.timeout;
            self.get_bytes_once(path_and_query, accept, deadline)
        })
        .await
    }

    /// GET JSON.
    pub async fn get_json(&self, path_and_query: &str) -> Result<Value, ApiError> {
        let bytes = self.get_bytes(path_and_query, "application/json").await?;
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode(format!("{path_and_query}: {e}")))
    }

    /// List every object at `path` (a collection URL), following `continue` tokens; a `410 Gone`
    /// on a continue token restarts the list from the start (at most three times).
    pub async fn list(&self, path: &str, query: &str, page_size: usize) -> Result<Vec<Value>, ApiError> {
        self.list_as(path, query, page_size, "application/json").await
    }

    /// Like [`Kube::list`], each page frozen as it arrives (without `metadata.managedFields`),
    /// for lists held while the collection goes on: a page of `serde_json::Value`s is ~3× the
    /// size of its frozen form, and a cluster-wide pod list is thousands of them.
    /// Only items for which `keep` is true are kept, decided page by page (a cluster's CRDs can
    /// be hundreds of MB of schemas, of which only a few groups matter).
    pub async fn list_frozen(
        &self,
        path: &str,
        page_size: usize,
        keep: fn(&Value) -> bool,
    ) -> Result<Vec<FrozenValue>, ApiError> {
        let mut interner = Interner::default();
        let mut frozen = Vec::new();
        self.list_pages(path, "", page_size, "application/json", &mut |page| match page {
            ListPage::Items(batch) => frozen.extend(batch.into_iter().filter(keep).map(|mut item| {
                crate::snapshot::strip_noise(&mut item);
                interner.freeze(item)
            })),
            ListPage::Restart => frozen.clear(),
        })
        .await?;
        Ok(frozen)
    }

    /// Like [`Kube::list`] with another representation (e.g. a metadata-only `Table`, whose
    /// `rows` are returned as items; the first page's column definitions come back too).
    pub async fn list_as(
        &self,
        path: &str,
        query: &str,
        page_size: usize,
        accept: &str,
    ) -> Result<Vec<Value>, ApiError> {
        Ok(self.list_with_columns(path, query, page_size, accept).await?.0)
    }

    /// Paginated list returning the items (or table rows) and the table column definitions.
    pub async fn list_with_columns(
        &self,
        path: &str,
        query: &str,
        page_size: usize,
        accept: &str,
    ) -> Result<(Vec<Value>, Value), ApiError> {
        let mut items = Vec::new();
        let columns = self
            .list_pages(path, query, page_size, accept, &mut |page| match page {
                ListPage::Items(batch) => items.extend(batch),
                ListPage::Restart => items.clear(),
            })
            .await?;
        Ok((items, columns))
    }

    /// Walk a paginated list, handing each page's items (or table rows) to `on_page` as it
    /// arrives; returns the table column definitions (null for plain lists). A `410 Gone` on a
    /// continue token restarts the list from the start (at most three times), announced to
    /// `on_page` as [`ListPage::Restart`].
    async fn list_pages(
        &self,
        path: &str,
        query: &str,
        page_size: usize,
        accept: &str,
        on_page: &mut (dyn FnMut(ListPage) + Send),
    ) -> Result<Value, ApiError> {
        let mut restarts = 0;
        let mut columns = Value::Null;
        let mut token: Option<String> = None;
        loop {
            let mut q = format!("limit={page_size}");
            if !query.is_empty() {
                q.push('&');
                q.push_str(query);
            }
            if let Some(t) = &token {
                q.push_str("&continue=");
                q.push_str(&urlencode(t));
            }
            let page = match self.get_bytes(&format!("{path}?{q}"), accept).await {
                Err(ApiError::Status { code: 410, .. }) if token.is_some() && restarts < 3 => {
                    restarts += 1;
                    token = None;
                    on_page(ListPage::Restart);
                    continue;
                }
                other => other?,
            };
            let mut page: Value =
                serde_json::from_slice(&page).map_err(|e| ApiError::Decode(format!("{path}: {e}")))?;
            if columns.is_null()
                && let Some(c) = page.get_mut("columnDefinitions")
            {
                columns = c.take();
            }
            let key = if page.get("rows").is_some() { "rows" } else { "items" };
            if let Some(Value::Array(batch)) = page.get_mut(key).map(Value::take) {
                on_page(ListPage::Items(batch));
            }
            token = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                return Ok(columns);
            }
        }
    }

    /// Open a streaming GET (pod logs). Each chunk must arrive within the timeout: a stalled
    /// stream ends with [`ApiError::Timeout`] after the bytes already received.
    pub async fn stream(
        &self,
        path_and_query: &str,
    ) -> Result<impl Stream<Item = Result<Bytes, ApiError>> + Send + use<>, ApiError> {
        let response = self
            .retrying(None, || async {
                let _permit = self
                    .limit
                    .acquire()
                    .await
                    .map_err(|_| Failed::from(ApiError::Transport("client closed".into())))?;
                self.get_response_once(path_and_query, "*/*", self.timeout).await
            })
            .await?;
        let idle = self.timeout;
        let body = response.into_body().into_data_stream();
        Ok(futures::stream::unfold((body, false), move |(mut body, done)| async move {
            if done {
                return None;
            }
            match tokio::time::timeout(idle, body.next()).await {
                Err(_) => Some((Err(ApiError::Timeout(idle)), (body, true))),
                Ok(None) => None,
                Ok(Some(Ok(chunk))) => Some((Ok(chunk), (body, false))),
                Ok(Some(Err(e))) => Some((Err(ApiError::Transport(error_chain(&e))), (body, true))),
            }
        }))
    }
}

/// After this long without an answer, the reachability probe says that it is waiting.
const PROBE_QUIET: Duration = Duration::from_secs(2);

/// One failed attempt, with the server's `Retry-After` when it sent one.
#[derive(Debug)]
struct Failed {
    error: ApiError,
    retry_after: Option<Duration>,
}

impl From<ApiError> for Failed {
    fn from(error: ApiError) -> Failed {
        Failed { error, retry_after: None }
    }
}

/// Whether a transport error means nothing listens at the address (refused, unknown host):
/// retrying cannot help, so the user hears about it at once.
fn nothing_listens(chain: &str) -> bool {
    let lower = chain.to_ascii_lowercase();
    ["connection refused", "dns error", "failed to lookup address", "name or service not known", "no route to host"]
        .iter()
        .any(|s| lower.contains(s))
}

async fn status_error(response: http::Response<Body>, timeout: Duration) -> ApiError {
    let code = response.status().as_u16();
    let body = tokio::time::timeout(timeout, response.into_body().collect_bytes())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let reason = parsed.as_ref().and_then(|v| v["reason"].as_str()).unwrap_or(match code {
        403 => "Forbidden",
        404 => "NotFound",
        410 => "Gone",
        429 => "TooManyRequests",
        _ => "Error",
    });
    let message = parsed
        .as_ref()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_string());
    ApiError::Status { code, reason: reason.to_string(), message }
}

/// An error and its sources on one line (`connection refused` is usually three levels down).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Percent-encode a query value.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).map(|q| q[2..].to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(urlencode("a=b,c"), "a%3Db%2Cc");
    }

    fn status(code: u16) -> ApiError {
        ApiError::Status { code, reason: String::new(), message: String::new() }
    }

    #[test]
    fn classifies_for_retry() {
        let retry = Kube::classify(&Failed { error: status(429), retry_after: Some(Duration::from_secs(1)) });
        assert_eq!(retry, RetryAction::Retry { reason: "HTTP 429".into(), not_before: Some(Duration::from_secs(1)) });
        assert_eq!(Kube::classify(&status(403).into()), RetryAction::Stop);
        assert!(matches!(Kube::classify(&ApiError::Transport("reset".into()).into()), RetryAction::Retry { .. }));
        assert!(matches!(Kube::classify(&ApiError::Timeout(Duration::from_secs(1)).into()), RetryAction::Retry { .. }));
        assert_eq!(Kube::classify(&ApiError::Decode("x".into()).into()), RetryAction::Stop);
        let refused = "client error (Connect): tcp connect error: Connection refused (os error 111)";
        assert_eq!(Kube::classify(&ApiError::Transport(refused.into()).into()), RetryAction::Stop);
        let dns = "client error (Connect): dns error: failed to lookup address information";
        assert_eq!(Kube::classify(&ApiError::Transport(dns.into()).into()), RetryAction::Stop);
    }
}

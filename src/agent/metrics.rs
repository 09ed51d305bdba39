//! The agent's HTTP endpoints: `/metrics` (Prometheus text format), `/healthz` (the probe loop is
//! alive) and `/readyz` (a first probe round has completed).

use std::fmt::Write as _;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::report::ProbeResult;

/// What the last probe round produced, shared between the loop and the HTTP server.
#[derive(Debug, Default)]
pub struct MetricsState {
    /// Results of the last round.
    pub results: Vec<ProbeResult>,
    /// Unix time (seconds) the last round finished.
    pub last_run_unix: f64,
    /// Duration of the last round in seconds.
    pub run_duration_secs: f64,
    /// Rounds completed since start.
    pub rounds: u64,
    /// Publish attempts that failed since start.
    pub publish_failures: u64,
    /// When the last round finished (for liveness).
    pub last_round_at: Option<Instant>,
}

/// Shared handle to the state plus the liveness budget.
#[derive(Debug, Clone)]
pub struct Metrics {
    state: Arc<RwLock<MetricsState>>,
    /// A loop that has not finished a round within this time is considered stuck.
    stale_after: Duration,
    started: Instant,
}

impl Metrics {
    /// New metrics; rounds older than `stale_after` make /healthz fail.
    pub fn new(stale_after: Duration) -> Metrics {
        Metrics { state: Arc::default(), stale_after, started: Instant::now() }
    }

    /// Record a finished round.
    pub fn record_round(&self, results: &[ProbeResult], finished_unix: f64, duration: Duration) {
        if let Ok(mut state) = self.state.write() {
            state.results = results.to_vec();
            state.last_run_unix = finished_unix;
            state.run_duration_secs = duration.as_secs_f64();
            state.rounds += 1;
            state.last_round_at = Some(Instant::now());
        }
    }

    /// Record a failed publish attempt.
    pub fn record_publish_failure(&self) {
        if let Ok(mut state) = self.state.write() {
            state.publish_failures += 1;
        }
    }

    /// The Prometheus exposition text.
    pub fn render(&self) -> String {
        let Ok(state) = self.state.read() else { return String::new() };
        let mut out = String::new();
        out.push_str("# HELP mayadiag_probe_status Probe status: 0 pass, 1 warn, 2 fail, 3 error.\n");
        out.push_str("# TYPE mayadiag_probe_status gauge\n");
        for result in &state.results {
            let _ = writeln!(
                out,
                "mayadiag_probe_status{{probe=\"{}\",engine=\"{}\"}} {}",
                escape_label(&result.id),
                escape_label(&result.engine),
                result.status.gauge_value()
            );
        }
        out.push_str("# HELP mayadiag_last_run_timestamp_seconds Unix time the last probe round finished.\n");
        out.push_str("# TYPE mayadiag_last_run_timestamp_seconds gauge\n");
        let _ = writeln!(out, "mayadiag_last_run_timestamp_seconds {}", state.last_run_unix);
        out.push_str("# HELP mayadiag_run_duration_seconds Duration of the last probe round.\n");
        out.push_str("# TYPE mayadiag_run_duration_seconds gauge\n");
        let _ = writeln!(out, "mayadiag_run_duration_seconds {}", state.run_duration_secs);
        out.push_str("# HELP mayadiag_rounds_total Probe rounds completed.\n");
        out.push_str("# TYPE mayadiag_rounds_total counter\n");
        let _ = writeln!(out, "mayadiag_rounds_total {}", state.rounds);
        out.push_str("# HELP mayadiag_publish_failures_total Failed attempts to publish to the API server.\n");
        out.push_str("# TYPE mayadiag_publish_failures_total counter\n");
        let _ = writeln!(out, "mayadiag_publish_failures_total {}", state.publish_failures);
        out
    }

    fn ready(&self) -> bool {
        self.state.read().is_ok_and(|s| s.rounds > 0)
    }

    fn healthy(&self) -> bool {
        let Ok(state) = self.state.read() else { return false };
        let since = state.last_round_at.unwrap_or(self.started);
        since.elapsed() <= self.stale_after
    }

    /// The axum router for the three endpoints.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/metrics", get(metrics_handler))
            .route("/healthz", get(healthz_handler))
            .route("/readyz", get(readyz_handler))
            .with_state(self.clone())
    }
}

/// Escape a Prometheus label value.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

async fn metrics_handler(State(metrics): State<Metrics>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics.render())
}

async fn healthz_handler(State(metrics): State<Metrics>) -> impl IntoResponse {
    if metrics.healthy() { (StatusCode::OK, "ok\n") } else { (StatusCode::SERVICE_UNAVAILABLE, "probe loop stalled\n") }
}

async fn readyz_handler(State(metrics): State<Metrics>) -> impl IntoResponse {
    if metrics.ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "first probe round pending\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::report::ProbeStatus;

    #[test]
    fn renders_gauges_per_probe() {
        let metrics = Metrics::new(Duration::from_secs(60));
        assert!(!metrics.ready());
        let result = ProbeResult {
            id: "mayastor.nvme_tcp".into(),
            engine: "mayastor".into(),
            title: String::new(),
            status: ProbeStatus::Fail,
            message: String::new(),
            evidence: vec![],
            remediation: String::new(),
        };
        metrics.record_round(&[result], 1_700_000_000.0, Duration::from_millis(250));
        let text = metrics.render();
        assert!(text.contains("mayadiag_probe_status{probe=\"mayastor.nvme_tcp\",engine=\"mayastor\"} 2\n"), "{text}");
        assert!(text.contains("mayadiag_last_run_timestamp_seconds 1700000000\n"), "{text}");
        assert!(text.contains("mayadiag_run_duration_seconds 0.25\n"), "{text}");
        assert!(metrics.ready());
        assert!(metrics.healthy());
        assert_eq!(escape_label("a\"b"), "a\\\"b");
    }
}

//! Fault injection and added latency for `serve`, so tests and benchmarks can play a slow,
//! flaky or locked-down API server from a bundle (`--latency`, hidden `--inject-faults FILE`).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;

/// The file given to `--inject-faults`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultFile {
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    /// Regex on the request path.
    path: String,
    /// Regex on the query string.
    #[serde(default)]
    query: Option<String>,
    /// HTTP method (default: any).
    #[serde(default)]
    method: Option<String>,
    /// Respond with this status instead of the real answer.
    #[serde(default)]
    status: Option<u16>,
    /// `Retry-After` seconds to send with `status`.
    #[serde(default)]
    retry_after: Option<u64>,
    /// Wait this long before answering.
    #[serde(default)]
    delay_ms: Option<u64>,
    /// Apply to the first N matching requests only.
    #[serde(default)]
    times: Option<u64>,
    /// Apply to every Nth matching request only.
    #[serde(default)]
    every: Option<u64>,
    /// Send this many body bytes, then break the connection.
    #[serde(default)]
    drop_after_bytes: Option<u64>,
    /// Send this many body bytes, then stop sending without closing.
    #[serde(default)]
    stall_after_bytes: Option<u64>,
}

/// One compiled rule.
#[derive(Debug)]
struct Rule {
    path: Regex,
    query: Option<Regex>,
    method: Option<String>,
    action: FaultAction,
    times: Option<u64>,
    every: Option<u64>,
    seen: AtomicU64,
}

/// What a matching rule does to the response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultAction {
    /// Replace the response with this status.
    pub status: Option<u16>,
    /// `Retry-After` for that status.
    pub retry_after: Option<u64>,
    /// Delay before answering.
    pub delay: Option<Duration>,
    /// Break the body after this many bytes.
    pub drop_after_bytes: Option<u64>,
    /// Stall the body after this many bytes.
    pub stall_after_bytes: Option<u64>,
}

/// All rules, evaluated in order; the first that applies wins.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<Rule>,
}

impl Faults {
    /// Load a YAML rule file. Errors name the file and the rule.
    pub fn load(path: &Path) -> Result<Faults, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: FaultFile = serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut rules = Vec::new();
        for (i, r) in file.rules.into_iter().enumerate() {
            let re = |s: &str| {
                Regex::new(s).map_err(|e| format!("{}: rule {}: bad regex {s:?}: {e}", path.display(), i + 1))
            };
            rules.push(Rule {
                path: re(&r.path)?,
                query: r.query.as_deref().map(re).transpose()?,
                method: r.method.map(|m| m.to_uppercase()),
                action: FaultAction {
                    status: r.status,
                    retry_after: r.retry_after,
                    delay: r.delay_ms.map(Duration::from_millis),
                    drop_after_bytes: r.drop_after_bytes,
                    stall_after_bytes: r.stall_after_bytes,
                },
                times: r.times,
                every: r.every,
                seen: AtomicU64::new(0),
            });
        }
        Ok(Faults { rules })
    }

    /// The fault for a request, if any rule applies to it now.
    pub fn check(&self, method: &str, path: &str, query: &str) -> Option<FaultAction> {
        for rule in &self.rules {
            if rule.method.as_deref().is_some_and(|m| m != method) || !rule.path.is_match(path) {
                continue;
            }
            if rule.query.as_ref().is_some_and(|q| !q.is_match(query)) {
                continue;
            }
            let n = rule.seen.fetch_add(1, Ordering::SeqCst) + 1;
            if rule.times.is_some_and(|t| n > t) {
                continue;
            }
            if rule.every.is_some_and(|e| e > 0 && n % e != 0) {
                continue;
            }
            return Some(rule.action.clone());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_in_order_with_counts() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f.yaml");
        std::fs::write(&f, "rules:\n  - path: '/pods$'\n    status: 500\n    times: 2\n  - path: '/log$'\n    every: 2\n    drop_after_bytes: 10\n").unwrap();
        let faults = Faults::load(&f).unwrap();
        assert_eq!(faults.check("GET", "/api/v1/pods", "").and_then(|a| a.status), Some(500));
        assert_eq!(faults.check("GET", "/api/v1/pods", "").and_then(|a| a.status), Some(500));
        assert_eq!(faults.check("GET", "/api/v1/pods", ""), None);
        assert_eq!(faults.check("GET", "/x/log", ""), None);
        assert_eq!(faults.check("GET", "/x/log", "").and_then(|a| a.drop_after_bytes), Some(10));
    }

    #[test]
    fn bad_rules_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f.yaml");
        std::fs::write(&f, "rules:\n  - path: '('\n").unwrap();
        assert!(Faults::load(&f).unwrap_err().contains("rule 1"));
        std::fs::write(&f, "rules:\n  - pth: x\n").unwrap();
        assert!(Faults::load(&f).is_err());
    }
}

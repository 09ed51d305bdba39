//! Analyzer kinds: small typed functions from a check's parameters and the shared [`Ctx`] to
//! [`Hit`]s. One file per family of kinds.

pub mod chaos;
pub mod events;
pub mod nodes;
pub mod pods;
pub mod resources;
pub mod volumes;

use crate::frozen::FrozenValue;
use chrono::{DateTime, Duration, Utc};

use super::engine::{Ctx, Hit};
use super::model::Analyzer;
use crate::snapshot::{EventRecord, MAX_QUOTED_LINE, path};

/// Run one analyzer.
pub fn run(analyzer: &Analyzer, check_id: &str, ctx: &Ctx<'_>) -> Vec<Hit> {
    match analyzer {
        Analyzer::PodHealth(p) => pods::pod_health(p, ctx),
        Analyzer::WorkloadReady(p) => pods::workload_ready(p, ctx),
        Analyzer::CrStatus(p) => resources::cr_status(p, ctx),
        Analyzer::CrCompare(p) => resources::cr_compare(p, ctx),
        Analyzer::Capacity(p) => resources::capacity(p, ctx),
        Analyzer::VersionSkew(p) => resources::version_skew(p, ctx),
        Analyzer::EventPattern(p) => events::event_pattern(p, ctx),
        Analyzer::LogPattern(p) => events::log_pattern(p, check_id, ctx),
        Analyzer::NodeConditions(p) => nodes::node_conditions(p, ctx),
        Analyzer::NodeReport(p) => nodes::node_report(p, ctx),
        Analyzer::VolumePath(p) => volumes::volume_path(p, ctx),
        Analyzer::CsiRegistration(p) => volumes::csi_registration(p, ctx),
        Analyzer::Webhook(p) => volumes::webhook(p, ctx),
        Analyzer::Chaos(p) => chaos::chaos(p, ctx),
        Analyzer::VolumeInventory(p) => volumes::volume_inventory(p, ctx),
    }
}

/// An RFC 3339 timestamp at a dotted path.
pub fn time_at(obj: &FrozenValue, dotted: &str) -> Option<DateTime<Utc>> {
    path(obj, dotted)
        .and_then(FrozenValue::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// How long ago, relative to `collected_at`, the object was created.
pub fn age(ctx: &Ctx<'_>, obj: &FrozenValue) -> Option<Duration> {
    time_at(obj, "metadata.creationTimestamp").map(|t| ctx.now - t)
}

/// `5m`, `2h13m`, `3d` for people.
pub fn human(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d", s / 86_400),
    }
}

/// A value at a path as text (`""` when missing).
pub fn text_at(obj: &FrozenValue, dotted: &str) -> String {
    match path(obj, dotted) {
        Some(FrozenValue::String(s)) => s.to_string(),
        Some(FrozenValue::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// Shorten to the quoting limit.
pub fn clip(s: &str) -> String {
    if s.len() <= MAX_QUOTED_LINE {
        return s.to_string();
    }
    let mut end = MAX_QUOTED_LINE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// An event quoted as evidence: `Warning FailedMount (x13, last 2026-…): message`.
pub fn quote_event(e: &EventRecord) -> String {
    let when = e
        .last_seen()
        .map(|t| format!(", last {}", t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
        .unwrap_or_default();
    let from = e
        .source
        .component
        .as_deref()
        .or(e.reporting_component.as_deref())
        .map(|c| format!(" from {c}"))
        .unwrap_or_default();
    clip(&format!("{} {} (x{}{when}{from}): {}", e.event_type, e.reason, e.occurrences(), e.message))
}

/// Like [`quote_event`], but a long message is cut around the part `re` matches, so the quote
/// keeps what the check keyed on.
pub fn quote_event_around(e: &EventRecord, re: &regex::Regex) -> String {
    let full = quote_event(e);
    if !full.ends_with('…') {
        return full;
    }
    let Some(m) = re.find(&e.message) else { return full };
    let mut start = m.start().saturating_sub(120);
    while !e.message.is_char_boundary(start) {
        start -= 1;
    }
    let when = e
        .last_seen()
        .map(|t| format!(", last {}", t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
        .unwrap_or_default();
    clip(&format!("{} {} (x{}{when}): …{}", e.event_type, e.reason, e.occurrences(), &e.message[start..]))
}

/// Whether an event is within a window before `collected_at` (events without time count).
pub fn recent(ctx: &Ctx<'_>, e: &EventRecord, within: Option<Duration>) -> bool {
    match (within, e.last_seen()) {
        (Some(w), Some(t)) => ctx.now - t <= w,
        _ => true,
    }
}

/// Parse a Kubernetes quantity (`100Gi`, `9630M`, `143k`, `1.5e3`, plain bytes) to a number.
pub fn quantity(v: &FrozenValue) -> Option<f64> {
    match v {
        FrozenValue::Number(n) => n.as_f64(),
        FrozenValue::String(s) => parse_quantity(s),
        _ => None,
    }
}

/// See [`quantity`].
pub fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("k", 1e3),
        ("K", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
        ("m", 1e-3),
    ];
    for (suffix, mult) in SUFFIXES {
        if let Some(num) = s.strip_suffix(suffix) {
            return num.trim().parse::<f64>().ok().map(|n| n * mult);
        }
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("100Gi"), Some(107_374_182_400.0));
        assert_eq!(parse_quantity("9630M"), Some(9.63e9));
        assert_eq!(parse_quantity("143k"), Some(143_000.0));
        assert_eq!(parse_quantity("12345"), Some(12345.0));
        assert_eq!(parse_quantity("1.5e3"), Some(1500.0));
        assert_eq!(parse_quantity("lots"), None);
    }
}

//! The Snapshot: everything the checks see, built either live (by `collect`/`check`) or from a
//! bundle (by `analyze`/`serve`).
//!
//! The invariant the whole design rests on: a snapshot holds exactly what the bundle holds, after
//! redaction, so `analyze bundle.tar.gz` gives the same findings as the `collect` that wrote it.
//! To keep that true, both paths feed the same [`SnapshotBuilder`] with the same values (the
//! redacted objects and the kept log bytes), and [`SnapshotBuilder::finish`] puts everything in a
//! canonical order.
//!
//! Memory: objects are kept as [`FrozenValue`]s (sorted slices with shared strings, a third of
//! the size of `serde_json::Value`) minus `metadata.managedFields`; events, the most numerous
//! kind, are kept as compact [`EventRecord`]s; logs are never kept, only the
//! matches of the log patterns the check set asked for ([`LogPatterns`]), found while the bytes
//! stream past.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use regex::bytes::{Regex, RegexSet};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::frozen::{FrozenValue, Interner, JsonRead};

/// Where a snapshot came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A live cluster.
    Live,
    /// A bundle written by mayadiag.
    Mayadiag,
    /// A bundle written by troubleshoot.sh (or any other tool using its layout).
    Troubleshoot,
}

/// Facts about the snapshot as a whole.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotMeta {
    /// Where it came from.
    pub source: Source,
    /// When the cluster was read; the reference time for "recent" and "age" in checks.
    pub collected_at: DateTime<Utc>,
    /// `gitVersion` of the API server, when known.
    pub cluster_version: Option<String>,
}

/// A Kubernetes event, reduced to what checks and reports use.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct EventRecord {
    /// `metadata`, reduced to name and namespace.
    pub metadata: EventMeta,
    /// The object the event is about.
    pub involved_object: ObjectRef,
    /// `reason`, e.g. `FailedMount`.
    pub reason: String,
    /// `message`, redacted.
    pub message: String,
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// How many times it happened (`count`, or `series.count` for events.k8s.io events).
    pub count: Option<u64>,
    /// First occurrence.
    pub first_timestamp: Option<DateTime<Utc>>,
    /// Last occurrence.
    pub last_timestamp: Option<DateTime<Utc>>,
    /// `eventTime` (set by newer reporters instead of the timestamps above).
    pub event_time: Option<DateTime<Utc>>,
    /// `source.component`.
    pub source: EventSource,
    /// `reportingComponent`.
    pub reporting_component: Option<String>,
}

/// Name and namespace of an event.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct EventMeta {
    /// Event name.
    pub name: String,
    /// Event namespace.
    pub namespace: String,
}

/// `source` of an event.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct EventSource {
    /// Reporting component, e.g. `kubelet`.
    pub component: Option<String>,
    /// Node the reporter ran on.
    pub host: Option<String>,
}

/// A reference to an object (`involvedObject`, a finding's object).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(default)]
pub struct ObjectRef {
    /// Kind, e.g. `Pod`.
    pub kind: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// UID, when known.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
}

impl EventRecord {
    /// The most recent time the event was seen.
    pub fn last_seen(&self) -> Option<DateTime<Utc>> {
        self.last_timestamp.or(self.event_time).or(self.first_timestamp)
    }

    /// `count`, defaulting to 1.
    pub fn occurrences(&self) -> u64 {
        self.count.unwrap_or(1).max(1)
    }
}

/// Identifies one container log in a snapshot and a bundle.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LogKey {
    /// Pod namespace.
    pub namespace: String,
    /// Pod name.
    pub pod: String,
    /// Container name.
    pub container: String,
    /// The log of the previous container instance.
    pub previous: bool,
}

impl LogKey {
    /// The path of this log inside `cluster-resources/`.
    pub fn bundle_path(&self) -> String {
        let suffix = if self.previous { "-previous" } else { "" };
        format!("pods/logs/{}/{}/{}{}.log", self.namespace, self.pod, self.container, suffix)
    }

    /// Parse `pods/logs/<ns>/<pod>/<container>[-previous].log` (relative to `cluster-resources/`).
    ///
    /// A container literally named `x-previous` is indistinguishable from the previous log of
    /// `x`; we resolve it as the previous log, as troubleshoot.sh does.
    pub fn from_bundle_path(rel: &str) -> Option<LogKey> {
        let rest = rel.strip_prefix("pods/logs/")?;
        let mut parts = rest.splitn(3, '/');
        let namespace = parts.next()?.to_string();
        let pod = parts.next()?.to_string();
        let file = parts.next()?;
        if file.contains('/') {
            return None;
        }
        let stem = file.strip_suffix(".log")?;
        let (container, previous) = match stem.strip_suffix("-previous") {
            Some(c) => (c.to_string(), true),
            None => (stem.to_string(), false),
        };
        Some(LogKey { namespace, pod, container, previous })
    }
}

/// Size facts about one collected log.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LogMeta {
    /// Bytes kept in the bundle.
    pub bytes: u64,
}

/// How often one log pattern matched in one log, with the first and last matching line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PatternHit {
    /// The pattern id (the check id that asked for it).
    pub pattern: String,
    /// Matching lines.
    pub count: u64,
    /// The first matching line, trimmed to [`MAX_QUOTED_LINE`] bytes.
    pub first: String,
    /// The last matching line, trimmed likewise.
    pub last: String,
}

/// Longest line quoted in a finding.
pub const MAX_QUOTED_LINE: usize = 400;

/// The log regexes a check set wants matched, compiled once.
///
/// Scanning never keeps log bytes: a few finder regexes find candidate lines quickly, and the set
/// tells which patterns matched each candidate. The case-sensitive patterns share one finder (its
/// literal prefilter skips most text); each case-insensitive pattern gets its own, because joined
/// with the others its case variants defeat the prefilter and the whole text goes through the
/// lazy DFA (2.7x slower on the 3,000-pod benchmark, `cargo bench --bench log_scan`).
#[derive(Debug, Clone)]
pub struct LogPatterns {
    ids: Vec<String>,
    finders: Vec<Regex>,
    set: RegexSet,
}

impl LogPatterns {
    /// Compile `(id, regex)` pairs. The error names the pattern that failed.
    pub fn new(patterns: Vec<(String, String)>) -> Result<LogPatterns, (String, regex::Error)> {
        for (id, re) in &patterns {
            Regex::new(re).map_err(|e| (id.clone(), e))?;
        }
        let ids: Vec<String> = patterns.iter().map(|(id, _)| id.clone()).collect();
        let sources: Vec<&str> = patterns.iter().map(|(_, re)| re.as_str()).collect();
        let set = RegexSet::new(&sources).map_err(|e| (String::from("<set>"), e))?;
        let (folded, plain): (Vec<&str>, Vec<&str>) = sources.iter().partition(|s| s.starts_with("(?i)"));
        let mut finders = Vec::new();
        if !plain.is_empty() {
            let joined = plain.iter().map(|s| format!("(?:{s})")).collect::<Vec<_>>().join("|");
            finders.push(Regex::new(&joined).map_err(|e| (String::from("<combined>"), e))?);
        }
        for source in folded {
            finders.push(Regex::new(source).map_err(|e| (String::from("<combined>"), e))?);
        }
        Ok(LogPatterns { ids, finders, set })
    }

    /// No patterns at all.
    pub fn empty() -> LogPatterns {
        LogPatterns { ids: Vec::new(), finders: Vec::new(), set: RegexSet::empty() }
    }

    /// Pattern ids, in order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Scan a whole log (the bytes kept in the bundle) and return the hits, ordered by pattern.
    pub fn scan(&self, text: &[u8]) -> Vec<PatternHit> {
        // Candidate lines of every finder, each line once, in log order (a line is a candidate
        // when any pattern's match starts in it, as with a single joined regex).
        let mut lines: Vec<(usize, usize)> = Vec::new();
        for finder in &self.finders {
            let mut pos = 0;
            while pos < text.len() {
                let Some(m) = finder.find_at(text, pos) else { break };
                let start = memchr::memrchr(b'\n', &text[..m.start()]).map_or(0, |i| i + 1);
                let end = memchr::memchr(b'\n', &text[m.start()..]).map_or(text.len(), |i| m.start() + i);
                lines.push((start, end));
                pos = end + 1;
            }
        }
        if self.finders.len() > 1 {
            lines.sort_unstable();
            lines.dedup();
        }
        let mut hits: BTreeMap<usize, PatternHit> = BTreeMap::new();
        for (start, end) in lines {
            let line = &text[start..end];
            for idx in self.set.matches(line).iter() {
                let quoted = quote_line(line);
                hits.entry(idx)
                    .and_modify(|h| {
                        h.count += 1;
                        h.last = quoted.clone();
                    })
                    .or_insert_with(|| PatternHit {
                        pattern: self.ids[idx].clone(),
                        count: 1,
                        first: quoted.clone(),
                        last: quoted,
                    });
            }
        }
        hits.into_values().collect()
    }
}

fn quote_line(line: &[u8]) -> String {
    let line = if line.last() == Some(&b'\r') { &line[..line.len() - 1] } else { line };
    let cut = line.len().min(MAX_QUOTED_LINE);
    let mut s = String::from_utf8_lossy(&line[..cut]).into_owned();
    if line.len() > MAX_QUOTED_LINE {
        s.push('…');
    }
    s
}

/// Error-level lines kept per log: the last ones, enough to say why a container died.
pub const ERROR_TAIL_LINES: usize = 3;
/// Only the end of a log is searched for them (a crash's reason is at the end).
const ERROR_TAIL_WINDOW: usize = 32 * 1024;

/// A line that logs at error level or worse, in the formats OpenEBS, Litmus and common
/// applications use: `ERROR`/`FATAL` words, logrus/zap `level=error`/`"level":"fatal"`, klog
/// `E1130`/`F1130` prefixes, `Error:`/`panic:` line starts, and a few kernel/runtime phrases.
static ERROR_LEVEL: std::sync::LazyLock<Option<Regex>> = std::sync::LazyLock::new(|| {
    Regex::new(
        r#"(?m)\b(ERROR|FATAL|PANIC|CRITICAL|Error|Fatal)\b[\]:\s]|level=(error|fatal|panic)|"level":"(error|fatal|panic|dpanic)"|^\s*[EF]\d{4} \d|^\s*(Error|error|panic|fatal|FATAL|ERROR)[:!]|exec format error|Traceback \(most recent call last\)|Segmentation fault|Killed$"#,
    )
    .ok()
});

/// The last [`ERROR_TAIL_LINES`] error-level lines of a log (the kept, already redacted bytes),
/// oldest first, each trimmed to [`MAX_QUOTED_LINE`].
pub fn error_tail(text: &[u8]) -> Vec<String> {
    let Some(re) = ERROR_LEVEL.as_ref() else { return Vec::new() };
    let mut start = text.len().saturating_sub(ERROR_TAIL_WINDOW);
    if start > 0 {
        start = text[start..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| start + i + 1);
    }
    // One pass of the automaton over the window (much faster than a match per line); the line
    // of each match is found around it, and only the last few kept.
    let window = &text[start..];
    let mut last: std::collections::VecDeque<(usize, usize)> = std::collections::VecDeque::new();
    let mut pos = 0;
    while pos < window.len() {
        let Some(m) = re.find_at(window, pos) else { break };
        let from = window[..m.start()].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let to = window[m.start()..].iter().position(|&b| b == b'\n').map_or(window.len(), |i| m.start() + i);
        if last.len() == ERROR_TAIL_LINES {
            last.pop_front();
        }
        last.push_back((from, to));
        pos = to + 1;
    }
    last.into_iter().map(|(from, to)| quote_line(&window[from..to])).collect()
}

/// A resource that could not be collected, as recorded in the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CollectionGap {
    /// Resource id or log key.
    pub what: String,
    /// Why.
    pub reason: String,
}

/// The snapshot checks run on. Build it with [`SnapshotBuilder`].
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Facts about the snapshot.
    pub meta: SnapshotMeta,
    objects: BTreeMap<String, Vec<FrozenValue>>,
    events: Vec<EventRecord>,
    logs: BTreeMap<LogKey, LogMeta>,
    log_hits: BTreeMap<LogKey, Vec<PatternHit>>,
    log_tails: BTreeMap<LogKey, Vec<String>>,
    node_reports: Vec<FrozenValue>,
    gaps: Vec<CollectionGap>,
}

impl Snapshot {
    /// All objects of a resource (`pods`, `deployments.apps`, `cstorvolumes.cstor.openebs.io`),
    /// sorted by namespace and name. Events are not here: see [`Snapshot::events`].
    pub fn objects(&self, resource_id: &str) -> &[FrozenValue] {
        self.objects.get(resource_id).map_or(&[], |v| &v[..])
    }

    /// Every resource id that has at least one object.
    pub fn resource_ids(&self) -> impl Iterator<Item = &str> {
        self.objects.keys().map(String::as_str)
    }

    /// One object by namespace (empty for cluster-scoped) and name.
    pub fn get(&self, resource_id: &str, namespace: &str, name: &str) -> Option<&FrozenValue> {
        self.objects(resource_id)
            .iter()
            .find(|o| meta_str(*o, "namespace") == namespace && meta_str(*o, "name") == name)
    }

    /// All events, sorted by namespace and name.
    pub fn events(&self) -> &[EventRecord] {
        &self.events
    }

    /// Events about one object.
    pub fn events_for<'a>(
        &'a self,
        kind: &'a str,
        namespace: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a EventRecord> + 'a {
        self.events.iter().filter(move |e| {
            e.involved_object.kind == kind && e.involved_object.name == name && e.involved_object.namespace == namespace
        })
    }

    /// Every collected log with its size.
    pub fn logs(&self) -> &BTreeMap<LogKey, LogMeta> {
        &self.logs
    }

    /// Pattern hits in one log (empty when nothing matched).
    pub fn log_hits(&self, key: &LogKey) -> &[PatternHit] {
        self.log_hits.get(key).map_or(&[][..], |v| &v[..])
    }

    /// The last error-level lines of one log (see [`error_tail`]); empty when none.
    pub fn error_tail(&self, key: &LogKey) -> &[String] {
        self.log_tails.get(key).map_or(&[][..], |v| &v[..])
    }

    /// All logs with at least one hit.
    pub fn all_log_hits(&self) -> &BTreeMap<LogKey, Vec<PatternHit>> {
        &self.log_hits
    }

    /// NodeReport objects written by the agent (see `agent`).
    pub fn node_reports(&self) -> &[FrozenValue] {
        &self.node_reports
    }

    /// What could not be collected.
    pub fn gaps(&self) -> &[CollectionGap] {
        &self.gaps
    }

    /// Number of objects, events and logs, for summaries.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.objects.values().map(Vec::len).sum(), self.events.len(), self.logs.len())
    }
}

/// `metadata.<field>` of an object as a string, or `""`.
pub fn meta_str<'a, V: JsonRead>(obj: &'a V, field: &str) -> &'a str {
    obj.field("metadata").and_then(|m| m.field(field)).and_then(V::text).unwrap_or("")
}

/// The value at a dotted path (`status.phase`, `spec.drivers`), if present.
pub fn path<'a, V: JsonRead>(obj: &'a V, dotted: &str) -> Option<&'a V> {
    dotted
        .split('.')
        .filter(|s| !s.is_empty())
        .try_fold(obj, |v, key| v.field(key).or_else(|| key.parse::<usize>().ok().and_then(|i| v.element(i))))
}

/// Removes what never helps a diagnosis and only costs memory and bytes.
pub fn strip_noise(obj: &mut Value) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
}

/// Accumulates a snapshot; both the live collector and the bundle reader use it.
#[derive(Debug)]
pub struct SnapshotBuilder {
    meta: SnapshotMeta,
    objects: BTreeMap<String, Vec<FrozenValue>>,
    events: Vec<EventRecord>,
    logs: BTreeMap<LogKey, LogMeta>,
    log_hits: BTreeMap<LogKey, Vec<PatternHit>>,
    log_tails: BTreeMap<LogKey, Vec<String>>,
    node_reports: Vec<FrozenValue>,
    gaps: Vec<CollectionGap>,
    /// Shares strings across every object of this snapshot; dropped by `finish`.
    interner: Interner,
}

impl SnapshotBuilder {
    /// Start a snapshot.
    pub fn new(meta: SnapshotMeta) -> SnapshotBuilder {
        SnapshotBuilder {
            meta,
            objects: BTreeMap::new(),
            events: Vec::new(),
            logs: BTreeMap::new(),
            log_hits: BTreeMap::new(),
            log_tails: BTreeMap::new(),
            node_reports: Vec::new(),
            gaps: Vec::new(),
            interner: Interner::default(),
        }
    }

    /// Change the metadata (e.g. once the cluster version is known).
    pub fn meta_mut(&mut self) -> &mut SnapshotMeta {
        &mut self.meta
    }

    /// Add one (already redacted) object of a resource. Events go to [`SnapshotBuilder::add_event`].
    pub fn add_object(&mut self, resource_id: &str, mut obj: Value) {
        strip_noise(&mut obj);
        if resource_id == "events" {
            if let Ok(ev) = serde_json::from_value::<EventRecord>(obj) {
                self.events.push(ev);
            }
            return;
        }
        let frozen = self.interner.freeze(obj);
        self.objects.entry(resource_id.to_string()).or_default().push(frozen);
    }

    /// Add an event.
    pub fn add_event(&mut self, event: EventRecord) {
        self.events.push(event);
    }

    /// Record a log and its pattern hits (from [`LogPatterns::scan`] over the kept bytes).
    pub fn add_log(&mut self, key: LogKey, meta: LogMeta, hits: Vec<PatternHit>) {
        if !hits.is_empty() {
            self.log_hits.insert(key.clone(), hits);
        }
        self.logs.insert(key, meta);
    }

    /// Record a log with its pattern hits and its error tail, both read from the kept bytes:
    /// what the live collector and the bundle reader both call, so they keep the same.
    pub fn add_log_text(&mut self, key: LogKey, text: &[u8], patterns: &LogPatterns) {
        let tail = error_tail(text);
        if !tail.is_empty() {
            self.log_tails.insert(key.clone(), tail);
        }
        self.add_log(key, LogMeta { bytes: text.len() as u64 }, patterns.scan(text));
    }

    /// Add an agent NodeReport.
    pub fn add_node_report(&mut self, report: Value) {
        let frozen = self.interner.freeze(report);
        self.node_reports.push(frozen);
    }

    /// Record something that could not be collected.
    pub fn add_gap(&mut self, what: impl Into<String>, reason: impl Into<String>) {
        self.gaps.push(CollectionGap { what: what.into(), reason: reason.into() });
    }

    /// Put everything in canonical order and freeze.
    pub fn finish(mut self) -> Snapshot {
        for list in self.objects.values_mut() {
            list.sort_by(|a, b| {
                (meta_str(a, "namespace"), meta_str(a, "name")).cmp(&(meta_str(b, "namespace"), meta_str(b, "name")))
            });
            list.dedup_by(|a, b| {
                meta_str(a, "namespace") == meta_str(b, "namespace") && meta_str(a, "name") == meta_str(b, "name")
            });
        }
        self.events
            .sort_by(|a, b| (&a.metadata.namespace, &a.metadata.name).cmp(&(&b.metadata.namespace, &b.metadata.name)));
        self.node_reports.sort_by(|a, b| meta_str(a, "name").cmp(meta_str(b, "name")));
        self.gaps.sort_by(|a, b| (&a.what, &a.reason).cmp(&(&b.what, &b.reason)));
        self.gaps.dedup();
        Snapshot {
            meta: self.meta,
            objects: self.objects,
            events: self.events,
            logs: self.logs,
            log_hits: self.log_hits,
            log_tails: self.log_tails,
            node_reports: self.node_reports,
            gaps: self.gaps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta() -> SnapshotMeta {
        SnapshotMeta { source: Source::Live, collected_at: Utc::now(), cluster_version: None }
    }

    #[test]
    fn log_key_paths_round_trip() {
        let k =
            LogKey { namespace: "openebs".into(), pod: "p-1".into(), container: "io-engine".into(), previous: true };
        assert_eq!(k.bundle_path(), "pods/logs/openebs/p-1/io-engine-previous.log");
        assert_eq!(LogKey::from_bundle_path(&k.bundle_path()), Some(k));
        assert_eq!(LogKey::from_bundle_path("pods/openebs.json"), None);
    }

    #[test]
    fn scan_counts_and_quotes_lines() {
        let p = LogPatterns::new(vec![
            ("hugepages".into(), r"insufficient (free )?pages available".into()),
            ("etcd".into(), r"member not found".into()),
        ])
        .unwrap();
        let text = b"ok\ninsufficient free pages available PAGES_NEEDED=1024\nfine\nx insufficient pages available\r\n";
        let hits = p.scan(text);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].pattern, "hugepages");
        assert_eq!(hits[0].count, 2);
        assert_eq!(hits[0].first, "insufficient free pages available PAGES_NEEDED=1024");
        assert_eq!(hits[0].last, "x insufficient pages available");
    }

    #[test]
    fn case_insensitive_patterns_share_lines_with_the_others() {
        let p = LogPatterns::new(vec![
            ("ro".into(), r"(?i)read-only file system".into()),
            ("io".into(), r"input/output error".into()),
        ])
        .unwrap();
        let text = b"a Read-Only File System\nboth: input/output error, read-only file system\nx\ninput/output error\n";
        let hits = p.scan(text);
        assert_eq!(hits.len(), 2);
        assert_eq!((hits[0].pattern.as_str(), hits[0].count), ("ro", 2));
        assert_eq!(hits[0].first, "a Read-Only File System");
        assert_eq!(hits[0].last, "both: input/output error, read-only file system");
        assert_eq!((hits[1].pattern.as_str(), hits[1].count), ("io", 2));
        assert_eq!(hits[1].first, "both: input/output error, read-only file system");
        assert_eq!(hits[1].last, "input/output error");
    }

    #[test]
    fn error_tail_keeps_the_last_error_lines_in_order() {
        let text = b"INFO start\nE1130 12:00:00.1 1 x.go:1] first\nok\ntime=\"t\" level=error msg=\"second\"\n\
            no error here\nError: invalid config key \"lsiten\"\n2026 ERROR cannot reach db\nINFO bye\n";
        let tail = error_tail(text);
        assert_eq!(
            tail,
            vec![
                "time=\"t\" level=error msg=\"second\"".to_string(),
                "Error: invalid config key \"lsiten\"".into(),
                "2026 ERROR cannot reach db".into()
            ]
        );
        assert!(error_tail(b"all fine\nno error here\nerrors=0\n").is_empty());
        let long = [b"x\n".repeat(40_000), b"FATAL at the end\n".to_vec()].concat();
        assert_eq!(error_tail(&long), vec!["FATAL at the end".to_string()]);
    }

    #[test]
    fn bad_pattern_is_named() {
        let err = LogPatterns::new(vec![("bad-check".into(), "(".into())]).unwrap_err();
        assert_eq!(err.0, "bad-check");
    }

    #[test]
    fn events_become_records_and_objects_sort() {
        let mut b = SnapshotBuilder::new(meta());
        b.add_object("pods", json!({"metadata": {"name": "b", "namespace": "x", "managedFields": [1]}}));
        b.add_object("pods", json!({"metadata": {"name": "a", "namespace": "x"}}));
        b.add_object(
            "events",
            json!({"metadata": {"name": "e", "namespace": "x"}, "involvedObject": {"kind": "Pod", "name": "a", "namespace": "x"},
                   "reason": "FailedMount", "message": "m", "type": "Warning", "count": 3,
                   "lastTimestamp": "2024-01-01T00:00:00Z"}),
        );
        let s = b.finish();
        assert_eq!(meta_str(&s.objects("pods")[0], "name"), "a");
        assert!(s.objects("pods")[1]["metadata"].get("managedFields").is_none());
        assert_eq!(s.events_for("Pod", "x", "a").count(), 1);
        assert_eq!(s.events()[0].occurrences(), 3);
    }

    #[test]
    fn dotted_paths() {
        let v = json!({"status": {"conditions": [{"type": "Ready"}]}});
        assert_eq!(path(&v, "status.conditions.0.type"), Some(&json!("Ready")));
        assert_eq!(path(&v, "status.missing"), None);
    }
}

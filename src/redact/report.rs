//! What redaction did, for `mayadiag/redaction-report.json`: counts per rule and per file, and the files
//! that were dropped because redacting them failed. Never holds a value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A file replaced by a note because redacting it failed (fail closed).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DroppedFile {
    pub file: String,
    pub reason: String,
}

/// Counts of masked values; see the module doc.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq, Eq)]
pub struct RedactionReport {
    /// Total number of masked or pseudonymised values.
    total: u64,
    /// rule -> count.
    per_rule: BTreeMap<String, u64>,
    /// file -> rule -> count.
    per_file: BTreeMap<String, BTreeMap<String, u64>>,
    dropped: Vec<DroppedFile>,
}

impl RedactionReport {
    /// Adds `count` hits of `rule` in `file`.
    pub fn record(&mut self, file: &str, rule: &str, count: u64) {
        if count == 0 {
            return;
        }
        self.total += count;
        *self.per_rule.entry(rule.to_string()).or_default() += count;
        *self.per_file.entry(file.to_string()).or_default().entry(rule.to_string()).or_default() += count;
    }

    /// Records that `file` was replaced by [`super::dropped_file_note`].
    pub fn record_dropped(&mut self, file: &str, reason: &str) {
        self.dropped.push(DroppedFile { file: file.to_string(), reason: reason.to_string() });
    }

    pub fn merge(&mut self, other: RedactionReport) {
        for (file, rules) in other.per_file {
            for (rule, count) in rules {
                self.record(&file, &rule, count);
            }
        }
        self.dropped.extend(other.dropped);
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn per_rule(&self) -> &BTreeMap<String, u64> {
        &self.per_rule
    }

    pub fn per_file(&self) -> &BTreeMap<String, BTreeMap<String, u64>> {
        &self.per_file
    }

    pub fn dropped(&self) -> &[DroppedFile] {
        &self.dropped
    }

    /// Number of files replaced by a note.
    pub fn dropped_count(&self) -> u64 {
        self.dropped.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_and_merge_add_up() {
        let mut first = RedactionReport::default();
        first.record("a.log", "jwt", 2);
        first.record("a.log", "password", 1);
        let mut second = RedactionReport::default();
        second.record("b.json", "jwt", 3);
        second.record_dropped("c.log", "boom");
        first.merge(second);
        assert_eq!(first.total(), 6);
        assert_eq!(first.per_rule()["jwt"], 5);
        assert_eq!(first.per_file()["b.json"]["jwt"], 3);
        assert_eq!(first.dropped().len(), 1);
        assert_eq!(first.dropped_count(), 1);
        let json = serde_json::to_string(&first).unwrap();
        let back: RedactionReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, first);
    }

    #[test]
    fn zero_counts_leave_no_entry() {
        let mut report = RedactionReport::default();
        report.record("a", "jwt", 0);
        assert!(report.per_file().is_empty());
    }
}

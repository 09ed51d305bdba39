//! TEMPORARY pass-through with the redaction API, until src/redact lands.
#![allow(missing_docs, dead_code)]
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct RedactOptions {
    pub user_config: Option<PathBuf>,
    pub redact_ips: bool,
    pub redact_hostnames: bool,
    pub known_hostnames: Vec<String>,
}
#[derive(Debug, thiserror::Error)]
#[error("redaction config: {0}")]
pub struct RedactConfigError(String);
#[derive(Debug, thiserror::Error)]
#[error("redaction failed: {0}")]
pub struct RedactError(String);
#[derive(Debug, Clone)]
pub struct Redactor {
    enabled: bool,
}
impl Redactor {
    pub fn new(_opts: &RedactOptions) -> Result<Redactor, RedactConfigError> {
        Ok(Redactor { enabled: true })
    }
    pub fn disabled() -> Redactor {
        Redactor { enabled: false }
    }
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }
    pub fn redact_object(
        &self,
        _obj: &mut serde_json::Value,
        _file: &str,
        _r: &mut RedactionReport,
    ) -> Result<(), RedactError> {
        Ok(())
    }
    pub fn redact_text(&self, t: &str, _file: &str, _r: &mut RedactionReport) -> Result<String, RedactError> {
        Ok(t.to_string())
    }
    pub fn stream(&self, _file: &str) -> StreamRedactor {
        StreamRedactor
    }
}
pub struct StreamRedactor;
impl StreamRedactor {
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), RedactError> {
        out.extend_from_slice(chunk);
        Ok(())
    }
    pub fn finish(self, _out: &mut Vec<u8>, _r: &mut RedactionReport) -> Result<(), RedactError> {
        Ok(())
    }
}
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct RedactionReport {
    per_rule: BTreeMap<String, u64>,
}
impl RedactionReport {
    pub fn merge(&mut self, _o: RedactionReport) {}
    pub fn total(&self) -> u64 {
        0
    }
    pub fn record_dropped(&mut self, _f: &str, _r: &str) {}
    pub fn per_rule(&self) -> &BTreeMap<String, u64> {
        &self.per_rule
    }
}
pub fn dropped_file_note(file: &str, reason: &str) -> String {
    format!("dropped {file}: {reason}\n")
}
impl RedactionReport {
    pub fn dropped_count(&self) -> u64 {
        0
    }
}

//! Structured redaction of Kubernetes objects (JSON values), in place.
//!
//! - `{"name": "<sensitive>", "value": "…"}` pairs (container env, Litmus experiment env) lose the value;
//! - string or number fields whose key is sensitive (`password`, `accessKey`, `client-key-data`) are masked;
//! - `kubectl.kubernetes.io/last-applied-configuration` is parsed and redacted as an object of its own;
//! - `["--password", "x"]` argument lists lose the value after a sensitive flag;
//! - Secret `data`/`stringData` are masked wholesale (the collector never reads them; this is a backstop);
//! - user object paths mask whole subtrees; every other string goes through the text detectors.

use std::sync::Arc;

use serde_json::Value;

use super::RedactError;
use super::detectors::{R_ENV, is_maskable_value, kind_rule};
use super::engine::Engine;
use super::keys;
use super::report::RedactionReport;
use super::stream::StreamRedactor;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Deeper JSON is refused (fail closed) rather than risking the stack.
const MAX_DEPTH: usize = 128;
/// Rule name reported for user object paths.
const PATH_RULE: &str = "object-path";

pub(crate) struct ObjectRedactor<'a> {
    engine: &'a Arc<Engine>,
    file: &'a str,
    report: &'a mut RedactionReport,
}

fn mask(rule: &str) -> Value {
    Value::String(format!("***REDACTED:{rule}***"))
}

impl<'a> ObjectRedactor<'a> {
    pub(crate) fn new(engine: &'a Arc<Engine>, file: &'a str, report: &'a mut RedactionReport) -> Self {
        ObjectRedactor { engine, file, report }
    }

    pub(crate) fn redact(&mut self, value: &mut Value) -> Result<(), RedactError> {
        self.walk(value, &mut Vec::new(), 0)
    }

    fn path_matches(&self, path: &[String]) -> bool {
        self.engine.object_paths.iter().any(|pattern| {
            pattern.len() == path.len()
                && pattern.iter().zip(path).all(|(want, got)| want.as_deref().is_none_or(|want| want == got))
        })
    }

    fn mask_value(&mut self, value: &mut Value, rule: &str) {
        *value = mask(rule);
        self.report.record(self.file, rule, 1);
    }

    fn walk(&mut self, value: &mut Value, path: &mut Vec<String>, depth: usize) -> Result<(), RedactError> {
        if depth > MAX_DEPTH {
            return Err(RedactError::TooDeep { file: self.file.to_string(), depth: MAX_DEPTH });
        }
        if !path.is_empty() && self.path_matches(path) {
            self.mask_value(value, PATH_RULE);
            return Ok(());
        }
        match value {
            Value::Object(map) => {
                let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
                let is_list = kind.ends_with("List") && map.get("items").is_some_and(Value::is_array);
                let sensitive_pair = map
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|name| keys::classify(name.as_bytes()).is_some());
                for (key, child) in map.iter_mut() {
                    if is_list && key == "items" {
                        if let Value::Array(items) = child {
                            for item in items {
                                // Each item is an object of its own: paths start again at its root.
                                self.walk(item, &mut Vec::new(), depth + 1)?;
                            }
                        }
                        continue;
                    }
                    if sensitive_pair && key == "value" && scalar_is_maskable(child) {
                        self.mask_value(child, rule_name(R_ENV));
                        continue;
                    }
                    if kind == "Secret" && (key == "data" || key == "stringData") {
                        if let Value::Object(entries) = child {
                            for entry in entries.values_mut() {
                                self.mask_value(entry, "secret");
                            }
                        }
                        continue;
                    }
                    path.push(key.clone());
                    let result = self.walk_field(key, child, path, depth);
                    path.pop();
                    result?;
                }
            }
            Value::Array(items) => {
                let mut mask_next: Option<&'static str> = None;
                for (index, item) in items.iter_mut().enumerate() {
                    if let Some(rule) = mask_next.take()
                        && let Value::String(text) = item
                        && !text.starts_with('-')
                        && is_maskable_value(text.as_bytes())
                    {
                        self.mask_value(item, rule);
                        continue;
                    }
                    if let Value::String(text) = item
                        && let Some(flag) = text.strip_prefix("--").or_else(|| text.strip_prefix('-'))
                        && !flag.contains('=')
                    {
                        mask_next = keys::classify(flag.as_bytes()).map(|kind| rule_name(kind_rule(kind)));
                    }
                    path.push(index.to_string());
                    let result = self.walk(item, path, depth + 1);
                    path.pop();
                    result?;
                }
            }
            Value::String(text) => {
                if let Some(redacted) = self.redact_string(text)? {
                    *text = redacted;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn walk_field(
        &mut self,
        key: &str,
        child: &mut Value,
        path: &mut Vec<String>,
        depth: usize,
    ) -> Result<(), RedactError> {
        if self.path_matches(path) {
            self.mask_value(child, PATH_RULE);
            return Ok(());
        }
        // The last-applied annotation (and any other string holding a JSON object or array, as
        // annotations often do) is redacted as the structure it is, not masked or regex-scanned whole.
        // Not JSON: falls through to the key check and the text detectors.
        if let Value::String(text) = child
            && (key == LAST_APPLIED || looks_like_json_document(text))
            && let Ok(mut inner) = serde_json::from_str::<Value>(text)
            && (inner.is_object() || inner.is_array())
        {
            let trailing_newline = text.ends_with('\n');
            self.walk(&mut inner, &mut Vec::new(), depth + 1)?;
            *text = serde_json::to_string(&inner).map_err(|err| RedactError::Internal(err.to_string()))?;
            if trailing_newline {
                text.push('\n');
            }
            return Ok(());
        }
        if let Some(kind) = keys::classify(key.as_bytes())
            && scalar_is_maskable(child)
        {
            self.mask_value(child, rule_name(kind_rule(kind)));
            return Ok(());
        }
        self.walk(child, path, depth + 1)
    }

    /// Runs a string through the text detectors; `None` when nothing changed.
    fn redact_string(&mut self, text: &str) -> Result<Option<String>, RedactError> {
        if !self.engine.may_match(text.as_bytes()) {
            return Ok(None);
        }
        let mut stream = StreamRedactor::new(Some(self.engine.clone()), self.file);
        let mut out = Vec::with_capacity(text.len());
        stream.push(text.as_bytes(), &mut out)?;
        stream.finish(&mut out, self.report)?;
        if out == text.as_bytes() {
            return Ok(None);
        }
        Ok(Some(String::from_utf8(out).unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())))
    }
}

fn rule_name(rule: super::detectors::RuleId) -> &'static str {
    super::detectors::BUILTIN_RULES.get(usize::from(rule)).copied().unwrap_or("secret")
}

fn looks_like_json_document(text: &str) -> bool {
    let trimmed = text.trim();
    (trimmed.starts_with('{') && trimmed.ends_with('}')) || (trimmed.starts_with('[') && trimmed.ends_with(']'))
}

/// Strings and numbers can hold a secret; objects, arrays, booleans and nulls are walked or kept.
fn scalar_is_maskable(value: &Value) -> bool {
    match value {
        Value::String(text) => is_maskable_value(text.as_bytes()),
        Value::Number(_) => true,
        _ => false,
    }
}

#[cfg(test)]
#[path = "structured_tests.rs"]
mod tests;

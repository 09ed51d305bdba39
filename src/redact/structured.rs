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
use super::detectors::{
    R_DOCUMENT, R_ENV, R_HIGH_ENTROPY, R_PGPASS, R_WEBHOOK, high_entropy, is_maskable_value, is_public_material,
    kind_rule, webhook_path,
};
use super::engine::Engine;
use super::keys;
use super::report::RedactionReport;
use super::stream::StreamRedactor;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Deeper JSON is refused (fail closed) rather than risking the stack.
const MAX_DEPTH: usize = 128;
/// Rule name reported for user object paths.
const PATH_RULE: &str = "object-path";
/// Strings up to this size that hold a YAML/JSON document are parsed and redacted structurally too.
const MAX_DOCUMENT: usize = 1 << 20;
/// A value found by parsing a document is masked wherever it occurs in it, if it is at least this long.
const MIN_DOCUMENT_VALUE: usize = 4;

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
                let pair_name = map.get("name").and_then(Value::as_str).unwrap_or_default();
                let sensitive_pair = keys::classify(pair_name.as_bytes()).is_some();
                let loose_pair = !sensitive_pair && keys::key_named(pair_name.as_bytes());
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
                    if sensitive_pair && key == "value" && scalar_is_maskable(child) && !is_public(child) {
                        self.mask_value(child, rule_name(R_ENV));
                        continue;
                    }
                    if loose_pair && key == "value" && child.as_str().is_some_and(|v| high_entropy(v.as_bytes())) {
                        self.mask_value(child, rule_name(R_HIGH_ENTROPY));
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
                if let Some(redacted) = self.redact_string(text, depth)? {
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
            && !is_public(child)
        {
            // A whole document under a sensitive name (`credentials: |` holding an AWS credentials file):
            // mask its secret values, keep the rest (`region`, `role_arn`); mask it whole if none is found.
            if let Value::String(text) = child
                && text.trim_end().contains('\n')
                && let Some(redacted) = self.redact_string(text, depth)?
            {
                *text = redacted;
                return Ok(());
            }
            self.mask_value(child, rule_name(kind_rule(kind)));
            return Ok(());
        }
        if let Value::String(text) = child {
            if keys::key_named(key.as_bytes()) && high_entropy(text.as_bytes()) {
                self.mask_value(child, rule_name(R_HIGH_ENTROPY));
                return Ok(());
            }
            if keys::is_webhook_name(key.as_bytes())
                && let Some(path) = webhook_path(text.as_bytes())
            {
                text.replace_range(path.., &format!("***REDACTED:{}***", rule_name(R_WEBHOOK)));
                self.report.record(self.file, rule_name(R_WEBHOOK), 1);
                return Ok(());
            }
        }
        self.walk(child, path, depth + 1)
    }

    /// Runs a string through the text detectors; `None` when nothing changed. A string holding a whole
    /// document (a values.yaml, application.yml, alertmanager config) is also parsed, redacted as an
    /// object (nested keys, env pairs, key-named random values) and the values found there masked in
    /// the text, which keeps its format; `.pgpass` lines are masked too (they carry no keyword).
    fn redact_string(&mut self, text: &str, depth: usize) -> Result<Option<String>, RedactError> {
        let document = text.trim_end().contains('\n');
        let found = if document { self.document_values(text, depth)? } else { Vec::new() };
        let may_match = self.engine.may_match(text.as_bytes());
        // `host:port:db:user:password` has no keyword: only strings with four colons are candidates.
        let pgpass_candidate = text.bytes().filter(|byte| *byte == b':').nth(3).is_some();
        if !may_match && found.is_empty() && !pgpass_candidate {
            return Ok(None);
        }
        let mut out = if may_match {
            let mut stream = StreamRedactor::new(Some(self.engine.clone()), self.file);
            let mut out = Vec::with_capacity(text.len());
            stream.push(text.as_bytes(), &mut out)?;
            stream.finish(&mut out, self.report)?;
            String::from_utf8(out).unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
        } else {
            text.to_string()
        };
        for value in &found {
            let (replaced, count) = replace_whole(&out, value, &format!("***REDACTED:{}***", rule_name(R_DOCUMENT)));
            if count > 0 {
                out = replaced;
                self.report.record(self.file, rule_name(R_DOCUMENT), count);
            }
        }
        if pgpass_candidate {
            out = self.mask_pgpass(&out);
        }
        Ok((out != text).then_some(out))
    }

    /// Parses `text` as YAML (JSON is YAML) and returns the scalar values the object rules mask in it.
    fn document_values(&mut self, text: &str, depth: usize) -> Result<Vec<String>, RedactError> {
        if text.len() > MAX_DOCUMENT || !(text.contains(':') || text.contains('=')) {
            return Ok(Vec::new());
        }
        let Ok(original) = serde_saphyr::from_str::<Value>(text) else { return Ok(Vec::new()) };
        if !(original.is_object() || original.is_array()) {
            return Ok(Vec::new());
        }
        let mut redacted = original.clone();
        // Counted by the literal replacement in the text, not here.
        let mut scratch = RedactionReport::default();
        ObjectRedactor { engine: self.engine, file: self.file, report: &mut scratch }.walk(
            &mut redacted,
            &mut Vec::new(),
            depth + 1,
        )?;
        let mut found = Vec::new();
        masked_scalars(&original, &redacted, &mut found);
        found.retain(|value| value.trim().len() >= MIN_DOCUMENT_VALUE && !value.contains("***REDACTED"));
        found.sort_by_key(|value| std::cmp::Reverse(value.len()));
        found.dedup();
        Ok(found)
    }

    fn mask_pgpass(&mut self, text: &str) -> String {
        let pgpass = &self.engine.builtins().pgpass;
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for caps in pgpass.captures_iter(text.as_bytes()) {
            let (Some(line), Some(value)) = (caps.get(0), caps.name("val")) else { continue };
            // IPv6 addresses (`fd00:10:244:1::5`) have the same shape.
            let ipv6 = line.as_bytes().trim_ascii().iter().all(|b| b.is_ascii_hexdigit() || b":./".contains(b));
            if ipv6 || !is_maskable_value(value.as_bytes()) || value.as_bytes().starts_with(b"***REDACTED") {
                continue;
            }
            out.push_str(&text[pos..value.start()]);
            out.push_str(&format!("***REDACTED:{}***", rule_name(R_PGPASS)));
            self.report.record(self.file, rule_name(R_PGPASS), 1);
            pos = value.end();
        }
        out.push_str(&text[pos..]);
        out
    }
}

/// Scalars of `original` that the object rules replaced by a mask in `redacted` (same shape).
fn masked_scalars(original: &Value, redacted: &Value, found: &mut Vec<String>) {
    match (original, redacted) {
        (Value::Object(before), Value::Object(after)) => {
            for (key, value) in before {
                if let Some(other) = after.get(key) {
                    masked_scalars(value, other, found);
                }
            }
        }
        (Value::Array(before), Value::Array(after)) => {
            for (value, other) in before.iter().zip(after) {
                masked_scalars(value, other, found);
            }
        }
        (Value::String(before), Value::String(after)) if before != after && after.starts_with("***REDACTED:") => {
            found.push(before.clone());
        }
        (Value::Number(before), Value::String(after)) if after.starts_with("***REDACTED:") => {
            found.push(before.to_string());
        }
        _ => {}
    }
}

/// Replaces occurrences of `needle` that are not part of a longer word (`1234` stays in `12345`).
fn replace_whole(text: &str, needle: &str, with: &str) -> (String, u64) {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut pos = 0;
    for (start, _) in text.match_indices(needle) {
        let end = start + needle.len();
        if start < pos
            || (is_word(needle.chars().next()) && is_word(text[..start].chars().next_back()))
            || (is_word(needle.chars().next_back()) && is_word(text[end..].chars().next()))
        {
            continue;
        }
        out.push_str(&text[pos..start]);
        out.push_str(with);
        pos = end;
        count += 1;
    }
    out.push_str(&text[pos..]);
    (out, count)
}

fn is_public(value: &Value) -> bool {
    value.as_str().is_some_and(|text| is_public_material(text.as_bytes()))
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

//! Redaction: nothing that looks like a secret leaves the customer's cluster.
//!
//! Built once per bundle ([`Redactor::new`]) from the built-in detectors plus the user's rule file, then
//! shared (it is `Send + Sync`) by every collector task:
//! - [`Redactor::redact_object`] for Kubernetes objects (structured, see `structured.rs`);
//! - [`Redactor::stream`] for logs (line-oriented, bounded memory, see `stream.rs`);
//! - [`Redactor::redact_text`] for a whole text.
//!
//! Masked values become `***REDACTED:<rule>***`. With `--redact-ips` / `--redact-hostnames`, addresses
//! and node names become consistent pseudonyms (`ip-3fa9c2d1`). Callers fail closed: when a function
//! here returns an error, the file is replaced by [`dropped_file_note`] and recorded as dropped.

mod config;
mod detectors;
mod engine;
mod keys;
mod pseudonym;
mod report;
mod stream;
mod structured;
mod trigram;

#[cfg(test)]
mod corpus_tests;

/// `tests/fixtures` of the crate, also when this module is compiled from a scratch crate via `#[path]`.
#[cfg(test)]
pub(crate) fn fixtures_dir() -> PathBuf {
    let this_file = std::path::Path::new(file!());
    match this_file.ancestors().nth(3) {
        Some(root) if this_file.is_absolute() => root.join("tests/fixtures"),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
    }
}

use std::path::PathBuf;
use std::sync::Arc;

pub use config::RedactConfigError;
pub use report::{DroppedFile, RedactionReport};
pub use stream::StreamRedactor;

use engine::Engine;

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct RedactOptions {
    /// `--redact-config FILE`.
    pub user_config: Option<PathBuf>,
    /// `--redact-ips`.
    pub redact_ips: bool,
    /// `--redact-hostnames`.
    pub redact_hostnames: bool,
    /// Node names and other host names to pseudonymise when `redact_hostnames` is set.
    pub known_hostnames: Vec<String>,
}

/// Redacting one file failed; the caller drops the file (fail closed).
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("{file}: object nested deeper than {depth} levels")]
    TooDeep { file: String, depth: usize },
    #[error("internal redaction error: {0}")]
    Internal(String),
}

/// The compiled rules of one bundle. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Redactor {
    engine: Option<Arc<Engine>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor").field("enabled", &self.is_enabled()).finish_non_exhaustive()
    }
}

impl Redactor {
    /// Built-in rules plus the user's rule file; a bad file is an error naming file, line and problem.
    pub fn new(opts: &RedactOptions) -> Result<Redactor, RedactConfigError> {
        let user = match &opts.user_config {
            Some(file) => config::load(file)?,
            None => config::UserConfig::default(),
        };
        let builtins = detectors::Builtins::new();
        let hostnames: &[String] = if opts.redact_hostnames { &opts.known_hostnames } else { &[] };
        let pseudonyms = pseudonym::Pseudonymizer::new(opts.redact_ips, hostnames).map_err(RedactConfigError::Build)?;
        let engine = Engine::new(builtins, user, pseudonyms).map_err(RedactConfigError::Build)?;
        Ok(Redactor { engine: Some(Arc::new(engine)) })
    }

    /// `--no-redact`: everything passes through unchanged.
    pub fn disabled() -> Redactor {
        Redactor { engine: None }
    }

    pub fn is_enabled(&self) -> bool {
        self.engine.is_some()
    }

    /// Redacts one Kubernetes object (or List) in place; `file` is its bundle path, for the report.
    pub fn redact_object(
        &self,
        obj: &mut serde_json::Value,
        file: &str,
        report: &mut RedactionReport,
    ) -> Result<(), RedactError> {
        match &self.engine {
            Some(engine) => structured::ObjectRedactor::new(engine, file, report).redact(obj),
            None => Ok(()),
        }
    }

    /// Redacts a whole text.
    pub fn redact_text(&self, text: &str, file: &str, report: &mut RedactionReport) -> Result<String, RedactError> {
        if self.engine.is_none() {
            return Ok(text.to_string());
        }
        let mut stream = self.stream(file);
        let mut out = Vec::with_capacity(text.len());
        stream.push(text.as_bytes(), &mut out)?;
        stream.finish(&mut out, report)?;
        Ok(String::from_utf8(out).unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned()))
    }

    /// A streaming redactor for one file (logs): feed chunks, get redacted bytes.
    pub fn stream(&self, file: &str) -> StreamRedactor {
        StreamRedactor::new(self.engine.clone(), file)
    }
}

/// The text that replaces a file whose redaction failed. `reason` must not contain file content.
pub fn dropped_file_note(file: &str, reason: &str) -> String {
    format!(
        "mayadiag: this file was removed from the bundle because redacting it failed (fail closed).\n\
         file: {file}\nreason: {reason}\n"
    )
}

/// The reason in a note written by [`dropped_file_note`], if `data` is one: readers record the same
/// gap the collector did instead of treating the note as content.
pub fn parse_dropped_file_note(data: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(data.get(..data.len().min(8192))?).ok()?;
    let rest = text
        .strip_prefix("mayadiag: this file was removed from the bundle because redacting it failed (fail closed).\n")?;
    rest.lines().find_map(|l| l.strip_prefix("reason: ")).map(str::to_string)
}

/// The gap a dropped file leaves in a snapshot (same text live and when reading the bundle).
pub fn dropped_gap_reason(reason: &str) -> String {
    format!("dropped: redaction failed ({reason})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_notes_round_trip() {
        let note = dropped_file_note("cluster-resources/pods/x.json", "too deep");
        assert_eq!(parse_dropped_file_note(note.as_bytes()).as_deref(), Some("too deep"));
        assert_eq!(parse_dropped_file_note(b"{\"kind\": \"PodList\"}"), None);
    }

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send_static<T: Send + 'static>() {}

    #[test]
    fn redactor_is_shareable_and_stream_is_sendable() {
        assert_send_sync::<Redactor>();
        assert_send_static::<StreamRedactor>();
    }

    #[test]
    fn disabled_passes_everything_through() {
        let redactor = Redactor::disabled();
        assert!(!redactor.is_enabled());
        let mut report = RedactionReport::default();
        let text = "password=hunter2\n";
        assert_eq!(redactor.redact_text(text, "f", &mut report).unwrap(), text);
        let mut stream = redactor.stream("f");
        let mut out = Vec::new();
        stream.push(text.as_bytes(), &mut out).unwrap();
        stream.finish(&mut out, &mut report).unwrap();
        assert_eq!(out, text.as_bytes());
        assert_eq!(report.total(), 0);
    }

    #[test]
    fn redact_text_masks_and_reports_without_values() {
        let redactor = Redactor::new(&RedactOptions::default()).unwrap();
        let mut report = RedactionReport::default();
        let out = redactor.redact_text("db password=hunter2 ok\n", "a.log", &mut report).unwrap();
        assert_eq!(out, "db password=***REDACTED:password*** ok\n");
        assert_eq!(report.per_rule()["password"], 1);
        assert!(!serde_json::to_string(&report).unwrap().contains("hunter2"));
    }

    #[test]
    fn bad_user_config_is_an_error_with_file_and_line() {
        let dir = tempfile_dir();
        let file = dir.join("bad-rules.yaml");
        std::fs::write(&file, "rules:\n  - name: x\n    regex: '(unclosed'\n").unwrap();
        let opts = RedactOptions { user_config: Some(file.clone()), ..RedactOptions::default() };
        let err = Redactor::new(&opts).unwrap_err().to_string();
        assert!(err.contains("bad-rules.yaml:3:"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn pseudonyms_are_consistent_across_objects_and_text() {
        let opts = RedactOptions {
            redact_ips: true,
            redact_hostnames: true,
            known_hostnames: vec!["worker-1".to_string()],
            ..RedactOptions::default()
        };
        let redactor = Redactor::new(&opts).unwrap();
        let mut report = RedactionReport::default();
        let text = redactor.redact_text("node worker-1 at 10.1.0.5\n", "a", &mut report).unwrap();
        let mut obj = serde_json::json!({"spec": {"nodeName": "worker-1", "ip": "10.1.0.5"}});
        redactor.redact_object(&mut obj, "b", &mut report).unwrap();
        let host = obj["spec"]["nodeName"].as_str().unwrap();
        let ip = obj["spec"]["ip"].as_str().unwrap();
        assert!(host.starts_with("host-") && ip.starts_with("ip-"), "{obj}");
        assert_eq!(text, format!("node {host} at {ip}\n"));
        assert_eq!(report.per_rule()["ip-address"], 2);
    }

    #[test]
    fn user_rules_groups_literals_and_allow_list() {
        let file = fixtures_dir().join("redaction/user-rules.yaml");
        let redactor = Redactor::new(&RedactOptions { user_config: Some(file), ..RedactOptions::default() }).unwrap();
        let mut report = RedactionReport::default();
        let text = "license ACME-LIC-ABCDEFGH12345678 for Blue Falcon\npassword=changeme-in-docs token=example-42\n\
                    password=realOne9\n";
        let out = redactor.redact_text(text, "user.log", &mut report).unwrap();
        assert_eq!(
            out,
            "license ACME-LIC-***REDACTED:acme-license*** for ***REDACTED:project-codename***\n\
             password=changeme-in-docs token=example-42\npassword=***REDACTED:password***\n"
        );
        assert_eq!(report.per_rule()["acme-license"], 1);
        let mut obj = serde_json::json!({"spec": {"backupTarget": {"credentials": {"k": "v"}}}});
        redactor.redact_object(&mut obj, "cr.json", &mut report).unwrap();
        assert_eq!(obj["spec"]["backupTarget"]["credentials"], "***REDACTED:object-path***");
    }

    #[test]
    fn dropped_note_names_file_and_reason() {
        let note = dropped_file_note("cluster-resources/pods/logs/a/b/c.log", "stream error");
        assert!(note.contains("c.log") && note.contains("stream error") && note.contains("fail closed"));
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mayadiag-redact-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::create_dir_all(&dir);
        dir
    }
}

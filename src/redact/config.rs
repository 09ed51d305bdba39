//! User redaction rules (`--redact-config FILE`).
//!
//! ```yaml
//! rules:                      # masked as ***REDACTED:<name>***
//!   - name: acme-api-key
//!     regex: 'acme_key=([A-Za-z0-9]+)'
//!     group: 1                # optional: mask only this capture group (number or name)
//!   - name: project-codename
//!     literal: 'Blue Falcon'
//! paths:                      # object paths, `*` = any key or index; the whole value is masked
//!   - spec.backupTarget.credentials
//!   - spec.experiments.*.spec.components.env.*.value
//! allow:                      # never masked
//!   - regex: 'pvc-[0-9a-f-]{36}'
//!   - literal: 'not-a-secret'
//! ```
//!
//! Every problem is reported with the file, the line and what is wrong, before collection starts.

use std::path::{Path, PathBuf};

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A rejected rule file.
#[derive(Debug, thiserror::Error)]
pub enum RedactConfigError {
    #[error("cannot read redaction config {file}: {source}")]
    Read { file: PathBuf, source: std::io::Error },
    #[error("{file}:{line}: {problem}")]
    Invalid { file: PathBuf, line: u64, problem: String },
    #[error("cannot build redaction rules: {0}")]
    Build(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<RawAllow>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum GroupRef {
    Index(usize),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    regex: Option<Spanned<String>>,
    literal: Option<Spanned<String>>,
    group: Option<GroupRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    regex: Option<Spanned<String>>,
    literal: Option<Spanned<String>>,
}

/// A compiled user text rule.
#[derive(Debug)]
pub(crate) struct UserRule {
    pub name: String,
    pub regex: Regex,
    /// Capture group to mask; 0 = the whole match.
    pub group: usize,
}

/// One segment of an object path; `None` matches any key or index.
pub(crate) type PathPattern = Vec<Option<String>>;

#[derive(Debug, Default)]
pub(crate) struct UserConfig {
    pub rules: Vec<UserRule>,
    pub paths: Vec<PathPattern>,
    pub allow: Vec<Regex>,
}

/// Size limit for compiled user regexes, so a pathological rule cannot eat the customer's memory.
const REGEX_SIZE_LIMIT: usize = 4 << 20;

fn compile_user_regex(pattern: &str) -> Result<Regex, String> {
    // Multi-line mode so `^`/`$` mean line start/end, as users expect in a log.
    RegexBuilder::new(pattern).multi_line(true).size_limit(REGEX_SIZE_LIMIT).build().map_err(|err| err.to_string())
}

pub(crate) fn load(file: &Path) -> Result<UserConfig, RedactConfigError> {
    let text =
        std::fs::read_to_string(file).map_err(|source| RedactConfigError::Read { file: file.to_path_buf(), source })?;
    parse(&text, file)
}

pub(crate) fn parse(text: &str, file: &Path) -> Result<UserConfig, RedactConfigError> {
    let invalid = |line: u64, problem: String| RedactConfigError::Invalid { file: file.to_path_buf(), line, problem };
    let raw: RawConfig = match serde_saphyr::from_str(text) {
        Ok(raw) => raw,
        Err(err) => {
            let line = err.location().map_or(0, |location| location.line());
            return Err(invalid(line, format!("not a valid rule file: {err}")));
        }
    };
    let mut config = UserConfig::default();
    for rule in raw.rules {
        let line = rule.name.referenced.line();
        let name = rule.name.value.trim().to_string();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(invalid(line, format!("rule name {name:?} must be non-empty letters, digits, '-' or '_'")));
        }
        let (pattern, line) = match (&rule.regex, &rule.literal) {
            (Some(regex), None) => (regex.value.clone(), regex.referenced.line()),
            (None, Some(literal)) if !literal.value.is_empty() => {
                (regex::escape(&literal.value), literal.referenced.line())
            }
            (None, Some(literal)) => return Err(invalid(literal.referenced.line(), "empty literal".to_string())),
            _ => return Err(invalid(line, format!("rule {name}: give exactly one of `regex` or `literal`"))),
        };
        let regex =
            compile_user_regex(&pattern).map_err(|err| invalid(line, format!("rule {name}: bad regex: {err}")))?;
        let group = match rule.group {
            None => 0,
            Some(GroupRef::Index(index)) if index < regex.captures_len() => index,
            Some(GroupRef::Index(index)) => {
                return Err(invalid(line, format!("rule {name}: the regex has no capture group {index}")));
            }
            Some(GroupRef::Name(group)) => regex
                .capture_names()
                .position(|candidate| candidate == Some(group.as_str()))
                .ok_or_else(|| invalid(line, format!("rule {name}: the regex has no capture group named {group}")))?,
        };
        if regex.is_match(b"") {
            return Err(invalid(line, format!("rule {name}: the regex matches the empty string")));
        }
        config.rules.push(UserRule { name, regex, group });
    }
    for path in raw.paths {
        let segments: PathPattern = path
            .value
            .split('.')
            .map(|segment| if segment == "*" { None } else { Some(segment.to_string()) })
            .collect();
        if path.value.trim().is_empty() || segments.iter().any(|segment| segment.as_deref() == Some("")) {
            return Err(invalid(path.referenced.line(), format!("bad object path {:?}", path.value)));
        }
        config.paths.push(segments);
    }
    for allow in raw.allow {
        let (pattern, line) = match (allow.regex, allow.literal) {
            (Some(regex), None) => (regex.value, regex.referenced.line()),
            (None, Some(literal)) => (regex::escape(&literal.value), literal.referenced.line()),
            _ => return Err(invalid(0, "allow entry: give exactly one of `regex` or `literal`".to_string())),
        };
        let regex =
            compile_user_regex(&pattern).map_err(|err| invalid(line, format!("allow entry: bad regex: {err}")))?;
        config.allow.push(regex);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<UserConfig, RedactConfigError> {
        parse(text, Path::new("rules.yaml"))
    }

    #[test]
    fn parses_rules_paths_and_allow_list() {
        let config = parse_str(
            "rules:\n  - name: acme\n    regex: 'acme_key=([a-z0-9]+)'\n    group: 1\n  - name: codename\n    literal: 'Blue Falcon'\n  - name: named\n    regex: 'id=(?P<v>\\d+)'\n    group: v\npaths:\n  - spec.backupTarget.credentials\n  - spec.*.password\nallow:\n  - literal: not-a-secret\n",
        )
        .unwrap();
        assert_eq!(config.rules.len(), 3);
        assert_eq!(config.rules[0].group, 1);
        assert_eq!(config.rules[2].group, 1);
        assert_eq!(config.paths[1], vec![Some("spec".to_string()), None, Some("password".to_string())]);
        assert_eq!(config.allow.len(), 1);
    }

    #[test]
    fn bad_regex_names_file_and_line() {
        let err = parse_str("rules:\n  - name: ok\n    literal: x\n  - name: broken\n    regex: 'a(b'\n").unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("rules.yaml:5:"), "{message}");
        assert!(message.contains("broken") && message.contains("bad regex"), "{message}");
    }

    #[test]
    fn missing_group_and_unknown_fields_are_errors() {
        let err = parse_str("rules:\n  - name: g\n    regex: 'abc'\n    group: 2\n").unwrap_err();
        assert!(err.to_string().contains("rules.yaml:3:") && err.to_string().contains("no capture group 2"), "{err}");
        let err = parse_str("rules:\n  - name: g\n    regexp: 'abc'\n").unwrap_err();
        assert!(err.to_string().contains("rules.yaml:"), "{err}");
        let err = parse_str("rules:\n  - name: g\n    regex: 'a'\n    literal: 'b'\n").unwrap_err();
        assert!(err.to_string().contains("exactly one"), "{err}");
    }

    #[test]
    fn yaml_syntax_error_has_a_line() {
        let err = parse_str("rules:\n  - name: x\n    regex: [unclosed\n").unwrap_err();
        match err {
            RedactConfigError::Invalid { line, .. } => assert!(line >= 3, "line {line}"),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn empty_matching_regex_is_rejected() {
        let err = parse_str("rules:\n  - name: e\n    regex: 'a*'\n").unwrap_err();
        assert!(err.to_string().contains("empty string"), "{err}");
    }

    #[test]
    fn sample_fixture_config_parses() {
        let path = crate::redact::fixtures_dir().join("redaction/user-rules.yaml");
        let config = load(&path).unwrap();
        assert!(!config.rules.is_empty() && !config.paths.is_empty() && !config.allow.is_empty());
    }
}

//! Loading check files: YAML → [`Check`]s, with errors that say `file:line: what was expected`.
//!
//! A file is a YAML sequence of check mappings. Each mapping is split into the common fields
//! ([`CheckMeta`]) and the analyzer's parameters (the rest, with `kind`), and each part is
//! deserialized into its typed struct, so unknown fields, unknown kinds, bad regexes and missing
//! fields are all rejected. Serde's messages name the offending field in backticks; we look that
//! field up inside the check's lines to point at the exact line.

use std::path::Path;

use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use super::Check;
use super::model::{Analyzer, CROSS_ENGINE, CheckMeta, META_FIELDS};
use crate::inventory::Engine;

include!(concat!(env!("OUT_DIR"), "/builtin_checks.rs"));

/// A check file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckLoadError {
    /// Bad content, with the line it is on.
    #[error("{file}:{line}: {what}")]
    Invalid {
        /// File name as given.
        file: String,
        /// 1-based line.
        line: u64,
        /// What was wrong and what was expected.
        what: String,
    },
    /// The directory or a file could not be read.
    #[error("{path}: cannot read check files: {source}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

fn invalid(file: &str, line: u64, what: impl Into<String>) -> CheckLoadError {
    CheckLoadError::Invalid { file: file.to_string(), line, what: what.into() }
}

/// Read every `*.yaml` / `*.yml` file of a directory, sorted by name.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, CheckLoadError> {
    let io = |p: &Path, e| CheckLoadError::Io { path: p.display().to_string(), source: e };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| std::fs::read_to_string(&p).map(|t| (p.display().to_string(), t)).map_err(|e| io(&p, e)))
        .collect()
}

/// Parse and validate one check file.
pub fn parse_file(file: &str, text: &str) -> Result<Vec<Check>, CheckLoadError> {
    if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return Ok(Vec::new());
    }
    let items: Vec<Spanned<Value>> = serde_saphyr::from_str(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        let what = e.to_string().lines().next().unwrap_or("invalid YAML").to_string();
        invalid(file, line, format!("{what} (expected a YAML sequence of check mappings)"))
    })?;
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<u64> = items.iter().map(|i| i.referenced.line()).collect();
    let mut checks: Vec<Check> = Vec::new();
    for (idx, item) in items.into_iter().enumerate() {
        let start = starts[idx];
        let end = starts.get(idx + 1).copied().unwrap_or(lines.len() as u64 + 1);
        let span = Span { file, lines: &lines, start, end };
        let check = parse_check(&span, item.value)?;
        if checks.iter().any(|c| c.meta.id == check.meta.id) {
            return Err(
                span.error("id", format!("duplicate check id `{}`: expected ids unique in a file", check.meta.id))
            );
        }
        checks.push(check);
    }
    Ok(checks)
}

struct Span<'a> {
    file: &'a str,
    lines: &'a [&'a str],
    start: u64,
    end: u64,
}

impl Span<'_> {
    /// The line of `key:` inside this check, or its first line.
    fn line_of(&self, key: &str) -> u64 {
        let range = (self.start.max(1)..self.end).filter(|&n| (n as usize) <= self.lines.len());
        let text = |n: u64| self.lines[n as usize - 1].trim_start().trim_start_matches("- ").trim_start();
        range
            .clone()
            .find(|&n| text(n).starts_with(&format!("{key}:")))
            .or_else(|| range.clone().find(|&n| text(n).contains(key)))
            .unwrap_or(self.start)
    }

    fn error(&self, key: &str, what: String) -> CheckLoadError {
        invalid(self.file, self.line_of(key), what)
    }

    /// Turn a serde message into an error on the line of the field it names.
    fn serde_error(&self, id: &str, err: serde_json::Error) -> CheckLoadError {
        let msg = err.to_string();
        let key = msg.split('`').nth(1).unwrap_or("").to_string();
        let key = key.strip_prefix("bad regex ").unwrap_or(&key).to_string();
        let line = if key.is_empty() { self.start } else { self.line_of(&key) };
        invalid(self.file, line, format!("check `{id}`: {msg}"))
    }
}

fn parse_check(span: &Span<'_>, value: Value) -> Result<Check, CheckLoadError> {
    let Value::Object(map) = value else {
        return Err(invalid(
            span.file,
            span.start,
            "expected a check mapping (id, title, engine, kind, sev, message, remediation, docs)",
        ));
    };
    let id = map.get("id").and_then(Value::as_str).unwrap_or("?").to_string();
    let (mut meta_map, mut params) = (Map::new(), Map::new());
    for (k, v) in map {
        if META_FIELDS.contains(&k.as_str()) {
            meta_map.insert(k, v)
        } else {
            params.insert(k, v)
        };
    }
    let meta: CheckMeta = serde_json::from_value(Value::Object(meta_map)).map_err(|e| span.serde_error(&id, e))?;
    if !params.contains_key("kind") {
        return Err(invalid(
            span.file,
            span.start,
            format!("check `{id}`: missing field `kind`: expected an analyzer kind"),
        ));
    }
    let analyzer: Analyzer = serde_json::from_value(Value::Object(params)).map_err(|e| span.serde_error(&id, e))?;
    validate(span, &meta, &analyzer)?;
    Ok(Check { meta, analyzer, origin: format!("{}:{}", span.file, span.start) })
}

fn validate(span: &Span<'_>, meta: &CheckMeta, analyzer: &Analyzer) -> Result<(), CheckLoadError> {
    let id = &meta.id;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_') {
        return Err(span.error("id", format!("check id `{id}`: expected letters, digits, '-', '.', '_'")));
    }
    if meta.sev > 3 || meta.warn_sev.is_some_and(|s| s > 3) {
        return Err(span.error("sev", format!("check `{id}`: expected sev and warn_sev between 0 and 3")));
    }
    let rows = |r: &str| super::engine::rubric_sev(r).is_some();
    let unknown_row = |r: &str| {
        format!("check `{id}`: unknown rubric row `{r}`: expected one of 0a, 0b, 0c, 0d, 1, 2, 3 (docs/severity.md)")
    };
    if let Some(r) = meta.rubric.as_deref().filter(|r| !rows(r)) {
        return Err(span.error("rubric", unknown_row(r)));
    }
    if let Some(r) = meta.rubric.as_deref()
        && super::engine::rubric_sev(r) != Some(meta.sev)
    {
        return Err(span.error(
            "rubric",
            format!("check `{id}`: rubric row `{r}` contradicts sev {}: expected the sev of the row", meta.sev),
        ));
    }
    let extra_rows: Vec<&String> = match analyzer {
        Analyzer::CrStatus(p) => p.rubric_by_value.values().map(|r| &r.0).collect(),
        Analyzer::Chaos(p) => p.degraded_rubric.iter().collect(),
        _ => Vec::new(),
    };
    if let Some(r) = extra_rows.into_iter().find(|r| !rows(r)) {
        return Err(span.error(r, unknown_row(r)));
    }
    if Engine::from_id(&meta.engine).is_none() && !CROSS_ENGINE.contains(&meta.engine.as_str()) {
        let known: Vec<&str> = Engine::ALL.iter().map(|e| e.id()).chain(CROSS_ENGINE.iter().copied()).collect();
        return Err(span.error(
            "engine",
            format!("check `{id}`: unknown engine `{}`: expected one of {}", meta.engine, known.join(", ")),
        ));
    }
    let engines_ok =
        |list: &[String]| list.iter().find(|e| Engine::from_id(e).is_none() && e.as_str() != "openebs").cloned();
    let bad_engine = match analyzer {
        Analyzer::PodHealth(p) => engines_ok(&p.select.engines),
        Analyzer::WorkloadReady(p) => engines_ok(&p.select.engines),
        Analyzer::LogPattern(p) => engines_ok(&p.select.engines),
        Analyzer::VolumePath(p) => engines_ok(&p.engines),
        Analyzer::VersionSkew(p) => engines_ok(&p.engines),
        _ => None,
    };
    if let Some(bad) = bad_engine {
        return Err(span.error(
            "engines",
            format!("check `{id}`: unknown engine `{bad}` in engines: expected engine ids or `openebs`"),
        ));
    }
    if let Some(unknown) = unknown_placeholder(&meta.message) {
        return Err(span.error(
            "message",
            format!(
                "check `{id}`: unknown placeholder `{{{unknown}}}` in message: expected one of {}",
                PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if let Analyzer::CrStatus(p) = analyzer
        && p.allowed.is_empty()
        && p.fail_values.is_empty()
        && p.warn_values.is_empty()
    {
        return Err(span.error(
            "field",
            format!("check `{id}`: expected at least one of `allowed`, `fail_values`, `warn_values`"),
        ));
    }
    if let Analyzer::PodHealth(p) = analyzer {
        use super::model::PodCondition;
        if p.condition == PodCondition::ExitCode && p.exit_codes.is_empty() {
            return Err(span.error("condition", format!("check `{id}`: condition exit-code expects `exit_codes`")));
        }
    }
    Ok(())
}

/// The placeholders the check engine fills in a message template.
pub const PLACEHOLDERS: &[&str] = &["kind", "namespace", "name", "object", "engine", "detail"];

/// The first `{word}` of a template that is not a known placeholder (it would be printed as is).
fn unknown_placeholder(template: &str) -> Option<&str> {
    template.match_indices('{').find_map(|(open, _)| {
        let rest = &template[open + 1..];
        let word = &rest[..rest.find('}')?];
        let is_word = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        (is_word && !PLACEHOLDERS.contains(&word)).then_some(word)
    })
}

/// Ids must be unique across the files of one source (the built-in set, or one --checks
/// directory); a repeat names both places.
pub fn reject_duplicates(checks: &[Check]) -> Result<(), CheckLoadError> {
    let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for c in checks {
        if let Some(first) = seen.insert(&c.meta.id, &c.origin) {
            let (file, line) = c.origin.rsplit_once(':').unwrap_or((&c.origin, "1"));
            return Err(invalid(
                file,
                line.parse().unwrap_or(1),
                format!("duplicate check id `{}` (first defined at {first}): expected ids unique", c.meta.id),
            ));
        }
    }
    Ok(())
}

/// Every `unless` must name a check of the set, every `with_log_hits` a log-pattern check.
pub fn validate_references(checks: &[Check]) -> Result<(), CheckLoadError> {
    for c in checks {
        if let Analyzer::PodHealth(p) = &c.analyzer
            && let Some(bad) = p
                .with_log_hits
                .iter()
                .find(|id| !checks.iter().any(|x| &x.meta.id == *id && matches!(x.analyzer, Analyzer::LogPattern(_))))
        {
            let (file, line) = c.origin.rsplit_once(':').unwrap_or((&c.origin, "1"));
            return Err(invalid(
                file,
                line.parse().unwrap_or(1),
                format!("check `{}`: `with_log_hits` names `{bad}`: expected the id of a log-pattern check", c.meta.id),
            ));
        }
        for other in &c.meta.unless {
            if !checks.iter().any(|x| &x.meta.id == other) {
                let (file, line) = c.origin.rsplit_once(':').unwrap_or((&c.origin, "1"));
                return Err(invalid(
                    file,
                    line.parse().unwrap_or(1),
                    format!(
                        "check `{}`: `unless` names unknown check `{other}`: expected an existing check id",
                        c.meta.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckSet;

    #[test]
    fn builtin_checks_load_and_validate() {
        let set = CheckSet::builtin().unwrap_or_else(|e| panic!("{e}"));
        assert!(set.ids().len() >= 50, "{}", set.ids().len());
        assert!(set.ids().contains(&"mayastor-hugepages-exhausted"));
        let patterns = set.log_patterns();
        assert!(patterns.ids().iter().any(|i| i == "mayastor-etcd-broken"));
        for (file, text) in BUILTIN_FILES {
            assert!(!parse_file(file, text).unwrap().is_empty(), "{file} has no checks");
        }
    }

    const GOOD: &str = "- id: a\n  title: t\n  engine: mayastor\n  kind: log-pattern\n  regex: 'x+'\n  sev: 1\n  message: m\n  remediation: r\n  docs: d\n";

    fn err(text: &str) -> String {
        parse_file("bad.yaml", text).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn good_file_parses() {
        let checks = parse_file("good.yaml", GOOD).unwrap();
        assert_eq!(checks[0].origin, "good.yaml:1");
    }

    #[test]
    fn yaml_syntax_error_has_line() {
        let e = err("- id: a\n  title: [unclosed\n  engine: x\n");
        assert!(e.starts_with("bad.yaml:"), "{e}");
        assert!(e.contains("expected a YAML sequence of check mappings"), "{e}");
    }

    #[test]
    fn unknown_kind_names_expected_kinds() {
        let e = err(&GOOD.replace("log-pattern", "log-patern"));
        assert!(e.starts_with("bad.yaml:4: check `a`: unknown variant `log-patern`, expected one of"), "{e}");
        assert!(e.contains("`pod-health`"), "{e}");
    }

    #[test]
    fn bad_regex_points_at_its_line() {
        let e = err(&GOOD.replace("'x+'", "'(unclosed'"));
        assert!(
            e.starts_with("bad.yaml:5: check `a`: bad regex `(unclosed`: expected a valid regular expression"),
            "{e}"
        );
    }

    #[test]
    fn missing_field_and_unknown_field() {
        let e = err(&GOOD.replace("  sev: 1\n", ""));
        assert!(e.starts_with("bad.yaml:1: check `a`: missing field `sev`"), "{e}");
        let e = err(&GOOD.replace("  regex: 'x+'\n", "  regex: 'x+'\n  colour: red\n"));
        assert!(e.starts_with("bad.yaml:6: check `a`: unknown field `colour`, expected one of"), "{e}");
        let e = err(&GOOD.replace("  kind: log-pattern\n", ""));
        assert!(e.contains("missing field `kind`"), "{e}");
    }

    #[test]
    fn second_check_errors_point_into_it() {
        let second = GOOD.replace("id: a", "id: b").replace("sev: 1", "sev: 7");
        let e = err(&format!("{GOOD}{second}"));
        assert!(e.starts_with("bad.yaml:15: check `b`: expected sev"), "{e}");
        let dup = format!("{GOOD}{GOOD}");
        assert!(err(&dup).contains("duplicate check id `a`"));
    }

    #[test]
    fn rubric_rows_are_validated_against_the_sev() {
        let e = err(&GOOD.replace("  sev: 1\n", "  sev: 1\n  rubric: 0e\n"));
        assert!(e.starts_with("bad.yaml:7: check `a`: unknown rubric row `0e`: expected one of 0a"), "{e}");
        let e = err(&GOOD.replace("  sev: 1\n", "  sev: 1\n  rubric: 0a\n"));
        assert!(e.starts_with("bad.yaml:7: check `a`: rubric row `0a` contradicts sev 1"), "{e}");
        assert!(parse_file("ok.yaml", &GOOD.replace("  sev: 1\n", "  sev: 1\n  rubric: '1'\n")).is_ok());
    }

    #[test]
    fn every_builtin_check_names_its_rubric_row() {
        let set = CheckSet::builtin().unwrap();
        let missing: Vec<&str> =
            set.checks().iter().filter(|c| c.meta.rubric.is_none()).map(|c| c.meta.id.as_str()).collect();
        assert!(missing.is_empty(), "checks without rubric: {missing:?}");
    }

    #[test]
    fn unknown_placeholder_and_cross_file_duplicates_are_rejected() {
        let e = err(&GOOD.replace("message: m", "message: 'pool {pool} on {object}'"));
        assert!(e.starts_with("bad.yaml:7: check `a`: unknown placeholder `{pool}`"), "{e}");
        assert!(parse_file("ok.yaml", &GOOD.replace("message: m", "message: '{object}: {detail} {}'")).is_ok());
        let mut both = parse_file("one.yaml", GOOD).unwrap();
        both.extend(parse_file("two.yaml", &format!("# c\n{GOOD}")).unwrap());
        let e = reject_duplicates(&both).unwrap_err().to_string();
        assert!(e.starts_with("two.yaml:2: duplicate check id `a` (first defined at one.yaml:1)"), "{e}");
    }

    #[test]
    fn extra_dir_overrides_by_id() {
        let dir = std::env::temp_dir().join(format!("mayadiag-checks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("x.yaml"),
            GOOD.replace("id: a", "id: mayastor-etcd-broken").replace("sev: 1", "sev: 3"),
        )
        .unwrap();
        std::fs::write(dir.join("y.yaml"), GOOD.replace("id: a", "id: custom-extra")).unwrap();
        let set = CheckSet::load(Some(&dir)).unwrap();
        let c = set.checks().iter().find(|c| c.meta.id == "mayastor-etcd-broken").unwrap();
        assert_eq!(c.meta.sev, 3);
        assert!(set.ids().contains(&"custom-extra"));
        std::fs::write(dir.join("z.yaml"), "- id: q\n  kind: webhook\n").unwrap();
        let e = CheckSet::load(Some(&dir)).unwrap_err().to_string();
        assert!(e.contains("z.yaml:1: check `q`: missing field"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

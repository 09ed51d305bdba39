//! The compiled rule set shared by every stream and object of one bundle, and the span merge/emit step.

use regex::bytes::Regex;

use super::config::{PathPattern, UserConfig, UserRule};
use super::detectors::{
    Action, BUILTIN_RULES, Builtins, LineEffects, PseudoKind, R_HOST, R_IP, R_TWILIO, RuleId, Span,
};
use super::pseudonym::Pseudonymizer;

#[derive(Debug)]
struct CompiledUserRule {
    rule: RuleId,
    regex: Regex,
    group: usize,
}

/// Everything needed to redact, immutable after construction (so `Send + Sync`).
pub(crate) struct Engine {
    builtins: Builtins,
    names: Vec<String>,
    user_rules: Vec<CompiledUserRule>,
    allow: Vec<Regex>,
    pseudonyms: Option<Pseudonymizer>,
    pub(crate) object_paths: Vec<PathPattern>,
}

impl Engine {
    pub(crate) fn new(
        builtins: Builtins,
        user: UserConfig,
        pseudonyms: Option<Pseudonymizer>,
    ) -> Result<Engine, String> {
        let mut names: Vec<String> = BUILTIN_RULES.iter().map(|name| name.to_string()).collect();
        let mut user_rules = Vec::new();
        for UserRule { name, regex, group } in user.rules {
            let rule = match names.iter().position(|existing| *existing == name) {
                Some(index) => index,
                None => {
                    names.push(name);
                    names.len() - 1
                }
            };
            let rule = RuleId::try_from(rule).map_err(|_| "too many redaction rules".to_string())?;
            user_rules.push(CompiledUserRule { rule, regex, group });
        }
        Ok(Engine { builtins, names, user_rules, allow: user.allow, pseudonyms, object_paths: user.paths })
    }

    pub(crate) fn rule_name(&self, rule: RuleId) -> &str {
        self.names.get(usize::from(rule)).map_or("unknown", String::as_str)
    }

    pub(crate) fn rule_count(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn builtins(&self) -> &Builtins {
        &self.builtins
    }

    /// True when every line must be looked at (user rules or pseudonyms have no keyword prefilter).
    pub(crate) fn has_whole_text_rules(&self) -> bool {
        !self.user_rules.is_empty() || self.pseudonyms.is_some()
    }

    /// Quick test used by object redaction to skip strings that cannot contain anything.
    pub(crate) fn may_match(&self, text: &[u8]) -> bool {
        self.has_whole_text_rules()
            || self.builtins.first_trigger(text).is_some()
            || self.builtins.twilio.is_match(text)
    }

    /// Runs the keyword-gated built-ins over one line or window.
    pub(crate) fn scan_line(
        &self,
        text: &[u8],
        base: usize,
        at_line_start: bool,
        complete: bool,
        spans: &mut Vec<Span>,
    ) -> LineEffects {
        self.builtins.scan(text, base, at_line_start, complete, spans)
    }

    /// Case-sensitive token shapes without a usable keyword (Twilio), run over whole runs of lines.
    pub(crate) fn scan_shapes(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        for found in self.builtins.twilio.find_iter(text) {
            spans.push(Span { start: base + found.start(), end: base + found.end(), action: Action::Mask(R_TWILIO) });
        }
    }

    pub(crate) fn has_user_rules(&self) -> bool {
        !self.user_rules.is_empty()
    }

    /// User rules and pseudonyms, run over every line.
    pub(crate) fn scan_user(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        self.scan_user_rules(text, base, spans);
        self.scan_pseudonyms(text, base, spans);
    }

    pub(crate) fn scan_pseudonyms(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        if let Some(pseudonyms) = &self.pseudonyms {
            pseudonyms.find(text, base, spans);
        }
    }

    pub(crate) fn scan_user_rules(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        for rule in &self.user_rules {
            for caps in rule.regex.captures_iter(text) {
                if let Some(group) = caps.get(rule.group)
                    && group.start() < group.end()
                {
                    let action = Action::Mask(rule.rule);
                    spans.push(Span { start: base + group.start(), end: base + group.end(), action });
                }
            }
        }
    }

    /// Removes spans (from index `first` on) that lie inside an allow-listed match of `text`.
    pub(crate) fn filter_allowed(&self, text: &[u8], base: usize, spans: &mut Vec<Span>, first: usize) {
        if self.allow.is_empty() || spans.len() <= first {
            return;
        }
        let allowed: Vec<(usize, usize)> = self
            .allow
            .iter()
            .flat_map(|regex| regex.find_iter(text).map(|m| (base + m.start(), base + m.end())))
            .collect();
        if allowed.is_empty() {
            return;
        }
        let mut index = first;
        while index < spans.len() {
            let span = spans[index];
            let inside = matches!(span.action, Action::Mask(_) | Action::Pseudonym(_))
                && allowed.iter().any(|(start, end)| *start <= span.start && span.end <= *end);
            if inside {
                spans.swap_remove(index);
            } else {
                index += 1;
            }
        }
    }

    /// Writes `text` with `spans` (offsets relative to `text`) replaced; counts masks per rule.
    pub(crate) fn emit(&self, text: &[u8], spans: &mut [Span], out: &mut Vec<u8>, counts: &mut [u64]) {
        let merged = merge(spans);
        let mut pos = 0;
        for span in merged {
            let start = span.start.clamp(pos, text.len());
            let end = span.end.clamp(start, text.len());
            out.extend_from_slice(&text[pos..start]);
            match span.action {
                Action::Drop => {}
                Action::Mask(rule) => {
                    out.extend_from_slice(b"***REDACTED:");
                    out.extend_from_slice(self.rule_name(rule).as_bytes());
                    out.extend_from_slice(b"***");
                    if let Some(count) = counts.get_mut(usize::from(rule)) {
                        *count += 1;
                    }
                }
                Action::Pseudonym(kind) => {
                    let token = match &self.pseudonyms {
                        Some(pseudonyms) => pseudonyms.pseudonym(kind, &text[start..end]),
                        None => String::from("***REDACTED:pseudonym***"),
                    };
                    out.extend_from_slice(token.as_bytes());
                    let rule = match kind {
                        PseudoKind::Ip => R_IP,
                        PseudoKind::Host => R_HOST,
                    };
                    if let Some(count) = counts.get_mut(usize::from(rule)) {
                        *count += 1;
                    }
                }
            }
            pos = end;
        }
        out.extend_from_slice(&text[pos.min(text.len())..]);
    }
}

/// Priority when spans overlap: a mask beats a drop beats a pseudonym (a secret is never pseudonymised).
fn priority(action: Action) -> u8 {
    match action {
        Action::Mask(rule) if super::detectors::is_key_rule(rule) => 2,
        Action::Mask(_) => 3,
        Action::Drop => 1,
        Action::Pseudonym(_) => 0,
    }
}

/// Sorts and unions overlapping spans.
pub(crate) fn merge(spans: &mut [Span]) -> Vec<Span> {
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans.iter().copied().filter(|span| span.start < span.end) {
        match merged.last_mut() {
            Some(last) if span.start < last.end => {
                last.end = last.end.max(span.end);
                if priority(span.action) > priority(last.action) {
                    last.action = span.action;
                }
            }
            _ => merged.push(span),
        }
    }
    merged
}

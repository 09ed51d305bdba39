//! Built-in text detectors and the per-line scan.
//!
//! Speed comes from a case-insensitive Aho-Corasick keyword prefilter: a line without any trigger word
//! is never given to a regex. A triggered line runs only the detectors whose keywords it contains. The
//! detectors return spans (byte ranges to mask); the stream layer merges them and writes the output.

use base64::Engine as _;
use regex::bytes::{Captures, Regex};

use super::keys::{self, SecretKind};
use super::trigram::TrigramFilter;

/// Index into the engine's rule-name table.
pub(crate) type RuleId = u16;

/// What to write in place of a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// `***REDACTED:<rule>***`
    Mask(RuleId),
    /// Nothing: continuation of a value already masked (body of a PEM block).
    Drop,
    /// A consistent per-bundle pseudonym.
    Pseudonym(PseudoKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PseudoKind {
    Ip,
    Host,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
    pub action: Action,
}

/// Multi-line consequences of one scanned line, applied by the stream state machine.
#[derive(Default, Debug)]
pub(crate) struct LineEffects {
    /// A PEM private key starts here and does not end on this line.
    pub pem_open: Option<usize>,
    /// `name: DB_PASSWORD` seen: the next line's `value:` is a secret.
    pub env_value_next: bool,
    /// `password: |` seen: more-indented following lines are the secret.
    pub block: Option<(usize, RuleId)>,
    /// A value runs to the end of the (unfinished) line.
    pub to_end_of_line: Option<RuleId>,
    /// The `name:` line named a key of some kind: the next `value:` is masked when it looks random.
    pub env_value_loose: bool,
    /// An SMTP `334 UGFzc3dvcmQ6` prompt (or a bare `AUTH LOGIN`): the next line answers in base64.
    pub base64_answer_next: bool,
}

/// Built-in rule names; the index is the [`RuleId`].
pub(crate) const BUILTIN_RULES: &[&str] = &[
    "pem-private-key",
    "jwt",
    "aws-access-key-id",
    "authorization-header",
    "bearer-token",
    "basic-auth",
    "url-userinfo",
    "github-token",
    "gitlab-token",
    "slack-token",
    "slack-webhook",
    "stripe-key",
    "sendgrid-key",
    "npm-token",
    "google-oauth-token",
    "google-api-key",
    "twilio-key",
    "env-secret",
    "password",
    "token",
    "secret",
    "ip-address",
    "hostname",
    "sql-password",
    "conf-directive",
    "jaas-user",
    "cookie",
    "smtp-auth",
    "high-entropy-key",
    "webhook-url",
    "mongo-auth",
    "pgpass",
    "netrc",
    "structured-document",
];
pub(crate) const R_PEM: RuleId = 0;
pub(crate) const R_TWILIO: RuleId = 16;
pub(crate) const R_ENV: RuleId = 17;
pub(crate) const R_IP: RuleId = 21;
pub(crate) const R_HOST: RuleId = 22;
pub(crate) const R_SQL: RuleId = 23;
pub(crate) const R_DIRECTIVE: RuleId = 24;
pub(crate) const R_JAAS: RuleId = 25;
pub(crate) const R_COOKIE: RuleId = 26;
pub(crate) const R_SMTP: RuleId = 27;
pub(crate) const R_HIGH_ENTROPY: RuleId = 28;
pub(crate) const R_WEBHOOK: RuleId = 29;
pub(crate) const R_MONGO: RuleId = 30;
pub(crate) const R_PGPASS: RuleId = 31;
pub(crate) const R_NETRC: RuleId = 32;
pub(crate) const R_DOCUMENT: RuleId = 33;

/// Rules found by key names rather than by the shape of the value; a shape rule wins an overlap.
pub(crate) fn is_key_rule(rule: RuleId) -> bool {
    (17..=20).contains(&rule) || [R_DIRECTIVE, R_HIGH_ENTROPY, R_DOCUMENT].contains(&rule)
}

pub(crate) fn kind_rule(kind: SecretKind) -> RuleId {
    match kind {
        SecretKind::Password => 18,
        SecretKind::Token => 19,
        SecretKind::Secret => 20,
    }
}

// Keyword groups: a triggered line runs the detectors of the groups whose keywords it contains.
const G_KV: u32 = 1 << 0;
const G_URL: u32 = 1 << 1;
const G_PEM: u32 = 1 << 2;
const G_JWT: u32 = 1 << 3;
const G_AWS: u32 = 1 << 4;
const G_AUTHZ: u32 = 1 << 5;
const G_BEARER: u32 = 1 << 6;
const G_BASIC: u32 = 1 << 7;
const G_GITHUB: u32 = 1 << 8;
const G_GITLAB: u32 = 1 << 9;
const G_SLACK: u32 = 1 << 10;
const G_STRIPE: u32 = 1 << 11;
const G_SENDGRID: u32 = 1 << 12;
const G_NPM: u32 = 1 << 13;
const G_GOOGLE: u32 = 1 << 14;
const G_SQL: u32 = 1 << 15;
const G_JAAS: u32 = 1 << 16;
const G_COOKIE: u32 = 1 << 17;
const G_SMTP: u32 = 1 << 18;
const G_HOOK: u32 = 1 << 19;
const G_MONGO: u32 = 1 << 20;

const TRIGGERS: &[(&str, u32)] = &[
    ("pass", G_KV | G_SQL),
    ("pwd", G_KV),
    ("identified", G_SQL),
    ("salt", G_KV),
    ("pepper", G_KV),
    ("psk", G_KV),
    ("rootpw", G_KV),
    ("bindpw", G_KV),
    ("user_", G_JAAS),
    ("cookie", G_COOKIE | G_KV),
    ("ugfzc3dvcmq6", G_SMTP),
    ("vxnlcm5hbwu6", G_SMTP),
    ("hook", G_HOOK | G_KV),
    ("db.auth", G_MONGO),
    ("secret", G_KV),
    ("token", G_KV),
    ("key", G_KV),
    ("cred", G_KV),
    ("auth", G_KV | G_SMTP),
    ("private", G_KV),
    ("sas", G_KV),
    ("sig", G_KV),
    ("jwt", G_KV),
    ("://", G_URL),
    ("-----begin", G_PEM),
    ("eyj", G_JWT),
    ("akia", G_AWS),
    ("asia", G_AWS),
    ("aida", G_AWS),
    ("aroa", G_AWS),
    ("agpa", G_AWS),
    ("anpa", G_AWS),
    ("authorization", G_AUTHZ),
    ("bearer", G_BEARER | G_KV),
    ("basic", G_BASIC),
    ("ghp_", G_GITHUB),
    ("gho_", G_GITHUB),
    ("ghu_", G_GITHUB),
    ("ghs_", G_GITHUB),
    ("ghr_", G_GITHUB),
    ("github_pat_", G_GITHUB),
    ("glpat-", G_GITLAB),
    ("glrt-", G_GITLAB),
    ("gldt-", G_GITLAB),
    ("xox", G_SLACK),
    ("hooks.slack.com", G_SLACK),
    ("sk_live_", G_STRIPE),
    ("rk_live_", G_STRIPE),
    ("sk_test_", G_STRIPE),
    ("rk_test_", G_STRIPE),
    ("sg.", G_SENDGRID),
    ("npm_", G_NPM),
    ("ya29.", G_GOOGLE),
    ("aiza", G_GOOGLE),
];

/// Turns a regex match into the byte range to mask (relative to the scanned text), or rejects it.
type Pick = fn(&Captures) -> Option<(usize, usize)>;

struct RegexRule {
    rule: RuleId,
    group: u32,
    /// A byte every match contains; lines without it skip the regex.
    needs: Option<u8>,
    regex: Regex,
    pick: Pick,
}

fn whole(caps: &Captures) -> Option<(usize, usize)> {
    caps.get(0).map(|m| (m.start(), m.end()))
}

fn named_val(caps: &Captures) -> Option<(usize, usize)> {
    caps.name("val").map(|m| (m.start(), m.end()))
}

fn random_looking_val(caps: &Captures) -> Option<(usize, usize)> {
    let value = caps.name("val")?;
    looks_secret(value.as_bytes()).then(|| (value.start(), value.end()))
}

fn authorization_val(caps: &Captures) -> Option<(usize, usize)> {
    let value = caps.name("val")?;
    if value.as_bytes().starts_with(b"***REDACTED") {
        return None;
    }
    (caps.name("scheme").is_some() || looks_secret(value.as_bytes())).then(|| (value.start(), value.end()))
}

fn basic_credentials_val(caps: &Captures) -> Option<(usize, usize)> {
    let value = caps.name("val")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(value.as_bytes()).ok()?;
    let text = std::str::from_utf8(&decoded).ok()?;
    (text.contains(':') && !text.chars().any(char::is_control)).then(|| (value.start(), value.end()))
}

/// A value that is not a plain word: long enough and mixing digits, symbols or case. Used where a keyword
/// alone could be prose ("failed to refresh token: context deadline exceeded").
pub(crate) fn looks_secret(value: &[u8]) -> bool {
    if value.len() < 6 {
        return false;
    }
    let digits = value.iter().any(u8::is_ascii_digit);
    let letters = value.iter().any(u8::is_ascii_alphabetic);
    let symbols = value.iter().any(|b| b"!@#$%^&*+/=_-~.?".contains(b));
    let upper_inside = value.iter().skip(1).any(u8::is_ascii_uppercase);
    let lower = value.iter().any(u8::is_ascii_lowercase);
    (digits && (letters || symbols)) || (symbols && letters) || (upper_inside && lower && value.len() >= 12)
}

fn compile(pattern: &str) -> Regex {
    // Built-in patterns are constants covered by unit tests; a failure here is a programming error.
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("built-in redaction pattern compiles")
}

fn keyword_rules() -> Vec<RegexRule> {
    let rule = |rule: RuleId, group: u32, pattern: &str, pick: Pick| RegexRule {
        rule,
        group,
        needs: None,
        regex: compile(pattern),
        pick,
    };
    vec![
        rule(1, G_JWT, r"(?-u)\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", whole),
        rule(2, G_AWS, r"(?-u)\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA)[A-Z0-9]{16}\b", whole),
        rule(
            3,
            G_AUTHZ,
            r#"(?-u)(?i)\b(?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?(?P<scheme>(?:bearer|basic|digest|token|negotiate|ntlm|aws4-hmac-sha256|sharedkey|sharedaccesssignature)[ \t]+)?(?P<val>[^\s"',;\\]+)"#,
            authorization_val,
        ),
        rule(4, G_BEARER, r"(?-u)(?i)\bbearer[ \t]+(?P<val>[A-Za-z0-9\-._~+/]{8,}=*)", random_looking_val),
        rule(5, G_BASIC, r"(?-u)(?i)\bbasic[ \t]+(?P<val>[A-Za-z0-9+/]{8,}={0,2})", basic_credentials_val),
        RegexRule {
            needs: Some(b'@'),
            ..rule(
                6,
                G_URL,
                r#"(?-u)(?i)\b[a-z][a-z0-9+.\-]{0,30}://[^\s:/?#@"'<>\\]*:(?P<val>[^\s/?#"'<>\\]+)@"#,
                named_val,
            )
        },
        rule(7, G_GITHUB, r"(?-u)\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})", whole),
        rule(8, G_GITLAB, r"(?-u)\bgl(?:pat|rt|dt)-[A-Za-z0-9_\-]{20,}", whole),
        rule(9, G_SLACK, r"(?-u)\bxox[abposre]-[A-Za-z0-9\-]{10,}", whole),
        rule(10, G_SLACK, r"(?-u)(?i)hooks\.slack\.com/(?:services|workflows)/(?P<val>[A-Za-z0-9_/\-]+)", named_val),
        rule(11, G_STRIPE, r"(?-u)\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}", whole),
        rule(12, G_SENDGRID, r"(?-u)\bSG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{16,64}", whole),
        rule(13, G_NPM, r"(?-u)\bnpm_[A-Za-z0-9]{36}", whole),
        rule(14, G_GOOGLE, r"(?-u)\bya29\.[A-Za-z0-9_\-]{20,}", whole),
        rule(15, G_GOOGLE, r"(?-u)\bAIza[0-9A-Za-z_\-]{35}", whole),
    ]
}

/// The built-in detectors, compiled once per [`super::Redactor`].
pub(crate) struct Builtins {
    trigram_filter: TrigramFilter,
    rules: Vec<RegexRule>,
    kv: Regex,
    env_pair: Regex,
    env_name_line: Regex,
    env_value_line: Regex,
    pem_begin: Regex,
    pub(crate) pem_end: Regex,
    /// Case-sensitive shapes with no usable keyword; run over whole batches.
    pub(crate) twilio: Regex,
    sql: Regex,
    directive: Regex,
    config_set: Regex,
    jaas_user: Regex,
    cookie: Regex,
    smtp_inline: Regex,
    smtp_prompt: Regex,
    smtp_bare: Regex,
    webhook: Regex,
    mongo_auth: Regex,
    netrc: Regex,
    cli_flag: Regex,
    pub(crate) pgpass: Regex,
}

impl Builtins {
    pub(crate) fn new() -> Builtins {
        Builtins {
            trigram_filter: TrigramFilter::new(TRIGGERS.iter().map(|(word, groups)| (word.as_bytes(), *groups))),
            rules: keyword_rules(),
            kv: compile(
                r#"(?-u)(?i)(?P<key>[a-z0-9_.\-]*(?:pass|pwd|secret|token|key|cred|auth|private|sas|sig|jwt|bearer|salt|pepper|psk|rootpw|bindpw|cookie|hook)[a-z0-9_.\-]*)(?P<kq>\\?["'])?[ \t]*(?P<sep>=>|=|:)[ \t]*(?P<val>\\"(?:[^"\\]|\\[^"])*(?:\\"|$)|"(?:[^"\\\n]|\\.)*(?:"|$)|'[^'\n]*(?:'|$)|\$\{[A-Za-z0-9_]*\}|[^\s,;&"'<>(){}\[\]\\]+)"#,
            ),
            env_pair: compile(
                r#"(?-u)(?i)\\?"name\\?"[ \t]*:[ \t]*\\?"(?P<name>[^"\\]{1,200})\\?"[ \t]*,[ \t]*\\?"value\\?"[ \t]*:[ \t]*\\?"(?P<val>(?:[^"\\]|\\[^"])*)\\?""#,
            ),
            env_name_line: compile(
                r#"(?-u)^[ \t]*(?:-[ \t]*)?\\?["']?name\\?["']?[ \t]*:[ \t]*\\?["']?(?P<name>[A-Za-z0-9_.\-]+)\\?["']?[ \t]*,?[ \t]*\r?$"#,
            ),
            env_value_line: compile(
                r#"(?-u)^[ \t]*(?:-[ \t]*)?\\?["']?value\\?["']?[ \t]*:[ \t]*(?P<val>.*?)[ \t]*,?[ \t]*\r?$"#,
            ),
            pem_begin: compile(r"(?-u)-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"),
            pem_end: compile(r"(?-u)-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"),
            twilio: compile(r"(?-u)\b(?:SK|AC)[0-9a-f]{32}\b"),
            // CREATE/ALTER USER|ROLE … [WITH] [ENCRYPTED] PASSWORD '…', WITH PASSWORD = '…', IDENTIFIED
            // [WITH plugin] BY '…'|"…", SET PASSWORD [FOR u] = ['…' | PASSWORD('…')], Oracle's unquoted
            // IDENTIFIED BY word. SQL strings are single-quoted: `"password": "…"` (JSON) is not SQL.
            sql: compile(
                r#"(?-u)(?i)(?:\bSET[ \t]+PASSWORD(?:[ \t]+FOR[ \t]+\S+)?[ \t]*=[ \t]*(?:(?:OLD_)?PASSWORD[ \t]*\([ \t]*)?|\bWITH[ \t]+PASSWORD[ \t]*=[ \t]*|\bPASSWORD[ \t]+)(?P<val>E?'(?:[^'\\]|''|\\.)*')|\bIDENTIFIED[ \t]+(?:WITH[ \t]+\S+[ \t]+)?(?:BY|AS)[ \t]+(?:PASSWORD[ \t]+)?(?P<dq>'(?:[^'\\]|''|\\.)*'|"(?:[^"\\]|\\.)*")|\bIDENTIFIED[ \t]+BY[ \t]+(?P<bare>[A-Za-z0-9_$#!@%^*+\-]+)"#,
            ),
            directive: compile(
                r#"(?-u)^[ \t]*(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]+(?P<val>"[^"]*"|'[^']*'|[^\s"';]+)[ \t]*;?[ \t]*\r?$"#,
            ),
            config_set: compile(
                r#"(?-u)(?i)\bconfig[ \t"',]+set[ \t"',]+(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)["',]*[ \t]+["']?(?P<val>[^\s"',]+)"#,
            ),
            jaas_user: compile(r#"(?-u)\buser_(?P<name>[A-Za-z0-9_.\-]+)[ \t]*=[ \t]*\\?"(?P<val>[^"\\]*)\\?""#),
            cookie: compile(r#"(?-u)(?i)\b(?:set-)?cookie\\?["']?[ \t]*[:=][ \t]*\\?["']?(?P<val>[^"'\\\r\n]*)"#),
            smtp_inline: compile(
                r"(?-u)(?i)\bAUTH[ \t]+(?:PLAIN|LOGIN|XOAUTH2|OAUTHBEARER)[ \t]+(?P<val>[A-Za-z0-9+/]{4,}={0,2})",
            ),
            smtp_prompt: compile(r"(?-u)\b334[ \t]+(?:UGFzc3dvcmQ6|VXNlcm5hbWU6|cGFzc3dvcmQ6|dXNlcm5hbWU6)"),
            smtp_bare: compile(r#"(?-u)(?i)\bAUTH[ \t]+(?:PLAIN|LOGIN)[ \t]*["']?[ \t]*\r?$"#),
            webhook: compile(
                r#"(?-u)(?i)https?://[^\s/"'<>]+/(?:api/webhooks|webhookb2|webhook|hooks|integrations|services/hooks)/(?P<val>[^\s"'<>\\]+)"#,
            ),
            mongo_auth: compile(
                r#"(?-u)\bdb\.auth\([ \t]*\\?["'][^"'\\]*\\?["'][ \t]*,[ \t]*\\?["'](?P<val>[^"'\\]+)\\?["']"#,
            ),
            netrc: compile(r"(?-u)(?i)\bmachine[ \t]+\S+[ \t]+(?:login[ \t]+\S+[ \t]+)?password[ \t]+(?P<val>\S+)"),
            cli_flag: compile(
                r#"(?-u)(?:^|[ \t"'])--?(?P<key>[A-Za-z][A-Za-z0-9_.\-]*)[ \t]+(?P<val>[^\s"'\-][^\s"']*)"#,
            ),
            pgpass: compile(
                r"(?-u)(?m)^[ \t]*[A-Za-z0-9.*_\-\[\]]+:(?:[0-9]{1,5}|\*):[^\s:]+:[^\s:]+:(?P<val>[^\s]+?)[ \t]*\r?$",
            ),
        }
    }

    /// Offset of the first trigger keyword in `text`.
    pub(crate) fn first_trigger(&self, text: &[u8]) -> Option<usize> {
        self.trigram_filter.first_match(text)
    }

    /// Scans one line (or window of a long line) and appends spans with `base` added.
    /// `at_line_start`: the text begins a line; `complete`: the text ends its line.
    pub(crate) fn scan(
        &self,
        text: &[u8],
        base: usize,
        at_line_start: bool,
        complete: bool,
        spans: &mut Vec<Span>,
    ) -> LineEffects {
        let mut effects = LineEffects::default();
        let groups = self.trigram_filter.groups(text);
        if groups == 0 {
            return effects;
        }
        if groups & G_PEM != 0 {
            self.scan_pem(text, base, spans, &mut effects);
        }
        for rule in self.rules.iter().filter(|rule| groups & rule.group != 0) {
            if rule.needs.is_some_and(|byte| memchr::memchr(byte, text).is_none()) {
                continue;
            }
            for caps in rule.regex.captures_iter(text) {
                if let Some((start, end)) = (rule.pick)(&caps) {
                    push_mask(spans, base, start, end, rule.rule);
                }
            }
        }
        if groups & G_KV != 0 {
            self.scan_env_pairs(text, base, spans);
            self.scan_key_values(text, base, at_line_start, complete, spans, &mut effects);
            if at_line_start
                && complete
                && let Some(caps) = self.env_name_line.captures(text)
                && let Some(name) = caps.name("name")
            {
                if keys::classify(name.as_bytes()).is_some() {
                    effects.env_value_next = true;
                } else if keys::key_named(name.as_bytes()) {
                    effects.env_value_loose = true;
                }
            }
            self.scan_directives(text, base, at_line_start, complete, spans);
            self.scan_value_group(&self.netrc, text, base, R_NETRC, spans);
        }
        if groups & G_SQL != 0 {
            self.scan_sql(text, base, spans);
        }
        if groups & G_JAAS != 0 {
            self.scan_jaas(text, base, spans);
        }
        if groups & G_COOKIE != 0 {
            self.scan_cookies(text, base, spans);
        }
        if groups & G_SMTP != 0 {
            for caps in self.smtp_inline.captures_iter(text) {
                // `250-AUTH PLAIN LOGIN` (the server's list of mechanisms) is not an answer.
                if let Some(value) = caps.name("val")
                    && value.len() >= 8
                    && !value.as_bytes().iter().all(u8::is_ascii_uppercase)
                {
                    push_mask(spans, base, value.start(), value.end(), R_SMTP);
                }
            }
            if self.smtp_prompt.is_match(text) || (complete && self.smtp_bare.is_match(text)) {
                effects.base64_answer_next = true;
            }
        }
        if groups & G_HOOK != 0 {
            self.scan_value_group(&self.webhook, text, base, R_WEBHOOK, spans);
        }
        if groups & G_MONGO != 0 {
            self.scan_value_group(&self.mongo_auth, text, base, R_MONGO, spans);
        }
        effects
    }

    /// Masks the `val` group of every match of `regex`.
    fn scan_value_group(&self, regex: &Regex, text: &[u8], base: usize, rule: RuleId, spans: &mut Vec<Span>) {
        for caps in regex.captures_iter(text) {
            if let Some(value) = caps.name("val")
                && is_maskable_value(value.as_bytes())
            {
                push_mask(spans, base, value.start(), value.end(), rule);
            }
        }
    }

    /// `ALTER USER … PASSWORD '…'`, `IDENTIFIED BY '…'`, `SET PASSWORD … = '…'` as databases log them.
    fn scan_sql(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        for caps in self.sql.captures_iter(text) {
            if let Some(value) = caps.name("val").or_else(|| caps.name("dq")) {
                let raw = value.as_bytes();
                let skip = usize::from(raw.first() == Some(&b'E') || raw.first() == Some(&b'e')) + 1;
                let (start, end) = (value.start() + skip, value.end().saturating_sub(1));
                if start < end && is_maskable_value(&text[start..end]) {
                    push_mask(spans, base, start, end, R_SQL);
                }
            } else if let Some(bare) = caps.name("bare")
                && !bare.as_bytes().eq_ignore_ascii_case(b"values")
                && is_maskable_value(bare.as_bytes())
            {
                push_mask(spans, base, bare.start(), bare.end(), R_SQL);
            }
        }
    }

    /// Conf-file directives `requirepass x` / `masterauth "x"` (a whole line of two words), their echo
    /// `CONFIG SET requirepass x`, and command-line flags `--password x`, all through the one lexicon.
    fn scan_directives(&self, text: &[u8], base: usize, at_line_start: bool, complete: bool, spans: &mut Vec<Span>) {
        if at_line_start
            && complete
            && let Some(caps) = self.directive.captures(text)
            && let (Some(key), Some(value)) = (caps.name("key"), caps.name("val"))
        {
            let (start, end, _) = unquote(value.as_bytes(), value.start());
            let inner = &text[start..end];
            let sure = keys::classify(key.as_bytes()).is_some();
            if is_maskable_value(inner)
                && !is_public_material(inner)
                && !is_status_word(inner)
                && ((sure && !(is_prose_word(inner) && key.as_bytes()[0].is_ascii_uppercase()))
                    || (keys::key_named(key.as_bytes()) && high_entropy(inner)))
            {
                push_mask(spans, base, start, end, R_DIRECTIVE);
            }
        }
        for regex in [&self.config_set, &self.cli_flag] {
            for caps in regex.captures_iter(text) {
                let (Some(key), Some(value)) = (caps.name("key"), caps.name("val")) else { continue };
                if key.as_bytes().contains(&b'=') || value.as_bytes().starts_with(b"***REDACTED") {
                    continue;
                }
                let inner = value.as_bytes();
                let sure = keys::classify(key.as_bytes()).is_some();
                if is_maskable_value(inner) && (sure || (keys::key_named(key.as_bytes()) && high_entropy(inner))) {
                    push_mask(spans, base, value.start(), value.end(), R_DIRECTIVE);
                }
            }
        }
    }

    /// Kafka JAAS `user_alice="…"` entries (PlainLoginModule): every such entry is a password.
    fn scan_jaas(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        const NOT_USERS: &[&[u8]] = &[b"agent", b"id", b"ids", b"name", b"type", b"role", b"group", b"email", b"data"];
        for caps in self.jaas_user.captures_iter(text) {
            let (Some(name), Some(value)) = (caps.name("name"), caps.name("val")) else { continue };
            if NOT_USERS.iter().any(|word| name.as_bytes().eq_ignore_ascii_case(word)) {
                continue;
            }
            if is_maskable_value(value.as_bytes()) {
                push_mask(spans, base, value.start(), value.end(), R_JAAS);
            }
        }
    }

    /// `Cookie: a=1; session=…` / `Set-Cookie: sid=…; Path=/`: every cookie value, not its attributes.
    fn scan_cookies(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        const ATTRIBUTES: &[&[u8]] = &[
            b"path",
            b"domain",
            b"expires",
            b"max-age",
            b"samesite",
            b"secure",
            b"httponly",
            b"priority",
            b"partitioned",
        ];
        for caps in self.cookie.captures_iter(text) {
            let Some(value) = caps.name("val") else { continue };
            let mut offset = value.start();
            for piece in value.as_bytes().split(|b| *b == b';') {
                let piece_start = offset;
                offset += piece.len() + 1;
                let Some(eq) = memchr::memchr(b'=', piece) else { continue };
                let name = piece[..eq].trim_ascii();
                if ATTRIBUTES.iter().any(|attribute| name.eq_ignore_ascii_case(attribute)) {
                    continue;
                }
                let value_start = piece_start + eq + 1;
                let value_end = piece_start + trim_end(piece, piece.len());
                if value_start < value_end && is_maskable_value(&text[value_start..value_end]) {
                    push_mask(spans, base, value_start, value_end, R_COOKIE);
                }
            }
        }
    }

    /// The line after an SMTP `334 UGFzc3dvcmQ6` prompt: its last base64 word is the credential. Returns
    /// false when the line holds no such word (a bare `334 ` prompt): the answer is still to come.
    pub(crate) fn scan_base64_answer(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) -> bool {
        if self.smtp_prompt.is_match(text) {
            return false;
        }
        let Some(word) = text.split(|b| b.is_ascii_whitespace()).rfind(|word| !word.is_empty()) else { return false };
        let is_base64 = word.iter().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b));
        if word.len() < 4 || !is_base64 || word.iter().all(u8::is_ascii_digit) {
            return false;
        }
        let start = word.as_ptr() as usize - text.as_ptr() as usize;
        push_mask(spans, base, start, start + word.len(), R_SMTP);
        true
    }

    fn scan_pem(&self, text: &[u8], base: usize, spans: &mut Vec<Span>, effects: &mut LineEffects) {
        let mut from = 0;
        while let Some(begin) = self.pem_begin.find_at(text, from) {
            match self.pem_end.find_at(text, begin.end()) {
                Some(end) => {
                    push_mask(spans, base, begin.start(), end.end(), R_PEM);
                    from = end.end();
                }
                None => {
                    effects.pem_open = Some(base + begin.start());
                    return;
                }
            }
        }
    }

    fn scan_env_pairs(&self, text: &[u8], base: usize, spans: &mut Vec<Span>) {
        for caps in self.env_pair.captures_iter(text) {
            let (Some(name), Some(value)) = (caps.name("name"), caps.name("val")) else { continue };
            if keys::classify(name.as_bytes()).is_some() && is_maskable_value(value.as_bytes()) {
                push_mask(spans, base, value.start(), value.end(), R_ENV);
            } else if keys::key_named(name.as_bytes()) && high_entropy(value.as_bytes()) {
                push_mask(spans, base, value.start(), value.end(), R_HIGH_ENTROPY);
            }
        }
    }

    /// `password=…`, `"token": "…"`, `passwd: …`, `--db-password=…`, `AccountKey=…;` and friends.
    fn scan_key_values(
        &self,
        text: &[u8],
        base: usize,
        at_line_start: bool,
        complete: bool,
        spans: &mut Vec<Span>,
        effects: &mut LineEffects,
    ) {
        // Captures are expensive; most matches (klog `key="ns/name"`) are rejected by the key alone, so the
        // key is classified from the cheap match bounds first.
        for found in self.kv.find_iter(text) {
            let candidate = &text[found.start()..found.end()];
            let key_len = candidate.iter().take_while(|b| b.is_ascii_alphanumeric() || b"_.-".contains(b)).count();
            let name = &candidate[..key_len];
            if name.eq_ignore_ascii_case(b"cookie") || name.eq_ignore_ascii_case(b"set-cookie") {
                continue; // the cookie rule masks each cookie's value and keeps the names and attributes
            }
            let kind = keys::classify(name);
            let loose = kind.is_none() && keys::key_named(name);
            let webhook = kind.is_none() && !loose && keys::is_webhook_name(name);
            if kind.is_none() && !loose && !webhook {
                continue;
            }
            let Some(caps) = self.kv.captures_at(text, found.start()) else { continue };
            let (Some(key), Some(sep), Some(value)) = (caps.name("key"), caps.name("sep"), caps.name("val")) else {
                continue;
            };
            let before_key = &text[..key.start()];
            // `https://auth.example.com:443`: a host name, not a key.
            if before_key.ends_with(b"//") || before_key.ends_with(b"@") {
                continue;
            }
            let quoted_key = caps.name("kq").is_some();
            let line_start_key = at_line_start && is_line_start_prefix(before_key);
            let raw = value.as_bytes();
            let (mut start, mut end, quoted) = unquote(raw, value.start());
            let inner = &text[start..end];
            if !is_maskable_value(inner) || is_public_material(inner) {
                continue;
            }
            if webhook {
                if let Some(path) = webhook_path(inner) {
                    push_mask(spans, base, start + path, end, R_WEBHOOK);
                }
                continue;
            }
            let Some(kind) = kind else {
                // A key of some kind the lexicon is unsure about: masked only when the value looks random.
                if high_entropy(inner) {
                    push_mask(spans, base, start, end, R_HIGH_ENTROPY);
                }
                continue;
            };
            let colon = sep.as_bytes() == b":";
            if colon && !quoted_key && !line_start_key {
                // Mid-line `word: value` is often prose or `file.go:123`; demand a secret-looking value
                // (or a quoted single word: `db.createUser({user: "u", pwd: "p"})`).
                let quoted_word = quoted && !inner.is_empty() && !inner.iter().any(u8::is_ascii_whitespace);
                if (!looks_secret(inner) && !quoted_word) || inner.iter().all(u8::is_ascii_digit) {
                    continue;
                }
            }
            let rule = kind_rule(kind);
            // `password: two words` (YAML) and `password = two words` (INI) run to the end of the line;
            // `password=x user=y` (env files, logs) does not.
            let spaced_equals = sep.as_bytes() == b"="
                && (text.get(sep.start().wrapping_sub(1)).is_some_and(u8::is_ascii_whitespace)
                    || text.get(sep.end()).is_some_and(u8::is_ascii_whitespace));
            if !quoted && line_start_key && (colon || spaced_equals) {
                if is_block_scalar_indicator(inner) {
                    effects.block = Some((indentation(text), rule));
                    continue;
                }
                // `password = two words` in INI/YAML: the value is the rest of the line.
                end = trim_end(text, text.len());
                if !complete {
                    end = text.len();
                    effects.to_end_of_line = Some(rule);
                }
            }
            if start >= end {
                continue;
            }
            // Keep a JSON-escaped closing sequence out of the mask.
            if quoted && end > start && text[end - 1] == b'\\' {
                end -= 1;
            }
            start = start.min(end);
            push_mask(spans, base, start, end, rule);
        }
    }

    /// The `value:` line after a sensitive `name:` line (YAML-form env).
    /// `loose`: the name was only key-named (see [`keys::key_named`]); mask a random-looking value only.
    pub(crate) fn scan_env_value_line(&self, text: &[u8], base: usize, loose: bool, spans: &mut Vec<Span>) {
        let Some(value) = self.env_value_line.captures(text).and_then(|caps| caps.name("val")) else { return };
        let (start, end, _) = unquote(value.as_bytes(), value.start());
        if !loose && is_maskable_value(&text[start..end]) {
            push_mask(spans, base, start, end, R_ENV);
        } else if loose && high_entropy(&text[start..end]) {
            push_mask(spans, base, start, end, R_HIGH_ENTROPY);
        }
    }
}

fn push_mask(spans: &mut Vec<Span>, base: usize, start: usize, end: usize, rule: RuleId) {
    if start < end {
        spans.push(Span { start: base + start, end: base + end, action: Action::Mask(rule) });
    }
}

/// Strips quotes (`"x"`, `'x'`, `\"x\"`) from a matched value; returns absolute inner range and whether it was quoted.
fn unquote(raw: &[u8], offset: usize) -> (usize, usize, bool) {
    for quote in [&b"\\\""[..], b"\"", b"'"] {
        if raw.starts_with(quote) {
            let inner_start = offset + quote.len();
            let mut inner_end = offset + raw.len();
            if raw.len() >= 2 * quote.len() && raw.ends_with(quote) {
                inner_end -= quote.len();
            }
            return (inner_start, inner_end.max(inner_start), true);
        }
    }
    (offset, offset + raw.len(), false)
}

/// Values that are not secrets whatever their key: empty, booleans, nulls, references, already masked.
pub(crate) fn is_maskable_value(value: &[u8]) -> bool {
    let trimmed = value.trim_ascii();
    if trimmed.is_empty() || trimmed.starts_with(b"***REDACTED") {
        return false;
    }
    const NON_VALUES: &[&[u8]] = &[b"true", b"false", b"null", b"nil", b"none", b"<nil>", b"~", b"yes", b"no", b"\"\""];
    if NON_VALUES.iter().any(|word| trimmed.eq_ignore_ascii_case(word)) {
        return false;
    }
    // `${DB_PASSWORD}` / `$(DB_PASSWORD)`: a reference to a variable, not the secret.
    let is_reference = (trimmed.starts_with(b"${") && trimmed.ends_with(b"}"))
        || (trimmed.starts_with(b"$(") && trimmed.ends_with(b")"));
    !(is_reference && trimmed[2..trimmed.len() - 1].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_'))
}

/// Public keys and certificates are not secrets, whatever the field is called.
pub(crate) fn is_public_material(value: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"ssh-rsa ",
        b"ssh-ed25519 ",
        b"ssh-dss ",
        b"ecdsa-sha2-",
        b"sk-ssh-ed25519",
        b"-----BEGIN PUBLIC KEY-----",
        b"-----BEGIN RSA PUBLIC KEY-----",
        b"-----BEGIN CERTIFICATE-----",
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----",
        b"-----BEGIN SSH2 PUBLIC KEY-----",
    ];
    let trimmed = value.trim_ascii_start();
    PREFIXES.iter().any(|prefix| trimmed.starts_with(prefix))
}

/// A plain lower-case word (`Password incorrect`, `Token expired`): prose, not a directive's value.
fn is_prose_word(value: &[u8]) -> bool {
    value.len() < 12 && value.iter().all(u8::is_ascii_lowercase)
}

/// Status words that follow a secret's name in log prose (`token expired`), never its value.
fn is_status_word(value: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"expired",
        b"invalid",
        b"missing",
        b"required",
        b"refreshed",
        b"incorrect",
        b"rejected",
        b"accepted",
        b"changed",
        b"updated",
        b"reset",
        b"ok",
        b"failed",
        b"mismatch",
        b"denied",
        b"empty",
        b"unset",
        b"found",
        b"rotated",
        b"revoked",
        b"valid",
        b"verified",
        b"loaded",
        b"saved",
        b"created",
        b"deleted",
        b"removed",
    ];
    WORDS.iter().any(|word| value.eq_ignore_ascii_case(word))
}

/// A value that looks random: ≥ 16 characters of a token alphabet, hex with digits and letters, or
/// mixing case and digits with enough entropy. UUIDs (ids, not secrets) are not random-looking here.
pub(crate) fn high_entropy(value: &[u8]) -> bool {
    let value = value.trim_ascii();
    if value.len() < 16 || value.len() > 8192 || value.starts_with(b"***REDACTED") {
        return false;
    }
    if !value.iter().all(|b| b.is_ascii_alphanumeric() || b"+/=_-~".contains(b)) {
        return false;
    }
    if contains_uuid(value) {
        return false;
    }
    let digits = value.iter().filter(|b| b.is_ascii_digit()).count();
    let upper = value.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = value.iter().filter(|b| b.is_ascii_lowercase()).count();
    let hex = value.iter().all(u8::is_ascii_hexdigit) && (upper == 0 || lower == 0);
    if hex {
        return digits > 0 && digits < value.len();
    }
    let classes = usize::from(digits > 0) + usize::from(upper > 0) + usize::from(lower > 0);
    classes >= 2 && digits > 0 && shannon_entropy(value) >= 3.2 || classes == 3 && shannon_entropy(value) >= 3.0
}

fn shannon_entropy(value: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for byte in value {
        counts[usize::from(*byte)] += 1;
    }
    let len = value.len() as f64;
    counts.iter().filter(|count| **count > 0).map(|count| f64::from(*count) / len).map(|p| -p * p.log2()).sum()
}

fn contains_uuid(value: &[u8]) -> bool {
    value.windows(36).any(|window| {
        window.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
    })
}

/// Where the secret part of a webhook URL starts (its path): `https://host/` stays readable.
pub(crate) fn webhook_path(value: &[u8]) -> Option<usize> {
    let rest = value.strip_prefix(b"https://").or_else(|| value.strip_prefix(b"http://"))?;
    let slash = memchr::memchr(b'/', rest)?;
    let start = value.len() - rest.len() + slash + 1;
    (start < value.len()).then_some(start)
}

fn is_line_start_prefix(before: &[u8]) -> bool {
    let mut rest = before;
    while let Some((&last, head)) = rest.split_last() {
        if matches!(last, b'"' | b'\'' | b'\\') {
            rest = head;
        } else {
            break;
        }
    }
    let rest = rest.trim_ascii_start();
    let rest = rest.strip_prefix(b"-").map_or(rest, <[u8]>::trim_ascii_start);
    let rest = rest.strip_prefix(b"#").map_or(rest, <[u8]>::trim_ascii_start);
    let rest = rest.strip_prefix(b"export ").map_or(rest, <[u8]>::trim_ascii_start);
    rest.is_empty()
}

fn is_block_scalar_indicator(value: &[u8]) -> bool {
    matches!(value.trim_ascii(), b"|" | b"|-" | b"|+" | b">" | b">-" | b">+")
}

pub(crate) fn indentation(line: &[u8]) -> usize {
    line.iter().take_while(|b| **b == b' ' || **b == b'\t').count()
}

fn trim_end(text: &[u8], end: usize) -> usize {
    let mut end = end;
    while end > 0 && text[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    end
}

/// A line inside a PEM block: only base64 (possibly behind a log prefix) or a PEM header.
pub(crate) fn is_pem_body_line(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() || trimmed.starts_with(b"Proc-Type:") || trimmed.starts_with(b"DEK-Info:") {
        return true;
    }
    let mut run = 0usize;
    for byte in trimmed {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=') {
            run += 1;
            if run >= 40 || run == trimmed.len() {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
#[path = "detectors_tests.rs"]
mod tests;

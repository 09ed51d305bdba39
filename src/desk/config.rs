//! Desk configuration, resolved from flags (which clap already fills from env), secret env vars and
//! the config file `~/.config/mayadiag/config.yaml` (section `desk:`), in that order of precedence.
//! Secrets come only from env or files — never from argv — and live in [`SensitiveString`], which
//! prints `**REDACTED**` in every Debug/Display.
//!
//! ```yaml
//! # ~/.config/mayadiag/config.yaml (or $XDG_CONFIG_HOME/mayadiag/config.yaml, or MAYADIAG_CONFIG)
//! desk:
//!   url: https://acme.zendesk.com
//!   auth_mode: oauth              # oauth | api-token | auto (default)
//!   client_id: mayadiag-cli
//!   client_secret_file: ~/.config/mayadiag/client-secret   # env: MAYADIAG_DESK_CLIENT_SECRET(_FILE)
//!   scope: read write
//!   requester: ops@example.com
//!   requester_name: Cluster Operator
//!   attachment_limit: 50MB
//!   sev_field_id: 360000000001
//! ```
//! Inline `client_secret:` / `api_token:` keys are refused with an error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::DeskError;
use super::args::{AuthMode, DeskArgs};
use crate::retry::Backoff;

/// Default attachment limit: Zendesk's documented 50 MB per file.
pub const DEFAULT_ATTACHMENT_LIMIT: u64 = 50_000_000;
/// Default OAuth scopes: enough to upload and create/update/read tickets.
pub const DEFAULT_OAUTH_SCOPE: &str = "read write";

/// A secret. Debug and Display never show it; use [`SensitiveString::expose`] at the one place
/// where it is put on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct SensitiveString(String);

impl SensitiveString {
    pub fn new(value: impl Into<String>) -> SensitiveString {
        SensitiveString(value.into())
    }
    /// The secret itself; only for building the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SensitiveString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("**REDACTED**")
    }
}

impl std::fmt::Display for SensitiveString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("**REDACTED**")
    }
}

/// The requester of a new ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    pub email: String,
    pub name: String,
}

/// How requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthConfig {
    /// OAuth client-credentials grant (primary).
    OAuth { client_id: String, client_secret: SensitiveString, scope: String },
    /// Email + API token basic auth (deprecated by Zendesk; off on 2027-04-30).
    ApiToken { email: String, token: SensitiveString },
}

/// Retry tuning (the defaults follow the Zendesk reference; tests shrink them).
#[derive(Debug, Clone)]
pub struct RetryTuning {
    pub backoff: Backoff,
    /// Wait after a 429 that has no usable Retry-After.
    pub retry_after_default: Duration,
    /// A Retry-After longer than this fails fast instead of parking the CLI.
    pub retry_after_max: Duration,
}

/// Fully resolved desk configuration.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// Base URL without a trailing slash, e.g. `https://acme.zendesk.com`.
    pub base_url: String,
    /// None only in a dry run without credentials (`auth_problem` says why).
    pub auth: Option<AuthConfig>,
    pub auth_problem: Option<String>,
    pub requester: Option<Requester>,
    pub description: Option<String>,
    pub attachment_limit: u64,
    pub sev_field_id: Option<u64>,
    pub retry: RetryTuning,
}

/// The `desk:` section of the config file. Secrets only as `*_file` paths.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FileDesk {
    url: Option<String>,
    requester: Option<String>,
    requester_name: Option<String>,
    auth_mode: Option<String>,
    client_id: Option<String>,
    client_secret_file: Option<PathBuf>,
    scope: Option<String>,
    email: Option<String>,
    api_token_file: Option<PathBuf>,
    attachment_limit: Option<String>,
    sev_field_id: Option<u64>,
    /// Present only to give a clear error: inline secrets are refused.
    client_secret: Option<serde_json::Value>,
    api_token: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FileConfig {
    desk: FileDesk,
}

impl DeskConfig {
    /// Resolve from `args`, the environment (through `env`, so tests can fake it) and the config
    /// file. With `lenient_auth` (dry run) missing credentials are recorded instead of failing.
    pub fn resolve(
        args: &DeskArgs,
        env: &dyn Fn(&str) -> Option<String>,
        lenient_auth: bool,
    ) -> Result<DeskConfig, DeskError> {
        let file = load_file(args, env)?;
        let url = nonempty(&args.desk_url).or(file.desk.url.clone()).ok_or_else(|| {
            DeskError::Config(
                "no desk URL: pass --desk-url, set MAYADIAG_DESK_URL, or set desk.url in ~/.config/mayadiag/config.yaml"
                    .into(),
            )
        })?;
        let base_url = validate_url(&url)?;
        let (auth, auth_problem) = match resolve_auth(args, env, &file.desk) {
            Ok(auth) => (Some(auth), None),
            Err(DeskError::Config(problem)) if lenient_auth => (None, Some(problem)),
            Err(other) => return Err(other),
        };
        let requester = nonempty(&args.requester).or(file.desk.requester.clone()).map(|email| {
            let name = args
                .requester_name
                .clone()
                .or(file.desk.requester_name.clone())
                .unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            Requester { email, name }
        });
        if let Some(requester) = &requester
            && !requester.email.contains('@')
        {
            return Err(DeskError::Config(format!("requester {:?} is not an email address", requester.email)));
        }
        let attachment_limit = match (args.attachment_limit, &file.desk.attachment_limit) {
            (Some(limit), _) => limit,
            (None, Some(text)) => super::args::parse_size(text)
                .map_err(|problem| DeskError::Config(format!("desk.attachment_limit: {problem}")))?,
            (None, None) => DEFAULT_ATTACHMENT_LIMIT,
        };
        let backoff = Backoff {
            base: Duration::from_millis(args.desk_backoff_base_ms.unwrap_or(1000)),
            cap: Duration::from_secs(60),
            max_attempts: args.desk_max_attempts.unwrap_or(5).max(1),
        };
        Ok(DeskConfig {
            base_url,
            auth,
            auth_problem,
            requester,
            description: args.description.clone(),
            attachment_limit,
            sev_field_id: args.sev_field_id.or(file.desk.sev_field_id),
            retry: RetryTuning {
                backoff,
                retry_after_default: Duration::from_millis(args.desk_retry_after_default_ms.unwrap_or(60_000)),
                retry_after_max: Duration::from_secs(600),
            },
        })
    }
}

/// A flag value, treating empty (e.g. an env var set to "") as absent.
fn nonempty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.trim().is_empty())
}

fn config_path(args: &DeskArgs, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(path) = &args.desk_config {
        return Some(path.clone());
    }
    if let Some(dir) = env("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Some(Path::new(&dir).join("mayadiag/config.yaml"));
    }
    env("HOME").filter(|h| !h.is_empty()).map(|home| Path::new(&home).join(".config/mayadiag/config.yaml"))
}

fn load_file(args: &DeskArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<FileConfig, DeskError> {
    let Some(path) = config_path(args, env) else { return Ok(FileConfig::default()) };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && args.desk_config.is_none() => {
            return Ok(FileConfig::default());
        }
        Err(error) => return Err(DeskError::Config(format!("{}: {error}", path.display()))),
    };
    if text.trim().is_empty() {
        return Ok(FileConfig::default());
    }
    let parsed: FileConfig = serde_saphyr::from_str(&text)
        .map_err(|error| DeskError::Config(format!("{}: {}", path.display(), first_line(&error.to_string()))))?;
    if parsed.desk.client_secret.is_some() || parsed.desk.api_token.is_some() {
        return Err(DeskError::Config(format!(
            "{}: put secrets in a separate file and reference it with desk.client_secret_file / desk.api_token_file",
            path.display()
        )));
    }
    Ok(parsed)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// Accept `https://host[:port][/]`; plain http only for loopback (tests, port-forwards), because
/// credentials travel in every request.
fn validate_url(url: &str) -> Result<String, DeskError> {
    let parsed =
        reqwest::Url::parse(url.trim()).map_err(|error| DeskError::Config(format!("desk URL {url:?}: {error}")))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1");
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(DeskError::Config(format!("desk URL {url:?}: use https (plain http only for localhost)")));
        }
        other => return Err(DeskError::Config(format!("desk URL {url:?}: unsupported scheme {other:?}"))),
    }
    if parsed.query().is_some() || !matches!(parsed.path(), "" | "/") {
        return Err(DeskError::Config(format!(
            "desk URL {url:?}: give only the desk's root, e.g. https://acme.zendesk.com"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// `~/x` → `$HOME/x` (config files are written by hand).
fn expand_home(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    match (path.strip_prefix("~"), env("HOME")) {
        (Ok(rest), Some(home)) if !home.is_empty() => Path::new(&home).join(rest),
        _ => path.to_path_buf(),
    }
}

/// A secret from env var `name`, or from the file named by `name_FILE`, or from `file`.
fn secret(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
    file: Option<&Path>,
) -> Result<Option<SensitiveString>, DeskError> {
    if let Some(value) = env(name).filter(|v| !v.trim().is_empty()) {
        return Ok(Some(SensitiveString::new(value.trim())));
    }
    let from_env_file = env(&format!("{name}_FILE")).filter(|v| !v.is_empty()).map(PathBuf::from);
    let Some(path) = from_env_file.or(file.map(Path::to_path_buf)) else { return Ok(None) };
    let path = expand_home(&path, env);
    let text = std::fs::read_to_string(&path)
        .map_err(|error| DeskError::Config(format!("secret file {}: {error}", path.display())))?;
    let value = text.trim();
    if value.is_empty() {
        return Err(DeskError::Config(format!("secret file {} is empty", path.display())));
    }
    Ok(Some(SensitiveString::new(value)))
}

fn resolve_auth(
    args: &DeskArgs,
    env: &dyn Fn(&str) -> Option<String>,
    file: &FileDesk,
) -> Result<AuthConfig, DeskError> {
    let mode = match (args.auth_mode, file.auth_mode.as_deref()) {
        (Some(mode), _) => mode,
        (None, None) => AuthMode::Auto,
        (None, Some(text)) => match text {
            "auto" => AuthMode::Auto,
            "oauth" => AuthMode::Oauth,
            "api-token" | "api_token" | "token" => AuthMode::ApiToken,
            other => return Err(DeskError::Config(format!("desk.auth_mode {other:?}: use oauth, api-token or auto"))),
        },
    };
    let client_id = nonempty(&args.client_id).or(file.client_id.clone());
    let client_secret = secret(env, "MAYADIAG_DESK_CLIENT_SECRET", file.client_secret_file.as_deref())?;
    let email = nonempty(&args.desk_email).or(file.email.clone());
    let api_token = secret(env, "MAYADIAG_DESK_API_TOKEN", file.api_token_file.as_deref())?;
    let scope = nonempty(&args.oauth_scope).or(file.scope.clone()).unwrap_or_else(|| DEFAULT_OAUTH_SCOPE.to_string());
    let oauth = match (client_id, client_secret) {
        (Some(client_id), Some(client_secret)) => Some(AuthConfig::OAuth { client_id, client_secret, scope }),
        (Some(_), None) if mode == AuthMode::Oauth => {
            return Err(DeskError::Config(
                "OAuth client id given but no secret: set MAYADIAG_DESK_CLIENT_SECRET (or _FILE, or desk.client_secret_file)"
                    .into(),
            ));
        }
        _ => None,
    };
    let api = match (email, api_token) {
        (Some(email), Some(token)) => Some(AuthConfig::ApiToken { email, token }),
        _ => None,
    };
    let chosen = match mode {
        AuthMode::Oauth => oauth,
        AuthMode::ApiToken => api,
        AuthMode::Auto => oauth.or(api),
    };
    chosen.ok_or_else(|| {
        DeskError::Config(
            "no desk credentials: set MAYADIAG_DESK_CLIENT_ID and MAYADIAG_DESK_CLIENT_SECRET (OAuth client \
             credentials), or MAYADIAG_DESK_EMAIL and MAYADIAG_DESK_API_TOKEN (deprecated)"
                .into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name: &str| map.get(name).cloned()
    }

    fn args_with_url() -> DeskArgs {
        DeskArgs { desk_url: Some("https://acme.zendesk.com/".into()), ..DeskArgs::default() }
    }

    #[test]
    fn sensitive_string_never_prints() {
        let secret = SensitiveString::new("hunter2");
        assert_eq!(format!("{secret} {secret:?}"), "**REDACTED** **REDACTED**");
        let auth = AuthConfig::OAuth { client_id: "id".into(), client_secret: secret, scope: "read".into() };
        assert!(!format!("{auth:?}").contains("hunter2"));
    }

    #[test]
    fn oauth_preferred_over_api_token() {
        let env = env_of(&[
            ("HOME", "/nonexistent"),
            ("MAYADIAG_DESK_CLIENT_SECRET", "s3cret"),
            ("MAYADIAG_DESK_API_TOKEN", "tok"),
        ]);
        let args = DeskArgs { client_id: Some("cid".into()), desk_email: Some("a@b.c".into()), ..args_with_url() };
        let config = DeskConfig::resolve(&args, &env, false).map_err(|e| e.to_string());
        let config = config.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.base_url, "https://acme.zendesk.com");
        assert!(matches!(config.auth, Some(AuthConfig::OAuth { .. })));
        let forced = DeskArgs { auth_mode: Some(AuthMode::ApiToken), ..args };
        let config = DeskConfig::resolve(&forced, &env, false).map_err(|e| e.to_string());
        assert!(matches!(config.map(|c| c.auth), Ok(Some(AuthConfig::ApiToken { .. }))));
    }

    #[test]
    fn missing_credentials_are_a_config_error_except_in_dry_run() {
        let env = env_of(&[("HOME", "/nonexistent")]);
        let error = DeskConfig::resolve(&args_with_url(), &env, false).err();
        assert_eq!(error.map(|e| e.exit_code()), Some(2));
        let lenient = DeskConfig::resolve(&args_with_url(), &env, true).map_err(|e| e.to_string());
        assert!(lenient.map(|c| c.auth.is_none() && c.auth_problem.is_some()).unwrap_or(false));
    }

    #[test]
    fn home_is_expanded_in_secret_paths() {
        let env = env_of(&[("HOME", "/home/ops")]);
        assert_eq!(expand_home(Path::new("~/.config/s"), &env), PathBuf::from("/home/ops/.config/s"));
        assert_eq!(expand_home(Path::new("/etc/s"), &env), PathBuf::from("/etc/s"));
    }

    #[test]
    fn urls_are_checked() {
        assert_eq!(validate_url("http://127.0.0.1:8080").ok().as_deref(), Some("http://127.0.0.1:8080"));
        assert!(validate_url("http://acme.zendesk.com").is_err());
        assert!(validate_url("https://acme.zendesk.com/api/v2").is_err());
        assert!(validate_url("ftp://x").is_err());
    }

    #[test]
    fn config_file_with_secret_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let secret_path = dir.path().join("secret");
        std::fs::write(&secret_path, "from-file\n").unwrap_or_else(|e| panic!("{e}"));
        let config_path = dir.path().join("config.yaml");
        let yaml = format!(
            "other: 1\ndesk:\n  url: https://acme.zendesk.com\n  client_id: cid\n  client_secret_file: {}\n  requester: ops@example.com\n  attachment_limit: 10MiB\n  sev_field_id: 42\n",
            secret_path.display()
        );
        std::fs::write(&config_path, yaml).unwrap_or_else(|e| panic!("{e}"));
        let args = DeskArgs { desk_config: Some(config_path.clone()), ..DeskArgs::default() };
        let config = DeskConfig::resolve(&args, &env_of(&[]), false).unwrap_or_else(|e| panic!("{e}"));
        match &config.auth {
            Some(AuthConfig::OAuth { client_secret, .. }) => assert_eq!(client_secret.expose(), "from-file"),
            other => panic!("unexpected auth {other:?}"),
        }
        assert_eq!(config.attachment_limit, 10 << 20);
        assert_eq!(config.sev_field_id, Some(42));
        assert_eq!(config.requester.map(|r| r.name), Some("ops".to_string()));

        std::fs::write(&config_path, "desk:\n  url: https://a.zendesk.com\n  client_secret: inline\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let error = DeskConfig::resolve(&args, &env_of(&[]), false).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("client_secret_file"), "{error}");
        assert!(!error.contains("inline"), "{error}");
    }
}

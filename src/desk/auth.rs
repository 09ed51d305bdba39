//! Authentication to the desk. OAuth client credentials is the primary mode: a bearer token minted
//! with `POST /oauth/tokens` (at the host root, not under /api/v2), refreshed before it expires and
//! re-minted once when a request gets 401. Email/API-token basic auth is a fallback that warns:
//! Zendesk stops issuing API tokens after 2026-10-27 and switches them off on 2027-04-30.

use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::header::{HeaderName, HeaderValue};

use super::DeskError;
use super::config::{AuthConfig, SensitiveString};
use super::transport::{Attempts, PreparedRequest, Step, Transport};

/// The deprecation warning printed once per run in API-token mode.
pub const API_TOKEN_DEPRECATION: &str = "warning: desk API-token auth is deprecated: Zendesk stops issuing API tokens \
after 2026-10-27 and switches them off on 2027-04-30; configure an OAuth client (MAYADIAG_DESK_CLIENT_ID and \
MAYADIAG_DESK_CLIENT_SECRET) instead";

struct CachedToken {
    access_token: SensitiveString,
    refresh_at: Instant,
}

/// Produces the `Authorization` header for each request.
pub struct Authenticator {
    config: Option<AuthConfig>,
    token_url: String,
    cached: Option<CachedToken>,
    warned: bool,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("config", &self.config).field("token_url", &self.token_url).finish()
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<f64>,
}

impl Authenticator {
    pub fn new(config: Option<AuthConfig>, base_url: &str) -> Authenticator {
        Authenticator { config, token_url: format!("{base_url}/oauth/tokens"), cached: None, warned: false }
    }

    /// True for OAuth (a 401 is worth one re-mint).
    pub fn can_remint(&self) -> bool {
        matches!(self.config, Some(AuthConfig::OAuth { .. }))
    }

    /// Forget the current token (after a 401).
    pub fn invalidate(&mut self) {
        self.cached = None;
    }

    /// The header to send, minting or refreshing the OAuth token when needed.
    pub async fn header(&mut self, transport: &Transport) -> Result<(HeaderName, HeaderValue), DeskError> {
        let value = match &self.config {
            None => return Err(DeskError::Config("no desk credentials configured".into())),
            Some(AuthConfig::ApiToken { email, token }) => {
                if !self.warned {
                    eprintln!("{API_TOKEN_DEPRECATION}");
                    self.warned = true;
                }
                let raw = format!("{email}/token:{}", token.expose());
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
            }
            Some(AuthConfig::OAuth { .. }) => {
                let fresh = self.cached.as_ref().is_some_and(|token| Instant::now() < token.refresh_at);
                if !fresh {
                    self.cached = Some(self.mint(transport).await?);
                }
                match &self.cached {
                    Some(token) => format!("Bearer {}", token.access_token.expose()),
                    None => return Err(DeskError::Config("no OAuth token".into())),
                }
            }
        };
        let mut header = HeaderValue::from_str(&value)
            .map_err(|_| DeskError::Config("credentials contain characters not allowed in a header".into()))?;
        header.set_sensitive(true);
        Ok((reqwest::header::AUTHORIZATION, header))
    }

    /// The token request body; the secret appears here and nowhere else.
    fn token_request_body(client_id: &str, client_secret: &SensitiveString, scope: &str) -> Vec<u8> {
        serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret.expose(),
            "scope": scope,
        })
        .to_string()
        .into_bytes()
    }

    /// The token request as a dry run shows it (secret masked).
    pub fn token_request_preview(&self) -> Option<(String, String)> {
        match &self.config {
            Some(AuthConfig::OAuth { client_id, scope, .. }) => Some((
                self.token_url.clone(),
                serde_json::json!({
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": "**REDACTED**",
                    "scope": scope,
                })
                .to_string(),
            )),
            _ => None,
        }
    }

    async fn mint(&self, transport: &Transport) -> Result<CachedToken, DeskError> {
        let Some(AuthConfig::OAuth { client_id, client_secret, scope }) = &self.config else {
            return Err(DeskError::Config("OAuth is not configured".into()));
        };
        let operation = "get OAuth token";
        let request = PreparedRequest {
            method: reqwest::Method::POST,
            url: self.token_url.clone(),
            headers: vec![
                (reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (reqwest::header::ACCEPT, HeaderValue::from_static("application/json")),
            ],
            body: Some(Self::token_request_body(client_id, client_secret, scope).into()),
            timeout: Duration::from_secs(60),
        };
        let mut attempts = Attempts::new(operation, transport.tuning());
        let reply = loop {
            match transport.execute(operation, &request).await {
                Step::Done(reply) => break reply,
                Step::Unauthorized(error) | Step::Fail(error) => return Err(error),
                Step::Retry { reason, not_before, .. } => attempts.wait(&reason, not_before).await?,
            }
        };
        // Never echo the body: it carries the token.
        let parsed: TokenResponse = serde_json::from_slice(&reply.body).map_err(|_| DeskError::Protocol {
            operation: operation.into(),
            message: "token response is not the expected JSON".into(),
        })?;
        let access_token = parsed.access_token.filter(|t| !t.is_empty()).ok_or_else(|| DeskError::Protocol {
            operation: operation.into(),
            message: "token response has no access_token".into(),
        })?;
        Ok(CachedToken {
            access_token: SensitiveString::new(access_token),
            refresh_at: refresh_deadline(parsed.expires_in),
        })
    }
}

/// When to mint again: ahead of expiry by a tenth of the lifetime (at most a minute). Tokens without
/// `expires_in` are kept for the run (a 401 still re-mints).
fn refresh_deadline(expires_in: Option<f64>) -> Instant {
    let now = Instant::now();
    match expires_in.filter(|s| s.is_finite() && *s > 0.0) {
        Some(seconds) => {
            let lifetime = Duration::from_secs_f64(seconds.min(1e9));
            let margin = (lifetime / 10).min(Duration::from_secs(60));
            now + (lifetime - margin)
        }
        None => now + Duration::from_secs(24 * 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_happens_before_expiry() {
        let now = Instant::now();
        let deadline = refresh_deadline(Some(3600.0));
        let ahead = deadline.saturating_duration_since(now);
        assert!(ahead <= Duration::from_secs(3541) && ahead > Duration::from_secs(3500), "{ahead:?}");
        let short = refresh_deadline(Some(10.0)).saturating_duration_since(now);
        assert!(short <= Duration::from_millis(9001), "{short:?}");
    }

    #[test]
    fn preview_masks_the_secret() {
        let config = AuthConfig::OAuth {
            client_id: "cid".into(),
            client_secret: SensitiveString::new("topsecret"),
            scope: "read write".into(),
        };
        let auth = Authenticator::new(Some(config), "https://a.zendesk.com");
        let (url, body) = auth.token_request_preview().unwrap_or_default();
        assert_eq!(url, "https://a.zendesk.com/oauth/tokens");
        assert!(body.contains("**REDACTED**") && !body.contains("topsecret"), "{body}");
        assert!(!format!("{auth:?}").contains("topsecret"));
    }
}

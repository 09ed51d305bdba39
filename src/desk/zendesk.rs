//! The Zendesk Support backend of [`Desk`]: uploads (`POST /api/v2/uploads.json`, raw bytes),
//! ticket create with `Idempotency-Key` + `external_id`, lookup by `external_id`, private comments
//! on existing tickets (`PUT /api/v2/tickets/{id}.json`), verified through the comment list before
//! any re-PUT after an ambiguous failure, since updates are not idempotent.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;

use super::auth::Authenticator;
use super::config::{AuthConfig, DeskConfig};
use super::ticket::{Action, SubmissionPlan};
use super::transport::{Attempts, PreparedRequest, Reply, Step, Transport};
use super::{CreatedTicket, Desk, DeskError, RequestPreview, TicketDraft, UploadedPart};

/// Timeout of JSON calls; uploads get more, scaled by size.
const JSON_TIMEOUT: Duration = Duration::from_secs(60);
/// Pages of comments read when looking for our marker.
const MAX_COMMENT_PAGES: usize = 50;

/// What [`Zendesk::call`] checks after an ambiguous failure (the desk may have acted before it
/// failed) before sending the request again.
enum Verify<'a> {
    /// Nothing to check (reads, and requests the desk makes idempotent by themselves).
    Nothing,
    /// A comment with this marker on this ticket.
    Comment {
        /// The ticket.
        ticket_id: u64,
        /// The bundle's marker in the comment.
        marker: &'a str,
    },
    /// A ticket with this `external_id` (a desk that ignores the idempotency key would
    /// otherwise make a second ticket); its id goes to `found`.
    Ticket {
        /// The bundle's external id.
        external_id: &'a str,
        /// Where the found ticket's id goes.
        found: &'a mut Option<u64>,
    },
}

/// A Zendesk Support account.
#[derive(Debug)]
pub struct Zendesk {
    base_url: String,
    transport: Transport,
    auth: Authenticator,
    auth_kind: Option<&'static str>,
    auth_problem: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AttachmentJson {
    id: Option<u64>,
    content_url: Option<String>,
    file_name: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UploadJson {
    token: Option<String>,
    attachment: Option<AttachmentJson>,
    attachments: Vec<AttachmentJson>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UploadResponse {
    upload: Option<UploadJson>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TicketJson {
    id: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TicketResponse {
    ticket: Option<TicketJson>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TicketsResponse {
    tickets: Vec<TicketJson>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CommentJson {
    body: Option<String>,
    plain_body: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CommentsResponse {
    comments: Vec<CommentJson>,
    next_page: Option<String>,
}

fn json_headers() -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (reqwest::header::ACCEPT, HeaderValue::from_static("application/json")),
        (reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
    ]
}

fn protocol(operation: &str, message: impl Into<String>) -> DeskError {
    DeskError::Protocol { operation: operation.into(), message: message.into() }
}

fn parse<T: serde::de::DeserializeOwned>(operation: &str, reply: &Reply) -> Result<T, DeskError> {
    serde_json::from_slice(&reply.body)
        .map_err(|error| protocol(operation, format!("body is not the expected JSON: {error}")))
}

/// Zendesk priority for a Sev.
pub fn priority(sev: u8) -> &'static str {
    match sev {
        0 => "urgent",
        1 => "high",
        2 => "normal",
        _ => "low",
    }
}

/// The create request body. Deterministic (serde_json orders keys), so retries send the same bytes.
pub fn create_body(draft: &TicketDraft, upload_tokens: &[String]) -> Vec<u8> {
    let mut ticket = serde_json::json!({
        "subject": draft.subject,
        "comment": { "body": draft.body, "public": true, "uploads": upload_tokens },
        "priority": priority(draft.sev),
        "type": if draft.sev < 3 { "problem" } else { "question" },
        "tags": draft.tags,
        "external_id": draft.external_id,
    });
    if let Some(field_id) = draft.sev_field_id {
        ticket["custom_fields"] = serde_json::json!([{ "id": field_id, "value": format!("sev_{}", draft.sev) }]);
    }
    if let Some(requester) = &draft.requester {
        ticket["requester"] = serde_json::json!({ "name": requester.name, "email": requester.email });
    }
    serde_json::json!({ "ticket": ticket }).to_string().into_bytes()
}

/// The update request body: a private comment carrying the uploads.
pub fn comment_body(body: &str, upload_tokens: &[String]) -> Vec<u8> {
    serde_json::json!({ "ticket": { "comment": { "body": body, "public": false, "uploads": upload_tokens } } })
        .to_string()
        .into_bytes()
}

impl Zendesk {
    pub fn new(config: &DeskConfig) -> Result<Zendesk, DeskError> {
        let auth_kind = match &config.auth {
            Some(AuthConfig::OAuth { .. }) => Some("Bearer"),
            Some(AuthConfig::ApiToken { .. }) => Some("Basic"),
            None => None,
        };
        Ok(Zendesk {
            base_url: config.base_url.clone(),
            transport: Transport::new(config.retry.clone())?,
            auth: Authenticator::new(config.auth.clone(), &config.base_url),
            auth_kind,
            auth_problem: config.auth_problem.clone(),
        })
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v2{path}", self.base_url)
    }

    fn upload_url(&self, file_name: &str, token: Option<&str>) -> Result<String, DeskError> {
        let mut url = reqwest::Url::parse(&self.api("/uploads.json"))
            .map_err(|error| DeskError::Config(format!("desk URL: {error}")))?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("filename", file_name);
            if let Some(token) = token {
                query.append_pair("token", token);
            }
        }
        Ok(url.to_string())
    }

    /// Send with auth, retries and one OAuth re-mint. With `verify`, an attempt whose outcome is
    /// unknown is followed by a comment check before the request is repeated.
    async fn call(
        &mut self,
        operation: &str,
        request: PreparedRequest,
        mut verify: Verify<'_>,
    ) -> Result<Option<Reply>, DeskError> {
        let mut attempts = Attempts::new(operation, self.transport.tuning());
        let mut reminted = false;
        loop {
            let mut attempt = request.clone();
            attempt.headers.push(self.auth.header(&self.transport).await?);
            match self.transport.execute(operation, &attempt).await {
                Step::Done(reply) => return Ok(Some(reply)),
                Step::Unauthorized(error) => {
                    if !self.auth.can_remint() || reminted {
                        return Err(error);
                    }
                    eprintln!("warning: {operation}: the desk rejected the OAuth token (401); getting a new one");
                    reminted = true;
                    self.auth.invalidate();
                }
                Step::Fail(error) => return Err(error),
                Step::Retry { reason, not_before, maybe_applied } => {
                    attempts.wait(&reason, not_before).await?;
                    if !maybe_applied {
                        continue;
                    }
                    // The desk may have acted before failing: look before sending it again.
                    match &mut verify {
                        Verify::Comment { ticket_id, marker } if self.comments_contain(*ticket_id, marker).await? => {
                            return Ok(None);
                        }
                        Verify::Ticket { external_id, found } => {
                            if let Some(id) = self.lookup_ticket(external_id).await? {
                                **found = Some(id);
                                return Ok(None);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    async fn get(&mut self, operation: &str, url: String) -> Result<Reply, DeskError> {
        let request = PreparedRequest {
            method: reqwest::Method::GET,
            url,
            headers: vec![(reqwest::header::ACCEPT, HeaderValue::from_static("application/json"))],
            body: None,
            timeout: JSON_TIMEOUT,
        };
        self.call(operation, request, Verify::Nothing).await?.ok_or_else(|| protocol(operation, "no answer"))
    }

    /// The ticket made for `external_id`, if any (the oldest when a desk made several).
    /// Boxed because [`Zendesk::call`] calls it and it calls `call`.
    fn lookup_ticket<'a>(
        &'a mut self,
        external_id: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<u64>, DeskError>> + 'a>> {
        Box::pin(async move {
            let operation = "look up ticket by external_id";
            let mut url = reqwest::Url::parse(&self.api("/tickets.json"))
                .map_err(|error| DeskError::Config(format!("desk URL: {error}")))?;
            url.query_pairs_mut().append_pair("external_id", external_id);
            let reply = self.get(operation, url.to_string()).await?;
            let parsed: TicketsResponse = parse(operation, &reply)?;
            Ok(parsed.tickets.iter().filter_map(|t| t.id).min())
        })
    }

    /// Read the ticket's comments (following next_page on the same desk only) for `marker`.
    /// Boxed because [`Zendesk::call`] calls it and it calls `call`.
    fn comments_contain<'a>(
        &'a mut self,
        ticket_id: u64,
        marker: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, DeskError>> + 'a>> {
        Box::pin(async move {
            let operation = format!("read comments of ticket {ticket_id}");
            let mut url = Some(self.api(&format!("/tickets/{ticket_id}/comments.json")));
            let mut pages = 0;
            while let Some(page) = url.take() {
                let reply = self.get(&operation, page).await?;
                let parsed: CommentsResponse = parse(&operation, &reply)?;
                if parsed.comments.iter().any(|c| {
                    c.body.as_deref().is_some_and(|b| b.contains(marker))
                        || c.plain_body.as_deref().is_some_and(|b| b.contains(marker))
                }) {
                    return Ok(true);
                }
                pages += 1;
                // Credentials go only to our own desk, never to a URL the server hands us elsewhere.
                url = parsed.next_page.filter(|next| next.starts_with(&self.base_url) && pages < MAX_COMMENT_PAGES);
            }
            Ok(false)
        })
    }

    fn auth_preview(&self) -> String {
        match (self.auth_kind, &self.auth_problem) {
            (Some(kind), _) => format!("{kind} **REDACTED**"),
            (None, Some(problem)) => format!("(not configured: {problem})"),
            (None, None) => "(not configured)".into(),
        }
    }
}

impl Desk for Zendesk {
    fn name(&self) -> &'static str {
        "Zendesk"
    }

    fn ticket_url(&self, ticket_id: u64) -> String {
        format!("{}/agent/tickets/{ticket_id}", self.base_url)
    }

    async fn check_ticket(&mut self, ticket_id: u64) -> Result<(), DeskError> {
        let operation = format!("look up ticket {ticket_id}");
        match self.get(&operation, self.api(&format!("/tickets/{ticket_id}.json"))).await {
            Ok(_) => Ok(()),
            Err(DeskError::Api { status: 404, .. }) => Err(DeskError::Api {
                operation,
                status: 404,
                error_code: None,
                fields: Vec::new(),
                explanation: format!("ticket {ticket_id} does not exist on {} (404)", self.base_url),
            }),
            Err(other) => Err(other),
        }
    }

    async fn upload(&mut self, file_name: &str, bytes: Bytes, token: Option<&str>) -> Result<UploadedPart, DeskError> {
        let operation = format!("upload {file_name}");
        let size = bytes.len() as u64;
        let request = PreparedRequest {
            method: reqwest::Method::POST,
            url: self.upload_url(file_name, token)?,
            headers: vec![
                (reqwest::header::ACCEPT, HeaderValue::from_static("application/json")),
                (reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/gzip")),
            ],
            body: Some(bytes),
            // Two minutes plus one second per 256 KiB: a slow uplink still gets through.
            timeout: Duration::from_secs(120 + size / (256 << 10)),
        };
        let reply =
            self.call(&operation, request, Verify::Nothing).await?.ok_or_else(|| protocol(&operation, "no answer"))?;
        let parsed: UploadResponse = parse(&operation, &reply)?;
        let upload = parsed.upload.ok_or_else(|| protocol(&operation, "no \"upload\" object"))?;
        let token = upload.token.filter(|t| !t.is_empty()).ok_or_else(|| protocol(&operation, "no upload token"))?;
        let attachment = upload.attachment.or_else(|| {
            upload
                .attachments
                .into_iter()
                .rev()
                .find(|a| a.file_name.as_deref() == Some(file_name) || a.name.as_deref() == Some(file_name))
        });
        let attachment = attachment.unwrap_or_default();
        Ok(UploadedPart {
            token,
            attachment_id: attachment.id,
            content_url: attachment.content_url.unwrap_or_default(),
        })
    }

    async fn find_ticket(&mut self, external_id: &str) -> Result<Option<u64>, DeskError> {
        self.lookup_ticket(external_id).await
    }

    async fn create_ticket(
        &mut self,
        draft: &TicketDraft,
        upload_tokens: &[String],
    ) -> Result<CreatedTicket, DeskError> {
        let operation = "create ticket";
        let key = HeaderValue::from_str(&draft.idempotency_key)
            .map_err(|_| protocol(operation, "idempotency key is not a valid header value"))?;
        let mut headers = json_headers();
        headers.push((HeaderName::from_static("idempotency-key"), key));
        // Rendered once: every retry sends exactly these bytes with the same key.
        let request = PreparedRequest {
            method: reqwest::Method::POST,
            url: self.api("/tickets.json"),
            headers,
            body: Some(create_body(draft, upload_tokens).into()),
            timeout: JSON_TIMEOUT,
        };
        let mut found = None;
        let verify = Verify::Ticket { external_id: &draft.external_id, found: &mut found };
        let Some(reply) = self.call(operation, request, verify).await? else {
            // An ambiguous failure, and the lookup by external_id found the ticket it made.
            return match found {
                Some(id) => Ok(CreatedTicket { id, replayed: true }),
                None => Err(protocol(operation, "no answer")),
            };
        };
        let replayed = reply
            .headers
            .get("x-idempotency-lookup")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("hit"));
        let parsed: TicketResponse = parse(operation, &reply)?;
        let id = parsed.ticket.and_then(|t| t.id).ok_or_else(|| protocol(operation, "no ticket id in the answer"))?;
        Ok(CreatedTicket { id, replayed })
    }

    async fn add_comment(
        &mut self,
        ticket_id: u64,
        body: &str,
        marker: &str,
        upload_tokens: &[String],
    ) -> Result<(), DeskError> {
        let operation = format!("add comment to ticket {ticket_id}");
        let request = PreparedRequest {
            method: reqwest::Method::PUT,
            url: self.api(&format!("/tickets/{ticket_id}.json")),
            headers: json_headers(),
            body: Some(comment_body(body, upload_tokens).into()),
            timeout: JSON_TIMEOUT,
        };
        self.call(&operation, request, Verify::Comment { ticket_id, marker }).await?;
        Ok(())
    }

    async fn has_comment(&mut self, ticket_id: u64, marker: &str) -> Result<bool, DeskError> {
        self.comments_contain(ticket_id, marker).await
    }

    fn preview(&self, plan: &SubmissionPlan) -> Vec<RequestPreview> {
        let mut previews = Vec::new();
        if let Some((url, body)) = self.auth.token_request_preview() {
            previews.push(RequestPreview {
                method: "POST".into(),
                url,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body,
            });
        }
        let auth = ("Authorization".to_string(), self.auth_preview());
        let placeholder = "<upload token from the first upload>".to_string();
        if let Action::Comment { ticket_id, .. } = &plan.action {
            previews.push(RequestPreview {
                method: "GET".into(),
                url: self.api(&format!("/tickets/{ticket_id}.json")),
                headers: vec![auth.clone()],
                body: String::new(),
            });
        }
        if let Action::Create(draft) = &plan.action {
            let url = reqwest::Url::parse(&self.api("/tickets.json")).map(|mut url| {
                url.query_pairs_mut().append_pair("external_id", &draft.external_id);
                url.to_string()
            });
            previews.push(RequestPreview {
                method: "GET".into(),
                url: url.unwrap_or_default(),
                headers: vec![auth.clone()],
                body: String::new(),
            });
        }
        for (index, part) in plan.parts.iter().enumerate() {
            let token = (index > 0).then_some(placeholder.as_str());
            previews.push(RequestPreview {
                method: "POST".into(),
                url: self.upload_url(&part.name, token).unwrap_or_default(),
                headers: vec![auth.clone(), ("Content-Type".into(), "application/gzip".into())],
                body: format!(
                    "<raw bytes of {}: {} bytes from offset {}, sha256 {}>",
                    part.name, part.size, part.offset, part.sha256
                ),
            });
        }
        let tokens = vec![placeholder];
        match &plan.action {
            Action::Create(draft) => previews.push(RequestPreview {
                method: "POST".into(),
                url: self.api("/tickets.json"),
                headers: vec![
                    auth,
                    ("Content-Type".into(), "application/json".into()),
                    ("Idempotency-Key".into(), draft.idempotency_key.clone()),
                ],
                body: String::from_utf8_lossy(&create_body(draft, &tokens)).into_owned(),
            }),
            Action::Comment { ticket_id, body } => previews.push(RequestPreview {
                method: "PUT".into(),
                url: self.api(&format!("/tickets/{ticket_id}.json")),
                headers: vec![auth, ("Content-Type".into(), "application/json".into())],
                body: String::from_utf8_lossy(&comment_body(body, &tokens)).into_owned(),
            }),
        }
        previews
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::config::Requester;

    fn draft(sev: u8) -> TicketDraft {
        TicketDraft {
            subject: "Sev 1: x".into(),
            body: "body".into(),
            sev,
            tags: vec!["mayadiag".into(), format!("sev-{sev}")],
            requester: Some(Requester { email: "ops@example.com".into(), name: "ops".into() }),
            sev_field_id: Some(42),
            external_id: "mayadiag-abc".into(),
            idempotency_key: "mayadiag-abc".into(),
        }
    }

    #[test]
    fn create_body_is_stable_and_complete() {
        let tokens = vec!["tok".to_string()];
        let first = create_body(&draft(1), &tokens);
        assert_eq!(first, create_body(&draft(1), &tokens));
        let json: serde_json::Value = serde_json::from_slice(&first).unwrap_or_default();
        assert_eq!(json["ticket"]["priority"], "high");
        assert_eq!(json["ticket"]["comment"]["uploads"][0], "tok");
        assert_eq!(json["ticket"]["custom_fields"][0]["value"], "sev_1");
        assert_eq!(json["ticket"]["requester"]["email"], "ops@example.com");
        assert_eq!(json["ticket"]["external_id"], "mayadiag-abc");
        let priorities: Vec<&str> = (0..=3).map(priority).collect();
        assert_eq!(priorities, vec!["urgent", "high", "normal", "low"]);
    }

    #[test]
    fn comment_is_private() {
        let json: serde_json::Value = serde_json::from_slice(&comment_body("b", &["t".into()])).unwrap_or_default();
        assert_eq!(json["ticket"]["comment"]["public"], false);
    }
}

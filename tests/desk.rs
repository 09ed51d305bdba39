//! Integration tests of `mayadiag ticket` against the local Zendesk stand-in
//! (tests/desk_standin.py): real binary, real HTTP, injected faults.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

const SECRET: &str = "cs-5ecret-never-print-me-7f3a";
const API_TOKEN: &str = "apitok-never-print-me-91bc";
const CLIENT_ID: &str = "mayadiag-test";

struct StandIn {
    child: Child,
    url: String,
    dir: PathBuf,
    faults: PathBuf,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl StandIn {
    fn start(dir: &Path, extra: &[&str]) -> StandIn {
        let state = dir.join("standin");
        let faults = dir.join("faults.json");
        std::fs::write(&faults, r#"{"faults": []}"#).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/desk_standin.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--state-dir")
            .arg(&state)
            .arg("--faults")
            .arg(&faults)
            .args(["--client-id", CLIENT_ID, "--email", "agent@example.com"])
            .args(extra)
            .env("STANDIN_CLIENT_SECRET", SECRET)
            .env("STANDIN_API_TOKEN", API_TOKEN)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the stand-in");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("http://127.0.0.1:"), "stand-in said {line:?}");
        StandIn { child, url: line.trim().to_string(), dir: state, faults }
    }

    fn set_faults(&self, faults: Value) {
        std::fs::write(&self.faults, serde_json::json!({ "faults": faults }).to_string()).unwrap();
    }

    fn requests(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.join("requests.json")).unwrap();
        serde_json::from_str::<Vec<Value>>(&text).unwrap()
    }

    fn desk(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("desk.json")).unwrap()).unwrap()
    }

    fn tickets(&self) -> Vec<Value> {
        self.desk()["tickets"].as_array().cloned().unwrap_or_default()
    }
}

/// Deterministic incompressible bytes (xorshift), so the gzip stays big enough to split.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// A bundle like `collect` writes: top dir, mayadiag/{analysis.json,summary.md,manifest.json}, payload.
fn write_bundle(path: &Path, sev: Option<u8>, payload: usize, seed: u64) {
    let top = path.file_name().unwrap().to_string_lossy().trim_end_matches(".tar.gz").to_string();
    let analysis = match sev {
        Some(level) => serde_json::json!({
            "severity": {"level": level, "reasons": ["cStor volume offline"]},
            "findings": [
                {"check": "cstor.pool", "title": "pool", "engine": "cstor", "status": "warn", "sev": 2,
                 "message": "cStor pool pool-a is degraded", "evidence": [], "remediation": "replace disk"},
                {"check": "cstor.volume", "title": "cStor volume offline", "engine": "cstor", "status": "fail", "sev": level,
                 "object": {"kind": "CStorVolume", "namespace": "openebs", "name": "pvc-123"},
                 "message": "cStor volume pvc-123 offline", "evidence": [{"file": "x", "value": "Offline"}],
                 "remediation": "bring replicas online"}
            ],
            "engines": [{"engine": "cstor", "state": "degraded", "version": "3.6.0"}],
            "cluster_version": "v1.30.2"
        }),
        None => serde_json::json!({"severity": {"level": 3, "reasons": []}, "findings": [], "engines": []}),
    };
    let members: Vec<(String, Vec<u8>)> = vec![
        (format!("{top}/mayadiag/analysis.json"), analysis.to_string().into_bytes()),
        (
            format!("{top}/mayadiag/summary.md"),
            b"# mayadiag summary\n\nVerdict: Sev 1 (cStor volume pvc-123 offline)\n".to_vec(),
        ),
        (format!("{top}/mayadiag/manifest.json"), br#"{"redaction": {"enabled": true, "total": 12}}"#.to_vec()),
        (format!("{top}/cluster-resources/payload.bin"), noise(payload, seed)),
    ];
    let encoder = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (name, data) in &members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Runs a program on a pseudo-terminal, answers the consent question with $ANSWER, and passes
/// the program's exit code on; the terminal's output goes to stdout.
const ON_TTY: &str = r#"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen = b""
def read():
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""
while b"[y/N]" not in seen:
    chunk = read()
    if not chunk:
        break
    seen += chunk
if b"[y/N]" in seen:
    os.write(fd, os.environ["ANSWER"].encode() + b"\n")
while True:
    chunk = read()
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
"#;

fn mayadiag(home: &Path, standin: &StandIn, args: &[&str], env: &[(&str, &str)]) -> Output {
    mayadiag_via(None, home, standin, args, env)
}

/// `answer` set: run on a terminal and type it at the consent question.
fn mayadiag_via(answer: Option<&str>, home: &Path, standin: &StandIn, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = match answer {
        None => Command::new(env!("CARGO_BIN_EXE_mayadiag")),
        Some(_) => {
            let mut wrapper = Command::new("python3");
            wrapper.args(["-c", ON_TTY, env!("CARGO_BIN_EXE_mayadiag")]);
            wrapper
        }
    };
    let answer_env = answer.unwrap_or_default();
    command
        .env_clear()
        .env("ANSWER", answer_env)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("MAYADIAG_DESK_URL", &standin.url)
        .env("MAYADIAG_DESK_CLIENT_ID", CLIENT_ID)
        .env("MAYADIAG_DESK_CLIENT_SECRET", SECRET)
        .env("MAYADIAG_DESK_BACKOFF_BASE_MS", "5")
        .env("MAYADIAG_DESK_RETRY_AFTER_DEFAULT_MS", "300")
        .args(["ticket"])
        .args(args)
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The secret appears nowhere but in the body of the token request.
fn assert_secret_contained(standin: &StandIn, output: &Output, bundle: &Path) {
    for (what, content) in [("stdout", text(&output.stdout)), ("stderr", text(&output.stderr))] {
        assert!(!content.contains(SECRET) && !content.contains(API_TOKEN), "secret in {what}: {content}");
    }
    let log = std::fs::read_to_string(standin.dir.join("requests.json")).unwrap();
    assert!(!log.contains(SECRET), "secret in the stand-in's request log");
    for entry in standin.requests() {
        let body = std::fs::read(entry["body_file"].as_str().unwrap_or("/nonexistent")).unwrap_or_default();
        let is_token_request = entry["path"] == "/oauth/tokens";
        if !is_token_request {
            assert!(!text(&body).contains(SECRET), "secret in body of {}", entry["path"]);
        }
    }
    assert!(!text(&std::fs::read(bundle).unwrap()).contains(SECRET), "secret in the bundle");
    let state = state_path(bundle);
    if state.exists() {
        let state_text = std::fs::read_to_string(&state).unwrap();
        assert!(!state_text.contains(SECRET) && !state_text.contains(API_TOKEN), "secret in the state file");
    }
}

fn state_path(bundle: &Path) -> PathBuf {
    PathBuf::from(format!("{}.ticket-state.json", bundle.display()))
}

fn requests_to<'a>(requests: &'a [Value], method: &str, path_prefix: &str) -> Vec<&'a Value> {
    requests
        .iter()
        .filter(|r| r["method"] == method && r["path"].as_str().is_some_and(|p| p.starts_with(path_prefix)))
        .collect()
}

/// The ticket's last comment's attachments, concatenated in order, equal the bundle.
fn assert_attachments_reassemble(standin: &StandIn, ticket: &Value, bundle: &Path, expected_parts: usize) {
    let comments = ticket["comments"].as_array().unwrap();
    let attachments = comments.last().unwrap()["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), expected_parts, "attachments: {attachments:?}");
    let stored = standin.desk()["attachments"].clone();
    let bundle_name = bundle.file_name().unwrap().to_string_lossy().to_string();
    let mut joined = Vec::new();
    for (index, attachment) in attachments.iter().enumerate() {
        let name = attachment["file_name"].as_str().unwrap();
        if expected_parts > 1 {
            assert_eq!(name, format!("{bundle_name}.part-{:02}", index + 1));
        } else {
            assert_eq!(name, bundle_name);
        }
        let path = stored[attachment["id"].to_string()]["path"].as_str().unwrap();
        joined.extend_from_slice(&std::fs::read(path).unwrap());
    }
    assert_eq!(sha256_hex(&joined), sha256_hex(&std::fs::read(bundle).unwrap()), "attachments do not reassemble");
}

#[test]
fn one_ticket_with_split_parts_despite_faults() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &["--token-valid-uses", "3"]);
    standin.set_faults(serde_json::json!([
        {"id": "rate-upload", "method": "POST", "path": "/api/v2/uploads.json", "times": 1,
         "action": "status", "status": 429, "headers": {"Retry-After": "0.4"}, "body": "Too Many Requests"},
        {"id": "err-upload", "method": "POST", "path": "/api/v2/uploads.json", "skip": 1, "times": 1,
         "action": "status", "status": 500, "body": {"error": "InternalError"}},
        {"id": "reset-upload", "method": "POST", "path": "/api/v2/uploads.json", "skip": 3, "times": 1,
         "action": "reset", "read_bytes": 1000},
        {"id": "rate-create", "method": "POST", "path": "/api/v2/tickets.json", "times": 1,
         "action": "status", "status": 429, "body": "slow down"},
        {"id": "drop-create", "method": "POST", "path": "/api/v2/tickets.json", "skip": 1, "times": 1,
         "action": "drop_after"}
    ]));
    let bundle = dir.path().join("bundle-prod.tar.gz");
    write_bundle(&bundle, Some(1), 100_000, 7);
    let bundle_bytes = std::fs::read(&bundle).unwrap();
    let output = mayadiag(
        dir.path(),
        &standin,
        &[
            "--bundle",
            bundle.to_str().unwrap(),
            "--yes",
            "--attachment-limit",
            "40000",
            "--requester",
            "ops@example.com",
        ],
        &[],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "stdout: {stdout}\nstderr: {}", text(&output.stderr));

    let tickets = standin.tickets();
    assert_eq!(tickets.len(), 1, "exactly one ticket: {tickets:?}");
    let ticket = tickets[0].clone();
    assert_eq!(ticket["priority"], "high");
    assert_eq!(ticket["subject"], "Sev 1: cStor volume offline on CStorVolume openebs/pvc-123", "the title names it");
    let tags: Vec<&str> = ticket["tags"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
    assert_eq!(tags, vec!["mayadiag", "sev-1", "cstor"]);
    assert_eq!(ticket["requester"]["email"], "ops@example.com");
    let sha = sha256_hex(&bundle_bytes);
    assert_eq!(ticket["external_id"], format!("mayadiag-{}", &sha[..40]));
    let description = ticket["description"].as_str().unwrap();
    assert!(description.contains("cat bundle-prod.tar.gz.part-* > bundle-prod.tar.gz"), "{description}");
    assert!(description.contains(&sha), "{description}");
    assert!(description.contains("Verdict: Sev 1"), "{description}");
    assert_attachments_reassemble(&standin, &ticket, &bundle, 3);

    let requests = standin.requests();
    let creates = requests_to(&requests, "POST", "/api/v2/tickets.json");
    // The dropped create had made the ticket: the lookup by external_id after it finds it, so no
    // third create is sent (idempotency would have replayed it; a desk that ignores the key would
    // have made a second ticket, see ambiguous_create_failure_finds_the_ticket_before_retrying).
    assert_eq!(creates.len(), 2, "429, dropped then found by external_id");
    for create in &creates {
        assert!(create["headers"]["idempotency-key"].as_str().is_some_and(|k| k.starts_with("mayadiag-")));
        assert_eq!(create["headers"]["idempotency-key"], creates[0]["headers"]["idempotency-key"]);
        assert_eq!(create["body_sha256"], creates[0]["body_sha256"], "create body must be byte-stable");
    }
    // 429 without Retry-After waits the (test-sized) default; with Retry-After at least that.
    let uploads = requests_to(&requests, "POST", "/api/v2/uploads.json");
    assert!(uploads.len() >= 6, "429, 500, ok, reset, ok, ok: {}", uploads.len());
    let mints = requests_to(&requests, "POST", "/oauth/tokens");
    assert!(mints.len() >= 2, "the expired token was re-minted: {}", mints.len());
    for upload in &uploads {
        assert_eq!(upload["headers"]["content-type"], "application/gzip");
    }
    for upload in &uploads {
        let path = upload["path"].as_str().unwrap();
        let later_part = path.contains("part-02") || path.contains("part-03");
        assert_eq!(path.contains("&token="), later_part, "later parts go under the first upload's token: {path}");
    }

    assert!(stdout.contains(&format!("{}/agent/tickets/{}", standin.url, ticket["id"])), "{stdout}");
    assert!(stdout.contains(&format!("{}/attachments/", standin.url)), "{stdout}");
    assert_secret_contained(&standin, &output, &bundle);
    assert_eq!(std::fs::read(&bundle).unwrap(), bundle_bytes, "the bundle is never modified");

    // Running again changes nothing.
    let before = standin.requests().len();
    let again = mayadiag(dir.path(), &standin, &["--bundle", bundle.to_str().unwrap(), "--yes"], &[]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(standin.tickets().len(), 1);
    assert_eq!(standin.requests().len(), before, "a finished submission sends nothing");
}

#[test]
fn retry_after_is_honoured_and_tokens_refresh_before_expiry() {
    let dir = tempfile::tempdir().unwrap();
    // Tokens live 0.8 s, less than the Retry-After wait: the client must mint anew, not hit a 401.
    let standin = StandIn::start(dir.path(), &["--token-expires-in", "0.8"]);
    standin.set_faults(serde_json::json!([
        {"id": "with", "method": "POST", "path": "/api/v2/uploads.json", "times": 1,
         "action": "status", "status": 429, "headers": {"Retry-After": "1"}},
        {"id": "without", "method": "POST", "path": "/api/v2/tickets.json", "times": 1,
         "action": "status", "status": 429}
    ]));
    let bundle = dir.path().join("b.tar.gz");
    write_bundle(&bundle, Some(2), 1000, 3);
    let started = std::time::Instant::now();
    let output = mayadiag(dir.path(), &standin, &["--bundle", bundle.to_str().unwrap(), "--yes"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // Retry-After 1 s, plus the 300 ms test default for the 429 without it.
    assert!(started.elapsed() >= std::time::Duration::from_millis(1300), "{:?}", started.elapsed());
    assert_eq!(standin.tickets()[0]["priority"], "normal");
    let requests = standin.requests();
    assert!(requests_to(&requests, "POST", "/oauth/tokens").len() >= 2, "token refreshed");
    assert!(requests.iter().all(|r| r["status"] != 401), "refresh must happen before expiry: {requests:?}");
}

#[test]
fn resumes_after_giving_up_between_upload_and_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &[]);
    standin.set_faults(serde_json::json!([
        {"id": "down", "method": "POST", "path": "/api/v2/tickets.json", "times": -1,
         "action": "status", "status": 503, "body": "Service Unavailable"}
    ]));
    let bundle = dir.path().join("b.tar.gz");
    write_bundle(&bundle, Some(0), 50_000, 11);
    let args = ["--bundle", bundle.to_str().unwrap(), "--yes", "--attachment-limit", "20000"];
    let first = mayadiag(dir.path(), &standin, &args, &[("MAYADIAG_DESK_MAX_ATTEMPTS", "2")]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    assert!(text(&first.stderr).contains("gave up"), "{}", text(&first.stderr));
    assert_eq!(standin.tickets().len(), 0);
    let uploads_after_first = requests_to(&standin.requests(), "POST", "/api/v2/uploads.json").len();
    assert_eq!(uploads_after_first, 3);
    let state: Value = serde_json::from_str(&std::fs::read_to_string(state_path(&bundle)).unwrap()).unwrap();
    assert_eq!(state["parts"].as_array().unwrap().len(), 3);

    standin.set_faults(serde_json::json!([]));
    let second = mayadiag(dir.path(), &standin, &args, &[]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(text(&second.stdout).contains("Reusing 3 upload(s)"), "{}", text(&second.stdout));
    assert_eq!(requests_to(&standin.requests(), "POST", "/api/v2/uploads.json").len(), uploads_after_first);
    let tickets = standin.tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["priority"], "urgent");
    assert_attachments_reassemble(&standin, &tickets[0], &bundle, 3);
    assert_secret_contained(&standin, &second, &bundle);
}

#[test]
fn stale_upload_tokens_are_uploaded_again() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &[]);
    let bundle = dir.path().join("b.tar.gz");
    write_bundle(&bundle, Some(1), 2_000, 5);
    let args = ["--bundle", bundle.to_str().unwrap(), "--yes"];
    let first = mayadiag(dir.path(), &standin, &args, &[("MAYADIAG_DESK_TEST_ABORT_AFTER_UPLOAD", "1")]);
    assert_eq!(first.status.code(), Some(1));
    let path = state_path(&bundle);
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let old_token = state["upload_token"].as_str().unwrap().to_string();
    state["parts"][0]["uploaded_at"] = Value::String("2020-01-01T00:00:00Z".into());
    std::fs::write(&path, state.to_string()).unwrap();

    let second = mayadiag(dir.path(), &standin, &args, &[]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(requests_to(&standin.requests(), "POST", "/api/v2/uploads.json").len(), 2);
    let tickets = standin.tickets();
    assert_eq!(tickets.len(), 1);
    let attachment = &tickets[0]["comments"][0]["attachments"][0];
    let desk = standin.desk();
    let token_used = desk["attachments"][attachment["id"].to_string()]["upload_token"].as_str().unwrap().to_string();
    assert_ne!(token_used, old_token, "the ticket must carry the fresh upload");
}

#[test]
fn existing_ticket_gets_one_private_comment() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &[]);
    let first = dir.path().join("first.tar.gz");
    write_bundle(&first, Some(2), 500, 1);
    let output = mayadiag(dir.path(), &standin, &["--bundle", first.to_str().unwrap(), "--yes"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let ticket_id = standin.tickets()[0]["id"].as_u64().unwrap();

    // The update is applied but the answer is lost: the client must check before re-sending.
    standin.set_faults(serde_json::json!([
        {"id": "drop-put", "method": "PUT", "path": format!("/api/v2/tickets/{ticket_id}.json"), "times": 1,
         "action": "drop_after"}
    ]));
    let follow_up = dir.path().join("follow-up.tar.gz");
    write_bundle(&follow_up, Some(1), 500, 2);
    let id = ticket_id.to_string();
    let output =
        mayadiag(dir.path(), &standin, &["--bundle", follow_up.to_str().unwrap(), "--ticket", &id, "--yes"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let tickets = standin.tickets();
    assert_eq!(tickets.len(), 1, "no new ticket");
    let comments = tickets[0]["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2, "exactly one added comment: {comments:?}");
    assert_eq!(comments[1]["public"], false);
    let sha = sha256_hex(&std::fs::read(&follow_up).unwrap());
    assert!(comments[1]["body"].as_str().unwrap().contains(&sha));
    assert_attachments_reassemble(&standin, &tickets[0], &follow_up, 1);
    let requests = standin.requests();
    assert_eq!(requests_to(&requests, "PUT", "/api/v2/tickets/").len(), 1, "no blind re-PUT");
    assert!(!requests_to(&requests, "GET", &format!("/api/v2/tickets/{ticket_id}/comments")).is_empty());
    assert!(text(&output.stdout).contains(&format!("/agent/tickets/{ticket_id}")));

    let missing =
        mayadiag(dir.path(), &standin, &["--bundle", follow_up.to_str().unwrap(), "--ticket", "999999", "--yes"], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("999999 does not exist"), "{}", text(&missing.stderr));
}

#[test]
fn dry_run_sends_nothing_and_no_tty_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &[]);
    let bundle = dir.path().join("b.tar.gz");
    write_bundle(&bundle, Some(1), 30_000, 9);
    let dry = mayadiag(
        dir.path(),
        &standin,
        &["--bundle", bundle.to_str().unwrap(), "--dry-run", "--attachment-limit", "20000"],
        &[],
    );
    let stdout = text(&dry.stdout);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    for needle in [
        "POST http://127.0.0.1",
        "/oauth/tokens",
        "uploads.json?filename=b.tar.gz.part-01",
        "uploads.json?filename=b.tar.gz.part-02&token=",
        "Authorization: Bearer **REDACTED**",
        "Idempotency-Key: mayadiag-",
        "\"priority\":\"high\"",
        "\"client_secret\":\"**REDACTED**\"",
    ] {
        assert!(stdout.contains(needle), "{needle} missing from dry run:\n{stdout}");
    }
    assert!(standin.requests().is_empty(), "dry run sent requests");
    assert!(!state_path(&bundle).exists());
    assert_secret_contained(&standin, &dry, &bundle);

    let refused = mayadiag(dir.path(), &standin, &["--bundle", bundle.to_str().unwrap()], &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("--yes"), "{}", text(&refused.stderr));
    assert!(standin.requests().is_empty(), "refused run sent requests");
}

#[test]
fn client_errors_are_explained_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &[]);
    let bundle = dir.path().join("b.tar.gz");
    write_bundle(&bundle, Some(1), 500, 4);
    let args = ["--bundle", bundle.to_str().unwrap(), "--yes"];

    standin.set_faults(serde_json::json!([
        {"id": "big", "method": "POST", "path": "/api/v2/uploads.json", "times": 1, "action": "status",
         "status": 413, "body": "Request Entity Too Large"}
    ]));
    let too_large = mayadiag(dir.path(), &standin, &args, &[]);
    assert_eq!(too_large.status.code(), Some(1));
    assert!(text(&too_large.stderr).contains("--attachment-limit"), "{}", text(&too_large.stderr));
    assert_eq!(requests_to(&standin.requests(), "POST", "/api/v2/uploads.json").len(), 1);

    standin.set_faults(serde_json::json!([
        {"id": "invalid", "method": "POST", "path": "/api/v2/tickets.json", "times": 1, "action": "status",
         "status": 422, "body": {"error": "RecordInvalid", "description": "Record validation errors",
         "details": {"custom_fields": [{"description": "Sev field: is not a valid option", "error": "InvalidValue"}]}}}
    ]));
    let invalid = mayadiag(dir.path(), &standin, &args, &[]);
    assert_eq!(invalid.status.code(), Some(1));
    let stderr = text(&invalid.stderr);
    assert!(stderr.contains("422") && stderr.contains("custom_fields: Sev field: is not a valid option"), "{stderr}");
    assert_eq!(requests_to(&standin.requests(), "POST", "/api/v2/tickets.json").len(), 1);

    let wrong = mayadiag(dir.path(), &standin, &args, &[("MAYADIAG_DESK_CLIENT_SECRET", "wrong-secret")]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong.stderr).contains("authentication failed (401)"), "{}", text(&wrong.stderr));

    let unconfigured = mayadiag(dir.path(), &standin, &args, &[("MAYADIAG_DESK_CLIENT_ID", "")]);
    assert_eq!(unconfigured.status.code(), Some(2), "{}", text(&unconfigured.stderr));
    assert_secret_contained(&standin, &invalid, &bundle);
    assert_eq!(standin.tickets().len(), 0);
}

#[test]
fn api_token_fallback_warns_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &[]);
    let bundle = dir.path().join("healthy.tar.gz");
    write_bundle(&bundle, None, 500, 8);
    let output = mayadiag(
        dir.path(),
        &standin,
        &["--bundle", bundle.to_str().unwrap(), "--yes"],
        &[
            ("MAYADIAG_DESK_CLIENT_ID", ""),
            ("MAYADIAG_DESK_CLIENT_SECRET", ""),
            ("MAYADIAG_DESK_EMAIL", "agent@example.com"),
            ("MAYADIAG_DESK_API_TOKEN", API_TOKEN),
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("2027-04-30"), "{}", text(&output.stderr));
    let tickets = standin.tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["priority"], "low");
    assert_eq!(tickets[0]["subject"], "Sev 3: mayadiag diagnostics bundle (no problem found)");
    assert!(requests_to(&standin.requests(), "POST", "/oauth/tokens").is_empty());
    assert_secret_contained(&standin, &output, &bundle);
}

#[test]
fn consent_is_asked_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &[]);
    let bundle = dir.path().join("b.tar.gz");
    write_bundle(&bundle, Some(1), 500, 6);
    let args = ["--bundle", bundle.to_str().unwrap()];
    let declined = mayadiag_via(Some("n"), dir.path(), &standin, &args, &[]);
    let shown = text(&declined.stdout);
    assert_eq!(declined.status.code(), Some(2), "{shown}");
    for needle in ["b.tar.gz", "12 value(s) redacted", "Sev:         1", "2 problem(s)", standin.url.as_str(), "[y/N]"]
    {
        assert!(shown.contains(needle), "{needle} missing from the consent screen:\n{shown}");
    }
    assert!(standin.requests().is_empty(), "declined run sent requests");

    let accepted = mayadiag_via(Some("y"), dir.path(), &standin, &args, &[]);
    assert_eq!(accepted.status.code(), Some(0), "{}", text(&accepted.stdout));
    assert_eq!(standin.tickets().len(), 1);
    assert!(!text(&accepted.stdout).contains(SECRET));
}

#[test]
fn uploads_the_desk_expired_early_are_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    // The desk forgets upload tokens after 1 s, long before the client's 50-minute rule.
    let standin = StandIn::start(dir.path(), &["--upload-token-ttl", "1"]);
    let bundle = dir.path().join("b.tar.gz");
    write_bundle(&bundle, Some(2), 30_000, 12);
    let args = ["--bundle", bundle.to_str().unwrap(), "--yes", "--attachment-limit", "20000"];
    let first = mayadiag(dir.path(), &standin, &args, &[("MAYADIAG_DESK_TEST_ABORT_AFTER_UPLOAD", "1")]);
    assert_eq!(first.status.code(), Some(1));
    std::thread::sleep(std::time::Duration::from_millis(1500));

    let second = mayadiag(dir.path(), &standin, &args, &[]);
    let stdout = text(&second.stdout);
    assert!(second.status.success(), "{stdout}\n{}", text(&second.stderr));
    assert!(stdout.contains("no longer accepts the earlier uploads"), "{stdout}");
    let requests = standin.requests();
    assert_eq!(requests_to(&requests, "POST", "/api/v2/uploads.json").len(), 4, "2 parts, twice");
    let creates = requests_to(&requests, "POST", "/api/v2/tickets.json");
    assert_eq!(creates.len(), 2);
    assert_ne!(creates[0]["headers"]["idempotency-key"], creates[1]["headers"]["idempotency-key"], "new body, new key");
    let tickets = standin.tickets();
    assert_eq!(tickets.len(), 1);
    assert_attachments_reassemble(&standin, &tickets[0], &bundle, 2);
}

/// The whole path a customer takes: `collect --demo --ticket` collects, analyses, writes the
/// bundle, and opens one ticket whose priority, tags and subject come from the real findings, with
/// the real bundle attached.
#[test]
fn collect_with_ticket_attaches_the_collected_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &[]);
    let bundle = dir.path().join("demo.tar.gz");
    let output = Command::new(env!("CARGO_BIN_EXE_mayadiag"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("MAYADIAG_DESK_URL", &standin.url)
        .env("MAYADIAG_DESK_CLIENT_ID", CLIENT_ID)
        .env("MAYADIAG_DESK_CLIENT_SECRET", SECRET)
        .env("MAYADIAG_DESK_BACKOFF_BASE_MS", "5")
        .args(["collect", "--demo", "--output", bundle.to_str().unwrap(), "--ticket", "--yes"])
        .args(["--description", "io-engine pods crash after node reboot", "--requester", "ops@example.com"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", text(&output.stderr));
    assert!(stdout.contains("/agent/tickets/"), "ticket URL printed: {stdout}");
    let tickets = standin.tickets();
    assert_eq!(tickets.len(), 1);
    let ticket = &tickets[0];
    assert_eq!(ticket["priority"], "urgent", "the demo's evidence is Sev 0: {ticket}");
    let tags: Vec<&str> = ticket["tags"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
    assert!(tags.contains(&"mayadiag") && tags.contains(&"sev-0") && tags.contains(&"mayastor"), "{tags:?}");
    assert!(ticket["subject"].as_str().unwrap().starts_with("Sev 0"), "{}", ticket["subject"]);
    assert_attachments_reassemble(&standin, ticket, &bundle, 1);
    assert_secret_contained(&standin, &output, &bundle);
}

/// A desk that ignores the idempotency key, and a create that made the ticket but answered 502:
/// the retry looks the ticket up by external_id first, so there is still exactly one ticket.
#[test]
fn ambiguous_create_failure_finds_the_ticket_before_retrying() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start(dir.path(), &["--ignore-idempotency-key"]);
    standin.set_faults(serde_json::json!([
        {"id": "made-then-502", "method": "POST", "path": "/api/v2/tickets.json", "times": 1,
         "action": "status_after", "status": 502, "body": {"error": "BadGateway"}}
    ]));
    let bundle = dir.path().join("bundle-ambiguous.tar.gz");
    write_bundle(&bundle, Some(2), 1_000, 11);
    let output = mayadiag(dir.path(), &standin, &["--bundle", bundle.to_str().unwrap(), "--yes"], &[]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "stdout: {stdout}\nstderr: {}", text(&output.stderr));
    let tickets = standin.tickets();
    assert_eq!(tickets.len(), 1, "exactly one ticket: {tickets:?}");
    let requests = standin.requests();
    assert_eq!(requests_to(&requests, "POST", "/api/v2/tickets.json").len(), 1, "no second create");
    let lookups = requests_to(&requests, "GET", "/api/v2/tickets.json");
    assert!(lookups.len() >= 2, "looked up by external_id after the 502: {lookups:?}");
    assert!(stdout.contains(&format!("/agent/tickets/{}", tickets[0]["id"])), "{stdout}");

    // The control: this desk really makes a second ticket for a repeated key and body.
    let body = serde_json::json!({"ticket": {"subject": "x", "comment": {"body": "y"}, "external_id": "e"}});
    for _ in 0..2 {
        let posted = Command::new("curl")
            .args(["-s", "-f", "-o", "/dev/null", "-X", "POST", "-H", "Idempotency-Key: k"])
            .args(["-H", "Content-Type: application/json", "-u", &format!("agent@example.com/token:{API_TOKEN}")])
            .args(["--data", &body.to_string(), &format!("{}/api/v2/tickets.json", standin.url)])
            .status();
        match posted {
            Ok(s) => assert!(s.success(), "curl POST failed: {s}"),
            Err(_) => {
                eprintln!("curl not available; skipping the duplicate-ticket control");
                return;
            }
        }
    }
    assert_eq!(standin.tickets().len(), 3, "the same key twice made two more tickets on this desk");
}

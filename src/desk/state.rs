//! The submission state file beside the bundle (`<bundle>.ticket-state.json`): upload tokens with
//! their time, the idempotency key, the ticket id. Running the same command again reads it and
//! resumes. It never holds a secret (only upload tokens, which are not credentials), it is written
//! atomically, and the bundle itself is never touched.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::DeskError;

/// Upload tokens older than this are uploaded again (Zendesk keeps them 60 minutes).
pub const UPLOAD_TOKEN_MAX_AGE_MINUTES: i64 = 50;

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartState {
    pub name: String,
    pub offset: u64,
    pub size: u64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
    pub attachment_id: Option<u64>,
    pub content_url: String,
}

/// What a submission has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubmissionState {
    pub version: u32,
    pub bundle_sha256: String,
    pub bundle_size: u64,
    pub desk_url: String,
    /// "new" or the existing ticket id.
    pub target: String,
    pub external_id: String,
    pub idempotency_key: String,
    /// Bumped when uploads are redone, so the re-rendered create body gets a fresh key.
    pub key_generation: u32,
    pub upload_token: Option<String>,
    pub parts: Vec<PartState>,
    /// Set before the first create/update request goes out (a later run then checks first).
    pub request_sent_at: Option<DateTime<Utc>>,
    pub ticket_id: Option<u64>,
    pub created: bool,
    pub completed_at: Option<DateTime<Utc>>,
}

impl SubmissionState {
    /// Whether a loaded state belongs to this bundle, desk and target.
    pub fn matches(&self, bundle_sha256: &str, desk_url: &str, target: &str) -> bool {
        self.bundle_sha256 == bundle_sha256 && self.desk_url == desk_url && self.target == target
    }

    /// Whether the recorded uploads can still be used at `now`: same part layout and every token
    /// younger than [`UPLOAD_TOKEN_MAX_AGE_MINUTES`].
    pub fn uploads_usable(&self, now: DateTime<Utc>) -> bool {
        self.upload_token.is_some()
            && self.parts.iter().all(|p| {
                now.signed_duration_since(p.uploaded_at) < chrono::Duration::minutes(UPLOAD_TOKEN_MAX_AGE_MINUTES)
            })
    }
}

/// `<bundle>.ticket-state.json`.
pub fn state_path(bundle: &Path) -> PathBuf {
    let mut name = bundle.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".ticket-state.json");
    bundle.with_file_name(name)
}

/// Load the state, or None when there is none. A corrupt file is reported, not silently reset.
pub fn load(path: &Path) -> Result<Option<SubmissionState>, DeskError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(DeskError::State { path: path.to_path_buf(), message: error.to_string() }),
    };
    serde_json::from_str(&text).map(Some).map_err(|error| DeskError::State {
        path: path.to_path_buf(),
        message: format!("{error} (delete it to start over)"),
    })
}

/// Write the state atomically (temp file + rename), readable only by the owner.
pub fn save(path: &Path, state: &SubmissionState) -> Result<(), DeskError> {
    let state_error = |message: String| DeskError::State { path: path.to_path_buf(), message };
    let json = serde_json::to_vec_pretty(state).map_err(|error| state_error(error.to_string()))?;
    let mut temp_name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = path.with_file_name(temp_name);
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp).map_err(|error| state_error(error.to_string()))?;
        file.write_all(&json).and_then(|()| file.sync_all()).map_err(|error| state_error(error.to_string()))?;
    }
    std::fs::rename(&temp, path).map_err(|error| state_error(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_is_beside_the_bundle() {
        assert_eq!(state_path(Path::new("/tmp/x/b.tar.gz")), PathBuf::from("/tmp/x/b.tar.gz.ticket-state.json"));
    }

    #[test]
    fn round_trip_and_token_age() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("b.tar.gz.ticket-state.json");
        assert_eq!(load(&path).ok(), Some(None));
        let now = Utc::now();
        let state = SubmissionState {
            version: 1,
            bundle_sha256: "ab".into(),
            desk_url: "https://d".into(),
            target: "new".into(),
            upload_token: Some("tok".into()),
            parts: vec![PartState {
                name: "b.tar.gz".into(),
                offset: 0,
                size: 3,
                sha256: "cd".into(),
                uploaded_at: now - chrono::Duration::minutes(10),
                attachment_id: Some(1),
                content_url: "https://d/a".into(),
            }],
            ..SubmissionState::default()
        };
        save(&path, &state).unwrap_or_else(|e| panic!("{e}"));
        let loaded = load(&path).ok().flatten().unwrap_or_default();
        assert_eq!(loaded, state);
        assert!(loaded.matches("ab", "https://d", "new"));
        assert!(!loaded.matches("ab", "https://d", "4711"));
        assert!(loaded.uploads_usable(now));
        assert!(!loaded.uploads_usable(now + chrono::Duration::minutes(45)));
        std::fs::write(&path, "{broken").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(load(&path), Err(DeskError::State { .. })));
    }
}

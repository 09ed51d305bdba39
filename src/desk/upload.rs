//! Uploading the bundle: one file when it fits the attachment limit, otherwise numbered parts
//! `<name>.part-01`, `<name>.part-02`, … uploaded under one upload token. Each uploaded part is
//! recorded in the state file at once, so a crash loses at most the part in flight; tokens older
//! than ~50 minutes are not trusted and everything is uploaded again.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::state::{self, PartState, SubmissionState};
use super::{Desk, DeskError};

/// One slice of the bundle to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartPlan {
    pub name: String,
    pub offset: u64,
    pub size: u64,
    pub sha256: String,
}

fn read_error(path: &Path, error: std::io::Error) -> DeskError {
    DeskError::Bundle { path: path.to_path_buf(), message: error.to_string() }
}

/// Names of the parts: the file name itself when one part, else `<name>.part-NN`.
pub fn part_names(file_name: &str, count: usize) -> Vec<String> {
    if count <= 1 {
        return vec![file_name.to_string()];
    }
    let width = count.to_string().len().max(2);
    (1..=count).map(|index| format!("{file_name}.part-{index:0width$}")).collect()
}

/// Slice the bundle into parts of at most `limit` bytes and hash each part.
pub fn plan_parts(path: &Path, file_name: &str, size: u64, limit: u64) -> Result<Vec<PartPlan>, DeskError> {
    let limit = limit.max(1);
    let count = size.div_ceil(limit).max(1) as usize;
    let names = part_names(file_name, count);
    let mut file = std::fs::File::open(path).map_err(|error| read_error(path, error))?;
    let mut parts = Vec::with_capacity(count);
    let mut buffer = vec![0u8; 1 << 16];
    for (index, name) in names.into_iter().enumerate() {
        let offset = index as u64 * limit;
        let part_size = limit.min(size - offset.min(size));
        let mut hasher = Sha256::new();
        let mut remaining = part_size;
        while remaining > 0 {
            let want = remaining.min(buffer.len() as u64) as usize;
            file.read_exact(&mut buffer[..want]).map_err(|error| read_error(path, error))?;
            hasher.update(&buffer[..want]);
            remaining -= want as u64;
        }
        parts.push(PartPlan { name, offset, size: part_size, sha256: hex::encode(hasher.finalize()) });
    }
    Ok(parts)
}

/// The bytes of one part, checked against the planned sha256 (the bundle must not change under us).
pub fn read_part(path: &Path, part: &PartPlan) -> Result<Bytes, DeskError> {
    let mut file = std::fs::File::open(path).map_err(|error| read_error(path, error))?;
    file.seek(SeekFrom::Start(part.offset)).map_err(|error| read_error(path, error))?;
    let mut bytes = vec![0u8; part.size as usize];
    file.read_exact(&mut bytes).map_err(|error| read_error(path, error))?;
    if hex::encode(Sha256::digest(&bytes)) != part.sha256 {
        return Err(DeskError::Bundle {
            path: path.to_path_buf(),
            message: format!("changed while being sent ({} no longer matches its sha256)", part.name),
        });
    }
    Ok(Bytes::from(bytes))
}

/// How to put split parts back together, for the comment.
pub fn reassembly_note(file_name: &str, parts: &[PartPlan], bundle_sha256: &str) -> String {
    let mut note = String::new();
    if parts.len() > 1 {
        note.push_str(&format!(
            "The bundle is split into {} parts (attachment size limit). Reassemble with:\n    cat {file_name}.part-* > {file_name}\n",
            parts.len()
        ));
    }
    note.push_str(&format!("sha256 of {file_name}: {bundle_sha256}\n"));
    if parts.len() > 1 {
        for part in parts {
            note.push_str(&format!("  {} ({} bytes) sha256 {}\n", part.name, part.size, part.sha256));
        }
    }
    note
}

/// Make sure every part is uploaded under one token, reusing what `submission` already holds.
/// Returns true when earlier uploads were reused.
pub async fn upload_all<D: Desk>(
    desk: &mut D,
    bundle: &Path,
    parts: &[PartPlan],
    submission: &mut SubmissionState,
    state_file: &Path,
    out: &mut dyn std::io::Write,
) -> Result<bool, DeskError> {
    let now = chrono::Utc::now();
    let prefix_matches = submission.parts.len() <= parts.len()
        && submission.parts.iter().zip(parts).all(|(done, plan)| {
            done.name == plan.name && done.offset == plan.offset && done.size == plan.size && done.sha256 == plan.sha256
        });
    let reusable = prefix_matches && submission.uploads_usable(now);
    if !reusable && !submission.parts.is_empty() {
        writeln!(out, "Earlier uploads are too old or do not match the bundle; uploading again.")?;
        submission.parts.clear();
        submission.upload_token = None;
        // The create body will carry new tokens, so it needs a new idempotency key.
        submission.key_generation += 1;
        state::save(state_file, submission)?;
    }
    let reused = !submission.parts.is_empty();
    if reused {
        writeln!(out, "Reusing {} upload(s) from an earlier run.", submission.parts.len())?;
    }
    for part in &parts[submission.parts.len()..] {
        writeln!(out, "Uploading {} ({} bytes)…", part.name, part.size)?;
        let bytes = read_part(bundle, part)?;
        let uploaded = desk.upload(&part.name, bytes, submission.upload_token.as_deref()).await?;
        if submission.upload_token.is_none() {
            submission.upload_token = Some(uploaded.token.clone());
        }
        submission.parts.push(PartState {
            name: part.name.clone(),
            offset: part.offset,
            size: part.size,
            sha256: part.sha256.clone(),
            uploaded_at: chrono::Utc::now(),
            attachment_id: uploaded.attachment_id,
            content_url: uploaded.content_url,
        });
        state::save(state_file, submission)?;
    }
    Ok(reused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(part_names("b.tar.gz", 1), vec!["b.tar.gz"]);
        assert_eq!(part_names("b.tar.gz", 2), vec!["b.tar.gz.part-01", "b.tar.gz.part-02"]);
        assert_eq!(part_names("b", 100)[99], "b.part-100");
    }

    #[test]
    fn parts_cover_the_file_and_reassemble() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("b.tar.gz");
        let data: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap_or_else(|e| panic!("{e}"));
        let parts = plan_parts(&path, "b.tar.gz", data.len() as u64, 1000).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parts.iter().map(|p| p.size).collect::<Vec<_>>(), vec![1000, 1000, 500]);
        let mut joined = Vec::new();
        for part in &parts {
            joined.extend_from_slice(&read_part(&path, part).unwrap_or_else(|e| panic!("{e}")));
        }
        assert_eq!(joined, data);
        let single = plan_parts(&path, "b.tar.gz", data.len() as u64, 10_000).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].sha256, hex::encode(Sha256::digest(&data)));
        let note = reassembly_note("b.tar.gz", &parts, "abc");
        assert!(note.contains("cat b.tar.gz.part-* > b.tar.gz") && note.contains("abc"), "{note}");
        std::fs::write(&path, b"changed").unwrap_or_else(|e| panic!("{e}"));
        assert!(read_part(&path, &parts[0]).is_err());
    }
}

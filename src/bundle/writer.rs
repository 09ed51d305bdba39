//! Streams a bundle straight into a `tar.gz`, atomically.
//!
//! The archive is written to `<output>.partial` and renamed only once it is complete and synced,
//! so a crash or a Ctrl-C never leaves a half-written bundle under the final name (the partial file
//! is removed by [`Drop`] unless [`BundleWriter::finish`] ran). Every entry gets the same fixed
//! metadata (mode 0644, uid/gid 0, one mtime) so two collections of the same cluster differ only
//! where the cluster differs. There is no staging directory: entries go from memory into the
//! compressor as they come.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BundleError;

/// One file in the bundle, as listed in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// Path inside the bundle, without the top directory.
    pub path: String,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// Hex sha256 of the content.
    pub sha256: String,
}

/// Counts bytes going to the output file.
struct CountingFile {
    file: BufWriter<File>,
    written: u64,
}

impl Write for CountingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes one bundle. Not `Sync`: one task owns it (see `collect`, which feeds it through a channel).
pub struct BundleWriter {
    tar: Option<tar::Builder<GzEncoder<CountingFile>>>,
    top: String,
    mtime: u64,
    partial: PathBuf,
    output: PathBuf,
    files: Vec<FileEntry>,
    uncompressed: u64,
}

/// The partial file for an output path.
pub fn partial_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    output.with_file_name(name)
}

impl BundleWriter {
    /// Start writing `output` (via `<output>.partial`); entries go under `top/`.
    pub fn create(output: &Path, top: &str, mtime: u64, level: u32) -> Result<BundleWriter, BundleError> {
        let partial = partial_path(output);
        if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(BundleError::OutputDir { path: dir.to_path_buf() });
        }
        let file = File::create(&partial).map_err(|source| BundleError::Create { path: partial.clone(), source })?;
        let counting = CountingFile { file: BufWriter::with_capacity(1 << 20, file), written: 0 };
        let mut tar = tar::Builder::new(GzEncoder::new(counting, Compression::new(level.min(9))));
        tar.mode(tar::HeaderMode::Deterministic);
        Ok(BundleWriter {
            tar: Some(tar),
            top: top.to_string(),
            mtime,
            partial,
            output: output.to_path_buf(),
            files: Vec::new(),
            uncompressed: 0,
        })
    }

    /// Append one file. `rel` is relative to the bundle's top directory.
    pub fn add(&mut self, rel: &str, data: &[u8]) -> Result<(), BundleError> {
        let tar = self.tar.as_mut().ok_or(BundleError::Finished)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        let path = format!("{}/{}", self.top, rel);
        tar.append_data(&mut header, &path, data)
            .map_err(|source| BundleError::Write { path: self.partial.clone(), source })?;
        self.files.push(FileEntry {
            path: rel.to_string(),
            size: data.len() as u64,
            sha256: hex::encode(Sha256::digest(data)),
        });
        self.uncompressed += data.len() as u64;
        Ok(())
    }

    /// Files written so far.
    pub fn files(&self) -> &[FileEntry] {
        &self.files
    }

    /// Uncompressed bytes written so far.
    pub fn uncompressed_bytes(&self) -> u64 {
        self.uncompressed
    }

    /// Compressed bytes written to disk so far (approximate until finished: the compressor buffers).
    pub fn compressed_bytes(&self) -> u64 {
        self.tar.as_ref().map_or(0, |t| t.get_ref().get_ref().written)
    }

    /// Close the archive, sync it and rename it into place. Returns the final size.
    pub fn finish(mut self) -> Result<u64, BundleError> {
        let tar = self.tar.take().ok_or(BundleError::Finished)?;
        let werr = |source| BundleError::Write { path: self.partial.clone(), source };
        let gz = tar.into_inner().map_err(werr)?;
        let mut counting = gz.finish().map_err(werr)?;
        counting.flush().map_err(werr)?;
        let size = counting.written;
        let file = counting.file.into_inner().map_err(|e| werr(e.into_error()))?;
        file.sync_all().map_err(werr)?;
        drop(file);
        fs::rename(&self.partial, &self.output).map_err(|source| BundleError::Rename {
            from: self.partial.clone(),
            to: self.output.clone(),
            source,
        })?;
        Ok(size)
    }
}

impl Drop for BundleWriter {
    fn drop(&mut self) {
        if self.tar.take().is_some() {
            // Not finished: never leave a partial bundle behind.
            let _ = fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn writes_atomically_with_fixed_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.tar.gz");
        let mut w = BundleWriter::create(&out, "top", 1_700_000_000, 6).unwrap();
        w.add("version.yaml", b"a: 1\n").unwrap();
        w.add("cluster-resources/pods/x.json", b"{}").unwrap();
        assert!(partial_path(&out).exists());
        assert!(!out.exists());
        w.finish().unwrap();
        assert!(out.exists());
        assert!(!partial_path(&out).exists());
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(File::open(&out).unwrap()));
        let mut names = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            assert_eq!(e.header().mtime().unwrap(), 1_700_000_000);
            assert_eq!(e.header().mode().unwrap(), 0o644);
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            names.push(e.path().unwrap().to_string_lossy().into_owned());
        }
        assert_eq!(names, vec!["top/version.yaml", "top/cluster-resources/pods/x.json"]);
    }

    #[test]
    fn dropping_removes_partial() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.tar.gz");
        {
            let mut w = BundleWriter::create(&out, "top", 0, 1).unwrap();
            w.add("a", b"x").unwrap();
        }
        assert!(!partial_path(&out).exists());
        assert!(!out.exists());
    }

    #[test]
    fn missing_output_dir_is_named() {
        let err = BundleWriter::create(Path::new("/nonexistent-dir-xyz/b.tar.gz"), "t", 0, 1).err().unwrap();
        assert!(err.to_string().contains("/nonexistent-dir-xyz"), "{err}");
    }
}

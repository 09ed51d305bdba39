//! Streams a bundle straight into a `tar.gz`, never destroying a file.
//!
//! The archive is written to a fresh temporary file in the target's directory, created with
//! `O_CREAT|O_EXCL` (so a planted file or symlink is never followed or reused), and renamed into
//! place only once it is complete and synced. A target that exists and is not a regular file
//! (a device, a symlink, a directory) is refused; an existing regular file is replaced only with
//! `--force`. `-` streams the archive to stdout instead. The partial file is removed on every
//! other path: an error (before the error is reported, so "removed" is true), [`Drop`], and
//! Ctrl-C/SIGTERM (see `crate::interrupt`). Every entry gets the same fixed metadata (mode 0644,
//! uid/gid 0, one mtime) so two collections of the same cluster differ only where the cluster
//! differs.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

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

/// Why an output cannot be written where asked.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The target exists and is something other than a regular file.
    #[error("refusing to write {}: it exists and is {kind}, not a regular file (choose another --output)", path.display())]
    NotRegular {
        /// The target.
        path: PathBuf,
        /// What it is (`a symlink`, `a character device`, …).
        kind: &'static str,
    },
    /// The target is a regular file and `--force` was not given.
    #[error("refusing to overwrite {}: it exists (pass --force to replace it, or choose another --output)", path.display())]
    Exists {
        /// The target.
        path: PathBuf,
    },
    /// The directory to write into is missing.
    #[error("cannot write {}: directory {} does not exist (create it or choose another --output)", path.display(), dir.display())]
    NoDir {
        /// The target.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
    },
    /// Binary output to a terminal.
    #[error("refusing to write a bundle to a terminal; redirect stdout (`--output - > bundle.tar.gz`) or give a file")]
    Terminal,
    /// The partial file could not be created.
    #[error("cannot create a partial file in {}: {source} (check permissions and free space, or choose another --output)", dir.display())]
    Create {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl OutputError {
    /// Exit code: a refused target is a usage error (2), a failed creation a runtime error (1).
    pub fn exit_code(&self) -> i32 {
        match self {
            OutputError::Create { .. } => crate::exit::RUNTIME,
            _ => crate::exit::USAGE,
        }
    }
}

/// What a path on the file system is, for messages; `None` for a regular file.
fn non_regular_kind(meta: &fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some(if t.is_symlink() {
        "a symlink"
    } else if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    })
}

/// Where finished output goes: a file (via a partial file) or stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Stream to stdout (`-`).
    Stdout,
    /// A file, written atomically.
    File(PathBuf),
}

impl Destination {
    /// `-` is stdout, anything else a file.
    pub fn from_arg(path: &Path) -> Destination {
        if path.as_os_str() == "-" { Destination::Stdout } else { Destination::File(path.to_path_buf()) }
    }

    /// Whether this is stdout.
    pub fn is_stdout(&self) -> bool {
        *self == Destination::Stdout
    }

    /// For messages.
    pub fn display(&self) -> String {
        match self {
            Destination::Stdout => "stdout".into(),
            Destination::File(p) => p.display().to_string(),
        }
    }

    /// Check before any work that the output can be written: never over something that is not a
    /// regular file, over a regular file only with `force`, into an existing directory; binary
    /// output never to a terminal.
    pub fn check(&self, force: bool, binary: bool) -> Result<(), OutputError> {
        match self {
            Destination::Stdout => {
                if binary && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                    return Err(OutputError::Terminal);
                }
                Ok(())
            }
            Destination::File(path) => check_target(path, force),
        }
    }
}

/// See [`Destination::check`].
fn check_target(path: &Path, force: bool) -> Result<(), OutputError> {
    match fs::symlink_metadata(path) {
        Ok(meta) => {
            if let Some(kind) = non_regular_kind(&meta) {
                return Err(OutputError::NotRegular { path: path.to_path_buf(), kind });
            }
            if !force {
                return Err(OutputError::Exists { path: path.to_path_buf() });
            }
        }
        Err(_) => {
            let dir = target_dir(path);
            if !dir.is_dir() {
                return Err(OutputError::NoDir { path: path.to_path_buf(), dir });
            }
        }
    }
    Ok(())
}

/// The directory a target lives in (`.` for a bare name).
fn target_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A file being written: a fresh temporary file beside its target, registered with
/// `crate::interrupt` so a signal removes it, renamed over the target only by [`PartialFile::commit`].
pub struct PartialFile {
    temp: Option<NamedTempFile>,
    path: PathBuf,
    target: PathBuf,
    force: bool,
}

impl PartialFile {
    /// Check the target (see [`Destination::check`]) and create the partial file.
    pub fn create(target: &Path, force: bool) -> Result<PartialFile, OutputError> {
        check_target(target, force)?;
        let dir = target_dir(target);
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // tempfile opens with O_CREAT|O_EXCL and a random name: an existing file or symlink
        // under that name makes it pick another, never open it.
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(|source| OutputError::Create { dir: dir.clone(), source })?;
        let path = temp.path().to_path_buf();
        crate::interrupt::register(&path);
        Ok(PartialFile { temp: Some(temp), path, target: target.to_path_buf(), force })
    }

    /// The partial file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Remove the partial file now; true when it is gone.
    pub fn discard(&mut self) -> bool {
        let gone = match self.temp.take() {
            Some(t) => t.close().is_ok() || !self.path.exists(),
            None => true,
        };
        crate::interrupt::unregister(&self.path);
        gone
    }

    /// Sync and rename into place; refuses (and removes the partial file) if the target appeared
    /// meanwhile as something that may not be replaced.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(temp) = self.temp.take() else {
            return Err(io::Error::other("the partial file is gone"));
        };
        temp.as_file().sync_all()?;
        if let Err(e) = check_target(&self.target, self.force) {
            drop(temp);
            crate::interrupt::unregister(&self.path);
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, e.to_string()));
        }
        let target = self.target.clone();
        let force = self.force;
        crate::interrupt::settle(&self.path, move || {
            let persisted = if force { temp.persist(&target) } else { temp.persist_noclobber(&target) };
            // On failure the temporary file comes back and is dropped: removed.
            persisted.map(drop).map_err(|e| e.error)
        })
    }
}

impl Write for PartialFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Through the File: NamedTempFile's own Write adds the path to every error, which the
        // messages name already.
        match &mut self.temp {
            Some(t) => t.as_file_mut().write(buf),
            None => Err(io::Error::other("the partial file was removed")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.temp {
            Some(t) => t.as_file_mut().flush(),
            None => Ok(()),
        }
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        self.discard();
    }
}

/// The byte stream under the compressor.
enum Sink {
    File(PartialFile),
    Stdout(io::Stdout),
}

/// Counts bytes going out.
struct Counting {
    out: BufWriter<Sink>,
    written: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::File(f) => f.write(buf),
            Sink::Stdout(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(f) => f.flush(),
            Sink::Stdout(s) => s.flush(),
        }
    }
}

/// Writes one bundle. Not `Sync`: one task owns it (see `collect`, which feeds it through a channel).
pub struct BundleWriter {
    tar: Option<tar::Builder<GzEncoder<Counting>>>,
    top: String,
    mtime: u64,
    /// The partial file (for messages), `None` for stdout.
    partial: Option<PathBuf>,
    output: Destination,
    files: Vec<FileEntry>,
    uncompressed: u64,
}

impl BundleWriter {
    /// Start writing `output` (a file via a partial file, or stdout); entries go under `top/`.
    /// `force` allows replacing an existing regular file.
    pub fn create(
        output: &Destination,
        force: bool,
        top: &str,
        mtime: u64,
        level: u32,
    ) -> Result<BundleWriter, OutputError> {
        output.check(force, true)?;
        let (sink, partial) = match output {
            Destination::Stdout => (Sink::Stdout(io::stdout()), None),
            Destination::File(path) => {
                let file = PartialFile::create(path, force)?;
                let partial = file.path().to_path_buf();
                (Sink::File(file), Some(partial))
            }
        };
        let counting = Counting { out: BufWriter::with_capacity(1 << 20, sink), written: 0 };
        let mut tar = tar::Builder::new(GzEncoder::new(counting, Compression::new(level.min(9))));
        tar.mode(tar::HeaderMode::Deterministic);
        Ok(BundleWriter {
            tar: Some(tar),
            top: top.to_string(),
            mtime,
            partial,
            output: output.clone(),
            files: Vec::new(),
            uncompressed: 0,
        })
    }

    /// The path errors name: the partial file, or `stdout`.
    fn error_path(&self) -> PathBuf {
        self.partial.clone().unwrap_or_else(|| PathBuf::from("stdout"))
    }

    /// A write failed: remove the partial file first, so the error's "removed" is true.
    fn fail(&mut self, source: io::Error) -> BundleError {
        self.tar = None;
        BundleError::Write { path: self.error_path(), source }
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
        if let Err(source) = tar.append_data(&mut header, &path, data) {
            return Err(self.fail(source));
        }
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

    /// Compressed bytes written so far (approximate until finished: the compressor buffers).
    pub fn compressed_bytes(&self) -> u64 {
        self.tar.as_ref().map_or(0, |t| t.get_ref().get_ref().written)
    }

    /// Close the archive, sync it and rename it into place. Returns the final size.
    pub fn finish(mut self) -> Result<u64, BundleError> {
        let tar = self.tar.take().ok_or(BundleError::Finished)?;
        let closed = (|| -> io::Result<(u64, Sink)> {
            let mut counting = tar.into_inner()?.finish()?;
            counting.flush()?;
            let size = counting.written;
            let sink = counting.out.into_inner().map_err(|e| e.into_error())?;
            Ok((size, sink))
        })();
        // Dropping the half-closed writer on error drops the partial file: removed.
        let (size, sink) = closed.map_err(|source| BundleError::Write { path: self.error_path(), source })?;
        match sink {
            Sink::Stdout(_) => Ok(size),
            Sink::File(file) => {
                let from = file.path().to_path_buf();
                let to = match &self.output {
                    Destination::File(p) => p.clone(),
                    Destination::Stdout => PathBuf::from("-"),
                };
                file.commit().map_err(|source| BundleError::Rename { from, to, source })?;
                Ok(size)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Read;

    fn partials_in(dir: &Path) -> Vec<PathBuf> {
        fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".partial"))
            .collect()
    }

    fn file(p: &Path) -> Destination {
        Destination::File(p.to_path_buf())
    }

    #[test]
    fn writes_atomically_with_fixed_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.tar.gz");
        let mut w = BundleWriter::create(&file(&out), false, "top", 1_700_000_000, 6).unwrap();
        w.add("version.yaml", b"a: 1\n").unwrap();
        w.add("cluster-resources/pods/x.json", b"{}").unwrap();
        assert_eq!(partials_in(dir.path()).len(), 1);
        assert!(!out.exists());
        w.finish().unwrap();
        assert!(out.exists());
        assert!(partials_in(dir.path()).is_empty());
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
            let mut w = BundleWriter::create(&file(&out), false, "top", 0, 1).unwrap();
            w.add("a", b"x").unwrap();
        }
        assert!(partials_in(dir.path()).is_empty());
        assert!(!out.exists());
    }

    #[test]
    fn missing_output_dir_is_named() {
        let err =
            BundleWriter::create(&file(Path::new("/nonexistent-dir-xyz/b.tar.gz")), false, "t", 0, 1).err().unwrap();
        assert!(err.to_string().contains("/nonexistent-dir-xyz"), "{err}");
    }

    #[test]
    fn never_replaces_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("old.tar.gz");
        fs::write(&existing, b"keep me").unwrap();
        let err = BundleWriter::create(&file(&existing), false, "t", 0, 1).err().unwrap();
        assert!(matches!(err, OutputError::Exists { .. }), "{err}");
        assert_eq!(fs::read(&existing).unwrap(), b"keep me");

        let victim = dir.path().join("victim");
        fs::write(&victim, b"root-owned").unwrap();
        let link = dir.path().join("link.tar.gz");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        for force in [false, true] {
            let err = BundleWriter::create(&file(&link), force, "t", 0, 1).err().unwrap();
            assert!(err.to_string().contains("a symlink"), "{err}");
        }
        let err = BundleWriter::create(&file(Path::new("/dev/null")), true, "t", 0, 1).err().unwrap();
        assert!(err.to_string().contains("a character device"), "{err}");
        assert_eq!(fs::read(&victim).unwrap(), b"root-owned");

        // --force replaces a regular file.
        let mut w = BundleWriter::create(&file(&existing), true, "t", 0, 1).unwrap();
        w.add("a", b"x").unwrap();
        w.finish().unwrap();
        assert_ne!(fs::read(&existing).unwrap(), b"keep me");
    }

    #[test]
    fn planted_partial_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let out = dir.path().join("b.tar.gz");
        std::os::unix::fs::symlink(&victim, dir.path().join("b.tar.gz.partial")).unwrap();
        let mut w = BundleWriter::create(&file(&out), false, "t", 0, 1).unwrap();
        w.add("a", &[7u8; 4096]).unwrap();
        w.finish().unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(out.is_file());
    }

    #[test]
    fn a_target_created_meanwhile_is_not_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.tar.gz");
        let mut w = BundleWriter::create(&file(&out), false, "t", 0, 1).unwrap();
        w.add("a", b"x").unwrap();
        fs::write(&out, b"arrived meanwhile").unwrap();
        assert!(w.finish().is_err());
        assert_eq!(fs::read(&out).unwrap(), b"arrived meanwhile");
        assert!(partials_in(dir.path()).is_empty());
    }
}

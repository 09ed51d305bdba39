//! Test harness: run the real binary, serve fixture clusters with `mayadiag serve`, read bundles.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mayadiag"))
}

/// A fixture cluster directory.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clusters").join(name)
}

/// Run the binary to completion.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).stdin(Stdio::null()).output().expect("run mayadiag")
}

/// Run with extra environment.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run mayadiag")
}

/// `stdout`, `stderr` as text.
pub fn texts(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A running `mayadiag serve`.
pub struct Served {
    pub child: Child,
    pub url: String,
    pub kubeconfig: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Served {
    /// Serve a bundle (fixture directory or tar.gz) with extra `serve` flags.
    pub fn start(bundle: &Path, extra: &[&str]) -> Served {
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        let mut child = Command::new(bin())
            .arg("serve")
            .arg(bundle)
            .args(["--port", "0", "--write-kubeconfig"])
            .arg(&kubeconfig)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("read serve banner");
        let url = line.trim().rsplit(' ').next().unwrap_or("").to_string();
        assert!(url.starts_with("http"), "unexpected serve banner: {line:?}");
        // Wait for the kubeconfig (second line).
        let mut second = String::new();
        let _ = reader.read_line(&mut second);
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        Served { child, url, kubeconfig, dir }
    }

    /// The kubeconfig path as a string.
    pub fn kc(&self) -> String {
        self.kubeconfig.display().to_string()
    }

    /// Run kubectl against it.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl").arg("--kubeconfig").arg(&self.kubeconfig).args(args).output().expect("kubectl")
    }

    /// `collect` into `out` with extra flags; returns the process output.
    pub fn collect(&self, out: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["collect", "--kubeconfig"];
        let kc = self.kc();
        args.push(&kc);
        let o = out.display().to_string();
        args.extend(["--output", &o]);
        args.extend(extra);
        run(&args)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copy a directory tree (a fixture to modify in a test).
pub fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-r").arg(from).arg(to).status().expect("cp");
    assert!(status.success(), "cp -r {} {}", from.display(), to.display());
}

/// Every regular file of a bundle (tar.gz), keyed by path without the top directory, in archive order.
pub fn read_bundle(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).expect("open bundle");
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for e in ar.entries().expect("entries") {
        let mut e = e.expect("entry");
        let name = e.path().expect("path").to_string_lossy().into_owned();
        let rel = name.split_once('/').map(|(_, r)| r.to_string()).unwrap_or(name);
        let mut data = Vec::new();
        e.read_to_end(&mut data).expect("read entry");
        out.push((rel, data));
    }
    out
}

/// The same as a map.
pub fn bundle_map(path: &Path) -> BTreeMap<String, Vec<u8>> {
    read_bundle(path).into_iter().collect()
}

/// Every file of a fixture directory, keyed by relative path.
pub fn fixture_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

/// Objects of a bundle object file: List items or array elements.
pub fn items(data: &[u8]) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(data).expect("json");
    match v {
        serde_json::Value::Array(a) => a,
        mut other => other.get_mut("items").map(|i| i.take()).and_then(|i| i.as_array().cloned()).unwrap_or_default(),
    }
}

/// Wait until `f` is true or time out.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A kubeconfig for a plain-HTTP API server on a local port, without credentials.
pub fn write_plain_kubeconfig(path: &Path, port: u16) {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {{}}\n"
    );
    std::fs::write(path, text).expect("write kubeconfig");
}

/// The partial files in a directory (`.<name>.XXXXXX.partial`, written while an output is
/// being produced).
pub fn partial_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect()
}

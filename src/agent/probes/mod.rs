//! Node probes: each family (one file) reads host files under the host root (`--host-root`,
//! default `/host`) and returns pass/warn/fail/error results with evidence and a remediation.
//!
//! Probes never execute host binaries and never panic: a file that cannot be read (other than
//! "absent", which is itself evidence) turns into a result with status `error`.

pub mod common;
pub mod hostpath;
pub mod iscsi;
pub mod kernel_log;
pub mod litmus;
pub mod lvm;
pub mod mayastor;
pub mod ndm;
pub mod zfs;

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::report::{Evidence, ProbeResult, ProbeStatus};
use crate::inventory::Engine;

/// A probe family: the unit `--probes` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Common to all CSI engines: kubelet dir, shared mount, kernel.
    Common,
    /// LocalPV hostpath.
    Hostpath,
    /// LocalPV LVM.
    Lvm,
    /// LocalPV ZFS.
    Zfs,
    /// Mayastor / Replicated PV.
    Mayastor,
    /// cStor and Jiva (iSCSI initiator).
    Iscsi,
    /// Node Disk Manager.
    Ndm,
    /// Litmus (container runtime socket).
    Litmus,
}

impl Family {
    /// All families in report order.
    pub const ALL: [Family; 8] = [
        Family::Common,
        Family::Hostpath,
        Family::Lvm,
        Family::Zfs,
        Family::Mayastor,
        Family::Iscsi,
        Family::Ndm,
        Family::Litmus,
    ];

    /// The id used in `--probes`, probe ids and the `engine` field.
    pub fn id(self) -> &'static str {
        match self {
            Family::Common => "common",
            Family::Hostpath => "hostpath",
            Family::Lvm => "lvm",
            Family::Zfs => "zfs",
            Family::Mayastor => "mayastor",
            Family::Iscsi => "iscsi",
            Family::Ndm => "ndm",
            Family::Litmus => "litmus",
        }
    }

    /// Parse a family id; `cstor` and `jiva` are accepted for `iscsi`.
    pub fn from_id(id: &str) -> Option<Family> {
        match id {
            "cstor" | "jiva" => Some(Family::Iscsi),
            _ => Family::ALL.into_iter().find(|f| f.id() == id),
        }
    }

    /// The probe family an engine needs on its nodes.
    pub fn for_engine(engine: Engine) -> Option<Family> {
        match engine {
            Engine::Hostpath => Some(Family::Hostpath),
            Engine::Lvm => Some(Family::Lvm),
            Engine::Zfs => Some(Family::Zfs),
            Engine::Mayastor => Some(Family::Mayastor),
            Engine::Cstor | Engine::Jiva | Engine::Legacy => Some(Family::Iscsi),
            Engine::Ndm => Some(Family::Ndm),
            Engine::Litmus => Some(Family::Litmus),
        }
    }
}

/// What the API server says about this node (absent when running without API access).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeFacts {
    /// Node UID (for Events).
    pub uid: Option<String>,
    /// Node labels.
    pub labels: Vec<(String, String)>,
    /// `status.allocatable["hugepages-2Mi"]` in bytes, when present.
    pub hugepages_2mi_allocatable: Option<u64>,
    /// `status.nodeInfo.containerRuntimeVersion`, e.g. `containerd://1.7.12`.
    pub container_runtime_version: Option<String>,
    /// CSINode `spec.drivers[].name`.
    pub csi_drivers: Vec<String>,
    /// Engines of the pods running on this node (classified by labels).
    pub pod_engines: Vec<Engine>,
}

/// Everything a probe needs.
#[derive(Debug, Clone)]
pub struct ProbeContext {
    /// The host's root as mounted in the agent's container.
    pub host: HostRoot,
    /// Kubelet root directory on the host.
    pub kubelet_dir: String,
    /// LocalPV hostpath BasePath on the host.
    pub hostpath_base: String,
    /// Container runtime socket configured for Litmus experiments, if set.
    pub runtime_socket: Option<String>,
    /// API facts about the node, when known.
    pub node: Option<NodeFacts>,
}

/// Run the probes of `families` (deduplicated, in report order).
pub fn run_families(ctx: &ProbeContext, families: &BTreeSet<Family>) -> Vec<ProbeResult> {
    let mut results = Vec::new();
    for family in families {
        results.extend(match family {
            Family::Common => common::run(ctx),
            Family::Hostpath => hostpath::run(ctx),
            Family::Lvm => lvm::run(ctx),
            Family::Zfs => zfs::run(ctx),
            Family::Mayastor => mayastor::run(ctx),
            Family::Iscsi => iscsi::run(ctx),
            Family::Ndm => ndm::run(ctx),
            Family::Litmus => litmus::run(ctx),
        });
    }
    results
}

/// Which families apply on this node when `--probes` is not given.
///
/// `common` always; then engines from CSINode drivers, the `openebs.io/engine=mayastor` label and
/// the pods scheduled here (when API facts are known), plus what the host itself shows (ZFS module
/// loaded, io-engine / iscsid processes, hostpath BasePath present). A family with no sign of its
/// engine is skipped ([`skipped_families`]), not run to fail: a node without ZFS is not a failed
/// ZFS prerequisite. `--probes all` runs everything (the "debug a node by hand" case).
pub fn select_families(ctx: &ProbeContext) -> BTreeSet<Family> {
    let mut families = BTreeSet::from([Family::Common]);
    if let Some(node) = &ctx.node {
        for driver in &node.csi_drivers {
            if let Some(family) = crate::inventory::engine_for_driver(driver).and_then(Family::for_engine) {
                families.insert(family);
            }
        }
        for (key, value) in &node.labels {
            if key == "openebs.io/engine" && value == "mayastor" {
                families.insert(Family::Mayastor);
            }
        }
        families.extend(node.pod_engines.iter().filter_map(|e| Family::for_engine(*e)));
    }
    families.extend(detect_on_host(ctx));
    families
}

/// The families `selected` leaves out, in `Family::ALL` order.
pub fn skipped_families(selected: &BTreeSet<Family>) -> Vec<Family> {
    Family::ALL.into_iter().filter(|f| !selected.contains(f)).collect()
}

/// Families evidenced by the host alone.
fn detect_on_host(ctx: &ProbeContext) -> BTreeSet<Family> {
    let mut found = BTreeSet::new();
    if ctx.host.exists("/sys/module/zfs") {
        found.insert(Family::Zfs);
    }
    if ctx.host.exists(&ctx.hostpath_base) {
        found.insert(Family::Hostpath);
    }
    // Process names as the kernel truncates them (15 chars) in /proc/<pid>/comm.
    for (_, comm) in ctx.host.process_names().unwrap_or_default() {
        match comm.as_str() {
            "io-engine" => found.insert(Family::Mayastor),
            "iscsid" => found.insert(Family::Iscsi),
            "lvm-driver" => found.insert(Family::Lvm),
            "zfs-driver" => found.insert(Family::Zfs),
            "ndm" => found.insert(Family::Ndm),
            "chaos-operator" => found.insert(Family::Litmus),
            _ => false,
        };
    }
    found
}

/// The host's root filesystem as seen from the agent (`/host` in the DaemonSet, `/` by hand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoot {
    root: PathBuf,
}

/// A host file read that failed for a reason other than "absent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailure {
    /// Host path (without the root prefix).
    pub file: String,
    /// The OS error.
    pub reason: String,
}

impl HostRoot {
    /// A host root at `root`.
    pub fn new(root: impl Into<PathBuf>) -> HostRoot {
        HostRoot { root: root.into() }
    }

    /// The root directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the host path `host_path` (absolute, as on the host) is in our filesystem.
    pub fn path(&self, host_path: &str) -> PathBuf {
        self.root.join(host_path.trim_start_matches('/'))
    }

    /// Whether the host path exists (a dangling symlink counts: it names a host-absolute target).
    pub fn exists(&self, host_path: &str) -> bool {
        std::fs::symlink_metadata(self.path(host_path)).is_ok()
    }

    /// Whether the host path is a directory.
    pub fn is_dir(&self, host_path: &str) -> bool {
        self.path(host_path).is_dir()
    }

    /// Read a host file: `Ok(None)` when absent, `Err` when present but unreadable.
    pub fn read(&self, host_path: &str) -> Result<Option<String>, ReadFailure> {
        match std::fs::read(self.path(host_path)) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(ReadFailure { file: host_path.to_string(), reason: err.to_string() }),
        }
    }

    /// The last `max_bytes` of a host file (from the first line boundary inside them), for logs
    /// that can be hundreds of MB: `Ok(None)` when absent.
    pub fn read_tail(&self, host_path: &str, max_bytes: u64) -> Result<Option<String>, ReadFailure> {
        use std::io::{Read, Seek, SeekFrom};
        let failure = |err: std::io::Error| ReadFailure { file: host_path.to_string(), reason: err.to_string() };
        let mut file = match std::fs::File::open(self.path(host_path)) {
            Ok(file) => file,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(failure(err)),
        };
        let len = file.metadata().map_err(failure)?.len();
        let start = len.saturating_sub(max_bytes);
        file.seek(SeekFrom::Start(start)).map_err(failure)?;
        let mut bytes = Vec::new();
        file.take(max_bytes).read_to_end(&mut bytes).map_err(failure)?;
        if start > 0 {
            // Drop the partial first line.
            let cut = bytes.iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| i + 1);
            bytes.drain(..cut);
        }
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// How long ago a host path was last modified (`None` when absent or the clock is unusable).
    pub fn modified_ago(&self, host_path: &str) -> Option<std::time::Duration> {
        let modified = std::fs::symlink_metadata(self.path(host_path)).ok()?.modified().ok()?;
        std::time::SystemTime::now().duration_since(modified).ok()
    }

    /// Names in a host directory (sorted): `Ok(None)` when absent.
    pub fn list_dir(&self, host_path: &str) -> Result<Option<Vec<String>>, ReadFailure> {
        let entries = match std::fs::read_dir(self.path(host_path)) {
            Ok(entries) => entries,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(ReadFailure { file: host_path.to_string(), reason: err.to_string() }),
        };
        let mut names: Vec<String> =
            entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        Ok(Some(names))
    }

    /// `(pid, comm)` of every process visible in the host's `/proc`.
    pub fn process_names(&self) -> Result<Vec<(u32, String)>, ReadFailure> {
        let names = self.list_dir("/proc")?.unwrap_or_default();
        let mut processes = Vec::new();
        for pid in names.iter().filter_map(|n| n.parse::<u32>().ok()) {
            // A process may exit between listing and reading; that is not an error.
            if let Ok(Some(comm)) = self.read(&format!("/proc/{pid}/comm")) {
                processes.push((pid, comm.trim().to_string()));
            }
        }
        processes.sort();
        Ok(processes)
    }

    /// Find the first running process named `name`.
    pub fn find_process(&self, name: &str) -> Result<Option<u32>, ReadFailure> {
        Ok(self.process_names()?.into_iter().find(|(_, comm)| comm == name).map(|(pid, _)| pid))
    }
}

/// Builder-ish helper for one probe's result.
pub(crate) struct Probe {
    id: String,
    engine: &'static str,
    title: &'static str,
}

impl Probe {
    /// A probe `<family>.<name>`.
    pub(crate) fn new(family: Family, name: &str, title: &'static str) -> Probe {
        Probe { id: format!("{}.{name}", family.id()), engine: family.id(), title }
    }

    fn result(&self, status: ProbeStatus, message: String, evidence: Vec<Evidence>, remediation: &str) -> ProbeResult {
        ProbeResult {
            id: self.id.clone(),
            engine: self.engine.to_string(),
            title: self.title.to_string(),
            status,
            message,
            evidence,
            remediation: if status == ProbeStatus::Pass { String::new() } else { remediation.to_string() },
        }
    }

    pub(crate) fn pass(&self, message: impl Into<String>, evidence: Vec<Evidence>) -> ProbeResult {
        self.result(ProbeStatus::Pass, message.into(), evidence, "")
    }

    pub(crate) fn warn(&self, message: impl Into<String>, evidence: Vec<Evidence>, fix: &str) -> ProbeResult {
        self.result(ProbeStatus::Warn, message.into(), evidence, fix)
    }

    pub(crate) fn fail(&self, message: impl Into<String>, evidence: Vec<Evidence>, fix: &str) -> ProbeResult {
        self.result(ProbeStatus::Fail, message.into(), evidence, fix)
    }

    /// The probe could not read what it needs.
    pub(crate) fn error(&self, failure: &ReadFailure) -> ProbeResult {
        self.result(
            ProbeStatus::Error,
            format!("cannot read {}: {}", failure.file, failure.reason),
            vec![Evidence::new(&failure.file, format!("unreadable: {}", failure.reason))],
            "Mount the host root read-only into the agent (hostPath / at --host-root) and run the agent as a \
             user that can read this file.",
        )
    }
}

/// Probe whether a kernel module is loaded: `/sys/module/<name>` exists, or `/proc/modules` lists it.
/// Returns the evidence and whether it is loaded; `Err` when neither can be read.
pub(crate) fn module_loaded(host: &HostRoot, name: &str) -> Result<(bool, Vec<Evidence>), ReadFailure> {
    let sys = format!("/sys/module/{name}");
    if host.exists(&sys) {
        return Ok((true, vec![Evidence::new(sys, "present")]));
    }
    let mut evidence = vec![Evidence::new(&sys, "absent")];
    if let Some(modules) = host.read("/proc/modules")? {
        let listed = modules.lines().any(|line| line.split_whitespace().next() == Some(name));
        evidence.push(Evidence::new(
            "/proc/modules",
            if listed { format!("{name} listed") } else { format!("{name} not listed") },
        ));
        return Ok((listed, evidence));
    }
    Ok((false, evidence))
}

/// The first of `candidates` that exists on the host, with evidence for each one looked at.
pub(crate) fn first_present(host: &HostRoot, candidates: &[&str]) -> (Option<String>, Vec<Evidence>) {
    let mut evidence = Vec::new();
    for candidate in candidates {
        if host.exists(candidate) {
            evidence.push(Evidence::new(*candidate, "present"));
            return (Some(candidate.to_string()), evidence);
        }
        evidence.push(Evidence::new(*candidate, "absent"));
    }
    (None, evidence)
}

/// Kernel release from `/proc/sys/kernel/osrelease`, else the third word of `/proc/version`.
pub(crate) fn kernel_release(host: &HostRoot) -> Result<Option<(String, Evidence)>, ReadFailure> {
    if let Some(release) = host.read("/proc/sys/kernel/osrelease")? {
        let release = release.trim().to_string();
        if !release.is_empty() {
            return Ok(Some((release.clone(), Evidence::new("/proc/sys/kernel/osrelease", release))));
        }
    }
    if let Some(version) = host.read("/proc/version")? {
        // "Linux version 6.8.0-45-generic (buildd@...) ..."
        if let Some(release) = version.split_whitespace().nth(2) {
            return Ok(Some((release.to_string(), Evidence::new("/proc/version", release))));
        }
    }
    Ok(None)
}

/// `(major, minor)` of a kernel release such as `5.15.0-91-generic`.
pub(crate) fn parse_kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_versions_parse() {
        assert_eq!(parse_kernel_version("5.15.0-91-generic"), Some((5, 15)));
        assert_eq!(parse_kernel_version("6.1.0"), Some((6, 1)));
        assert_eq!(parse_kernel_version("4.19.112+"), Some((4, 19)));
        assert_eq!(parse_kernel_version("garbage"), None);
    }

    #[test]
    fn host_paths_resolve_under_the_root() {
        let host = HostRoot::new("/host");
        assert_eq!(host.path("/proc/meminfo"), PathBuf::from("/host/proc/meminfo"));
        assert_eq!(host.path("etc/x"), PathBuf::from("/host/etc/x"));
    }

    #[test]
    fn families_parse_with_aliases() {
        assert_eq!(Family::from_id("cstor"), Some(Family::Iscsi));
        assert_eq!(Family::from_id("mayastor"), Some(Family::Mayastor));
        assert_eq!(Family::from_id("nope"), None);
    }

    #[test]
    fn selection_uses_csi_drivers_and_labels() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let ctx = ProbeContext {
            host: HostRoot::new(dir.path()),
            kubelet_dir: "/var/lib/kubelet".into(),
            hostpath_base: "/var/openebs/local".into(),
            runtime_socket: None,
            node: Some(NodeFacts {
                csi_drivers: vec!["zfs.csi.openebs.io".into(), "cstor.csi.openebs.io".into()],
                labels: vec![("openebs.io/engine".into(), "mayastor".into())],
                ..NodeFacts::default()
            }),
        };
        let selected: Vec<Family> = select_families(&ctx).into_iter().collect();
        assert_eq!(selected, vec![Family::Common, Family::Zfs, Family::Mayastor, Family::Iscsi]);
        let bare = ProbeContext { node: None, ..ctx };
        let selected = select_families(&bare);
        assert_eq!(selected, BTreeSet::from([Family::Common]), "nothing seen: only the common probes");
        assert_eq!(skipped_families(&selected).len(), Family::ALL.len() - 1);
    }
}

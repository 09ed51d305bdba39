//! The schema of `checks/*.yaml`: fields every check has, and one typed parameter struct per
//! analyzer kind.
//!
//! Parameters are typed and unknown fields are rejected, so a typo in a check file is an error
//! with a line number instead of a check that silently never fires. Regexes and durations are
//! compiled while deserializing, so a loaded check cannot fail later.

use std::collections::BTreeMap;
use std::fmt;

use chrono::Duration;
use regex::Regex;
use serde::{Deserialize, Deserializer};

/// Fields common to every check. The analyzer's own fields sit beside them in the same mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckMeta {
    /// Unique id, e.g. `mayastor-io-engine-hugepages`; also the log-pattern id.
    pub id: String,
    /// One line for people.
    pub title: String,
    /// Engine id (`mayastor`, `cstor`, …) or `openebs` / `common` for checks across engines;
    /// for those, a finding takes the engine of the object it is about.
    pub engine: String,
    /// Sev 0–3 when the check fails.
    pub sev: u8,
    /// Sev when the check only warns (defaults to `sev`).
    #[serde(default)]
    pub warn_sev: Option<u8>,
    /// Message template: `{kind}`, `{namespace}`, `{name}`, `{object}`, `{detail}`, `{engine}`.
    pub message: String,
    /// What to do about it.
    pub remediation: String,
    /// Documentation link.
    pub docs: String,
    /// Drop this check's finding on an object when one of these (more specific) checks already
    /// reported the same object.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Severity-rubric row (`0a`, `0b`, `0c`, `0d`, `1`, `2`, `3`) a failure of this check falls
    /// under; the diagnosis layer starts from it. `1`, `2`, `3` may be written as numbers.
    #[serde(default, deserialize_with = "optional_row")]
    pub rubric: Option<String>,
}

/// Fields of [`CheckMeta`], used to split a check mapping into meta and analyzer parameters.
pub const META_FIELDS: &[&str] =
    &["id", "title", "engine", "sev", "warn_sev", "message", "remediation", "docs", "unless", "rubric"];

/// Engine ids a check may name besides the engines themselves.
pub const CROSS_ENGINE: &[&str] = &["openebs", "common"];

/// An analyzer kind with its parameters (`kind:` in YAML).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Analyzer {
    /// Pod states: crash loops, OOM, image pulls, exit codes, Pending, stuck init containers.
    PodHealth(PodHealth),
    /// Deployments, DaemonSets, StatefulSets of detected components: desired vs ready.
    WorkloadReady(WorkloadReady),
    /// A status field of a custom resource against allowed/failing values.
    CrStatus(CrStatus),
    /// One numeric field of a custom resource below another (`healthyInstances < desiredInstances`).
    CrCompare(CrCompare),
    /// Events by reason, message regex, involved kind, count and recency.
    EventPattern(EventPattern),
    /// A regex over the logs of selected pods (hits come from the snapshot's log scan).
    LogPattern(LogPattern),
    /// Node conditions: NotReady, pressure, Ready flapping.
    NodeConditions(NodeConditions),
    /// The volume path: PVC provisioning, attach/mount failures, PVs pinned to vanished nodes.
    VolumePath(VolumePath),
    /// CSI node registration (CSINode lacking a driver pods need).
    CsiRegistration(CsiRegistration),
    /// Different `openebs.io/version`s among components of one engine.
    VersionSkew(VersionSkew),
    /// Capacity thresholds of LVM volume groups, ZFS pools, cStor pools, DiskPools.
    Capacity(Capacity),
    /// Webhooks whose service has no ready endpoints.
    Webhook(Webhook),
    /// Failing probes in the agent's NodeReports.
    NodeReport(NodeReportParams),
    /// Litmus runs: engines whose runner never started, faults left in place.
    Chaos(Chaos),
    /// An engine's own inventory against the volumes it reports Ready (LVs missing on a node).
    VolumeInventory(VolumeInventory),
}

impl Analyzer {
    /// The `kind:` string, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Analyzer::PodHealth(_) => "pod-health",
            Analyzer::WorkloadReady(_) => "workload-ready",
            Analyzer::CrStatus(_) => "cr-status",
            Analyzer::CrCompare(_) => "cr-compare",
            Analyzer::EventPattern(_) => "event-pattern",
            Analyzer::LogPattern(_) => "log-pattern",
            Analyzer::NodeConditions(_) => "node-conditions",
            Analyzer::VolumePath(_) => "volume-path",
            Analyzer::CsiRegistration(_) => "csi-registration",
            Analyzer::VersionSkew(_) => "version-skew",
            Analyzer::Capacity(_) => "capacity",
            Analyzer::Webhook(_) => "webhook",
            Analyzer::NodeReport(_) => "node-report",
            Analyzer::Chaos(_) => "chaos",
            Analyzer::VolumeInventory(_) => "volume-inventory",
        }
    }
}

/// A compiled regular expression (`regex` crate syntax).
#[derive(Clone)]
pub struct Pattern(pub Regex);

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pattern, D::Error> {
        let src = String::deserialize(d)?;
        Regex::new(&src).map(Pattern).map_err(|e| {
            let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
            serde::de::Error::custom(format!("bad regex `{src}`: expected a valid regular expression ({first})"))
        })
    }
}

/// A rubric row as written in YAML: `0a` or a bare number (`1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub String);

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Row, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        Ok(Row(match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Number(n) => n.to_string(),
        }))
    }
}

fn optional_row<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Row>::deserialize(d)?.map(|r| r.0))
}

/// A duration written `30s`, `5m`, `2h`, `1d` (the same forms as on the command line).
#[derive(Debug, Clone, Copy)]
pub struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        let src = String::deserialize(d)?;
        crate::cli::parse_duration(&src)
            .ok()
            .and_then(|d| Duration::from_std(d).ok())
            .map(Dur)
            .ok_or_else(|| serde::de::Error::custom(format!("bad duration `{src}`: expected e.g. 30s, 10m, 6h or 1d")))
    }
}

/// Which pods a check looks at. Empty selects every OpenEBS or Litmus component pod.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodSelector {
    /// Engine ids; `openebs` means every OpenEBS engine (not Litmus).
    #[serde(default)]
    pub engines: Vec<String>,
    /// Component names from the inventory (`io-engine`, `pool-manager`, `etcd`, …).
    #[serde(default)]
    pub components: Vec<String>,
    /// Only data-path components (`true`) or only the others (`false`).
    #[serde(default)]
    pub data_path: Option<bool>,
    /// Pod name regex.
    #[serde(default)]
    pub name: Option<Pattern>,
    /// Select application pods (not OpenEBS/Litmus components) that mount an OpenEBS volume.
    #[serde(default)]
    pub app_pods: bool,
}

/// What `pod-health` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PodCondition {
    /// A container in `CrashLoopBackOff`, or terminated with an error after restarts.
    Crashloop,
    /// Last termination `OOMKilled`.
    OomKilled,
    /// `ImagePullBackOff` / `ErrImagePull` / `InvalidImageName`.
    ImagePull,
    /// Last termination with one of `exit_codes`.
    ExitCode,
    /// At least `min_restarts` restarts, the last one within `within`.
    Restarts,
    /// Phase `Pending` longer than `min_age`, with the scheduler's reason from events.
    Pending,
    /// An init container (matching `init_container`) still running or waiting after `min_age`.
    InitStuck,
    /// Phase `Failed`, or a container terminated with a non-zero exit code and no restart.
    Failed,
}

/// Parameters of `pod-health`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodHealth {
    /// Which pods.
    #[serde(default)]
    pub select: PodSelector,
    /// What to look for.
    pub condition: PodCondition,
    /// For `exit-code`.
    #[serde(default)]
    pub exit_codes: Vec<i64>,
    /// For `restarts` (default 5).
    #[serde(default)]
    pub min_restarts: Option<u64>,
    /// For `restarts`: the last restart within this window (default 1h).
    #[serde(default)]
    pub within: Option<Dur>,
    /// For `pending` and `init-stuck`: how long before it counts (default 5m).
    #[serde(default)]
    pub min_age: Option<Dur>,
    /// For `pending`: only when the scheduler's message matches.
    #[serde(default)]
    pub scheduler_reason: Option<Pattern>,
    /// For `init-stuck`: init container name regex.
    #[serde(default)]
    pub init_container: Option<Pattern>,
    /// Report as a warning, not a failure: the condition alone does not show the check's
    /// subject is at fault (an application's own crash on a healthy volume).
    #[serde(default)]
    pub warn_only: bool,
    /// Only pods whose logs matched one of these `log-pattern` checks (by id): a crash loop
    /// explained by what the container said (e.g. I/O errors on its volume).
    #[serde(default)]
    pub with_log_hits: Vec<String>,
}

/// Parameters of `workload-ready`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadReady {
    /// Which workloads, by their pod template labels.
    #[serde(default)]
    pub select: PodSelector,
}

/// Parameters of `cr-status`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrStatus {
    /// Resource id, e.g. `cstorpoolinstances.cstor.openebs.io`.
    pub resource: String,
    /// Dotted field path, e.g. `status.phase`.
    pub field: String,
    /// Values that are fine; anything else fails (a missing field reads as `""`).
    #[serde(default)]
    pub allowed: Vec<String>,
    /// Values that fail.
    #[serde(default)]
    pub fail_values: Vec<String>,
    /// Values that warn.
    #[serde(default)]
    pub warn_values: Vec<String>,
    /// Sev per value, overriding the check's sev (e.g. `FAULTED: 0`).
    #[serde(default)]
    pub sev_by_value: BTreeMap<String, u8>,
    /// Rubric row per value, overriding the check's row and setting the Sev it stands for
    /// (e.g. `FAULTED: 0a`).
    #[serde(default)]
    pub rubric_by_value: BTreeMap<String, Row>,
    /// Other fields that must equal these values for the check to apply.
    #[serde(default, rename = "where")]
    pub where_fields: BTreeMap<String, String>,
    /// Only objects older than this (by `metadata.creationTimestamp`).
    #[serde(default)]
    pub min_age: Option<Dur>,
    /// Fields quoted as evidence.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// Parameters of `cr-compare`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrCompare {
    /// Resource id.
    pub resource: String,
    /// The numeric field that must not be below `less_than`.
    pub field: String,
    /// The field it is compared with.
    pub less_than: String,
    /// Fields quoted as evidence.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// Parameters of `event-pattern`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPattern {
    /// Event reasons (any).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Message regex.
    #[serde(default)]
    pub message_regex: Option<Pattern>,
    /// Involved object kinds (any).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// `Warning` or `Normal`.
    #[serde(default, rename = "type")]
    pub event_type: Option<String>,
    /// Occurrences needed per object (default 1).
    #[serde(default)]
    pub min_count: Option<u64>,
    /// Only events seen within this window before `collected_at`.
    #[serde(default)]
    pub within: Option<Dur>,
    /// Only events about OpenEBS-related objects.
    #[serde(default)]
    pub openebs_related: bool,
}

/// Parameters of `log-pattern`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogPattern {
    /// The regex, matched line by line.
    pub regex: Pattern,
    /// Which pods' logs.
    #[serde(default)]
    pub select: PodSelector,
    /// Container names (any).
    #[serde(default)]
    pub containers: Vec<String>,
    /// Matching lines needed (default 1).
    #[serde(default)]
    pub min_count: Option<u64>,
}

/// What `node-conditions` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeCheck {
    /// `Ready` not `True`.
    NotReady,
    /// `MemoryPressure`/`DiskPressure`/`PIDPressure` true (warns).
    Pressure,
    /// Ready flapping or reboots: `NodeNotReady`/`Rebooted` events within the window.
    Flapping,
}

/// Which nodes `node-conditions` considers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeScope {
    /// Every node.
    #[default]
    Any,
    /// Nodes running an OpenEBS data-path pod or holding a pool.
    Storage,
    /// The others.
    NonStorage,
}

/// Parameters of `node-conditions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConditions {
    /// What to look for.
    pub condition: NodeCheck,
    /// Which nodes.
    #[serde(default)]
    pub nodes: NodeScope,
    /// For `flapping` (default 24h).
    #[serde(default)]
    pub within: Option<Dur>,
    /// For `flapping`: NotReady transitions or reboots needed (default 2).
    #[serde(default)]
    pub min_transitions: Option<u64>,
}

/// What `volume-path` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VolumeCheck {
    /// OpenEBS PVC `Pending` with provisioning errors (or too long with immediate binding).
    PvcPending,
    /// `FailedMount`/`FailedAttachVolume`/`FailedMapVolume` on pods using OpenEBS volumes.
    MountFailure,
    /// VolumeAttachment `attachError`/`detachError` for OpenEBS drivers.
    AttachmentError,
    /// PV pinned by nodeAffinity to a node that no longer exists.
    PvNodeGone,
}

/// Parameters of `volume-path`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumePath {
    /// What to look for.
    pub check: VolumeCheck,
    /// Engine ids (any OpenEBS engine when empty).
    #[serde(default)]
    pub engines: Vec<String>,
    /// For `pvc-pending` without error events (default 10m).
    #[serde(default)]
    pub min_age: Option<Dur>,
    /// For `mount-failure`: only events within this window.
    #[serde(default)]
    pub within: Option<Dur>,
}

/// What `csi-registration` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CsiCheck {
    /// An OpenEBS driver is expected (CSIDriver or StorageClass) but no CSINode lists it.
    DriverUnregistered,
    /// A node runs pods that need a driver (or the driver's node plugin) but its CSINode lacks it.
    NodeMissingDriver,
}

/// Parameters of `csi-registration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsiRegistration {
    /// What to look for.
    pub check: CsiCheck,
}

/// Parameters of `version-skew`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionSkew {
    /// Engine ids (all when empty).
    #[serde(default)]
    pub engines: Vec<String>,
}

/// Where `capacity` reads sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapacitySource {
    /// `LVMNode.volumeGroups[].{size,free}`.
    LvmVg,
    /// `ZFSNode.pools[].{free,used}`.
    ZfsPool,
    /// `CStorPoolInstance.status.capacity.{used,total}`.
    Cspi,
    /// `DiskPool.status.{capacity,used}`.
    Diskpool,
}

/// Parameters of `capacity`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// Where the numbers are.
    pub source: CapacitySource,
    /// Warn at this percentage used (default 80).
    #[serde(default)]
    pub warn_pct: Option<f64>,
    /// Fail at this percentage used (default 95).
    #[serde(default)]
    pub fail_pct: Option<f64>,
}

/// Parameters of `webhook`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Webhook name regex (e.g. `openebs`).
    pub name: Pattern,
}

/// Parameters of `node-report`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeReportParams {
    /// Sev per probe id (prefix match, longest wins); other failing probes use the check's sev.
    #[serde(default)]
    pub probe_sev: BTreeMap<String, u8>,
    /// Raise the Sev of a failing probe when the node also shows these events.
    #[serde(default)]
    pub escalate: Vec<Escalation>,
}

/// A rule raising a probe's Sev when its node shows matching events on its pods.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Probe ids (prefix match).
    pub probes: Vec<String>,
    /// Event reasons on pods scheduled on the node.
    pub event_reasons: Vec<String>,
    /// Optional message regex.
    #[serde(default)]
    pub message_regex: Option<Pattern>,
    /// The raised Sev.
    pub sev: u8,
}

/// What `chaos` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChaosCheck {
    /// A ChaosEngine that should run (`engineState: active`, status `initialized` or empty) but
    /// has no runner pod after `min_age`.
    EngineNoRunner,
    /// A ChaosResult whose fault was injected and not reverted (a target still `injected` after the
    /// run ended, or a revert error code); fails when a target workload is crash-looping or not
    /// ready, warns otherwise.
    NotReverted,
}

/// Parameters of `chaos`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chaos {
    /// What to look for.
    pub check: ChaosCheck,
    /// For `engine-no-runner`: how long an engine may wait for its runner (default 5m).
    #[serde(default)]
    pub min_age: Option<Dur>,
    /// Sev when the not-reverted fault's targets are degraded (`not-reverted`; the check's sev
    /// applies otherwise).
    #[serde(default)]
    pub degraded_sev: Option<u8>,
    /// Rubric row with `degraded_sev`.
    #[serde(default, deserialize_with = "optional_row")]
    pub degraded_rubric: Option<String>,
}

/// Where `volume-inventory` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InventorySource {
    /// `LVMVolume`s Ready on a node against that node's `LVMNode.volumeGroups[].lvCount` (and the
    /// VG being listed at all).
    LvmLv,
    /// `ZFSVolume`s Ready on a node whose pool the node's `ZFSNode.pools` no longer lists, or whose
    /// pods' mount errors say the dataset does not exist.
    ZfsDataset,
}

/// Parameters of `volume-inventory`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeInventory {
    /// What to compare.
    pub source: InventorySource,
}

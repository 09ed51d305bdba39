//! Probes common to all CSI engines (docs/node-probes.md): kubelet root dir present (C1), kubelet dir on
//! a shared mount so `mountPropagation: Bidirectional` works (C3), kernel version (C6), and no recent
//! kernel crashes (FM25, in `kernel_log`).

use super::{Family, HostRoot, Probe, ProbeContext, kernel_release, parse_kernel_version};
use crate::agent::report::{Evidence, ProbeResult};

/// Kubelet root dirs of distributions that move it (website installation.md).
const ALTERNATIVE_KUBELET_DIRS: [&str; 4] = [
    "/var/snap/microk8s/common/var/lib/kubelet",
    "/var/lib/k0s/kubelet",
    "/opt/rke/var/lib/kubelet",
    "/var/lib/rancher/k3s/agent/kubelet",
];

/// Run the common probes.
pub fn run(ctx: &ProbeContext) -> Vec<ProbeResult> {
    vec![kubelet_dir(ctx), shared_mount(ctx), kernel(ctx), super::kernel_log::kernel_crashes(ctx)]
}

fn kubelet_dir(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Common, "kubelet_dir", "Kubelet root directory present");
    let dir = ctx.kubelet_dir.trim_end_matches('/');
    let registry = format!("{dir}/plugins_registry");
    if ctx.host.is_dir(dir) {
        let mut evidence = vec![Evidence::new(dir, "directory")];
        evidence.push(Evidence::new(&registry, if ctx.host.exists(&registry) { "present" } else { "absent" }));
        return probe.pass(format!("kubelet directory {dir} exists"), evidence);
    }
    let mut evidence = vec![Evidence::new(dir, "absent")];
    for alt in ALTERNATIVE_KUBELET_DIRS {
        if ctx.host.is_dir(alt) {
            evidence.push(Evidence::new(alt, "directory"));
            return probe.warn(
                format!("kubelet directory {dir} is absent but {alt} exists"),
                evidence,
                "Set the engine chart's kubeletDir (e.g. lvmNode.kubeletDir, csi.node.kubeletDir) to the kubelet \
                 root of this distribution, and run the agent with --kubelet-dir to match.",
            );
        }
    }
    probe.fail(
        format!("no kubelet root directory found ({dir} absent)"),
        evidence,
        "Find kubelet's --root-dir on this node and set the engine chart's kubeletDir to it; CSI node plugins \
         register under <kubelet-dir>/plugins_registry.",
    )
}

/// One line of `/proc/<pid>/mountinfo`, the parts we need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MountInfo {
    /// Mount point (octal escapes decoded).
    pub mount_point: String,
    /// Optional fields such as `shared:1`, `master:3`.
    pub optional: Vec<String>,
    /// Filesystem type.
    pub fs_type: String,
}

/// Parse mountinfo; malformed lines are skipped.
pub(crate) fn parse_mountinfo(text: &str) -> Vec<MountInfo> {
    let mut mounts = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(sep) = fields.iter().position(|f| *f == "-") else { continue };
        if sep < 6 || fields.len() < sep + 2 {
            continue;
        }
        mounts.push(MountInfo {
            mount_point: unescape_octal(fields[4]),
            optional: fields[6..sep].iter().map(|s| s.to_string()).collect(),
            fs_type: fields[sep + 1].to_string(),
        });
    }
    mounts
}

/// Decode `\040`-style escapes used in mountinfo.
fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let value =
                (bytes[i + 1] - b'0') as u32 * 64 + (bytes[i + 2] - b'0') as u32 * 8 + (bytes[i + 3] - b'0') as u32;
            out.push(value as u8);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mount containing `path`: the last-listed one with the longest mount point that is a path prefix.
pub(crate) fn mount_for<'a>(mounts: &'a [MountInfo], path: &str) -> Option<&'a MountInfo> {
    let path = path.trim_end_matches('/');
    let mut best: Option<&MountInfo> = None;
    for mount in mounts {
        let mp = mount.mount_point.trim_end_matches('/');
        let contains = mp.is_empty() || path == mp || path.starts_with(&format!("{mp}/"));
        if contains && best.is_none_or(|b| mp.len() >= b.mount_point.trim_end_matches('/').len()) {
            best = Some(mount);
        }
    }
    best
}

fn shared_mount(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Common, "kubelet_shared_mount", "Kubelet directory on a shared mount");
    let file = "/proc/1/mountinfo";
    let text = match ctx.host.read(file) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return probe.fail(
                format!("{file} is absent; cannot tell the mount propagation"),
                vec![Evidence::new(file, "absent")],
                "Mount the host root (including /proc) into the agent at --host-root.",
            );
        }
        Err(failure) => return probe.error(&failure),
    };
    let mounts = parse_mountinfo(&text);
    let dir = ctx.kubelet_dir.trim_end_matches('/');
    let Some(mount) = mount_for(&mounts, dir) else {
        return probe.fail(
            format!("no mount in {file} contains {dir}"),
            vec![Evidence::new(file, format!("{} mounts, none containing {dir}", mounts.len()))],
            "Mount the host root (including /proc) into the agent at --host-root.",
        );
    };
    let shared = mount.optional.iter().find(|f| f.starts_with("shared:"));
    let value = format!(
        "mount point {} ({}) propagation: {}",
        mount.mount_point,
        mount.fs_type,
        if mount.optional.is_empty() { "private".to_string() } else { mount.optional.join(" ") }
    );
    match shared {
        Some(_) => {
            probe.pass(format!("{dir} is on shared mount {}", mount.mount_point), vec![Evidence::new(file, value)])
        }
        None => probe.fail(
            format!(
                "{dir} is on mount {} which is not shared; Bidirectional mount propagation will fail",
                mount.mount_point
            ),
            vec![Evidence::new(file, value)],
            "Make the mount shared: `mount --make-rshared /` (systemd does this by default; Docker/RKE/Talos need \
             it configured, e.g. Talos extraMounts options [bind, rshared, rw]).",
        ),
    }
}

fn kernel(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Common, "kernel_version", "Kernel version");
    check_kernel(&probe, &ctx.host, (5, 10), "XFS volumes fail to mount on kernels older than 5.10")
}

/// Kernel at least `minimum`: pass, below: warn (fail decisions are per engine).
pub(crate) fn check_kernel(probe: &Probe, host: &HostRoot, minimum: (u32, u32), why: &str) -> ProbeResult {
    match kernel_release(host) {
        Err(failure) => probe.error(&failure),
        Ok(None) => probe.fail(
            "kernel release not found in /proc/sys/kernel/osrelease or /proc/version",
            vec![Evidence::new("/proc/sys/kernel/osrelease", "absent"), Evidence::new("/proc/version", "absent")],
            "Mount the host /proc into the agent at --host-root.",
        ),
        Ok(Some((release, evidence))) => match parse_kernel_version(&release) {
            Some(version) if version >= minimum => probe.pass(format!("kernel {release}"), vec![evidence]),
            Some(_) => probe.warn(
                format!("kernel {release} is older than {}.{}: {why}", minimum.0, minimum.1),
                vec![evidence],
                "Upgrade the node's kernel.",
            ),
            None => probe.warn(
                format!("cannot parse kernel release {release:?}"),
                vec![evidence],
                "Check the node's kernel.",
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
80 22 259:3 / /var/lib/kubelet rw,relatime - xfs /dev/nvme1n1 rw
81 22 0:50 / /mnt/with\\040space rw master:3 - tmpfs tmpfs rw
";

    #[test]
    fn mountinfo_parses_optional_fields_and_escapes() {
        let mounts = parse_mountinfo(MOUNTINFO);
        assert_eq!(mounts.len(), 4);
        assert_eq!(mounts[0].optional, vec!["shared:1"]);
        assert!(mounts[2].optional.is_empty());
        assert_eq!(mounts[3].mount_point, "/mnt/with space");
        assert_eq!(mounts[3].fs_type, "tmpfs");
    }

    #[test]
    fn deepest_mount_wins() {
        let mounts = parse_mountinfo(MOUNTINFO);
        assert_eq!(
            mount_for(&mounts, "/var/lib/kubelet/pods").map(|m| m.mount_point.as_str()),
            Some("/var/lib/kubelet")
        );
        assert_eq!(mount_for(&mounts, "/var/lib/kubeletx").map(|m| m.mount_point.as_str()), Some("/"));
        assert_eq!(mount_for(&mounts, "/proc").map(|m| m.mount_point.as_str()), Some("/proc"));
    }
}

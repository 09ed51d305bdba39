//! LocalPV ZFS probes (docs/node-probes.md): zfs userland binary (Z1), kernel module loaded and its
//! version equal to the userland package version (Z2), imported pools ONLINE (Z3).
//!
//! Nothing is executed: the module version comes from `/sys/module/zfs/version`, the userland
//! version from the package database (`/var/lib/dpkg/status`, `/lib/apk/db/installed`), and pool
//! health from `/proc/spl/kstat/zfs/<pool>/state` (OpenZFS ≥ 2.0).

use super::{Family, Probe, ProbeContext, first_present, module_loaded};
use crate::agent::report::{Evidence, ProbeResult};

/// Run the ZFS probes.
pub fn run(ctx: &ProbeContext) -> Vec<ProbeResult> {
    vec![binary(ctx), module(ctx), version(ctx), pools(ctx)]
}

fn binary(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Zfs, "zfs_binary", "zfs userland installed");
    // The node plugin runs `chroot /host /sbin/zfs` or `/usr/sbin/zfs` (ConfigMap openebs-zfspv-bin).
    match first_present(&ctx.host, &["/sbin/zfs", "/usr/sbin/zfs"]) {
        (Some(path), evidence) => probe.pass(format!("zfs found at {path}"), evidence),
        (None, evidence) => probe.fail(
            "zfs userland is not installed on the host",
            evidence,
            "Install the ZFS utilities on every ZFS node (apt install zfsutils-linux).",
        ),
    }
}

fn module(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Zfs, "module", "zfs kernel module loaded");
    match module_loaded(&ctx.host, "zfs") {
        Err(failure) => probe.error(&failure),
        Ok((true, evidence)) => probe.pass("zfs module is loaded", evidence),
        Ok((false, evidence)) => probe.fail(
            "zfs module is not loaded (often lost after a kernel upgrade without a matching zfs module)",
            evidence,
            "Install the zfs module for the running kernel (e.g. zfs-dkms or linux-modules-extra) and modprobe zfs.",
        ),
    }
}

/// The upstream part of a package or module version: `2.2.2-0ubuntu9.1` → `2.2.2`, `1:2.1.5` → `2.1.5`.
pub(crate) fn upstream_version(version: &str) -> String {
    let version = version.trim();
    let without_epoch = version.split_once(':').map_or(version, |(_, rest)| rest);
    without_epoch.split(['-', '_', '~', '+']).next().unwrap_or(without_epoch).to_string()
}

/// The version of `package` in a dpkg status file (paragraphs `Package:` / `Status:` / `Version:`).
pub(crate) fn dpkg_version(status: &str, package: &str) -> Option<String> {
    for paragraph in status.split("\n\n") {
        let mut name = None;
        let mut version = None;
        let mut installed = false;
        for line in paragraph.lines() {
            if let Some(v) = line.strip_prefix("Package: ") {
                name = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("Version: ") {
                version = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("Status: ") {
                installed = v.trim().ends_with(" installed");
            }
        }
        if name == Some(package) && installed {
            return version.map(str::to_string);
        }
    }
    None
}

/// The version of `package` in Alpine's `/lib/apk/db/installed` (`P:` / `V:` lines).
fn apk_version(db: &str, package: &str) -> Option<String> {
    for block in db.split("\n\n") {
        let mut name = None;
        let mut version = None;
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("P:") {
                name = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("V:") {
                version = Some(v.trim());
            }
        }
        if name == Some(package) {
            return version.map(str::to_string);
        }
    }
    None
}

/// The installed userland version, with evidence, if a package database shows it.
fn userland_version(ctx: &ProbeContext) -> (Option<String>, Vec<Evidence>) {
    let mut evidence = Vec::new();
    for (file, packages, parser) in [
        ("/var/lib/dpkg/status", &["zfsutils-linux", "zfsutils"][..], dpkg_version as fn(&str, &str) -> Option<String>),
        ("/lib/apk/db/installed", &["zfs"][..], apk_version),
    ] {
        let Ok(Some(text)) = ctx.host.read(file) else { continue };
        for package in packages {
            if let Some(version) = parser(&text, package) {
                evidence.push(Evidence::new(file, format!("{package} {version}")));
                return (Some(version), evidence);
            }
        }
        evidence.push(Evidence::new(file, "no zfs userland package"));
    }
    (None, evidence)
}

fn version(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Zfs, "version_match", "zfs module version matches userland");
    let file = "/sys/module/zfs/version";
    let module_version = match ctx.host.read(file) {
        Err(failure) => return probe.error(&failure),
        Ok(None) => {
            return probe.fail(
                "zfs module version unknown: the module is not loaded",
                vec![Evidence::new(file, "absent")],
                "Load the zfs module matching the installed userland.",
            );
        }
        Ok(Some(v)) => v.trim().to_string(),
    };
    let mut evidence = vec![Evidence::new(file, &module_version)];
    let (userland, more) = userland_version(ctx);
    evidence.extend(more);
    match userland {
        None => probe.pass(
            format!("zfs module {module_version}; userland version not determinable without running zfs"),
            evidence,
        ),
        Some(userland) if upstream_version(&userland) == upstream_version(&module_version) => {
            probe.pass(format!("zfs module {module_version} matches userland {userland}"), evidence)
        }
        Some(userland) => probe.fail(
            format!("zfs module {module_version} does not match userland {userland}"),
            evidence,
            "Reboot into a kernel whose zfs module matches the installed zfsutils (or reinstall zfs-dkms), so the \
             node plugin's zfs commands talk to a compatible module.",
        ),
    }
}

fn pools(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Zfs, "pools_online", "zfs pools imported and ONLINE");
    let dir = "/proc/spl/kstat/zfs";
    let names = match ctx.host.list_dir(dir) {
        Err(failure) => return probe.error(&failure),
        Ok(None) => {
            return probe.fail(
                format!("{dir} is absent: zfs is not loaded, no pool is imported"),
                vec![Evidence::new(dir, "absent")],
                "Load zfs and import the pool named in the StorageClass poolname (zpool import <pool>).",
            );
        }
        Ok(Some(names)) => names,
    };
    let mut evidence = Vec::new();
    let mut bad = Vec::new();
    let mut degraded = Vec::new();
    let mut online = Vec::new();
    for pool in names {
        // Only pool directories hold a `state` file; arcstats, dbufstats, … are plain files.
        if !ctx.host.is_dir(&format!("{dir}/{pool}")) {
            continue;
        }
        let state_file = format!("{dir}/{pool}/state");
        let state = match ctx.host.read(&state_file) {
            Ok(Some(state)) => state.trim().to_string(),
            Ok(None) => continue,
            Err(failure) => return probe.error(&failure),
        };
        evidence.push(Evidence::new(&state_file, &state));
        match state.as_str() {
            "ONLINE" => online.push(pool),
            "DEGRADED" => degraded.push(pool),
            _ => bad.push(format!("{pool} {state}")),
        }
    }
    if !bad.is_empty() {
        return probe.fail(
            format!("pools not online: {}", bad.join(", ")),
            evidence,
            "Inspect with `zpool status -x` on the node and replace/online the failed devices.",
        );
    }
    if online.is_empty() && degraded.is_empty() {
        return probe.fail(
            "no zfs pool is imported on this node",
            vec![Evidence::new(dir, "no <pool>/state entries")],
            "Create or import the pool named by the StorageClass poolname (zpool import <pool>) and enable \
             zfs-import-cache/zfs-import-scan so it is imported at boot.",
        );
    }
    if !degraded.is_empty() {
        return probe.warn(
            format!("pools degraded: {}", degraded.join(", ")),
            evidence,
            "Replace the failed vdev (`zpool status` shows which) before redundancy is lost.",
        );
    }
    probe.pass(format!("pools online: {}", online.join(", ")), evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_upstream_part() {
        assert_eq!(upstream_version("2.2.2-0ubuntu9.1"), "2.2.2");
        assert_eq!(upstream_version("2.2.2-0ubuntu9\n"), "2.2.2");
        assert_eq!(upstream_version("1:2.1.5-1"), "2.1.5");
        assert_ne!(upstream_version("2.3.1-1"), upstream_version("2.3.2-1"));
    }

    #[test]
    fn dpkg_status_lookup_requires_installed() {
        let status = "Package: zfsutils-linux\nStatus: deinstall ok config-files\nVersion: 2.1.0\n\n\
                      Package: zfsutils-linux\nStatus: install ok installed\nVersion: 2.2.2-0ubuntu9.1\n";
        assert_eq!(dpkg_version(status, "zfsutils-linux").as_deref(), Some("2.2.2-0ubuntu9.1"));
        assert_eq!(dpkg_version(status, "lvm2"), None);
        assert_eq!(apk_version("P:zfs\nV:2.2.4-r0\n", "zfs").as_deref(), Some("2.2.4-r0"));
    }
}

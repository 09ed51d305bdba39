//! LocalPV hostpath probes (docs/node-probes.md): BasePath valid and present (H1), free space and free
//! inodes on the filesystem holding it (H2), measured with statvfs.

use super::{Family, Probe, ProbeContext};
use crate::agent::report::{Evidence, ProbeResult, ProbeStatus};

/// Below this many available bytes the filesystem is full for provisioning purposes.
const MIN_FREE_BYTES: u64 = 1 << 30;

/// Run the hostpath probes.
pub fn run(ctx: &ProbeContext) -> Vec<ProbeResult> {
    let base = ctx.hostpath_base.trim_end_matches('/').to_string();
    let mut results = vec![base_path(ctx, &base)];
    results.extend(capacity(ctx, &base));
    results
}

fn base_path(ctx: &ProbeContext, base: &str) -> ProbeResult {
    let probe = Probe::new(Family::Hostpath, "base_path", "Hostpath BasePath exists and is valid");
    let depth = base.split('/').filter(|s| !s.is_empty()).count();
    if depth < 2 {
        return probe.fail(
            format!("BasePath {base:?} is / or directly under / (the provisioner rejects it)"),
            vec![Evidence::new("--hostpath-base", base)],
            "Use a BasePath at least two levels deep (default /var/openebs/local), ideally on a dedicated disk.",
        );
    }
    if ctx.host.is_dir(base) {
        return probe.pass(format!("BasePath {base} exists"), vec![Evidence::new(base, "directory")]);
    }
    if ctx.host.exists(base) {
        return probe.fail(
            format!("BasePath {base} exists but is not a directory"),
            vec![Evidence::new(base, "not a directory")],
            "Remove the file or point the StorageClass BasePath elsewhere.",
        );
    }
    let parent = parent_of(base);
    if ctx.host.is_dir(&parent) {
        return probe.warn(
            format!("BasePath {base} does not exist yet; the helper pod will create it under {parent}"),
            vec![Evidence::new(base, "absent"), Evidence::new(&parent, "directory")],
            "Create the BasePath on the intended (dedicated) filesystem before provisioning, so volumes do not land \
             on the root filesystem.",
        );
    }
    probe.fail(
        format!("BasePath {base} and its parent {parent} do not exist"),
        vec![Evidence::new(base, "absent"), Evidence::new(&parent, "absent")],
        "Create the BasePath directory on the node (or fix cas.openebs.io/config BasePath in the StorageClass).",
    )
}

fn parent_of(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => path[..i].to_string(),
    }
}

/// The deepest existing ancestor of `base` (itself included), as a host path.
fn existing_ancestor(ctx: &ProbeContext, base: &str) -> String {
    let mut current = base.to_string();
    while current != "/" && !ctx.host.is_dir(&current) {
        current = parent_of(&current);
    }
    current
}

/// Classify headroom: fail when nothing is left (or under the absolute floor for bytes), warn under 10 %.
pub(crate) fn classify(total: u64, available: u64, floor: u64) -> ProbeStatus {
    if total == 0 {
        // Filesystems without a fixed inode table (btrfs, some overlay) report 0 inodes.
        return ProbeStatus::Pass;
    }
    if available == 0 || available < floor {
        ProbeStatus::Fail
    } else if available.saturating_mul(10) < total {
        ProbeStatus::Warn
    } else {
        ProbeStatus::Pass
    }
}

fn capacity(ctx: &ProbeContext, base: &str) -> Vec<ProbeResult> {
    let space = Probe::new(Family::Hostpath, "free_space", "Free space under the hostpath BasePath");
    let inodes = Probe::new(Family::Hostpath, "free_inodes", "Free inodes under the hostpath BasePath");
    let target = existing_ancestor(ctx, base);
    let stat = match rustix::fs::statvfs(ctx.host.path(&target)) {
        Ok(stat) => stat,
        Err(err) => {
            let failure = super::ReadFailure { file: target.clone(), reason: format!("statvfs: {err}") };
            return vec![space.error(&failure), inodes.error(&failure)];
        }
    };
    let block = stat.f_frsize.max(1);
    let total_bytes = stat.f_blocks.saturating_mul(block);
    let avail_bytes = stat.f_bavail.saturating_mul(block);
    let space_value = format!(
        "statvfs: {} available of {} ({})",
        human(avail_bytes),
        human(total_bytes),
        percent(avail_bytes, total_bytes)
    );
    let inode_value = format!(
        "statvfs: {} inodes available of {} ({})",
        stat.f_favail,
        stat.f_files,
        percent(stat.f_favail, stat.f_files)
    );
    let space_result = match classify(total_bytes, avail_bytes, MIN_FREE_BYTES) {
        ProbeStatus::Pass => space.pass(
            format!("{} free on the filesystem of {target}", human(avail_bytes)),
            vec![Evidence::new(&target, space_value)],
        ),
        status => {
            let message = format!("only {} free on the filesystem of {target}", human(avail_bytes));
            let fix = "Free space or move the BasePath to a dedicated, larger filesystem; hostpath volumes have no \
                       capacity enforcement and fill the disk together.";
            if status == ProbeStatus::Fail {
                space.fail(message, vec![Evidence::new(&target, space_value)], fix)
            } else {
                space.warn(message, vec![Evidence::new(&target, space_value)], fix)
            }
        }
    };
    let inode_result = match classify(stat.f_files, stat.f_favail, 1) {
        ProbeStatus::Pass => inodes.pass(
            format!("{} inodes free on the filesystem of {target}", stat.f_favail),
            vec![Evidence::new(&target, inode_value)],
        ),
        status => {
            let message = format!("only {} inodes free on the filesystem of {target}", stat.f_favail);
            let fix = "Remove small files or move the BasePath to a filesystem with more inodes.";
            if status == ProbeStatus::Fail {
                inodes.fail(message, vec![Evidence::new(&target, inode_value)], fix)
            } else {
                inodes.warn(message, vec![Evidence::new(&target, inode_value)], fix)
            }
        }
    };
    vec![space_result, inode_result]
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 { "n/a".to_string() } else { format!("{:.1}%", part as f64 * 100.0 / whole as f64) }
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headroom_classification() {
        assert_eq!(classify(100 << 30, 50 << 30, MIN_FREE_BYTES), ProbeStatus::Pass);
        assert_eq!(classify(100 << 30, 5 << 30, MIN_FREE_BYTES), ProbeStatus::Warn);
        assert_eq!(classify(100 << 30, 1 << 20, MIN_FREE_BYTES), ProbeStatus::Fail);
        assert_eq!(classify(1000, 0, 1), ProbeStatus::Fail);
        assert_eq!(classify(0, 0, 1), ProbeStatus::Pass);
    }

    #[test]
    fn parents() {
        assert_eq!(parent_of("/var/openebs/local"), "/var/openebs");
        assert_eq!(parent_of("/var"), "/");
        assert_eq!(human(1536), "1.5 KiB");
    }
}

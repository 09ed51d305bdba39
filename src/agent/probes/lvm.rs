//! LocalPV LVM probes (docs/node-probes.md): lvm2 userland (L1), `dm_snapshot` and `dm_thin_pool`
//! modules (L2), volume groups present (L3, from `/etc/lvm/backup`).

use super::{Family, Probe, ProbeContext, first_present, module_loaded};
use crate::agent::report::{Evidence, ProbeResult};

const LVM_BINARIES: [&str; 4] = ["/sbin/lvm", "/usr/sbin/lvm", "/bin/lvm", "/usr/bin/lvm"];

/// Run the LVM probes.
pub fn run(ctx: &ProbeContext) -> Vec<ProbeResult> {
    vec![binary(ctx), dm_snapshot(ctx), dm_thin_pool(ctx), volume_groups(ctx)]
}

fn binary(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Lvm, "lvm2", "lvm2 userland installed");
    match first_present(&ctx.host, &LVM_BINARIES) {
        (Some(path), evidence) => probe.pass(format!("lvm found at {path}"), evidence),
        (None, evidence) => probe.fail(
            "lvm2 is not installed on the host",
            evidence,
            "Install lvm2 on every node that runs LVM volumes (apt install lvm2 / dnf install lvm2).",
        ),
    }
}

fn dm_snapshot(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Lvm, "dm_snapshot", "dm_snapshot kernel module loaded");
    match module_loaded(&ctx.host, "dm_snapshot") {
        Err(failure) => probe.error(&failure),
        Ok((true, evidence)) => probe.pass("dm_snapshot is loaded", evidence),
        Ok((false, evidence)) => probe.fail(
            "dm_snapshot is not loaded: LVM snapshots and volumes fail",
            evidence,
            "modprobe dm_snapshot, and persist it: echo dm_snapshot > /etc/modules-load.d/openebs-lvm.conf",
        ),
    }
}

fn dm_thin_pool(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Lvm, "dm_thin_pool", "dm_thin_pool kernel module loaded");
    match module_loaded(&ctx.host, "dm_thin_pool") {
        Err(failure) => probe.error(&failure),
        Ok((true, evidence)) => probe.pass("dm_thin_pool is loaded", evidence),
        // Only thin-provisioned StorageClasses (thinProvision: "yes") need it, hence warn.
        Ok((false, evidence)) => probe.warn(
            "dm_thin_pool is not loaded: thin-provisioned LVM volumes (thinProvision: \"yes\") fail",
            evidence,
            "modprobe dm_thin_pool, and persist it: echo dm_thin_pool >> /etc/modules-load.d/openebs-lvm.conf",
        ),
    }
}

fn volume_groups(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Lvm, "volume_groups", "LVM volume groups present");
    let dir = "/etc/lvm/backup";
    match ctx.host.list_dir(dir) {
        Err(failure) => probe.error(&failure),
        Ok(None) => probe.warn(
            format!("{dir} is absent: no volume group has been created on this node"),
            vec![Evidence::new(dir, "absent")],
            "Create the volume group named by the StorageClass volgroup/vgpattern: vgcreate <vg> /dev/<disk>.",
        ),
        Ok(Some(names)) => {
            let groups: Vec<String> =
                names.into_iter().filter(|n| !n.starts_with('.') && !n.ends_with(".tmp")).collect();
            // Corroborate with device nodes: an active VG has /dev/<vg>/ when it holds LVs.
            let mut evidence =
                vec![Evidence::new(dir, if groups.is_empty() { "empty".to_string() } else { groups.join(",") })];
            for vg in &groups {
                let dev = format!("/dev/{vg}");
                if ctx.host.is_dir(&dev) {
                    evidence.push(Evidence::new(dev, "directory"));
                }
            }
            if groups.is_empty() {
                probe.warn(
                    "no volume group found on this node",
                    evidence,
                    "Create the volume group named by the StorageClass volgroup/vgpattern: vgcreate <vg> /dev/<disk>.",
                )
            } else {
                probe.pass(format!("volume groups: {}", groups.join(", ")), evidence)
            }
        }
    }
}

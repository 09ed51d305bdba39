//! Node Disk Manager probes (docs/node-probes.md, N1): `/run/udev` present (udevd running) and
//! `/proc/1/mounts` readable with a root mount (the OS-disk filter needs it).

use super::{Family, Probe, ProbeContext};
use crate::agent::report::{Evidence, ProbeResult};

/// Run the NDM probes.
pub fn run(ctx: &ProbeContext) -> Vec<ProbeResult> {
    vec![udev(ctx), proc_mounts(ctx)]
}

fn udev(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Ndm, "udev", "/run/udev present (udevd running)");
    let dir = "/run/udev";
    if !ctx.host.is_dir(dir) {
        return probe.fail(
            format!("{dir} is absent: NDM cannot discover or watch block devices"),
            vec![Evidence::new(dir, "absent")],
            "Run systemd-udevd on the node (and mount /run/udev into the NDM DaemonSet).",
        );
    }
    let control = "/run/udev/control";
    let data = "/run/udev/data";
    let evidence = vec![
        Evidence::new(dir, "directory"),
        Evidence::new(control, if ctx.host.exists(control) { "present" } else { "absent" }),
        Evidence::new(data, if ctx.host.is_dir(data) { "directory" } else { "absent" }),
    ];
    if ctx.host.is_dir(data) {
        probe.pass("/run/udev holds a device database", evidence)
    } else {
        probe.warn(
            "/run/udev exists but has no data directory: udevd may not be running",
            evidence,
            "Check systemd-udevd on the node.",
        )
    }
}

fn proc_mounts(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Ndm, "proc_mounts", "/proc/1/mounts readable with a / mount");
    let file = "/proc/1/mounts";
    let fix = "Mount the host /proc into NDM (hostPath /proc) so the OS-disk filter can find the root device.";
    match ctx.host.read(file) {
        Err(failure) => probe.fail(
            format!("{file} is unreadable ({}): NDM's OS-disk filter fails", failure.reason),
            vec![Evidence::new(file, format!("unreadable: {}", failure.reason))],
            fix,
        ),
        Ok(None) => probe.fail(format!("{file} is absent"), vec![Evidence::new(file, "absent")], fix),
        Ok(Some(text)) => {
            let root = text.lines().find(|l| l.split_whitespace().nth(1) == Some("/"));
            match root {
                Some(line) => {
                    let device = line.split_whitespace().next().unwrap_or("?");
                    probe.pass(
                        format!("root filesystem on {device}"),
                        vec![Evidence::new(file, format!("{device} on /"))],
                    )
                }
                None => probe.fail(
                    format!("{file} has no mount on / (\"Path/MountPoint not present in mounts file\")"),
                    vec![Evidence::new(file, format!("{} lines, none for /", text.lines().count()))],
                    fix,
                ),
            }
        }
    }
}

//! cStor and Jiva (iSCSI) probes (docs/node-probes.md): open-iscsi installed (I1), `iscsid` running
//! (I2), initiator name configured (I3), `iscsi_tcp` loaded (I4), multipath not claiming iSCSI
//! disks (I5).

use super::{Family, Probe, ProbeContext, first_present, module_loaded};
use crate::agent::report::{Evidence, ProbeResult};

/// Where the CSI node plugins look for iscsiadm (ConfigMaps openebs-*-csi-iscsiadm).
const ISCSIADM: [&str; 6] = [
    "/sbin/iscsiadm",
    "/usr/sbin/iscsiadm",
    "/usr/local/sbin/iscsiadm",
    "/bin/iscsiadm",
    "/usr/bin/iscsiadm",
    "/usr/local/bin/iscsiadm",
];

/// Run the iSCSI probes.
pub fn run(ctx: &ProbeContext) -> Vec<ProbeResult> {
    vec![iscsiadm(ctx), initiator_name(ctx), iscsid(ctx), iscsi_tcp(ctx), multipath(ctx)]
}

fn iscsiadm(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Iscsi, "iscsiadm", "open-iscsi (iscsiadm) installed");
    match first_present(&ctx.host, &ISCSIADM) {
        (Some(path), evidence) => probe.pass(format!("iscsiadm found at {path}"), evidence),
        (None, evidence) => probe.fail(
            "open-iscsi is not installed: cStor/Jiva volumes cannot be mounted on this node",
            evidence,
            "Install open-iscsi (apt install open-iscsi / dnf install iscsi-initiator-utils) and enable iscsid.",
        ),
    }
}

fn initiator_name(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Iscsi, "initiator_name", "iSCSI initiator name configured");
    let file = "/etc/iscsi/initiatorname.iscsi";
    let fix = "Install open-iscsi and generate a name: echo \"InitiatorName=$(iscsi-iname)\" > /etc/iscsi/initiatorname.iscsi";
    match ctx.host.read(file) {
        Err(failure) => probe.error(&failure),
        Ok(None) => probe.fail(format!("{file} is absent"), vec![Evidence::new(file, "absent")], fix),
        Ok(Some(text)) => {
            let name = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.starts_with('#'))
                .find_map(|l| l.strip_prefix("InitiatorName="))
                .map(str::trim)
                .filter(|n| !n.is_empty());
            match name {
                Some(name) => probe
                    .pass(format!("initiator name {name}"), vec![Evidence::new(file, format!("InitiatorName={name}"))]),
                None => probe.fail(
                    format!("{file} has no InitiatorName"),
                    vec![Evidence::new(file, "no InitiatorName= line")],
                    fix,
                ),
            }
        }
    }
}

fn iscsid(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Iscsi, "iscsid_running", "iscsid running");
    match ctx.host.find_process("iscsid") {
        Err(failure) => probe.error(&failure),
        Ok(Some(pid)) => {
            probe.pass(format!("iscsid runs as pid {pid}"), vec![Evidence::new(format!("/proc/{pid}/comm"), "iscsid")])
        }
        Ok(None) => {
            // Socket activation starts iscsid on first use; that is acceptable but worth a note.
            let socket = "/etc/systemd/system/sockets.target.wants/iscsid.socket";
            if ctx.host.exists(socket) {
                probe.pass(
                    "iscsid is not running but socket-activated",
                    vec![Evidence::new("/proc/*/comm", "no iscsid"), Evidence::new(socket, "present")],
                )
            } else {
                probe.fail(
                    "iscsid is not running",
                    vec![Evidence::new("/proc/*/comm", "no iscsid")],
                    "systemctl enable --now iscsid",
                )
            }
        }
    }
}

fn iscsi_tcp(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Iscsi, "iscsi_tcp", "iscsi_tcp kernel module loaded");
    match module_loaded(&ctx.host, "iscsi_tcp") {
        Err(failure) => probe.error(&failure),
        Ok((true, evidence)) => probe.pass("iscsi_tcp is loaded", evidence),
        Ok((false, evidence)) => probe.fail(
            "iscsi_tcp is not loaded (\"iSCSI driver not found\")",
            evidence,
            "modprobe iscsi_tcp and persist it: echo iscsi_tcp > /etc/modules-load.d/iscsi.conf",
        ),
    }
}

/// What a multipath.conf says about claiming devices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct MultipathConf {
    /// `defaults { find_multipaths <value> }`.
    pub find_multipaths: Option<String>,
    /// Entries inside `blacklist { … }` (devnode, wwid, device sections, property).
    pub blacklist_entries: usize,
}

/// Parse the parts of multipath.conf that decide whether every SCSI disk is claimed.
pub(crate) fn parse_multipath_conf(text: &str) -> MultipathConf {
    let mut conf = MultipathConf::default();
    let mut stack: Vec<String> = Vec::new();
    for raw in text.lines() {
        let line = raw.split(['#', '!']).next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        if first == "}" {
            stack.pop();
            continue;
        }
        if line.ends_with('{') {
            if stack.first().is_some_and(|s| s == "blacklist") {
                conf.blacklist_entries += 1;
            }
            stack.push(first.to_string());
            continue;
        }
        match stack.first().map(String::as_str) {
            Some("defaults") if first == "find_multipaths" => {
                conf.find_multipaths = words.next().map(|v| v.trim_matches('"').to_string());
            }
            Some("blacklist") if stack.len() == 1 => conf.blacklist_entries += 1,
            _ => {}
        }
    }
    conf
}

fn multipath(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Iscsi, "multipath", "multipathd not claiming iSCSI disks");
    let file = "/etc/multipath.conf";
    let fix = "Add `find_multipaths yes` to the defaults section of /etc/multipath.conf or blacklist the iSCSI \
               devices (or disable multipathd if unused), then restart multipathd.";
    let text = match ctx.host.read(file) {
        Err(failure) => return probe.error(&failure),
        Ok(None) => {
            return probe
                .pass(format!("{file} is absent: multipathd is not configured"), vec![Evidence::new(file, "absent")]);
        }
        Ok(Some(text)) => text,
    };
    let conf = parse_multipath_conf(&text);
    let value = format!(
        "find_multipaths {}, {} blacklist entries",
        conf.find_multipaths.as_deref().unwrap_or("unset"),
        conf.blacklist_entries
    );
    let mut evidence = vec![Evidence::new(file, value)];
    let restrictive = conf.find_multipaths.as_deref().is_some_and(|v| matches!(v, "yes" | "on" | "smart" | "strict"));
    if restrictive || conf.blacklist_entries > 0 {
        return probe.pass("multipath.conf restricts which disks multipathd claims", evidence);
    }
    match ctx.host.find_process("multipathd") {
        Err(failure) => probe.error(&failure),
        Ok(Some(pid)) => {
            evidence.push(Evidence::new(format!("/proc/{pid}/comm"), "multipathd"));
            probe.fail(
                "multipathd runs with a multipath.conf that claims every SCSI disk, iSCSI volumes included",
                evidence,
                fix,
            )
        }
        Ok(None) => {
            evidence.push(Evidence::new("/proc/*/comm", "no multipathd"));
            probe.warn("multipath.conf would claim every SCSI disk if multipathd starts", evidence, fix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipath_conf_sections() {
        let permissive = "defaults {\n    user_friendly_names yes\n}\n";
        assert_eq!(parse_multipath_conf(permissive), MultipathConf::default());
        let finding = "defaults {\n  user_friendly_names yes\n  find_multipaths yes # only multi-path\n}\n";
        assert_eq!(parse_multipath_conf(finding).find_multipaths.as_deref(), Some("yes"));
        let blacklist = "blacklist {\n  devnode \"^sd[a-z]\"\n  device {\n    vendor \"IET\"\n  }\n}\n";
        assert_eq!(parse_multipath_conf(blacklist).blacklist_entries, 2);
        let exceptions_only = "blacklist_exceptions {\n  wwid \"abc\"\n}\n";
        assert_eq!(parse_multipath_conf(exceptions_only).blacklist_entries, 0);
    }
}

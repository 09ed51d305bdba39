//! Litmus probe (docs/node-probes.md, T1): the container runtime socket that chaos experiments use
//! (`SOCKET_PATH`) exists on the node and matches the runtime the Node reports.

use std::os::unix::fs::FileTypeExt;

use super::{Family, Probe, ProbeContext};
use crate::agent::report::{Evidence, ProbeResult};

/// Known runtime sockets and the runtime each belongs to.
pub(crate) const RUNTIME_SOCKETS: [(&str, &str); 5] = [
    ("/run/containerd/containerd.sock", "containerd"),
    ("/run/k3s/containerd/containerd.sock", "containerd"),
    ("/var/run/docker.sock", "docker"),
    ("/run/crio/crio.sock", "cri-o"),
    ("/var/run/crio/crio.sock", "cri-o"),
];

/// Run the Litmus probes.
pub fn run(ctx: &ProbeContext) -> Vec<ProbeResult> {
    vec![runtime_socket(ctx)]
}

fn describe(ctx: &ProbeContext, path: &str) -> Option<String> {
    let meta = std::fs::symlink_metadata(ctx.host.path(path)).ok()?;
    let kind = if meta.file_type().is_socket() {
        "socket"
    } else if meta.file_type().is_symlink() {
        "symlink"
    } else {
        "present (not a socket)"
    };
    Some(kind.to_string())
}

fn runtime_socket(ctx: &ProbeContext) -> ProbeResult {
    let probe = Probe::new(Family::Litmus, "runtime_socket", "Container runtime socket present");
    let node_runtime = ctx
        .node
        .as_ref()
        .and_then(|n| n.container_runtime_version.as_deref())
        .map(|v| v.split("://").next().unwrap_or(v).to_string());
    let mut evidence: Vec<Evidence> = RUNTIME_SOCKETS
        .iter()
        .map(|(path, _)| Evidence::new(*path, describe(ctx, path).unwrap_or_else(|| "absent".into())))
        .collect();
    if let Some(runtime) = &node_runtime {
        evidence.push(Evidence::new("Node status.nodeInfo.containerRuntimeVersion", runtime.clone()));
    }
    let fix = "Set the experiment's CONTAINER_RUNTIME and SOCKET_PATH to the node's runtime (containerd: \
               /run/containerd/containerd.sock, k3s: /run/k3s/containerd/containerd.sock, cri-o: \
               /run/crio/crio.sock, docker: /var/run/docker.sock) and pass the same path to --runtime-socket.";
    if let Some(configured) = &ctx.runtime_socket {
        return match describe(ctx, configured) {
            Some(kind) => {
                evidence.insert(0, Evidence::new(configured.clone(), kind));
                probe.pass(format!("configured runtime socket {configured} exists"), evidence)
            }
            None => {
                evidence.insert(0, Evidence::new(configured.clone(), "absent"));
                probe.fail(format!("configured runtime socket {configured} does not exist on this node"), evidence, fix)
            }
        };
    }
    let found: Vec<(&str, &str)> =
        RUNTIME_SOCKETS.iter().copied().filter(|(path, _)| describe(ctx, path).is_some()).collect();
    let Some((first_path, _)) = found.first() else {
        return probe.warn("no known container runtime socket found on this node", evidence, fix);
    };
    if let Some(runtime) = &node_runtime
        && !found.iter().any(|(_, r)| r == runtime)
    {
        return probe.warn(
            format!("the Node runs {runtime} but only sockets of another runtime exist ({first_path})"),
            evidence,
            fix,
        );
    }
    let paths: Vec<&str> = found.iter().map(|(p, _)| *p).collect();
    probe.pass(format!("runtime socket present: {}", paths.join(", ")), evidence)
}

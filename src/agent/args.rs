//! Command-line arguments of `mayadiag agent`.

use std::path::PathBuf;
use std::time::Duration;

use crate::units::parse_positive_duration;

/// Output format of `--once`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgentOutput {
    /// One line per probe, remediation under non-passing ones.
    Text,
    /// The NodeReport object as JSON.
    Json,
}

/// `mayadiag agent`: node pre-flight probes, published as a NodeReport, Events and /metrics.
#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// Name of this node (the DaemonSet sets NODE_NAME from spec.nodeName). Defaults to the host's hostname.
    #[arg(long, env = "NODE_NAME")]
    pub node_name: Option<String>,
    /// Where the host's root filesystem is mounted.
    #[arg(long, default_value = "/host")]
    pub host_root: PathBuf,
    /// Time between probe rounds (e.g. 30s, 5m, 1h).
    #[arg(long, default_value = "5m", value_parser = parse_positive_duration)]
    pub interval: Duration,
    /// Probe families to run (common,hostpath,lvm,zfs,mayastor,iscsi,ndm,litmus or all) instead of detecting them.
    #[arg(long, value_delimiter = ',')]
    pub probes: Option<Vec<String>>,
    /// Run the probes once, print the results and exit (0 pass, 3 a probe failed, 4 only warnings).
    #[arg(long)]
    pub once: bool,
    /// Output format for --once (`--output` is the old spelling, kept for one release).
    #[arg(short = 'o', long = "format", alias = "output", value_enum, default_value = "text")]
    pub output: AgentOutput,
    /// Address of the /metrics, /healthz and /readyz server.
    #[arg(long, default_value = "0.0.0.0:9808")]
    pub listen: String,
    /// Publish the NodeReport and Events to the API server (default on, off with --once).
    #[arg(long, overrides_with = "no_publish")]
    pub publish: bool,
    /// Do not talk to the API server.
    #[arg(long, overrides_with = "publish")]
    pub no_publish: bool,
    /// Kubeconfig file (default: in-cluster service account, then $KUBECONFIG / ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context.
    #[arg(long)]
    pub context: Option<String>,
    /// Container runtime socket used by Litmus experiments (SOCKET_PATH), as a host path.
    #[arg(long, env = "RUNTIME_SOCKET")]
    pub runtime_socket: Option<String>,
    /// Kubelet root directory on the host.
    #[arg(long, default_value = "/var/lib/kubelet")]
    pub kubelet_dir: String,
    /// LocalPV hostpath BasePath on the host.
    #[arg(long, default_value = "/var/openebs/local")]
    pub hostpath_base: String,
    /// Print the NodeReport CustomResourceDefinition YAML and exit.
    #[arg(long)]
    pub print_crd: bool,
}

impl AgentArgs {
    /// Whether to publish: explicit flags win; otherwise on in DaemonSet mode, off with --once.
    pub fn publish_enabled(&self) -> bool {
        if self.no_publish {
            false
        } else if self.publish {
            true
        } else {
            !self.once
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_positive_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_positive_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_positive_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_positive_duration("0s").is_err());
        assert!(parse_positive_duration("m").is_err());
    }
}

//! `mayadiag check`.

use std::sync::Arc;

use super::shared::{
    connect, fail_on, load_checks, print_analysis, redactor_from, severity_input, warn_unknown_coverage,
};
use crate::cli::CheckArgs;
use crate::collect::{CollectOptions, NoProgress, collect};
use crate::failure::Failure;
use crate::report::analyze;

/// `mayadiag check`: a fast live check (objects, events, log tails of unhealthy pods only).
pub async fn run(args: CheckArgs) -> Result<i32, Failure> {
    let set = load_checks(&args.check)?;
    let patterns = Arc::new(set.log_patterns());
    let redactor = Arc::new(redactor_from(&Default::default(), false, Vec::new())?);
    let target = connect(&args.kube, args.demo, args.concurrency as usize).await?;
    let version = target.kube.version().await.map_err(Failure::runtime)?;
    let opts = CollectOptions {
        since: std::time::Duration::from_secs(6 * 3600),
        max_log_bytes: 256 * 1024,
        max_bundle_size: u64::MAX,
        // The tails of unhealthy application pods on OpenEBS volumes (and chaos targets) too: their
        // last error lines say whether the volume or the application is at fault.
        app_logs: !args.no_log_tails,
        concurrency: args.concurrency as usize,
        tails_only: Some(200),
        logs: !args.no_log_tails,
        page_size: 500,
        args: Vec::new(),
        redaction_disabled_by_user: false,
        namespaces: args.namespaces.clone(),
        pseudonymize_paths: false,
    };
    let collected =
        collect(&target.kube, &opts, redactor, patterns, None, &NoProgress, version).await.map_err(Failure::runtime)?;
    let analysis = analyze(&set, &collected.snapshot, &severity_input(&args.check, args.description.as_ref()));
    print_analysis(&analysis, args.format, None);
    warn_unknown_coverage(&analysis, args.format);
    Ok(analysis.exit_code(fail_on(args.fail_on)))
}

//! `mayadiag report BUNDLE`: the HTML page of a bundle, beside it or at `-o FILE`.

use std::path::{Path, PathBuf};

use super::shared::{human_bytes, load_checks};
use crate::cli::ReportArgs;
use crate::failure::Failure;
use crate::html::{HtmlError, ReportInput, read_facts, render};

/// Default output: `<bundle stem>.report.html` beside the bundle.
fn default_output(bundle: &Path) -> PathBuf {
    let name = bundle.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "bundle".into());
    let stem = name.trim_end_matches('/').trim_end_matches(".tar.gz").trim_end_matches(".tgz");
    bundle.with_file_name(format!("{stem}.report.html"))
}

/// `mayadiag report BUNDLE [-o FILE] [--open]`.
pub async fn run(args: ReportArgs) -> Result<i32, Failure> {
    let set = load_checks(&args.check)?;
    let patterns = set.log_patterns();
    let path = args.bundle.clone();
    let (snap, facts) = tokio::task::spawn_blocking(move || {
        let snap = crate::bundle::read_bundle(&path, &patterns)?;
        let facts = read_facts(&path)?;
        Ok::<_, crate::bundle::BundleError>((snap, facts))
    })
    .await
    .map_err(Failure::runtime)?
    .map_err(Failure::runtime)?;
    let description = args.description.clone().or_else(|| facts.arg_value("--description"));
    let sev = args.check.sev.or_else(|| facts.arg_value("--sev").and_then(|v| v.parse().ok()));
    let input = crate::severity::SeverityInput { description: description.clone(), sev_override: sev };
    let analysis = crate::report::analyze(&set, &snap, &input);
    let name = args.bundle.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let started = std::time::Instant::now();
    let html = render(&ReportInput {
        analysis: &analysis,
        snapshot: &snap,
        facts: &facts,
        description: description.as_deref(),
        bundle_name: &name,
    });
    let output = args.output.clone().unwrap_or_else(|| default_output(&args.bundle));
    std::fs::write(&output, html.as_bytes())
        .map_err(|source| Failure::runtime(HtmlError::Write { path: output.clone(), source }))?;
    println!(
        "report: {} ({}, page built in {:.2} s)",
        output.display(),
        human_bytes(html.len() as u64),
        started.elapsed().as_secs_f64()
    );
    if args.open {
        open_in_browser(&output);
    }
    Ok(crate::exit::OK)
}

/// Open the page with the desktop's opener; a missing opener is a note, not an error.
fn open_in_browser(page: &Path) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    match std::process::Command::new(opener).arg(page).status() {
        Ok(s) if s.success() => {}
        _ => eprintln!("mayadiag: could not run {opener}; open {} in a browser", page.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_output_sits_beside_the_bundle() {
        assert_eq!(default_output(Path::new("/tmp/b.tar.gz")), PathBuf::from("/tmp/b.report.html"));
        assert_eq!(default_output(Path::new("/tmp/dir")), PathBuf::from("/tmp/dir.report.html"));
    }
}

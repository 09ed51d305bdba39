//! `mayadiag redact INPUT`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::shared::{first_member, human_bytes, output_failure, redactor_from};
use crate::bundle::{Destination, PartialFile};
use crate::cli::RedactArgs;
use crate::exit;
use crate::failure::Failure;
use crate::redact::{RedactionReport, Redactor, dropped_file_note};

/// `mayadiag redact INPUT`: a text file or stdin to stdout/`--output`, or a bundle into a new bundle.
pub async fn run(args: RedactArgs) -> Result<i32, Failure> {
    let input = args.input.clone();
    let is_bundle =
        input.is_dir() || input.to_string_lossy().ends_with(".tar.gz") || input.to_string_lossy().ends_with(".tgz");
    // With --redact-hostnames, a bundle names its nodes in nodes.json; a text file has no such list.
    let hostnames = if args.redact.redact_hostnames && is_bundle {
        first_member(&input, "cluster-resources/nodes.json")
            .map(|data| crate::collect::hostnames::of_nodes_file(&data))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    if args.redact.redact_hostnames && hostnames.is_empty() {
        eprintln!(
            "mayadiag: warning: --redact-hostnames found no node names ({}); host names are left as they are",
            if is_bundle { "the bundle has no cluster-resources/nodes.json" } else { "only bundles list their nodes" }
        );
    }
    let redactor = redactor_from(&args.redact, false, hostnames)?;
    let output = args.output.clone().or(args.legacy_output.clone());
    let pseudonymize_paths = args.redact.redact_hostnames;
    let force = args.force;
    tokio::task::spawn_blocking(move || {
        if is_bundle {
            redact_bundle(&redactor, &input, output, force, pseudonymize_paths)
        } else {
            redact_stream(&redactor, &input, output.as_deref(), force)
        }
    })
    .await
    .map_err(Failure::runtime)?
}

fn redact_stream(redactor: &Redactor, input: &Path, output: Option<&Path>, force: bool) -> Result<i32, Failure> {
    let name = input.display().to_string();
    let mut reader: Box<dyn Read> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(input).map_err(|e| Failure::runtime(format!("cannot read {name}: {e}")))?)
    };
    // A file is written through a partial file and renamed into place when complete.
    let mut partial = match output.map(Destination::from_arg) {
        Some(Destination::File(p)) => Some(PartialFile::create(&p, force).map_err(output_failure)?),
        _ => None,
    };
    let mut stdout = std::io::stdout().lock();
    let writer: &mut dyn Write = match partial.as_mut() {
        Some(f) => f,
        None => &mut stdout,
    };
    let mut stream = redactor.stream(&name);
    let mut report = RedactionReport::default();
    let mut buf = vec![0u8; 256 * 1024];
    let mut out = Vec::new();
    loop {
        let n = reader.read(&mut buf).map_err(|e| Failure::runtime(format!("cannot read {name}: {e}")))?;
        if n == 0 {
            break;
        }
        stream.push(&buf[..n], &mut out).map_err(Failure::runtime)?;
        writer.write_all(&out).map_err(|e| Failure::runtime(format!("cannot write: {e}")))?;
        out.clear();
    }
    stream.finish(&mut out, &mut report).map_err(Failure::runtime)?;
    writer.write_all(&out).and_then(|_| writer.flush()).map_err(|e| Failure::runtime(format!("cannot write: {e}")))?;
    if let Some(file) = partial {
        let target = output.map(|p| p.display().to_string()).unwrap_or_default();
        file.commit().map_err(|e| Failure::runtime(format!("cannot write {target}: {e}")))?;
    }
    eprintln!("mayadiag: {} value(s) redacted", report.total());
    Ok(exit::OK)
}

/// Re-redact every file of a bundle into a new bundle (e.g. with new rules); files that fail
/// are replaced by a note (fail closed). The manifest gets the new checksums.
fn redact_bundle(
    redactor: &Redactor,
    input: &Path,
    output: Option<PathBuf>,
    force: bool,
    pseudonymize_paths: bool,
) -> Result<i32, Failure> {
    use crate::bundle::layout::{self, Entry};
    let stem = input
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".tar.gz").trim_end_matches(".tgz").to_string())
        .unwrap_or_else(|| "bundle".into());
    let output = output.unwrap_or_else(|| input.with_file_name(format!("{stem}.redacted.tar.gz")));
    let top = format!("{stem}-redacted");
    let mtime = chrono::Utc::now().timestamp().max(0) as u64;
    let destination = Destination::from_arg(&output);
    let mut writer =
        crate::bundle::BundleWriter::create(&destination, force, &top, mtime, 6).map_err(output_failure)?;
    let mut report = RedactionReport::default();
    let mut manifest: Option<Value> = None;
    crate::bundle::visit_bundle(input, |rel, data| {
        if rel == "mayadiag/manifest.json" {
            manifest = serde_json::from_slice(&data).ok();
            return Ok(());
        }
        if rel == "mayadiag/redaction-report.json" {
            return Ok(());
        }
        // With --redact-hostnames, paths carry node names too (node-reports/<node>.json).
        let renamed = match pseudonymize_paths {
            true => redactor.redact_text(rel, "bundle paths", &mut RedactionReport::default()).ok(),
            false => None,
        };
        let rel = renamed.as_deref().unwrap_or(rel);
        let redacted: Result<Vec<u8>, String> = match layout::classify(rel) {
            Entry::Builtin { .. } | Entry::Custom { yaml: false, .. } | Entry::NodeReport { .. } => {
                redact_json(redactor, rel, &data, &mut report)
            }
            _ => {
                let mut out = Vec::new();
                let mut s = redactor.stream(rel);
                s.push(&data, &mut out)
                    .and_then(|_| s.finish(&mut out, &mut report))
                    .map(|_| out)
                    .map_err(|e| e.to_string())
            }
        };
        let bytes = match redacted {
            Ok(b) => b,
            Err(reason) => {
                report.record_dropped(rel, &reason);
                dropped_file_note(rel, &reason).into_bytes()
            }
        };
        writer.add(rel, &bytes)
    })
    .map_err(Failure::runtime)?;
    // A rule that could not be applied is a failed redaction, not a note in a bundle that looks
    // done: nothing is written (dropping the writer removes the partial file).
    if let Some(first) = report.dropped().first() {
        return Err(Failure::runtime(format!(
            "could not apply the redaction rules to {} file(s) (first: {}); no redacted bundle was written",
            report.dropped().len(),
            format_args!("{}: {}", first.file, first.reason)
        )));
    }
    writer
        .add("mayadiag/redaction-report.json", &serde_json::to_vec_pretty(&report).unwrap_or_default())
        .map_err(Failure::runtime)?;
    let mut m = manifest.unwrap_or_else(|| serde_json::json!({"tool": "mayadiag"}));
    m["files"] = serde_json::to_value(writer.files()).unwrap_or(Value::Null);
    m["redaction"]["rerun"] = serde_json::json!({"total": report.total(), "per_rule": report.per_rule()});
    writer
        .add("mayadiag/manifest.json", &serde_json::to_vec_pretty(&m).unwrap_or_default())
        .map_err(Failure::runtime)?;
    let size = writer.finish().map_err(Failure::runtime)?;
    // With `-o -` the bundle is on stdout; the summary goes to stderr.
    let summary = format!(
        "redacted bundle: {} ({}); {} value(s) redacted",
        destination.display(),
        human_bytes(size),
        report.total()
    );
    if destination.is_stdout() {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    Ok(exit::OK)
}

fn redact_json(redactor: &Redactor, rel: &str, data: &[u8], report: &mut RedactionReport) -> Result<Vec<u8>, String> {
    let mut v: Value = serde_json::from_slice(data).map_err(|e| format!("not JSON: {e}"))?;
    match &mut v {
        Value::Array(items) => {
            for i in items.iter_mut() {
                redactor.redact_object(i, rel, report).map_err(|e| e.to_string())?;
            }
        }
        Value::Object(map) if map.contains_key("items") => {
            if let Some(Value::Array(items)) = map.get_mut("items") {
                for i in items.iter_mut() {
                    redactor.redact_object(i, rel, report).map_err(|e| e.to_string())?;
                }
            }
        }
        other => redactor.redact_object(other, rel, report).map_err(|e| e.to_string())?,
    }
    serde_json::to_vec_pretty(&v).map_err(|e| e.to_string())
}

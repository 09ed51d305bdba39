//! `mayadiag completions SHELL` and `mayadiag man`.

use crate::exit;
use crate::failure::Failure;

/// `mayadiag completions bash|zsh|fish|powershell`.
pub fn completions(args: crate::cli::CompletionsArgs) -> Result<i32, Failure> {
    crate::introspect::completions(args.shell, &mut std::io::stdout().lock());
    Ok(exit::OK)
}

/// `mayadiag man [--output DIR]`.
pub fn man(args: crate::cli::ManArgs) -> Result<i32, Failure> {
    match &args.output {
        Some(dir) => crate::introspect::man_pages_to(dir)
            .map_err(|e| Failure::runtime(format!("cannot write man pages into {}: {e}", dir.display())))?,
        None => crate::introspect::man_page(&mut std::io::stdout().lock())
            .map_err(|e| Failure::runtime(format!("cannot write the man page: {e}")))?,
    }
    Ok(exit::OK)
}

//! `mayadiag serve` as a command: start, print where, write the kubeconfig, wait for Ctrl-C.

use crate::cli::ServeArgs;
use crate::exit;
use crate::failure::Failure;

use crate::serve::{KubeconfigAuth, ServeOptions, start_with};

/// Run `mayadiag serve`.
pub async fn run(args: ServeArgs) -> Result<i32, Failure> {
    let opts = ServeOptions {
        bundle: args.bundle.clone(),
        port: args.port,
        tls: args.tls,
        latency: args.latency,
        faults: args.inject_faults.clone(),
        accept_writes: args.accept_writes,
    };
    let handle = start_with(&opts, args.read.limits()).await.map_err(|e| match e {
        crate::serve::ServeError::Faults(_) => Failure::usage(e),
        other => Failure::runtime(other),
    })?;
    // The kubeconfig is written before the `serving` line: a client that waits for that line
    // (tests, scripts) can use the kubeconfig at once.
    if let Some(path) = &args.write_kubeconfig {
        let auth = if args.client_cert { KubeconfigAuth::ClientCert } else { KubeconfigAuth::Token };
        handle.write_kubeconfig(path, "mayadiag-bundle", auth).map_err(Failure::runtime)?;
    }
    println!("serving {} on {}", crate::term::escape_line(&args.bundle.display().to_string()), handle.url);
    if let Some(path) = &args.write_kubeconfig {
        println!("kubeconfig written to {}; try: kubectl --kubeconfig {} get pods -A", path.display(), path.display());
    } else {
        println!("no --write-kubeconfig given; point kubectl at it with: kubectl --server {} get pods -A", handle.url);
    }
    if handle.token.is_some() {
        let credentials = if args.client_cert { "client certificate" } else { "bearer token" };
        println!("TLS on; the {credentials} and CA are in the kubeconfig");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    wait_for_shutdown().await;
    handle.stop().await;
    Ok(exit::OK)
}

/// Ctrl-C or SIGTERM.
pub async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Ctrl-C, registered when created: a signal that arrives before anyone waits is not lost to the
/// default action (which would kill the process and leave a partial bundle behind).
pub struct Interrupt {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Interrupt {
    /// Start catching SIGINT now.
    pub fn catch() -> Interrupt {
        #[cfg(unix)]
        {
            Interrupt { signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok() }
        }
        #[cfg(not(unix))]
        {
            Interrupt {}
        }
    }

    /// Wait for the signal.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            match &mut self.signal {
                Some(s) => {
                    s.recv().await;
                }
                None => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

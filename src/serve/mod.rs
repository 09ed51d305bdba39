//! `mayadiag serve`: a bundle served as a read-only Kubernetes API on 127.0.0.1, so `kubectl get`,
//! `describe` and `logs` work offline, and so `collect` can be tested (and demonstrated) against a
//! real HTTP(S) API server without a cluster.

pub mod api;
pub mod faults;
pub mod selector;
pub mod store;
pub mod table;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use base64::Engine as _;
use tokio::sync::{RwLock, oneshot};

use api::ApiState;
use faults::Faults;
use store::Store;

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The bundle could not be loaded.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// The port is taken or not allowed.
    #[error("cannot listen on {addr}: {source} (pick another --port, or 0 for any free port)")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// TLS setup failed.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// The fault file is bad.
    #[error("bad --inject-faults file: {0}")]
    Faults(String),
    /// The kubeconfig could not be written.
    #[error("cannot write kubeconfig {}: {source}", path.display())]
    Kubeconfig {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The bundle (tar.gz or directory).
    pub bundle: PathBuf,
    /// Port, 0 for an ephemeral one.
    pub port: u16,
    /// Serve HTTPS with a generated certificate and require a generated bearer token.
    pub tls: bool,
    /// Added latency per request (simulates a remote API server).
    pub latency: Duration,
    /// Fault rules (tests).
    pub faults: Option<PathBuf>,
    /// Accept writes into memory (tests of the agent).
    pub accept_writes: bool,
}

/// A running server.
pub struct ServerHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http(s)://127.0.0.1:port`.
    pub url: String,
    /// Bearer token (TLS mode).
    pub token: Option<String>,
    /// CA certificate PEM (TLS mode).
    pub ca_pem: Option<String>,
    /// A client certificate and its key (PEM) signed by the CA (TLS mode): the server accepts it
    /// in place of the bearer token.
    pub client_cert: Option<ClientCert>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// PEM of a client certificate and its private key.
#[derive(Clone)]
pub struct ClientCert {
    /// The certificate.
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
}

impl std::fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCert").field("key_pem", &"**REDACTED**").finish_non_exhaustive()
    }
}

/// The credentials a written kubeconfig carries (TLS mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeconfigAuth {
    /// The bearer token.
    Token,
    /// The client certificate and key.
    ClientCert,
}

impl ServerHandle {
    /// A kubeconfig that points kubectl (or `collect`) at this server, with the bearer token.
    pub fn kubeconfig(&self, name: &str) -> String {
        self.kubeconfig_with(name, KubeconfigAuth::Token)
    }

    /// A kubeconfig with the chosen credentials.
    pub fn kubeconfig_with(&self, name: &str, auth: KubeconfigAuth) -> String {
        let mut cluster = format!("    server: {}\n", self.url);
        if let Some(ca) = &self.ca_pem {
            cluster.push_str(&format!(
                "    certificate-authority-data: {}\n",
                base64::engine::general_purpose::STANDARD.encode(ca.as_bytes())
            ));
        }
        let b64 = |pem: &str| base64::engine::general_purpose::STANDARD.encode(pem.as_bytes());
        let user = match (&self.token, &self.client_cert, auth) {
            (_, Some(c), KubeconfigAuth::ClientCert) => format!(
                "  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
                b64(&c.cert_pem),
                b64(&c.key_pem)
            ),
            (Some(t), _, _) => format!("  user:\n    token: {t}\n"),
            _ => "  user: {}\n".to_string(),
        };
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n{cluster}contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: default\ncurrent-context: {name}\nusers:\n- name: {name}\n{user}"
        )
    }

    /// Write the kubeconfig with owner-only permissions (it may hold a token or a key).
    pub fn write_kubeconfig(&self, path: &Path, name: &str, auth: KubeconfigAuth) -> Result<(), ServeError> {
        let err = |source| ServeError::Kubeconfig { path: path.to_path_buf(), source };
        std::fs::write(path, self.kubeconfig_with(name, auth)).map_err(err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
        }
        Ok(())
    }

    /// Stop serving and wait for the server task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Load the bundle and start serving in the background (default read limits).
pub async fn start(opts: &ServeOptions) -> Result<ServerHandle, ServeError> {
    start_with(opts, crate::bundle::ReadLimits::default()).await
}

/// [`start`] within explicit read limits; what a limit kept out is said on stderr.
pub async fn start_with(opts: &ServeOptions, limits: crate::bundle::ReadLimits) -> Result<ServerHandle, ServeError> {
    let bundle = opts.bundle.clone();
    let mut store = tokio::task::spawn_blocking(move || Store::load_with(&bundle, limits))
        .await
        .map_err(|e| ServeError::Tls(format!("loader task failed: {e}")))??;
    for gap in &store.limit_gaps {
        eprintln!("mayadiag: {}: {}", gap.what, gap.reason);
    }
    if opts.accept_writes {
        store.ensure_resource(store::node_report_info());
    }
    let faults = match &opts.faults {
        Some(p) => Faults::load(p).map_err(ServeError::Faults)?,
        None => Faults::default(),
    };
    let token = opts.tls.then(|| format!("{:032x}", rand::random::<u128>()));
    let state = Arc::new(ApiState {
        store: RwLock::new(store),
        token: token.clone(),
        latency: opts.latency,
        faults,
        accept_writes: opts.accept_writes,
    });
    let app = Router::new().fallback(api::handle).with_state(state);
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), opts.port);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| ServeError::Bind { addr, source })?;
    let (tx, rx) = oneshot::channel::<()>();
    let (url, ca_pem, client_cert, task) = if opts.tls {
        let (acceptor, ca_pem, client_cert) = tls_acceptor()?;
        let task = tokio::spawn(serve_tls(listener, acceptor, app, rx));
        (format!("https://127.0.0.1:{}", local.port()), Some(ca_pem), Some(client_cert), task)
    } else {
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        (format!("http://127.0.0.1:{}", local.port()), None, None, task)
    };
    Ok(ServerHandle { addr: local, url, token, ca_pem, client_cert, shutdown: Some(tx), task })
}

/// A fresh CA, a server certificate for 127.0.0.1/localhost and a client certificate, both signed
/// by it. Clients may present the client certificate (verified against the CA) or not (then the
/// bearer token is required, see `api::handle`).
fn tls_acceptor() -> Result<(tokio_rustls::TlsAcceptor, String, ClientCert), ServeError> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let e = |e: rcgen::Error| ServeError::Tls(e.to_string());
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "mayadiag serve CA");
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(e)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(e)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).map_err(e)?;
    leaf.distinguished_name.push(DnType::CommonName, "mayadiag serve");
    leaf.use_authority_key_identifier_extension = true;
    let leaf_key = KeyPair::generate().map_err(e)?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(e)?;
    let mut client = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    client.distinguished_name.push(DnType::CommonName, "mayadiag-support");
    client.distinguished_name.push(DnType::OrganizationName, "system:masters");
    client.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    client.use_authority_key_identifier_extension = true;
    let client_key = KeyPair::generate().map_err(e)?;
    let client_cert = client.signed_by(&client_key, &issuer).map_err(e)?;
    let client_cert = ClientCert { cert_pem: client_cert.pem(), key_pem: client_key.serialize_pem() };

    let tls_err = |e: &dyn std::fmt::Display| ServeError::Tls(e.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_cert.der().clone()).map_err(|e| tls_err(&e))?;
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| tls_err(&e))?;
    let certs = vec![leaf_cert.der().clone()];
    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(|e| tls_err(&e))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(&e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| tls_err(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((tokio_rustls::TlsAcceptor::from(Arc::new(config)), ca_cert.pem(), client_cert))
}

async fn serve_tls(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: Router,
    mut rx: oneshot::Receiver<()>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::service::TowerToHyperService;
    loop {
        let accepted = tokio::select! {
            _ = &mut rx => return,
            a = listener.accept() => a,
        };
        let Ok((tcp, _)) = accepted else { continue };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            // rustls has verified a presented certificate against the CA; mark the connection's
            // requests so the token check lets them through.
            let verified = tls.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
            let app = tower::ServiceExt::map_request(app, move |mut req: http::Request<_>| {
                if verified {
                    req.extensions_mut().insert(api::ClientCertVerified);
                }
                req
            });
            let service = TowerToHyperService::new(app);
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .http1_only()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

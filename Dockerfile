# Small static image of mayadiag (the node agent DaemonSet and the in-cluster collect Job).
#   docker build -t ghcr.io/mayadiag/mayadiag:0.1.0 .
# Stage 1 builds a fully static musl binary (rustls + ring, no OpenSSL); stage 2 is distroless
# static (no shell, no package manager, CA certificates included, nonroot user 65532).
# The DaemonSet overrides the user to 0 for the reasons documented in manifests/daemonset.yaml.

FROM docker.io/library/rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
# build.rs embeds tests/fixtures/clusters/demo and the checks/ catalogue, so they are part of the
# build context (see .dockerignore for what is left out).
COPY . .
ENV CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_PROFILE_RELEASE_LTO=thin \
    CC_x86_64_unknown_linux_musl=musl-gcc
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin mayadiag \
 && cp target/x86_64-unknown-linux-musl/release/mayadiag /mayadiag

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="mayadiag" \
      org.opencontainers.image.description="Diagnostics for OpenEBS and Litmus: collect, analyze, node agent"
COPY --from=build /mayadiag /usr/local/bin/mayadiag
USER 65532:65532
EXPOSE 9808
ENTRYPOINT ["/usr/local/bin/mayadiag"]
CMD ["agent"]

#!/usr/bin/env bash
# Validate manifests/ : strict schema validation with kubernetes-validate and a checkov scan with
# no failed checks (each skip is documented in the manifest as a checkov.io/skipN annotation).
# Installs nothing: CI (.ci/run) provides `kubernetes-validate` and `checkov` from pip.
set -euo pipefail

cd "$(dirname "$0")/.."
manifests=manifests

for tool in kubernetes-validate checkov; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "validate_manifests: $tool not found (pip install kubernetes-validate checkov)" >&2
    exit 2
  fi
done

# Every Kubernetes object file; kustomization.yaml is kustomize input, not an API object. The
# only custom-resource-related file is the NodeReport CRD itself (a built-in kind), so strict
# validation needs no extra CRD schemas.
files=()
for f in "$manifests"/*.yaml; do
  [ "$(basename "$f")" = kustomization.yaml ] && continue
  files+=("$f")
done
if [ "${#files[@]}" -eq 0 ]; then
  echo "validate_manifests: no manifests in $manifests" >&2
  exit 1
fi

echo "== kubernetes-validate --strict (${#files[@]} files)"
kubernetes-validate --strict --quiet "${files[@]}"

# Every file must be listed in kustomization.yaml, except the on-demand collect Job.
for f in "${files[@]}"; do
  name=$(basename "$f")
  [ "$name" = job-collect.yaml ] && continue
  if ! grep -qE "^\s*-\s*${name}\s*$" "$manifests/kustomization.yaml"; then
    echo "validate_manifests: $name is not listed in $manifests/kustomization.yaml" >&2
    exit 1
  fi
done

echo "== checkov (kubernetes)"
# --skip-download: no Prisma Cloud access in CI; the built-in checks are used offline.
checkov -d "$manifests" --framework kubernetes --quiet --compact --skip-download

echo "validate_manifests: ok"

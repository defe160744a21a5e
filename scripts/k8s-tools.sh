#!/usr/bin/env bash
# Installs what the manifest test (crates/simpleorder/tests/it/manifests.rs) needs to check
# deploy/k8s: `kubectl` (its built-in kustomize renders the manifests) and the PyPI package
# kubernetes-validate, pinned, in a virtualenv under .local/k8s-venv. The package ships the
# Kubernetes JSON schemas (1.25 to 1.37) inside it, so validating needs no network; installing it
# needs only PyPI. Running it again reuses the virtualenv.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VALIDATE_VERSION="1.37.0"
VENV="$SO_LOCAL/k8s-venv"

command -v kubectl >/dev/null ||
    die "the manifest test needs kubectl (1.14 or newer, for \`kubectl kustomize\`); install it from your distribution"

if [[ "$("$VENV/bin/kubernetes-validate" --version 2>/dev/null)" != *"$VALIDATE_VERSION"* ]]; then
    command -v python3 >/dev/null || die "the manifest test needs python3 (with venv) for kubernetes-validate"
    log "k8s: installing kubernetes-validate $VALIDATE_VERSION into $VENV"
    rm -rf "$VENV"
    mkdir -p "$SO_LOCAL"
    python3 -m venv "$VENV" ||
        die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VALIDATE_VERSION"
fi
log "k8s: kubectl and kubernetes-validate $VALIDATE_VERSION ready"

#!/usr/bin/env bash
# Installs what the manifest test (crates/simpleorder/tests/it/manifests.rs) needs to check
# deploy/k8s: `kubectl` (its built-in kustomize renders the manifests) and the PyPI package
# kubernetes-validate, pinned, in a virtualenv. The package ships the Kubernetes JSON schemas (1.25
# to 1.37) inside it, so validating needs no network; installing it needs only PyPI. The virtualenv
# is made once per user, in ~/.cache/simpleorder/k8s-venv-<version> (scripts/lib.sh's SO_TOOLS),
# and .local/k8s-venv, where the test looks, points to it: a fresh clone reuses it.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VALIDATE_VERSION="1.37.0"
VENV="$SO_TOOLS/k8s-venv-$VALIDATE_VERSION"
LINK="$SO_LOCAL/k8s-venv"

command -v kubectl >/dev/null ||
    die "the manifest test needs kubectl (1.14 or newer, for \`kubectl kustomize\`); install it from your distribution"

# A virtualenv breaks when the Python it was made with is gone (an upgrade): then it is made again.
venv_ready() {
    [[ "$("$VENV/bin/kubernetes-validate" --version 2>/dev/null)" == *"$VALIDATE_VERSION"* ]]
}

if ! venv_ready; then
    lock_tool "k8s-venv-$VALIDATE_VERSION"
    if ! venv_ready; then
        command -v python3 >/dev/null || die "the manifest test needs python3 (with venv) for kubernetes-validate"
        log "k8s: installing kubernetes-validate $VALIDATE_VERSION into $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV" ||
            die "python3 -m venv failed (Debian: apt-get install python3-venv)"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VALIDATE_VERSION"
    fi
fi
mkdir -p "$SO_LOCAL"
# A clone from before the virtualenv moved out of .local/ has its own there.
[[ -L "$LINK" || ! -e "$LINK" ]] || rm -rf "$LINK"
ln -sfn "$VENV" "$LINK"
log "k8s: kubectl and kubernetes-validate $VALIDATE_VERSION ready"

#!/usr/bin/env bash
# npm run deploy:check — builds every kustomize overlay and validates each manifest offline against
# the Kubernetes schemas (kubernetes-validate ships them inside its PyPI package), then checks the
# manifests against what TIKETI itself expects (deploy/scripts/policy.ts). Tools it lacks it
# installs under .tools/ (git-ignored): kustomize with `go install`, kubernetes-validate in a venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
KUSTOMIZE_VERSION=v5.8.0        # v5.8.3 needs Go 1.27; the machines have 1.26
K8S_VALIDATE_VERSION=1.37.0
K8S_VERSION=${K8S_VERSION:-1.33.0}
tools="$PWD/.tools"
mkdir -p "$tools/bin" "$tools/out"

kustomize=$(command -v kustomize || true)
if [ -z "$kustomize" ]; then
  kustomize="$tools/bin/kustomize"
  if [ ! -x "$kustomize" ]; then
    command -v go >/dev/null || { echo "deploy:check needs kustomize or Go (to install it)"; exit 1; }
    echo "installing kustomize $KUSTOMIZE_VERSION into .tools/bin"
    GOBIN="$tools/bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  fi
fi

validate="$tools/venv/bin/kubernetes-validate"
if [ ! -x "$validate" ]; then
  echo "installing kubernetes-validate $K8S_VALIDATE_VERSION into .tools/venv"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$K8S_VALIDATE_VERSION"
fi

built=()
for overlay in deploy/k8s/overlays/*/; do
  name=$(basename "$overlay")
  out="$tools/out/$name.yaml"
  "$kustomize" build "$overlay" > "$out"
  built+=("$out")
  echo "built overlay $name: $(grep -c '^kind:' "$out") resources"
done
# Templates operators fill in by hand are validated too.
"$validate" --strict --quiet -k "$K8S_VERSION" "${built[@]}" deploy/k8s/overlays/production/secret.template.yaml
echo "kubernetes-validate --strict (Kubernetes $K8S_VERSION): every manifest valid"
npx tsx deploy/scripts/policy.ts "${built[@]}"

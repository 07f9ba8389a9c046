#!/usr/bin/env bash
# The GitHub Actions workflows (.github/workflows/), offline, by linters we did not write, pinned
# in requirements-lint.txt:
#   1. check-jsonschema --builtin-schema vendor.github-workflows   GitHub's workflow schema
#   2. zizmor --offline                                            their security (permissions,
#                                                                  credentials, injection, pins)
#   3. shellcheck on each `run:` block (scripts/workflow-run-blocks.py writes them out)
# Any finding fails the run. One we accept is waived where it is, with its reason: a
# `# zizmor: ignore[AUDIT]` comment on the line, a `# shellcheck disable=SC…` line in the block.
# Run by `make lint`. tests/infra/test_workflow.py holds the rest (triggers, permissions, pins).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "lint-workflows.sh: FAIL: $*" >&2; exit 1; }

for tool in check-jsonschema zizmor shellcheck python; do
  [[ -x .venv/bin/$tool ]] || die ".venv/bin/$tool missing: run scripts/setup-python.sh (make setup)"
done
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
[[ ${#workflows[@]} -gt 0 ]] || die "no workflow in .github/workflows/"

echo "lint-workflows.sh: check-jsonschema (vendor.github-workflows) on ${workflows[*]}"
.venv/bin/check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}" \
  || die "not a valid workflow (above)"

echo "lint-workflows.sh: $(.venv/bin/zizmor --version) --offline"
.venv/bin/zizmor --offline --no-progress --persona=pedantic "${workflows[@]}" \
  || die "zizmor's findings above: fix each, or waive it on its line with # zizmor: ignore[AUDIT] and why"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/python scripts/workflow-run-blocks.py "$work" "${workflows[@]}"
blocks=("$work"/*.sh)
echo "lint-workflows.sh: shellcheck $(.venv/bin/shellcheck --version | sed -n 's/^version: //p') on ${#blocks[@]} run: blocks"
.venv/bin/shellcheck --shell=bash --external-sources "${blocks[@]}" \
  || die "shellcheck's findings above (each file's second line says which step)"
echo "lint-workflows.sh: OK"

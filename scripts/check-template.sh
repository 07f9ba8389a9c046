#!/usr/bin/env bash
# Offline checks of the deployable infrastructure, with the tools pinned in .venv/:
#   1. cfn-lint on the three templates   any finding fails (errors, warnings, informational)
#   2. sam validate --lint               SAM's own validation plus its cfn-lint pass
#   3. pytest tests/infra tests/ops      the transformed template's properties (CORS, throttle,
#                                        Retain, deletion protection, IAM scope, env,
#                                        outputs, access log, alarms, dashboard), cfn-lint per
#                                        runtime (the W2531 decision), samconfig, buildspecs, SVG,
#                                        checkov's waivers and a weakened template failing it,
#                                        pipeline.yaml's stages, bucket, roles and builds;
#                                        and the README's operator recipes, run with .venv/bin/aws
#                                        against dynalite (needs node_modules/)
# One pytest run for both, so that a PYTEST_ADDOPTS=--junitxml=… (unit-tests-buildspec.yml)
# gets one report and no run overwrites another's.
# No AWS account or credentials are used; the region is only needed to name ARNs.
# `sam build` and its glibc check are scripts/sam.sh build (slow; kept out of here).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "check-template.sh: FAIL: $*" >&2; exit 1; }

for tool in cfn-lint sam pytest aws; do
  [[ -x .venv/bin/$tool ]] || die ".venv/bin/$tool missing: run scripts/setup-python.sh (make setup)"
done
PATH="$PWD/.venv/bin:$PATH"
export PATH SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true PYTHONDONTWRITEBYTECODE=1
export AWS_DEFAULT_REGION=us-east-1

echo "check-template.sh: cfn-lint $(cfn-lint --version | awk '{print $2}') template.yaml pipeline.yaml github-oidc.yaml"
cfn-lint --non-zero-exit-code informational -- template.yaml pipeline.yaml github-oidc.yaml || die "cfn-lint reported the findings above"

echo "check-template.sh: sam validate --lint --region us-east-1"
sam validate --lint --region us-east-1 --template-file template.yaml || die "sam validate --lint failed"

echo "check-template.sh: pytest tests/infra tests/ops"
pytest -p no:cacheprovider tests/infra tests/ops || die "tests/infra or tests/ops failed"

#!/usr/bin/env bash
# Every template's IAM, offline, by linters we did not write (pinned in requirements-dev.txt):
#   1. the deploy role's copies match deploy-policy.yaml (scripts/sync-deploy-policy.py --check)
#   2. cfn-lint with I3510 (a statement's resources fit its actions) on every template; the SAM
#      template is linted as transformed, so the function's generated role is included
#   3. parliament on every role's policies as the templates produce them
#      (scripts/lint-policies.py, which keeps the waivers and their reasons)
# Run by `make lint`. No AWS account or credentials are used.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "lint-iam.sh: FAIL: $*" >&2; exit 1; }

for tool in cfn-lint parliament python; do
  [[ -x .venv/bin/$tool ]] || die ".venv/bin/$tool missing: run scripts/setup-python.sh (make setup)"
done
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true PYTHONDONTWRITEBYTECODE=1
templates=(template.yaml pipeline.yaml github-oidc.yaml)

.venv/bin/python scripts/sync-deploy-policy.py --check || die "a copy of deploy-policy.yaml differs"

echo "lint-iam.sh: cfn-lint $(.venv/bin/cfn-lint --version | awk '{print $2}') -c I3510 ${templates[*]}"
.venv/bin/cfn-lint --include-checks I3510 --non-zero-exit-code informational -- "${templates[@]}" \
  || die "cfn-lint reported the findings above"

.venv/bin/python scripts/lint-policies.py || die "parliament's findings above: fix each, or waive it in scripts/lint-policies.py with why"
echo "lint-iam.sh: OK"

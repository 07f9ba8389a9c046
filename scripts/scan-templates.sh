#!/usr/bin/env bash
# checkov, a security scanner we did not write, on every CloudFormation template, offline:
#   scripts/scan-templates.sh [TEMPLATE...]     default: template.yaml pipeline.yaml github-oidc.yaml
# A SAM template (one with a Transform) is scanned twice: as written, and as the SAM transform
# turns it into plain CloudFormation (tests/infra/sam_transform.py, no AWS), where the generated
# role, permission and stage are visible too.
# Any failed check fails the run; checkov prints the check and the resource. A finding we accept
# is waived next to its resource, in the resource's Metadata (checkov: skip: id + comment), which
# the transform carries along; tests/infra/test_security_scan.py requires a reason on each.
# Run by `make lint`. No network: --skip-download, no update check, nothing uploaded.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "scan-templates.sh: FAIL: $*" >&2; exit 1; }

for tool in checkov python; do
  [[ -x .venv/bin/$tool ]] || die ".venv/bin/$tool missing: run scripts/setup-python.sh (make setup)"
done
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true PYTHONDONTWRITEBYTECODE=1
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE

templates=("$@")
[[ ${#templates[@]} -gt 0 ]] || templates=(template.yaml pipeline.yaml github-oidc.yaml)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

files=()
for template in "${templates[@]}"; do
  [[ -f $template ]] || die "$template not found"
  files+=("$template")
  if grep -q '^Transform:.*AWS::Serverless' "$template"; then
    transformed="$work/$(basename "$template").transformed.json"
    .venv/bin/python tests/infra/sam_transform.py "$template" > "$transformed" \
      || die "the SAM transform of $template failed"
    files+=("$transformed")
  fi
done

echo "scan-templates.sh: checkov $(.venv/bin/checkov --version) on ${files[*]}"
args=()
for file in "${files[@]}"; do args+=(--file "$file"); done
.venv/bin/checkov --skip-download --framework cloudformation --quiet --compact "${args[@]}" \
  --output cli --output json --output-file-path "console,$work/results.json" \
  || die "checkov found the failed checks above: fix each, or waive it in the resource's Metadata with a reason"

# checkov passes a file it cannot parse (it counts a parsing error and scans nothing).
.venv/bin/python - "$work/results.json" <<'PY' || die "checkov could not read every template (see above)"
import json, sys
reports = json.load(open(sys.argv[1]))
for report in reports if isinstance(reports, list) else [reports]:
    errors = report.get("summary", report).get("parsing_errors", 0)
    if errors:
        sys.exit(f"{errors} template(s) could not be parsed")
PY
echo "scan-templates.sh: OK: no failed check"

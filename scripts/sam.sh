#!/usr/bin/env bash
# The SAM CLI with the project's own tools (.venv/: SAM CLI, cargo-lambda, zig), for `make build`
# and `make deploy`:
#   scripts/sam.sh build             sam build, then proof that the artifact runs on both
#                                    provided.al2023 (glibc 2.34) and provided.al2 (glibc 2.26):
#                                    .aws-sam/build/CounterFunction/bootstrap must be an ELF of
#                                    the chosen architecture whose highest GLIBC_ symbol version
#                                    is <= 2.26
#   scripts/sam.sh deploy [ARGS]     sam deploy (needs AWS credentials and a region); with
#                                    --guided, the parameters' descriptions first: its
#                                    prompts show only their names
#   scripts/sam.sh parameters        those descriptions, from template.yaml
#   scripts/sam.sh region            fails, saying what to set, when no region is set where the
#                                    SAM CLI and the AWS CLI read it (`make pipeline` runs it)
# LAMBDA_RUNTIME=provided.al2 and LAMBDA_ARCHITECTURE=arm64 pass --parameter-overrides
# LambdaRuntime=… Architecture=… to either; unset, samconfig.toml's parameters apply
# (provided.al2023, x86_64). SAM_BUILD_DIR=DIR builds into DIR instead of .aws-sam/build (the
# tests keep their arm64 build apart from the x86_64 one).
#
# cargo-lambda compiles in the source tree, release profile, for a glibc 2.26 target:
#   x86_64: x86_64-unknown-linux-gnu.2.26, from Cargo.toml's [package.metadata.lambda.build]
#     (SAM passes no --target for provided.al2023 and the same one for provided.al2);
#   arm64: aarch64-unknown-linux-gnu.2.26. For arm64 SAM (aws-lambda-builders' rust_cargo
#     workflow) passes `--arm64` on provided.al2023, which overrides Cargo.toml's target with
#     aarch64-unknown-linux-gnu and no glibc version, and `--target aarch64-unknown-linux-gnu.2.26`
#     on provided.al2 only. So an arm64 `sam build` is told LambdaRuntime=provided.al2: the
#     runtime changes nothing but that flag (one artifact serves both), and `sam deploy` still
#     gets the runtime chosen.
# The objects land in target/<target>/release/ and the binary in
# target/lambda/bootstrap/bootstrap, apart from the host-target debug builds of `cargo test` and
# clippy. A second run reuses them (cargo finds everything fresh).
set -euo pipefail
cd "$(dirname "$0")/.."
readonly MAX_GLIBC=2.26
readonly BUILD_DIR=${SAM_BUILD_DIR:-.aws-sam/build}
readonly ARTIFACT=$BUILD_DIR/CounterFunction/bootstrap

die() { echo "sam.sh: FAIL: $*" >&2; exit 1; }
version_le() { [[ $(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1) == "$2" ]]; }
glibc_versions() { objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -Vu; }

# Each template parameter, its default and what it means (the allow-list: the guard against junk
# keys), as template.yaml describes them.
parameter_notes() {
  [[ -x .venv/bin/python ]] || die ".venv/bin/python missing: run scripts/setup-python.sh (make setup)"
  .venv/bin/python - <<'PY'
import textwrap
from samtranslator.yaml_helper import yaml_parse

with open("template.yaml", encoding="utf-8") as template:
    parameters = yaml_parse(template.read())["Parameters"]
print("sam.sh: the template's parameters (sam deploy --guided asks for each by name):")
for name, parameter in parameters.items():
    print(f"  {name} (default {str(parameter.get('Default', ''))!r})")
    text = " ".join(str(parameter.get("Description", "")).split())
    print(textwrap.fill(text, 96, initial_indent="      ", subsequent_indent="      "))
PY
}
[[ ${1:-} == parameters ]] && { parameter_notes; exit 0; }

# The SAM CLI and the AWS CLI v1 read the region from AWS_DEFAULT_REGION or a profile, not from
# AWS_REGION alone (the Lambda runtime sets that one; a shell may set only it).
need_region() {
  [[ -n ${AWS_DEFAULT_REGION:-} ]] && return
  [[ -x .venv/bin/aws ]] || die ".venv/bin/aws missing: run scripts/setup-python.sh (make setup)"
  [[ -n $(.venv/bin/aws configure get region 2>/dev/null) ]] && return
  die "no region: set AWS_DEFAULT_REGION (or region in your AWS profile); the SAM CLI and the" \
    "AWS CLI do not read AWS_REGION${AWS_REGION:+, which is $AWS_REGION here}"
}
[[ ${1:-} == region ]] && { need_region; exit 0; }

# The venv's sam, cargo-lambda and zig (found by cargo-lambda as `python3 -m ziglang`) come first.
PATH="$PWD/.venv/bin:$PATH"
[[ -d "$HOME/.cargo/bin" ]] && PATH="$PATH:$HOME/.cargo/bin"
export PATH
export SAM_CLI_TELEMETRY=0

for tool in sam cargo-lambda; do
  [[ -x .venv/bin/$tool ]] || die ".venv/bin/$tool missing: run scripts/setup-python.sh (make setup)"
done
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup (https://rustup.rs)"
for tool in objdump readelf; do
  command -v $tool >/dev/null 2>&1 || die "$tool not found: install binutils (Debian: apt-get install binutils)"
done
.venv/bin/python -m ziglang version >/dev/null 2>&1 \
  || die "zig not importable from .venv (ziglang): run scripts/setup-python.sh (make setup)"

# The architecture's Rust target and the machine readelf -h names for it (readelf knows every
# machine; an x86-only objdump -f calls an aarch64 ELF "elf64-little", architecture UNKNOWN).
architecture=${LAMBDA_ARCHITECTURE:-x86_64}
case $architecture in
  x86_64) rust_target=x86_64-unknown-linux-gnu.2.26 elf_machine='Advanced Micro Devices X86-64' ;;
  arm64) rust_target=aarch64-unknown-linux-gnu.2.26 elf_machine=AArch64 ;;
  *) die "LAMBDA_ARCHITECTURE must be x86_64 or arm64 (the template's Architecture), not '$architecture'" ;;
esac

parameters=()
[[ -n ${LAMBDA_RUNTIME:-} ]] && parameters+=("LambdaRuntime=$LAMBDA_RUNTIME")
[[ -n ${LAMBDA_ARCHITECTURE:-} ]] && parameters+=("Architecture=$LAMBDA_ARCHITECTURE")
overrides=()
(( ${#parameters[@]} )) && overrides=(--parameter-overrides "${parameters[*]}")

case ${1:-} in
  build)
    if [[ $architecture == arm64 ]]; then
      scripts/setup-arm64.sh target
      # The one runtime for which SAM passes the glibc 2.26 arm64 target (see the top).
      overrides=(--parameter-overrides "LambdaRuntime=provided.al2 Architecture=arm64")
    fi
    [[ -n ${SAM_BUILD_DIR:-} ]] && overrides+=(--build-dir "$SAM_BUILD_DIR")
    ;;
  deploy)
    shift
    need_region
    for arg in "$@"; do [[ $arg == --guided || $arg == -g ]] && parameter_notes; done
    exec sam deploy "${overrides[@]}" "$@" ;;
  *) die "usage: scripts/sam.sh build | deploy [sam deploy options] | parameters | region" ;;
esac

echo "sam.sh: $(sam --version); $(cargo-lambda lambda --version | awk '{print $1, $2}');" \
  "zig $(python3 -m ziglang version); $(cargo --version)"

start=$(date +%s)
echo "sam.sh: sam build: the release binary (cargo-lambda, zig); 2 to 5 minutes from nothing on" \
  "2 cores, seconds when nothing changed" >&2
# SAM ends with its "Commands you can use next" (sam deploy --guided, sam local invoke); here
# they are `make deploy` and `make invoke`, which the README names, so that block is cut.
sam build "${overrides[@]}" | sed '/^Commands you can use next/,$d'
elapsed=$(( $(date +%s) - start ))

[[ -f $ARTIFACT ]] || die "sam build finished but $ARTIFACT does not exist"
[[ -x $ARTIFACT ]] || die "$ARTIFACT is not executable"
machine=$(readelf -h "$ARTIFACT" 2>&1 | sed -n 's/^ *Machine: *//p')
[[ $machine == "$elf_machine" ]] \
  || die "$ARTIFACT is not the $architecture ELF asked for (machine $elf_machine): $machine"

glibc=$(glibc_versions "$ARTIFACT" | tail -n 1)
[[ -n $glibc ]] || die "$ARTIFACT imports no GLIBC_ symbol versions: not the glibc-linked binary expected"
if ! version_le "$glibc" "$MAX_GLIBC"; then
  echo "sam.sh: imported symbols newer than GLIBC_$MAX_GLIBC:" >&2
  for v in $(glibc_versions "$ARTIFACT"); do
    version_le "$v" "$MAX_GLIBC" && continue
    objdump -T "$ARTIFACT" | grep -E "GLIBC_${v//./\\.}\)?[[:space:]]" \
      | awk -v v="$v" '{print "  " $NF " (GLIBC_" v ")"}' >&2
  done
  die "$ARTIFACT needs GLIBC_$glibc > $MAX_GLIBC, so it would not start on provided.al2." \
    "It must be built for $rust_target: check target in Cargo.toml's" \
    "[package.metadata.lambda.build] and the arm64 build's overrides above."
fi

size=$(stat -c %s "$ARTIFACT")
echo "sam.sh: OK: $ARTIFACT: $architecture ($machine), $size bytes, highest symbol GLIBC_$glibc" \
  "(<= $MAX_GLIBC), sam build ${elapsed}s"

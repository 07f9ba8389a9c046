#!/usr/bin/env python3
"""The deploy role's statements are written once, in deploy-policy.yaml, and copied between two
marker lines into each template whose role deploys the counter's stacks:

    scripts/sync-deploy-policy.py           rewrite the copies from deploy-policy.yaml
    scripts/sync-deploy-policy.py --check   fail if a copy differs (make lint runs this)

A copy, not a shared managed policy: the CodePipeline and the GitHub Actions road are separate
stacks, either of which may be deployed without the other. Text, not parsed YAML, so the
comments that say why a statement is there travel with it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "deploy-policy.yaml"
TARGETS = [ROOT / "pipeline.yaml", ROOT / "github-oidc.yaml"]
BEGIN = "# BEGIN deploy-policy.yaml (scripts/sync-deploy-policy.py copies it here: edit that file)"
END = "# END deploy-policy.yaml"


def statements() -> list[str]:
    """The source's statements: its lines from the first that is not the header comment."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    return lines[first:]


def synced(text: str, name: str) -> str:
    lines = text.splitlines()
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        sys.exit(f"sync-deploy-policy.py: {name} needs one '{BEGIN}' line, then one '{END}' line")
    indent = lines[begins[0]][: len(lines[begins[0]]) - len(lines[begins[0]].lstrip())]
    body = [indent + line if line.strip() else "" for line in statements()]
    while body and not body[0]:
        body.pop(0)
    return "\n".join(lines[: begins[0] + 1] + body + lines[ends[0]:]) + "\n"


def main() -> int:
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] not in ([], ["--check"]):
        sys.exit("usage: scripts/sync-deploy-policy.py [--check]")
    stale = []
    for target in TARGETS:
        text = target.read_text(encoding="utf-8")
        wanted = synced(text, target.name)
        if wanted != text:
            stale.append(target.name)
            if not check:
                target.write_text(wanted, encoding="utf-8")
    if check and stale:
        print(f"sync-deploy-policy.py: {', '.join(stale)} differ from deploy-policy.yaml: "
              "edit deploy-policy.yaml, then run scripts/sync-deploy-policy.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

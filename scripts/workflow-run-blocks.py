"""Writes each `run:` block of the given GitHub workflows to a file of its own in DIR, as the
bash script the runner makes of it, for shellcheck (scripts/lint-workflows.sh):

    .venv/bin/python scripts/workflow-run-blocks.py DIR WORKFLOW...

Each file is named workflow.job.N.sh and starts by saying where the block is. A ${{ }}
expression inside a block (the workflows pass values through env: instead) becomes a plain
word, so shellcheck reads the rest.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def main() -> int:
    if len(sys.argv) < 3:
        sys.exit("usage: workflow-run-blocks.py DIR WORKFLOW...")
    out = Path(sys.argv[1])
    written = 0
    for workflow in map(Path, sys.argv[2:]):
        doc = yaml.safe_load(workflow.read_text(encoding="utf-8"))
        default_shell = doc.get("defaults", {}).get("run", {}).get("shell", "bash")
        for job_id, job in doc.get("jobs", {}).items():
            for n, step in enumerate(job.get("steps", []), start=1):
                if "run" not in step:
                    continue
                shell = step.get("shell", job.get("defaults", {}).get("run", {}).get("shell", default_shell))
                if shell != "bash":
                    sys.exit(f"{workflow} {job_id} step {n}: shell {shell!r}, not bash: lint it some other way")
                name = step.get("name", step["run"].splitlines()[0])
                script = EXPRESSION.sub("EXPRESSION", step["run"])
                target = out / f"{workflow.stem}.{job_id}.{n}.sh"
                target.write_text(
                    f"#!/usr/bin/env bash\n# {workflow} jobs.{job_id} step {n}: {name}\n{script}",
                    encoding="utf-8",
                )
                written += 1
    if not written:
        sys.exit("workflow-run-blocks.py: no run: block found")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Prints a SAM template as CloudFormation JSON, transformed offline the way the tests see it
(conftest.transform). scripts/scan-templates.sh scans the result, where the generated role,
permission and stage are visible:

    .venv/bin/python tests/infra/sam_transform.py template.yaml > template.transformed.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import load_template, transform  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: sam_transform.py TEMPLATE")
    json.dump(transform(load_template(Path(sys.argv[1]))), sys.stdout, indent=1)
    print()

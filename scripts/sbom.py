#!/usr/bin/env python3
"""A CycloneDX 1.5 SBOM of the crates linked into `bootstrap`, from cargo itself, offline:

    scripts/sbom.py [OUTPUT]        default: standard output

Which crates: `cargo tree -e normal,no-proc-macro --target x86_64-unknown-linux-gnu`, the
graph cargo's feature resolver builds for the package's normal dependencies on the one target
the release build uses (dev-dependencies, build-dependencies and proc-macros run on the build
machine and link nothing into the binary, so they are left out). Each crate's licence comes from
`cargo metadata`, its SHA-256 from Cargo.lock (the checksum cargo verified on download). No
second build and no network: both commands read Cargo.lock and the local registry cache.
The pipeline's Build stage (buildspec.yml) runs it after `make build`.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = "x86_64-unknown-linux-gnu"
BINARY = "bootstrap"
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"

# `cargo tree --prefix depth` lines: depth, name, version, then "(path)" for a local crate and
# "(*)" for a crate already shown.
TREE_LINE = re.compile(r"^(\d+)(\S+) v(\S+)(?: \(([^)*]+)\))?( \(\*\))?$")


def cargo(*args: str) -> str:
    done = subprocess.run(["cargo", *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"sbom.py: cargo {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout


def linked_graph(package: str) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(name, version) -> the (name, version) it depends on, for what links into the binary."""
    out = cargo(
        "tree", "--locked", "--offline", "--package", package, "--target", TARGET,
        "--edges", "normal,no-proc-macro", "--prefix", "depth", "--format", "{p}",
    )
    graph: dict[tuple[str, str], set[tuple[str, str]]] = {}
    parents: list[tuple[str, str]] = []
    for line in out.splitlines():
        match = TREE_LINE.match(line)
        if not match:
            sys.exit(f"sbom.py: cannot read this line of cargo tree: {line!r}")
        depth, name, version = int(match[1]), match[2], match[3]
        crate = (name, version)
        graph.setdefault(crate, set())
        del parents[depth:]
        if parents:
            graph[parents[-1]].add(crate)
        parents.append(crate)
    return graph


def purl(name: str, version: str) -> str:
    return f"pkg:cargo/{name}@{version}"


def spdx(license_field: str | None) -> str | None:
    # Old crates write "MIT/Apache-2.0", which SPDX spells "MIT OR Apache-2.0".
    return license_field.replace("/", " OR ") if license_field else None


def sbom() -> dict:
    metadata = json.loads(
        cargo("metadata", "--locked", "--offline", "--format-version", "1", "--filter-platform", TARGET)
    )
    # The function's package: the workspace's root (its other members are the benchmark's).
    (root,) = [p for p in metadata["packages"] if p["id"] == metadata["resolve"]["root"]]
    packages = {(p["name"], p["version"]): p for p in metadata["packages"]}
    lock = tomllib.loads((ROOT / "Cargo.lock").read_text(encoding="utf-8"))
    checksums = {(p["name"], p["version"]): p.get("checksum") for p in lock["package"]}
    graph = linked_graph(root["name"])
    top = (root["name"], root["version"])

    components = []
    for crate in sorted(graph, key=lambda c: (c[0], c[1])):
        if crate == top:
            continue
        package = packages[crate]
        if package["source"] != CRATES_IO or not checksums.get(crate):
            sys.exit(f"sbom.py: {crate[0]} {crate[1]} is not from crates.io with a checksum")
        component = {
            "type": "library",
            "bom-ref": purl(*crate),
            "name": crate[0],
            "version": crate[1],
            "purl": purl(*crate),
            "hashes": [{"alg": "SHA-256", "content": checksums[crate]}],
            "externalReferences": [
                {"type": "distribution", "url": f"https://crates.io/api/v1/crates/{crate[0]}/{crate[1]}/download"}
            ],
        }
        if expression := spdx(package.get("license")):
            component["licenses"] = [{"expression": expression}]
        components.append(component)

    lock_text = (ROOT / "Cargo.lock").read_bytes()
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", datetime.datetime.now(datetime.UTC).timestamp()))
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        # The same Cargo.lock gives the same serial number, so two builds of one commit agree.
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, lock_text.decode('utf-8'))}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "scripts/sbom.py"}]},
            "component": {
                "type": "application",
                "bom-ref": purl(*top),
                "name": BINARY,
                "version": root["version"],
                "purl": purl(*top),
                "licenses": [{"expression": spdx(root["license"])}],
                "properties": [{"name": "cargo:target", "value": TARGET}],
            },
        },
        "components": components,
        "dependencies": [
            {"ref": purl(*crate), "dependsOn": sorted(purl(*dep) for dep in deps)}
            for crate, deps in sorted(graph.items())
        ],
    }


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit("usage: sbom.py [OUTPUT]")
    text = json.dumps(sbom(), indent=1) + "\n"
    if len(sys.argv) == 2:
        Path(sys.argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)

"""cloudresumecounter.svg is plain SVG any viewer renders, and shows the architecture."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conftest import ROOT

SVG = ROOT / "cloudresumecounter.svg"
NS = "{http://www.w3.org/2000/svg}"


def test_svg_is_plain_self_contained_svg():
    root = ET.parse(SVG).getroot()
    assert root.tag == f"{NS}svg"
    assert root.get("viewBox")
    tags = {el.tag.removeprefix(NS) for el in root.iter()}
    assert "foreignObject" not in tags
    assert tags <= {"svg", "title", "desc", "defs", "marker", "path", "rect", "text", "g", "line"}
    text = SVG.read_text(encoding="utf-8")
    assert "href" not in text, "no external images or links"
    assert "<script" not in text and "<style" not in text


def test_svg_shows_the_architecture():
    root = ET.parse(SVG).getroot()
    words = " ".join("".join(el.itertext()) for el in root.iter(f"{NS}text"))
    for needed in [
        "Browser", "API Gateway", "HTTP API", "CORS: origin *", "throttle 10 rps", "burst 10",
        "bootstrap", "Rust", "DynamoDB", "path (S, key) → hits (N)", "UpdateItem ADD hits :1",
        "CodeBuild", "buildspec.yml", "unit-tests-buildspec.yml", "glibc ≤ 2.26",
    ]:
        assert needed in words, f"diagram does not show {needed!r}"

"""The course map (README and lesson 00) links every lesson; the glossary exists, stays short, names
a lesson for every term, and both maps link to it."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
GLOSSARY = ROOT / "docs" / "glossary.md"
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
TABLE_ROW = re.compile(r"^\| (\d\d) \| (.+?) \|", re.MULTILINE)


def _lesson_00_markdown() -> str:
    cells = json.loads((ROOT / "lessons" / "00_welcome.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def _map_links(text: str, base: Path) -> dict[str, Path]:
    """Lesson number -> the file its row in the map table links to (resolved from ``base``)."""
    rows = {}
    for number, name in TABLE_ROW.findall(text):
        link = LINK.fullmatch(name.strip())
        assert link, f"lesson {number} in the map is not a link: {name!r}"
        rows[number] = (base / link.group(2)).resolve()
    return rows


def _relative_links_resolve(text: str, base: Path) -> list[str]:
    broken = []
    for _, target in LINK.findall(text):
        if target.startswith(("http:", "https:", "#", "mailto:")):
            continue
        if not (base / target.split("#")[0]).resolve().exists():
            broken.append(target)
    return broken


def test_readme_and_lesson_00_link_every_lesson_in_their_map():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for text, base in ((readme, ROOT), (_lesson_00_markdown(), ROOT / "lessons")):
        rows = _map_links(text, base)
        assert sorted(rows) == [p.name[:2] for p in LESSONS]
        for number, target in rows.items():
            assert target.exists() and target.name.startswith(number), (number, target)
        assert sorted(rows.values()) == [p.resolve() for p in LESSONS]


def test_glossary_is_short_and_names_a_lesson_for_every_term():
    text = GLOSSARY.read_text(encoding="utf-8")
    entries = re.findall(r"^\*\*(.+?)\*\*(.*?)(?=^\*\*|\Z)", text, re.MULTILINE | re.DOTALL)
    assert 25 <= len(entries) <= 40, f"{len(entries)} terms: keep the glossary short"
    terms = [term.lower() for term, _ in entries]
    assert terms == sorted(terms), "keep the terms in alphabetical order"
    for term, body in entries:
        assert re.search(r"\[Lesson \d\d\]\[L\d\d\]\s*$", body.strip()), f"{term}: name its lesson"
    for ref, target in re.findall(r"^\[(L\d\d)\]: (\S+)$", text, re.MULTILINE):
        assert (GLOSSARY.parent / target).resolve().exists(), target
        assert Path(target).name[:2] == ref[1:]
    assert not _relative_links_resolve(text, GLOSSARY.parent)
    for needed in ("GAN", "Discriminator", "Mode collapse", "FID", "AdaIN", "PatchGAN", "R1"):
        assert any(needed.lower() in term for term in terms), needed


def test_readme_and_lesson_00_link_the_glossary():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/glossary.md)" in readme
    assert "](../docs/glossary.md)" in _lesson_00_markdown()
    assert not _relative_links_resolve(_lesson_00_markdown(), ROOT / "lessons")

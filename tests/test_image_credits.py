"""Bundled photos carry their credits: one table (``images.CREDITS``) and a credit line in the
notebook next to the first cell that shows each image."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from gancourse.data import images

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    [*(ROOT / "lessons").glob("*.ipynb"), *(ROOT / "exercises/source").glob("*.ipynb")]
)
GROUPS = {
    "REAL_IMAGES": images.REAL_IMAGES,
    "PHOTOS": images.PHOTOS,
    "TEXTURES": images.TEXTURES,
    "COLOUR_PHOTOS": images.COLOUR_PHOTOS,
}
LOADERS = {**images.REAL_IMAGES, "lfw_subset": images.lfw_subset, "digits": images.digits}
# Lessons whose credit lines are still to be written (issue 22, part 5): they are being rewritten
# in another change; remove a name here once its lesson shows its credits.
PENDING: set[str] = set()


def used_images(code: str) -> set[str]:
    """Bundled images a code cell loads: ``images.<name>``, a group (``images.REAL_IMAGES``),
    ``images.photo_batch()`` without names (its default photos), or a name as a string in a cell
    that uses ``images``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # a cell with IPython syntax: no bundled image found in it
        return set()
    found: set[str] = set()
    uses_images = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "images":
            uses_images = True
            found |= {node.attr} & set(images.CREDITS) | set(GROUPS.get(node.attr, ()))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "photo_batch"
            and len(node.args) < 2
            and not any(k.arg == "names" for k in node.keywords)
        ):
            found |= set(images.COLOUR_PHOTOS)
    if uses_images:
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        found |= strings & set(images.CREDITS)
    return found


def _cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [{**c, "source": "".join(c["source"])} for c in cells]


def missing_credits(path: Path) -> list[str]:
    """Images whose credit (author and licence) is not next to the first cell that uses them: in
    the markdown cell before it (the prose that introduces it) or right after it, or printed by
    ``images.credits(...)`` in that cell or the next."""
    cells = _cells(path)
    first: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            for name in used_images(cell["source"]):
                first.setdefault(name, index)
    missing = []
    for name, index in sorted(first.items()):
        credit = images.CREDITS[name]
        before = [c for c in cells[:index] if c["cell_type"] == "markdown"][-1:]
        after = [c for c in cells[index + 1 : index + 2] if c["cell_type"] == "markdown"]
        prose = [" ".join(c["source"].lower().split()) for c in before + after]
        shown = any(
            credit.author.lower() in text and credit.licence.lower() in text for text in prose
        )
        printed = any(
            "images.credits(" in c["source"]
            for c in cells[index : index + 2]
            if c["cell_type"] == "code"
        )
        if not (shown or printed):
            missing.append(f"{name} (cell {index}): {credit}")
    return missing


def test_every_bundled_image_has_one_credit_and_its_docstring_agrees():
    assert set(images.CREDITS) == set(LOADERS)
    for name, credit in images.CREDITS.items():
        assert credit.licence and credit.package in ("scikit-image", "scikit-learn", "matplotlib")
        doc = " ".join(LOADERS[name].__doc__.split())
        assert credit.licence.lower() in doc.lower(), f"{name}: docstring lacks {credit.licence!r}"
        assert credit.author in doc, f"{name}: docstring lacks {credit.author!r}"


def test_credit_lines():
    assert str(images.CREDITS["grace_hopper"]) == (
        "Rear Admiral Grace Hopper (US Navy, public domain; via matplotlib)"
    )
    assert (
        str(images.CREDITS["moon"]) == "the surface of the moon (public domain; via scikit-image)"
    )
    assert images.credits(["astronaut", "digits"]).split("\n") == [
        f"astronaut: {images.CREDITS['astronaut']}",
        f"digits: {images.CREDITS['digits']}",
    ]
    assert len(images.credits().split("\n")) == len(images.CREDITS)
    with pytest.raises(ValueError, match="no credit for"):
        images.credits(["eagle"])


def test_usage_finder():
    assert used_images('x = images.load("brick", size=8)') == {"brick"}
    assert used_images("x = images.astronaut(as_='uint8')") == {"astronaut"}
    assert used_images("for n in images.TEXTURES: pass") == set(images.TEXTURES)
    assert used_images("b = images.photo_batch(64)") == set(images.COLOUR_PHOTOS)
    assert used_images('b = images.photo_batch(64, ["chelsea"])') == {"chelsea"}
    assert used_images('record = {"generator": "camera"}') == set()  # not an image here
    assert used_images("%timeit images.camera()") == set()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_image_a_notebook_uses_has_a_credit_entry(path):
    for cell in _cells(path):
        if cell["cell_type"] == "code":
            assert used_images(cell["source"]) <= set(images.CREDITS)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=pytest.mark.xfail(reason="credits still to add (issue 22)"))
        if p.relative_to(ROOT).as_posix() in PENDING
        else p
        for p in NOTEBOOKS
    ],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_credits_are_shown_where_bundled_images_first_appear(path):
    missing = missing_credits(path)
    assert not missing, (
        f"{path.name}: write the credit (author, licence) in the markdown next to the first use, "
        "or print images.credits(names) there:\n" + "\n".join(missing)
    )


def test_lesson_02_uses_and_credits_bundled_images():
    """The check above has something to check: lesson 02 shows most of the bundled images."""
    lesson = ROOT / "lessons" / "02_data_and_preprocessing.ipynb"
    used = set().union(
        *(used_images(c["source"]) for c in _cells(lesson) if c["cell_type"] == "code")
    )
    assert used == set(images.CREDITS)
    assert missing_credits(lesson) == []

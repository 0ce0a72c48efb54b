"""CITATION.cff is valid Citation File Format 1.2.0 and agrees with pyproject.toml; the model
weights carry a licence that ships with them, and the README points at both."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_KEYS = {"cff-version", "message", "title", "authors"}  # CFF 1.2.0's required keys


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_citation_has_the_required_keys():
    cff = citation()
    assert REQUIRED_KEYS <= set(cff), f"missing: {sorted(REQUIRED_KEYS - set(cff))}"
    assert cff["cff-version"] == "1.2.0"
    assert isinstance(cff["message"], str) and cff["message"].strip()
    assert isinstance(cff["title"], str) and "gancourse" in cff["title"]


def test_citation_authors_are_people_or_entities():
    authors = citation()["authors"]
    assert isinstance(authors, list) and authors
    for author in authors:
        # a person has family-names, an entity a name (CFF 1.2.0)
        assert isinstance(author, dict) and ({"name", "family-names"} & set(author)), author


def test_citation_agrees_with_pyproject():
    cff, meta = citation(), project()
    assert str(cff["version"]) == meta["version"]
    assert cff["license"] in re.split(r"\s+(?:AND|OR)\s+", meta["license"]), (
        cff["license"],
        meta["license"],
    )
    assert re.fullmatch(r"[A-Za-z0-9.\-+]+", cff["license"]), "an SPDX identifier"
    if "repository-code" in cff:
        assert cff["repository-code"] == meta["urls"]["Repository"]


def test_weights_licence_ships_with_the_weights():
    licence = ROOT / "gancourse" / "zoo_weights" / "LICENSE"
    text = licence.read_text(encoding="utf-8")
    assert "CC BY 4.0" in text and "creativecommons.org/licenses/by/4.0" in text
    assert "CC-BY-4.0" in re.split(r"\s+AND\s+", project()["license"])
    assert "gancourse/zoo_weights/LICENSE" in project()["license-files"]
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["gancourse"]
    assert "zoo_weights/LICENSE" in package_data, "the licence must be installed with the weights"


def test_weights_licence_credits_every_bundled_image_it_names():
    """Each image function in gancourse.data.images that the zoo may train on is credited."""
    from gancourse.data import images

    text = (ROOT / "gancourse" / "zoo_weights" / "LICENSE").read_text(encoding="utf-8")
    for name in [*images.REAL_IMAGES, "digits"]:
        assert re.search(rf"\b{re.escape(name.replace('_deep_field', ''))}", text, re.I), name


def test_readme_points_to_citation_and_licences():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "CITATION.cff" in readme
    assert "gancourse/zoo_weights/LICENSE" in readme

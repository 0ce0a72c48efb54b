"""Packaging: pyproject.toml and environment.yml name the same runtime dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PIP = {"pytorch": "torch"}  # conda package names that differ from PyPI's
NOT_PYTHON_PACKAGES = {"python", "pip"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_runtime() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {_name(r) for r in data["project"]["dependencies"]}


def conda_runtime() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name = _name(dep)
            if name not in NOT_PYTHON_PACKAGES:
                names.add(CONDA_TO_PIP.get(name, name))
    return names


def test_environment_yml_is_valid_conda_file():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "gancourse"
    assert {"conda-forge", "pytorch"} <= set(env["channels"])
    pip_sections = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert len(pip_sections) == 1 and "pip" in pip_sections[0]
    assert any(line.startswith("-e .") for line in pip_sections[0]["pip"]), (
        "pip section must install the course with -e ."
    )


def test_runtime_dependencies_in_sync():
    pip, conda = pyproject_runtime(), conda_runtime()
    assert pip - conda == set(), f"in pyproject.toml but not environment.yml: {sorted(pip - conda)}"
    assert conda - pip == set(), f"in environment.yml but not pyproject.toml: {sorted(conda - pip)}"


def test_required_runtime_dependencies_present():
    required = {
        "torch",
        "torchvision",
        "numpy",
        "matplotlib",
        "ipywidgets",
        "jupyterlab",
        "ipykernel",
        "tqdm",
        "pillow",
        "scikit-image",
        "scikit-learn",
        "safetensors",
    }
    assert required <= pyproject_runtime()


def test_no_torch_pin_that_would_download():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for requirement in data["project"]["dependencies"]:
        if _name(requirement) in {"torch", "torchvision"}:
            assert not re.search(r"(==|>=|~=)", requirement), (
                f"{requirement!r} could force a download of a newer torch"
            )


def test_sync_check_catches_a_missing_dependency(monkeypatch):
    """The sync test can fail: drop one runtime dependency from the conda side and compare."""
    conda = conda_runtime() - {"safetensors"}
    assert pyproject_runtime() - conda == {"safetensors"}

"""Packaging: pyproject.toml, environment.yml, .binder/ and the Makefile's setup agree.

- environment.yml: conda-forge only; every runtime dependency and the lab extra of pyproject.toml,
  with the same lower bounds (conda names mapped); its pip section installs only the course.
- .binder/: the same environment without the pip section (repo2docker builds it before it copies
  the source), and a postBuild that installs the course without its dependencies.
- lower bounds: every dependency has one, and the versions installed here satisfy it (so a bound
  never forces a download of a newer torch).
- Makefile: `make lab` and `make test` install the extras they need, again when pyproject changes.
"""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# conda-forge package names that differ from PyPI's (after name normalisation)
CONDA_TO_PIP = {"pytorch": "torch", "matplotlib-base": "matplotlib"}
NOT_PYTHON_PACKAGES = {"python", "pip"}
CONDA_SPEC = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<spec>.*)$")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirements(group: str = "runtime") -> dict[str, SpecifierSet]:
    """PyPI name -> version specifier, of the runtime dependencies or of one optional extra."""
    project = pyproject()["project"]
    lines = (
        project["dependencies"] if group == "runtime" else project["optional-dependencies"][group]
    )
    return {canonicalize_name(r.name): r.specifier for r in map(Requirement, lines)}


def pyproject_runtime() -> set[str]:
    return set(requirements("runtime"))


def conda_packages(env: dict) -> dict[str, SpecifierSet]:
    """PyPI name -> version specifier for an environment file's conda packages (not python, pip)."""
    packages = {}
    for dep in env["dependencies"]:
        if not isinstance(dep, str):
            continue
        match = CONDA_SPEC.match(dep.strip())
        assert match, f"cannot read the conda spec {dep!r}"
        name = canonicalize_name(match["name"])
        if name in NOT_PYTHON_PACKAGES:
            continue
        spec = match["spec"].replace(" ", "")
        assert not spec or spec.startswith(">="), f"{dep!r}: only lower bounds (>=) are expected"
        packages[CONDA_TO_PIP.get(name, name)] = SpecifierSet(spec)
    return packages


def load_env(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def conda_runtime() -> set[str]:
    return set(conda_packages(load_env(ROOT / "environment.yml")))


def test_environment_yml_uses_conda_forge_only():
    env = load_env(ROOT / "environment.yml")
    assert env["name"] == "gancourse"
    channels = [c for c in env["channels"] if c != "nodefaults"]
    assert channels == ["conda-forge"], f"conda-forge only, got {env['channels']}"
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            assert "::" not in dep, f"{dep!r} names a channel of its own"


def test_environment_yml_pins_the_python_the_course_supports():
    env = load_env(ROOT / "environment.yml")
    pins = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert len(pins) == 1, pins
    version = pins[0].partition("=")[2].lstrip("=")
    assert Version(version) in SpecifierSet(pyproject()["project"]["requires-python"])


def test_environment_yml_pip_section_installs_only_the_course():
    env = load_env(ROOT / "environment.yml")
    pip_sections = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert len(pip_sections) == 1 and set(pip_sections[0]) == {"pip"}
    assert pip_sections[0]["pip"] in (["-e ."], ["."]), (
        f"the pip section installs the course itself and nothing else (no extras, no developer "
        f"tools), got {pip_sections[0]['pip']}"
    )


def test_runtime_and_lab_dependencies_in_sync():
    """environment.yml = pyproject's runtime dependencies + the lab extra, with the same bounds."""
    pip = {**requirements("runtime"), **requirements("lab")}
    conda = conda_packages(load_env(ROOT / "environment.yml"))
    assert set(pip) - set(conda) == set(), (
        f"in pyproject.toml but not environment.yml: {sorted(set(pip) - set(conda))}"
    )
    assert set(conda) - set(pip) == set(), (
        f"in environment.yml but not pyproject.toml: {sorted(set(conda) - set(pip))}"
    )
    for name, spec in pip.items():
        assert conda[name] == spec, (
            f"{name}: pyproject says {spec!s}, environment.yml {conda[name]!s}"
        )


def test_required_runtime_dependencies_present():
    required = {
        "torch",
        "torchvision",
        "numpy",
        "matplotlib",
        "ipywidgets",
        "tqdm",
        "pillow",
        "scikit-image",
        "scikit-learn",
        "safetensors",
    }
    assert required <= pyproject_runtime()
    # JupyterLab is an extra: Colab and other front ends bring their own
    assert {"jupyterlab", "jupyter-server", "ipykernel"} <= set(requirements("lab"))
    assert not {"jupyterlab", "jupyter-server"} & pyproject_runtime()
    assert not set(requirements("dev")) & pyproject_runtime(), "developer tools are not runtime"


@pytest.mark.parametrize("group", ["runtime", "lab"])
def test_every_dependency_has_a_lower_bound_the_installed_version_meets(group):
    """A bound above what is installed makes pip fetch a newer release (gigabytes for torch)."""
    for name, spec in requirements(group).items():
        bounds = [s for s in spec if s.operator == ">="]
        assert len(bounds) == 1 and len(spec) == 1, f"{name}: one lower bound (>=), got {spec!s}"
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is not installed: run `make setup`")
        assert spec.contains(installed, prereleases=True), (
            f"{name}{spec} is not met by the installed {installed}"
        )


def test_ipywidgets_8_is_required():
    assert requirements("runtime")["ipywidgets"].contains("8.0.0")
    assert not requirements("runtime")["ipywidgets"].contains("7.7.1")


def test_python_classifiers_match_requires_python():
    project = pyproject()["project"]
    supported = SpecifierSet(project["requires-python"])
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in supported
    versions = [
        c.rsplit("::", 1)[1].strip()
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert versions, "classifiers name the supported Python versions"
    for version in versions:
        assert Version(version) in supported, f"classifier {version} outside {supported}"


def test_sync_check_catches_a_missing_dependency():
    """The sync check can fail: drop one runtime dependency from the conda side and compare."""
    conda = conda_runtime() - {"safetensors"}
    assert pyproject_runtime() - conda == {"safetensors"}


def test_conda_spec_reader_maps_names_and_bounds():
    env = {"dependencies": ["python=3.11", "pip", "pytorch>=2.4", "matplotlib-base >=3.7", "tqdm"]}
    assert conda_packages(env) == {
        "torch": SpecifierSet(">=2.4"),
        "matplotlib": SpecifierSet(">=3.7"),
        "tqdm": SpecifierSet(""),
    }


# --- Binder (repo2docker) ------------------------------------------------------------------------
def test_binder_environment_is_environment_yml_without_the_pip_section():
    """repo2docker builds .binder/environment.yml before it copies the source: no `pip: -e .`."""
    root_env = load_env(ROOT / "environment.yml")
    binder_env = load_env(ROOT / ".binder" / "environment.yml")
    assert not [d for d in binder_env["dependencies"] if isinstance(d, dict)], (
        ".binder/environment.yml must not install the course (the source is not there yet)"
    )
    assert binder_env["channels"] == root_env["channels"]
    root_conda = [d for d in root_env["dependencies"] if isinstance(d, str)]
    assert binder_env["dependencies"] == root_conda


def test_binder_post_build_installs_the_course():
    post_build = ROOT / ".binder" / "postBuild"
    text = post_build.read_text()
    assert text.startswith("#!/bin/bash\n")
    assert os.access(post_build, os.X_OK), ".binder/postBuild must be executable"
    installs = [line for line in text.splitlines() if re.search(r"\bpip install\b", line)]
    assert len(installs) == 1, installs
    words = installs[0].split()
    assert "--no-deps" in words, "the environment has every dependency: install only the course"
    assert words[-1] == ".", (
        f"postBuild installs the course from the repository root: {installs[0]}"
    )
    assert subprocess.run(["bash", "-n", str(post_build)], capture_output=True).returncode == 0


def test_binder_has_no_competing_configuration():
    """repo2docker uses .binder/ alone when it exists; other files there would be surprising."""
    assert sorted(p.name for p in (ROOT / ".binder").iterdir()) == ["environment.yml", "postBuild"]


# --- Makefile setup ----------------------------------------------------------------------------
def _dry_run(folder: Path, target: str) -> str:
    result = subprocess.run(
        ["make", "-n", target], cwd=folder, capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_installs_the_extras_each_target_needs_and_again_after_a_change(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    lab_install, dev_install = (
        'pip install --quiet -e ".[lab]"',
        'pip install --quiet -e ".[lab,dev]"',
    )
    # a fresh checkout: make lab installs the lab extra, make test and setup the lab and dev extras
    assert lab_install in _dry_run(tmp_path, "lab")
    assert dev_install in _dry_run(tmp_path, "test")
    assert dev_install in _dry_run(tmp_path, "setup")
    # after `make test` (whose install also covers make lab): nothing to install
    venv = tmp_path / ".venv"
    venv.mkdir()
    now = (tmp_path / "pyproject.toml").stat().st_mtime

    def age(path: Path, seconds: float) -> None:
        os.utime(path, (now - seconds, now - seconds))

    for stamp in (".installed", ".installed-lab"):
        (venv / stamp).touch()
        age(venv / stamp, 10)
    age(tmp_path / "pyproject.toml", 60)
    assert "pip install" not in _dry_run(tmp_path, "lab")
    assert "pip install" not in _dry_run(tmp_path, "setup")
    # after `make lab` only: make test still installs the dev extra, make lab nothing
    (venv / ".installed").unlink()
    assert dev_install in _dry_run(tmp_path, "test")
    assert "pip install" not in _dry_run(tmp_path, "lab")
    # pyproject.toml changed since both installs: both install again
    (venv / ".installed").touch()
    age(venv / ".installed", 10)
    age(tmp_path / "pyproject.toml", 0)
    assert lab_install in _dry_run(tmp_path, "lab")
    assert dev_install in _dry_run(tmp_path, "test")

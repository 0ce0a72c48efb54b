"""pytest configuration for the notebook runs (``pytest --nbval-lax lessons exercises/source``).

nbval executes every cell; this hook then checks what the cell showed: a cell that displays the
same image twice (a returned Figure echoed after ``display``/``plt.show``) fails, naming the cell.
"""

from __future__ import annotations

import hashlib

import pytest


def duplicate_images(outputs, source: str = "") -> int:
    """How many image outputs repeat an earlier one of the same cell (same PNG/JPEG bytes).

    A cell whose code ends in ``;`` shows no result in Jupyter, but nbval still records one, so
    its ``execute_result`` is left out here as JupyterLab leaves it out.
    """
    seen, repeats = set(), 0
    quiet = source.rstrip().endswith(";")
    for out in outputs or ():
        if quiet and out.get("output_type") == "execute_result":
            continue
        data = out.get("data", {}) if hasattr(out, "get") else {}
        for kind in ("image/png", "image/jpeg"):
            if kind in data:
                digest = hashlib.sha256(str(data[kind]).encode()).hexdigest()
                repeats += digest in seen
                seen.add(digest)
    return repeats


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    outcome = yield
    outputs = getattr(item, "test_outputs", None)  # set by nbval for every executed cell
    source = getattr(getattr(item, "cell", None), "source", "")
    if outcome.excinfo is None and outputs and duplicate_images(outputs, source):
        outcome.force_exception(
            AssertionError(
                f"{item.name} shows the same image twice: a cell that calls display(fig) or "
                "plt.show() should not also end with the figure (end it with plt.show() or `;`)."
            )
        )

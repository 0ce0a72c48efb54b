"""The shared machinery of exercise checks: a pass message, a hint-carrying failure."""

from __future__ import annotations

import sysconfig
import traceback
from pathlib import Path

# Code that is not the learner's: this package and every installed library or the standard library.
_NOT_THE_LEARNERS = tuple(
    str(Path(p).resolve())
    for p in {
        Path(__file__).resolve().parents[1],  # gancourse/
        *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")),
    }
)


class CheckFailed(AssertionError):
    """An exercise check did not pass. The message is a hint on what to fix.

    Jupyter (IPython) shows an exception through ``_render_traceback_`` when it has one, so the
    learner sees one short line instead of a traceback; nbval and pytest still see a failure.
    """

    prefix = "❌ Not yet"

    def __init__(self, hint: str, mistake: str | None = None):
        self.hint = hint
        self.mistake = mistake  # a short name of the recognised mistake, used by the tests
        super().__init__(f"{self.prefix}: {hint}")

    def _render_traceback_(self):
        return [str(self)]


class NotImplementedYet(CheckFailed):
    """The learner's function still raises ``NotImplementedError``."""

    prefix = "✏️ Not implemented yet"


def run_learner(func, *args, name: str | None = None, **kwargs):
    """Call the learner's function; turn its errors into short hints (not tracebacks)."""
    label = name or getattr(func, "__name__", "your function")
    if not callable(func):
        raise CheckFailed(
            f"expected a function, got {type(func).__name__}. Pass the function itself, "
            f"e.g. check({label})."
        )
    try:
        return func(*args, **kwargs)
    except NotImplementedError:
        raise NotImplementedYet(
            f"`{label}` still raises NotImplementedError. Replace that line with your code, "
            "run the cell, then run this check again.",
            mistake="not implemented",
        ) from None
    except CheckFailed:
        raise
    except Exception as error:  # any learner error becomes a short message with their own line
        where = learner_line(error)
        raise CheckFailed(
            f"`{label}` raised {type(error).__name__}: {error}"
            + (f"\n   {where}" if where else ""),
            mistake="error",
        ) from None


def learner_line(error: BaseException) -> str | None:
    """Where the learner's own code failed: the last frame of the error's traceback that lies
    outside this package and the installed libraries, as ``line N of FILE: CODE`` (a notebook
    cell's file is a temporary one, so the code is what finds it). None if there is no such frame.
    """
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if not str(Path(f.filename).resolve()).startswith(_NOT_THE_LEARNERS)
    ]
    if not frames:
        return None
    frame = frames[-1]
    source = frame.filename
    if "ipykernel" in source or source.startswith("<ipython-input"):
        source = "your cell"
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"in `{frame.name}`, line {frame.lineno} of {source}{code}"


def passed(message: str) -> bool:
    """Print a pass message and return True."""
    print(f"✅ Passed: {message}")
    return True

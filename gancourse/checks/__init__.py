"""Exercise checks, one module per lesson: ``gancourse.checks.lesson00.check_to_unit_range(f)``.

Each check runs the learner's function on test inputs and either prints a clear pass or raises
:class:`CheckFailed` with a specific hint, shown in Jupyter as one short message instead of a
traceback wall.
"""

from ._core import CheckFailed, NotImplementedYet, passed, run_learner

__all__ = ["CheckFailed", "NotImplementedYet", "passed", "run_learner"]

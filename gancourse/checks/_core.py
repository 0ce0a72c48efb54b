"""The shared machinery of exercise checks (every lesson's ``gancourse.checks.lessonNN``): a pass
message, a hint-carrying failure, and the few guards every check runs on a learner's result.

- :func:`run_learner` calls the learner's function and turns its errors into one-line hints;
- :func:`run_pure` does the same and then names an in-place change to any tensor argument;
- :func:`expect_tensor` checks a result's type, shape, dtype, device (and finiteness) first, so
  that a check never crashes on None, a tuple, a numpy array, a float64 or a NaN result;
- :func:`needs_grad` checks that a result carries a gradient *before* any ``backward()``;
- :func:`grads_of` gives d(output)/d(inputs) with zeros where nothing flows, to compare values;
- :func:`recognise` names the first known mistake whose value the result matches.
"""

from __future__ import annotations

import inspect
import sysconfig
import traceback
from pathlib import Path

import torch
from torch import nn

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


def _describe(value) -> str:
    """What a wrong return value is, in the words of a hint."""
    if value is None:
        return "None: did you forget the `return` statement?"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} items; return one tensor"
    if type(value).__module__.split(".")[0] == "numpy":
        return (
            f"a numpy {type(value).__name__}: stay in torch (torch.* functions, no .numpy()), "
            "so the result keeps its dtype, device and gradient"
        )
    if isinstance(value, bool | int | float):
        return (
            f"a Python {type(value).__name__} ({value!r}): .item() and float() leave torch and cut "
            "the gradient; return the tensor itself"
        )
    return type(value).__name__


def expect_tensor(
    result,
    *,
    like: torch.Tensor | None = None,
    shape=None,
    dtype: torch.dtype | None = None,
    device=None,
    name: str = "your function",
    finite: bool = False,
) -> torch.Tensor:
    """Return ``result`` if it is a tensor of the expected shape, dtype and device, in that order;
    otherwise raise :class:`CheckFailed` with a hint that says which one is wrong.

    ``like`` (an input tensor) gives the expected dtype and device where ``dtype``/``device`` are
    not given; ``shape`` is checked only when given (``()`` for a scalar). ``finite=True`` also
    rejects NaN and ±inf. Mistake names: "not a tensor", "shape", "dtype", "device", "not finite".
    """
    if not isinstance(result, torch.Tensor):
        raise CheckFailed(
            f"`{name}` must return a torch.Tensor, got {_describe(result)}.",
            mistake="not a tensor",
        )
    if shape is not None and tuple(result.shape) != tuple(shape):
        raise CheckFailed(
            f"`{name}` must return shape {tuple(shape)}, got {tuple(result.shape)}.",
            mistake="shape",
        )
    dtype = dtype if dtype is not None else (like.dtype if like is not None else None)
    if dtype is not None and result.dtype != dtype:
        if like is not None and like.dtype == dtype:
            fix = (
                f"the input was {dtype}. Keep the input's dtype: build new tensors with "
                "dtype=x.dtype, device=x.device (or torch.*_like), and do not convert with "
                ".float() / .double() / torch.tensor(...)"
            )
        else:
            fix = f"expected {dtype}: convert with .to({dtype})"
        raise CheckFailed(f"`{name}` returned {result.dtype}; {fix}.", mistake="dtype")
    device = (
        torch.device(device) if device is not None else (like.device if like is not None else None)
    )
    if device is not None and result.device != device:
        raise CheckFailed(
            f"`{name}` returned a tensor on {result.device}; the input was on {device}. "
            "Create new tensors on the input's device (device=x.device, torch.*_like).",
            mistake="device",
        )
    if finite and result.is_floating_point() and not torch.isfinite(result).all():
        bad = int((~torch.isfinite(result)).sum())
        raise CheckFailed(
            f"`{name}` returned NaN or inf in {bad} of {result.numel()} values: look for a "
            "log of 0, a division by 0 or an overflowing exp.",
            mistake="not finite",
        )
    return result


def _tensors(args, kwargs, func) -> dict[str, torch.Tensor]:
    """Every tensor the call receives (module parameters included), by the learner's names."""
    try:
        bound = inspect.signature(func).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = {f"argument {i + 1}": a for i, a in enumerate(args)} | kwargs
    found = {}
    for label, value in bound.items():
        items = value.items() if isinstance(value, dict) else None
        if items is None:
            many = isinstance(value, list | tuple)
            items = [(f"[{i}]", v) for i, v in enumerate(value)] if many else [("", value)]
        for key, item in items:
            if isinstance(item, torch.Tensor):
                found[f"{label}{key}"] = item
            elif isinstance(item, nn.Module):
                for pname, p in item.named_parameters():
                    found[f"{label}{key}.{pname}"] = p
    return found


def run_pure(func, *args, name: str | None = None, **kwargs):
    """:func:`run_learner`, then check that no tensor argument (nor a parameter of a module
    argument, nor a tensor inside a list, tuple or dict argument) was changed in place.

    Raises :class:`CheckFailed` with mistake "in place", naming the argument.
    """
    label = name or getattr(func, "__name__", "your function")
    inputs = _tensors(args, kwargs, func) if callable(func) else {}
    before = {k: t.detach().clone() for k, t in inputs.items()}
    result = run_learner(func, *args, name=label, **kwargs)
    for arg, tensor in inputs.items():
        now = tensor.detach()
        if now.shape != before[arg].shape or not torch.equal(now, before[arg]):
            raise CheckFailed(
                f"`{label}` changed its input `{arg}` in place (x -= m, x.mul_(...), "
                "x[...] = ..., or an out= argument). The caller still needs the original: "
                "compute a new tensor instead (y = x - m).",
                mistake="in place",
            )
    return result


def needs_grad(result: torch.Tensor, *, name: str = "your function", what: str = "") -> None:
    """Raise :class:`CheckFailed` (mistake "no gradient") unless ``result`` is part of an
    autograd graph. Call it before any ``backward()``, which would otherwise crash."""
    if not result.requires_grad:
        raise CheckFailed(
            f"`{name}`'s result carries no gradient{what}: it was computed under "
            "torch.no_grad(), .detach()ed, or went through .item(), .numpy() or torch.tensor(...). "
            "Keep every step in torch operations on the inputs so that backward() reaches them.",
            mistake="no gradient",
        )


def grads_of(output: torch.Tensor, inputs) -> list[torch.Tensor]:
    """d(output.sum())/d(each input), with zeros for an input that the output does not depend on
    (or for every input if ``output`` carries no gradient). The graph is kept."""
    inputs = list(inputs)
    if not output.requires_grad:
        return [torch.zeros_like(t) for t in inputs]
    grads = torch.autograd.grad(output.sum(), inputs, retain_graph=True, allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for g, t in zip(grads, inputs)]


def recognise(result: torch.Tensor, candidates: dict, atol: float = 1e-5) -> None:
    """Raise :class:`CheckFailed` for the first ``candidates`` entry ``mistake: (value, hint)``
    whose value ``result`` matches (same shape, close within ``atol``, compared in ``result``'s
    dtype); do nothing if none does."""
    got = result.detach()
    for mistake, (value, hint) in candidates.items():
        value = torch.as_tensor(value).detach().to(got.device, got.dtype)
        if value.shape == got.shape and torch.allclose(got, value, atol=atol, rtol=0):
            raise CheckFailed(hint, mistake=mistake)

"""The one base of every live explorer: a pure ``render(state) -> image bytes`` wired to controls.

Derived in lesson 00 (a seed slider: a pure function from the slider's value to PNG bytes, shown
by an ``ipywidgets.Image``); every explorer of lessons 05-09 is built on :class:`Explorer`:

1. a **pure render function** ``render(state) -> bytes``: the state is a plain dict of control
   values, the output depends on nothing else (models and images are fixed at construction), so it
   is unit-tested without a browser and the same state always gives the same bytes;
2. an ``ipywidgets.Image`` showing those bytes (PNG for small faces, JPEG for photo-sized pictures:
   :attr:`Explorer.image_format`);
3. ``observe`` on every control: read the state, render, replace the bytes. No matplotlib redraw,
   so a move costs one forward pass plus an image encode: milliseconds on a CPU.

What does not depend on the moving control is cached in an :class:`LRUCache`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

__all__ = ["Explorer", "LRUCache", "check_state"]


class LRUCache(OrderedDict):
    """A dict that keeps the ``size`` most recently used entries; ``get_or(key, make)`` fills it."""

    def __init__(self, size: int = 64):
        super().__init__()
        self.size = size

    def get_or(self, key: Hashable, make: Callable[[], object]):
        """The value cached under ``key``, or ``make()`` (then cached, evicting the oldest)."""
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


def check_state(state: Mapping, allowed: set, who: str) -> None:
    """A clear error when ``state`` names a control the explorer ``who`` does not have."""
    unknown = set(state) - allowed
    if unknown:
        raise KeyError(
            f"{who}.render got unknown controls {sorted(unknown)}; it knows {sorted(allowed)}"
        )


class Explorer:
    """Shared plumbing of every explorer: build the widget, wire the controls to ``render``.

    A subclass implements :meth:`render` (pure: state -> image bytes in :attr:`image_format`) and
    calls :meth:`build` with its controls once everything ``render`` needs is in place.
    """

    scale = 4
    image_format = "png"  # what render() returns; photo-sized explorers send "jpeg"

    def render(self, state: Mapping) -> bytes:
        """State -> image bytes. Pure: the same state always gives the same bytes."""
        raise NotImplementedError(f"{type(self).__name__} must implement render(state) -> bytes")

    def state(self) -> dict:
        """The current state, read from the controls."""
        return {name: control.value for name, control in self.controls.items()}

    def build(self, controls: dict, title: str = "") -> None:
        """Show ``controls`` next to the rendered image and re-render whenever one moves."""
        import ipywidgets as widgets

        self.controls = controls
        self.image = widgets.Image(value=self.render(self.state()), format=self.image_format)
        for control in controls.values():
            control.observe(self.refresh, names="value")
        self.widget = widgets.HBox([widgets.VBox(list(controls.values())), self.image])
        if title:
            self.widget = widgets.VBox([widgets.HTML(f"<b>{title}</b>"), self.widget])

    def refresh(self, _change=None) -> None:
        """Render the current state into the image (what every control's ``observe`` calls)."""
        self.image.value = self.render(self.state())

    def set(self, **values) -> bytes:
        """Set controls by name (as a learner would by moving them); returns the new image bytes."""
        for name, value in values.items():
            if name not in self.controls:
                raise KeyError(f"no control named {name!r}; controls: {list(self.controls)}")
            self.controls[name].value = value
        return self.image.value

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

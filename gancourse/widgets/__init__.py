"""Live explorers (ipywidgets), every one on the same base: a pure ``render(state) -> image bytes``.

Derived in lesson 00 (the slider pattern) and used in lessons 01 and 05-09. One module per topic:

- :mod:`gancourse.widgets.base`    :class:`Explorer` (controls wired to ``render``) and its
  :class:`LRUCache`;
- :mod:`gancourse.widgets.latent`  :class:`AttributeToggles` (05), :class:`LatentExplorer` (06),
  :class:`EditExplorer` (07);
- :mod:`gancourse.widgets.style`   :class:`StyleExplorer`, :class:`PainterExplorer`,
  :class:`StyleMixer` (08),
  :class:`BackgroundBlender` (09).
- :mod:`gancourse.widgets.ganlab`  :class:`GANLab` (01): a 2-D GAN trained live.
- :mod:`gancourse.widgets.liveplot` :class:`LivePlot` (04): a ``train.fit`` callback, loss curves
  and samples redrawn in place while a run trains.
- :mod:`gancourse.widgets.switchboard` :class:`FailureSwitchboard` (04): one setting flipped, a
  tiny DCGAN trained for seconds, the failure drawn against a healthy run; :class:`PictureToggle`
  (05) switches one image between ready pictures.
- :mod:`gancourse.widgets.runs`    :class:`RunBrowser` (03): several recorded runs of one 2-D setup,
  switched in place.
- :mod:`gancourse.widgets.threshold` :class:`ThresholdExplorer` (10): a detector's threshold moved
  over its scores (accuracy moves, average precision does not).

Every explorer is re-exported here: ``from gancourse import widgets; widgets.LatentExplorer(...)``
or ``from gancourse.widgets import StyleExplorer``. Models are passed in, never loaded here.
"""

from . import base, ganlab, latent, liveplot, runs, style, switchboard, threshold
from .base import Explorer, LRUCache, check_state
from .ganlab import GANLab
from .latent import AttributeToggles, EditExplorer, LatentExplorer, seed_latent
from .liveplot import LivePlot
from .runs import RunBrowser, snapshot_every
from .style import NO_STYLE, BackgroundBlender, PainterExplorer, StyleExplorer, StyleMixer
from .switchboard import FailureSwitchboard, PictureToggle
from .threshold import ThresholdExplorer

__all__ = [
    "base",
    "ganlab",
    "liveplot",
    "runs",
    "threshold",
    "switchboard",
    "latent",
    "style",
    "Explorer",
    "LRUCache",
    "check_state",
    "GANLab",
    "LivePlot",
    "RunBrowser",
    "snapshot_every",
    "ThresholdExplorer",
    "FailureSwitchboard",
    "PictureToggle",
    "AttributeToggles",
    "EditExplorer",
    "LatentExplorer",
    "seed_latent",
    "NO_STYLE",
    "BackgroundBlender",
    "PainterExplorer",
    "StyleExplorer",
    "StyleMixer",
]

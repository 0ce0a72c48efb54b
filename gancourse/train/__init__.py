"""The GAN training loop: one discriminator step, one generator step, and ``fit`` around them.

Derived in lesson 04 (the loop) and lesson 01 (the game); every zoo recipe trains through
:func:`fit`. One iteration of the alternating game (Goodfellow et al., 2014)::

    z ~ N(0, I);  fake = G(z)
    D step:  minimise L_D(D(x), D(fake.detach()))      # gradients reach D only
    G step:  minimise L_G(D(fake))                     # gradients reach G only, *through* D

- :func:`d_step` / :func:`g_step`: each testable alone (see ``tests/test_train.py``).
- :func:`fit`: the one loop. tqdm progress or a log, a history of D(x), D(G(z)) and the losses,
  callbacks (e.g. :class:`SampleGrid`), an :class:`EMA` of G (with warm-up), TTUR, R1 (lazy),
  labels for conditional GANs, style-mixing regularisation, a custom ``step`` for other models
  (pix2pix, CycleGAN, a classifier), bf16 autocast + channels_last on CUDA, one NaN guard,
  checkpoints, a graceful stop (``kill -USR1 PID`` or a time budget), and data parallelism
  under ``torchrun`` (see :mod:`gancourse.train.distributed`).
- Checkpoints are written by :mod:`gancourse.checkpoint` (safetensors, no pickle).
"""

from gancourse.train.loop import STOP, check_finite, fit, request_stop
from gancourse.train.state import EMA, Every, SampleGrid, TrainState, generate
from gancourse.train.steps import WithLabels, d_step, frozen, g_step, style_mixed

__all__ = [
    "EMA",
    "STOP",
    "Every",
    "SampleGrid",
    "TrainState",
    "WithLabels",
    "check_finite",
    "d_step",
    "fit",
    "frozen",
    "g_step",
    "generate",
    "request_stop",
    "style_mixed",
]

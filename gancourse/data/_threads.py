"""Run many small tensor operations on one CPU thread (the data of lesson 02 and later).

The procedural data (faces, styles, shapes) is hundreds of small element-wise operations. Split
over several OpenMP threads, each operation ends in a barrier; on a busy machine (a notebook
kernel next to a training run, CI running tests in parallel) a descheduled thread stalls every
barrier, and rendering gets 10-25x *slower* than on one thread (measured on the course's 2-core
machine under load). One thread is as fast on an idle machine for this memory-bound work, so the
renderers switch to one thread and restore the caller's setting afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def single_thread(device=None):
    """Within the block PyTorch uses one CPU thread (nothing changes for GPU tensors)."""
    n = torch.get_num_threads()
    if n == 1 or (device is not None and torch.device(device).type != "cpu"):
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)

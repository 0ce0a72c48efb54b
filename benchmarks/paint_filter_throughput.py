"""(photo, painting) pairs per second from ``styles.paint_filter`` on 64 x 64 faces, per style.

Lesson 09 makes paired data for pix2pix with this filter; "hundreds of pairs in seconds" is the aim.
Run: ``.venv/bin/python benchmarks/paint_filter_throughput.py``.
"""

import time

import torch

from gancourse.data import faces, styles


def main() -> None:
    print(
        f"torch {torch.__version__}, threads = {torch.get_num_threads()}, "
        "256 faces at 64 px, best of 3"
    )
    photos, _ = faces.face_batch(256, size=64, seed=0)
    for name in styles.STYLE_NAMES:
        styles.paint_filter(photos[:8], name)  # warm-up
        best = float("inf")
        for seed in range(3):
            start = time.perf_counter()
            styles.paint_filter(photos, name, seed=seed)
            best = min(best, time.perf_counter() - start)
        print(f"{name:>14}: {256 / best:7.0f} pairs/s")
    start = time.perf_counter()
    for name in styles.STYLE_NAMES:
        styles.style_image(name, 256, seed=123)
    print(
        f"all {len(styles.STYLE_NAMES)} style images at 256 px: {time.perf_counter() - start:.2f} s"
    )


if __name__ == "__main__":
    main()

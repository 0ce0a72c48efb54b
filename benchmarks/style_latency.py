"""Style-strength slider latency: alpha change -> new image bytes, at 256 x 256, on this machine.

A move calls :class:`gancourse.widgets.StyleExplorer`'s pure ``render(state)`` with a new
alpha. The encoder features of the content and style images and the full-strength AdaIN target are
cached, so a move runs ``t = alpha t_style + (1 - alpha) c``, the decoder and the JPEG encoder (what
the explorer sends). Prints the median, 90th percentile and the split (decode vs encode; PNG, the
format it sent before, is timed too). Goal: median <= 50 ms on a CPU.

The same for the feed-forward painter's slider (:class:`PainterExplorer`, lesson 08): the photo's
encoding and the styled features are cached, so a move runs ``alpha t_s + (1 - alpha) c``, the
painter's decoder and the JPEG encoder.

Also times the background slider (:class:`BackgroundBlender`, a blend + JPEG) for comparison.

    python benchmarks/style_latency.py [--moves 60] [--size 256] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch


def _stylizer():
    from gancourse import zoo

    try:
        return zoo.load("adain_decoder", device="cpu"), "zoo reference adain_decoder"
    except zoo.CheckpointError as error:
        model = zoo.entry("adain_decoder").build().eval().requires_grad_(False)
        return (
            model,
            f"untrained adain_decoder architecture ({type(error).__name__}; latency is the same)",
        )


def _painter():
    from gancourse import zoo
    from gancourse.models.painter import Painter

    try:
        return zoo.load("painter", device="cpu"), "zoo reference painter"
    except zoo.CheckpointError as error:  # not shipped yet: the architecture times the same
        return Painter().eval().requires_grad_(False), f"untrained Painter ({type(error).__name__})"


def _load_average():
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def _summary(name: str, times_ms: list[float]) -> str:
    ordered = sorted(times_ms)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return (
        f"{name:<34} median {statistics.median(times_ms):6.1f} ms   p90 {p90:6.1f} ms   "
        f"(n = {len(times_ms)})"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    from gancourse import runtime
    from gancourse.data import images, styles
    from gancourse.plot import to_jpeg_bytes, to_png_bytes
    from gancourse.style import outline_mask, prepare_photo
    from gancourse.widgets import BackgroundBlender, PainterExplorer, StyleExplorer

    threads = runtime.set_threads(args.threads)
    model, source = _stylizer()
    content = prepare_photo(images.grace_hopper(), size=args.size)
    style = styles.style_image("brush", 256)
    explorer = StyleExplorer(model, {"photo": content}, {"brush": style})
    state = {"alpha": 0.5, "style": "brush", "style 2": "(none)", "blend": 0.0, "content": "photo"}
    for a in (0.1, 0.9, 0.3):  # warm-up: caches filled, allocator warm
        explorer.render({**state, "alpha": a})

    alphas = [
        round((i * 0.37) % 1.0, 3) for i in range(1, args.moves + 1)
    ]  # a new value every move
    total, cpu, decode, jpeg, png = [], [], [], [], []
    for a in alphas:
        s = {**state, "alpha": a}
        start, start_cpu = time.perf_counter(), time.process_time()
        data = explorer.render(s)
        total.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert data[:3] == b"\xff\xd8\xff", "StyleExplorer.render should return JPEG bytes"
        start = time.perf_counter()
        image = explorer.stylized(s)
        decode.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        to_jpeg_bytes(image)
        jpeg.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        to_png_bytes(image)
        png.append((time.perf_counter() - start) * 1000)

    painter, painter_source = _painter()
    painter_explorer = PainterExplorer(painter, {"photo": content}, style="stained_glass")
    paint_state = {"alpha": 0.5, "style": "stained_glass", "photo": "photo"}
    for a in (0.1, 0.9, 0.3):  # warm-up
        painter_explorer.render({**paint_state, "alpha": a})
    paint = []
    for a in alphas:
        start = time.perf_counter()
        data = painter_explorer.render({**paint_state, "alpha": a})
        paint.append((time.perf_counter() - start) * 1000)
        assert data[:3] == b"\xff\xd8\xff", "PainterExplorer.render should return JPEG bytes"

    mask = outline_mask("grace_hopper", content.shape[-2:])
    blender = BackgroundBlender(
        content, {"brush": explorer.stylized({**state, "alpha": 1.0})}, mask, feather_sigma=2.0
    )
    blend = []
    for a in alphas:
        start = time.perf_counter()
        blender.render({"background": a, "style": "brush"})
        blend.append((time.perf_counter() - start) * 1000)

    print(
        f"style slider latency at {args.size} x {args.size}, {threads} CPU thread(s), "
        f"torch {torch.__version__}"
    )
    print(f"model: {source}")
    print(_summary("alpha move -> JPEG bytes (total)", total))
    print(_summary("  CPU time of the process per move", cpu))
    print(_summary("  of which adain blend + decode", decode))
    print(_summary("  of which JPEG encode", jpeg))
    print(_summary("  (PNG encode instead, for comparison)", png))
    print(f"painter: {painter_source}")
    print(_summary("painter alpha move -> JPEG bytes", paint))
    print(_summary("background move -> JPEG bytes", blend))
    load = _load_average()
    if load is not None:
        print(
            f"load average (1 min): {load:.1f} on {os.cpu_count()} cores; "
            "wall times include waiting for a core "
            "when the machine is busy (the CPU time above does not)"
        )
    for name, times in (("AdaIN slider", total), ("painter slider", paint)):
        goal = statistics.median(times) <= 50
        print(f"{name}: goal median <= 50 ms {'met' if goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

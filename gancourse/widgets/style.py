"""Live explorers of lessons 08-09: style strength, style mixing, background restyling.

Derived in lessons 08 (:class:`StyleExplorer`, :class:`PainterExplorer`, :class:`StyleMixer`) and 09
(:class:`BackgroundBlender`), on the slider pattern of lesson 00
(:class:`gancourse.widgets.base.Explorer`): a **pure** ``render(state) -> image bytes`` (the state
is a dict of control values; JPEG for the photo-sized explorers, PNG for the small faces), an
``ipywidgets.Image``, and ``observe`` on each control. Everything that does not depend on the
moving slider is cached, so a move costs little:

- :class:`StyleExplorer`: slider ``alpha`` (style strength), a ``style`` picker, an optional second
  style and a ``blend`` slider between the two. The encoder features of each content and style
  image and the AdaIN target of each (content, style, style 2, blend) are cached; moving alpha
  runs only ``t = alpha t_style + (1 - alpha) c``, the decoder and the JPEG encoder.
- :class:`PainterExplorer`: the feed-forward painter (zoo ``painter``) with a ``style`` picker,
  a ``photo`` picker and the ``alpha`` slider. The photo's features ``c`` and the painted features
  ``t_s`` of each (photo, style) are cached; moving alpha runs only the mix and the decoder.
- :class:`StyleMixer`: ``seed A``, ``seed B``, ``crossover`` (A's styles in layers below it, B's
  from it on) and ``truncation``; shows A | B | mix.
- :class:`BackgroundBlender`: slider ``background`` (restyle strength of the background only) and
  a ``style`` picker; the stylised photo of each style is computed once.

The models (a stylizer, a style-based generator) are passed in: load them with
``gancourse.zoo.load`` in the notebook.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from gancourse.models.stylegan import mix_styles
from gancourse.plot import image_grid, to_jpeg_bytes, to_png_bytes
from gancourse.style import adain, blend_background, default_crossover, feather, photo_mask
from gancourse.widgets.base import Explorer, LRUCache, check_state

__all__ = ["NO_STYLE", "BackgroundBlender", "PainterExplorer", "StyleExplorer", "StyleMixer"]

NO_STYLE = "(none)"


def _check_images(images: Mapping, what: str) -> dict:
    if not isinstance(images, Mapping) or not images:
        raise ValueError(f"{what} must be a non-empty dict {{name: image (3, H, W) in [-1, 1]}}")
    out = {}
    for name, x in images.items():
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[0] != 3:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"{what}[{name!r}] must be an RGB image (3, H, W) in [-1, 1], "
                f"got {got}; gancourse.style.prepare_photo converts grey/RGBA/uint8 "
                "photos"
            )
        out[str(name)] = x.float()
    return out


class StyleExplorer(Explorer):
    """AdaIN with a style-strength slider ``alpha`` (0 = the content, 1 = full style).

    ``StyleExplorer(stylizer, contents={"grace_hopper": x}, styles={"brush": s, ...})``.
    ``render({"alpha": 0.5, "style": "brush", "style 2": "(none)", "blend": 0.0,
    "content": "..."})``.
    """

    image_format = "jpeg"

    def __init__(
        self,
        stylizer: nn.Module,
        contents: Mapping,
        styles: Mapping,
        alpha: float = 1.0,
        style: str | None = None,
        scale: int = 1,
    ):
        import ipywidgets as widgets

        self.stylizer, self.scale = stylizer.eval(), scale
        self.contents = _check_images(contents, "contents")
        self.styles = _check_images(styles, "styles")
        self.device = next(stylizer.parameters()).device
        self._features = LRUCache(32)
        self._targets = LRUCache(32)
        style = style or next(iter(self.styles))
        controls = {
            "alpha": widgets.FloatSlider(
                value=alpha,
                min=0.0,
                max=1.0,
                step=0.05,
                description="alpha",
                continuous_update=True,
            ),
            "style": widgets.Dropdown(options=list(self.styles), value=style, description="style"),
            "style 2": widgets.Dropdown(
                options=[NO_STYLE, *self.styles], value=NO_STYLE, description="style 2"
            ),
            "blend": widgets.FloatSlider(
                value=0.0, min=0.0, max=1.0, step=0.05, description="blend"
            ),
            "content": widgets.Dropdown(
                options=list(self.contents), value=next(iter(self.contents)), description="content"
            ),
        }
        self.build(controls, title="AdaIN: alpha = style strength, blend = style -> style 2")

    @torch.no_grad()
    def features(self, kind: str, name: str) -> torch.Tensor:
        """Cached deepest encoder features (1, C, h, w) of a content or style image."""
        images = self.contents if kind == "content" else self.styles
        if name not in images:
            raise KeyError(f"no {kind} named {name!r}; choose one of {list(images)}")
        return self._features.get_or(
            (kind, name), lambda: self.stylizer.encode(images[name].to(self.device))[-1]
        )

    @torch.no_grad()
    def target(
        self, content: str, style: str, style2: str = NO_STYLE, blend: float = 0.0
    ) -> torch.Tensor:
        """Cached full-strength AdaIN target (alpha = 1), blended towards ``style2`` by
        ``blend``."""

        def make():
            c = self.features("content", content)
            t = adain(c, self.features("style", style))
            if style2 != NO_STYLE and blend > 0:
                t = (1 - blend) * t + blend * adain(c, self.features("style", style2))
            return t

        return self._targets.get_or((content, style, style2, round(float(blend), 4)), make)

    @torch.no_grad()
    def stylized(self, state: Mapping) -> torch.Tensor:
        """The stylised image (3, H, W) a state describes."""
        check_state(state, {"alpha", "style", "style 2", "blend", "content"}, "StyleExplorer")
        alpha = float(state.get("alpha", 1.0))
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        content = state.get("content", next(iter(self.contents)))
        t = self.target(
            content,
            state.get("style", next(iter(self.styles))),
            state.get("style 2", NO_STYLE),
            float(state.get("blend", 0.0)),
        )
        c = self.features("content", content)
        return self.stylizer.decode(alpha * t + (1 - alpha) * c)[0]

    def render(self, state: Mapping) -> bytes:
        """State -> JPEG bytes (a photo-sized picture). Pure: the same state always gives the same
        bytes."""
        return to_jpeg_bytes(self.stylized(state), scale=self.scale)


class PainterExplorer(Explorer):
    """The feed-forward painter with a style-strength slider ``alpha`` (0 = the photo).

    ``PainterExplorer(painter, photos={"grace_hopper": x})``;
    ``render({"alpha": 0.7, "style": "brush", "photo": "grace_hopper"})``. ``painter`` is one
    painter (its ``styles`` fill the dropdown) or a mapping style -> painter, e.g. the five-style
    painter for some styles and one-style painters for the others (lesson 08).
    """

    image_format = "jpeg"

    def __init__(
        self,
        painter,
        photos: Mapping,
        alpha: float = 1.0,
        style: str | None = None,
        scale: int = 1,
    ):
        import ipywidgets as widgets

        self.painters = _painters_by_style(painter)
        self.scale = scale
        self.photos = _check_images(photos, "photos")
        self.device = next(next(iter(self.painters.values())).parameters()).device
        self._features = LRUCache(64)
        style = style or next(iter(self.painters))
        controls = {
            "alpha": widgets.FloatSlider(
                value=alpha, min=0.0, max=1.0, step=0.05, description="alpha"
            ),
            "style": widgets.Dropdown(
                options=list(self.painters), value=style, description="style"
            ),
            "photo": widgets.Dropdown(
                options=list(self.photos), value=next(iter(self.photos)), description="photo"
            ),
        }
        self.build(controls, title="the painter: alpha = style strength")

    @torch.no_grad()
    def features(self, photo: str, style: str, painted: bool = False) -> torch.Tensor:
        """Cached ``c`` of a photo for the painter of ``style``, or (``painted``) its painted
        features ``t_s`` (1, C, h, w)."""
        if photo not in self.photos:
            raise KeyError(f"no photo named {photo!r}; choose one of {list(self.photos)}")
        painter = self.painters[style]

        def make():
            if not painted:
                return painter.encode(self.photos[photo][None].to(self.device))
            return painter.transform(self.features(photo, style), style)

        # the photo's features depend on the painter only: styles of one painter share them
        return self._features.get_or((photo, id(painter), style if painted else None), make)

    @torch.no_grad()
    def painted(self, state: Mapping) -> torch.Tensor:
        """The painted photo (3, H, W) a state describes: ``decode(alpha t_s + (1 - alpha) c)``
        (plus alpha times the style's fine canvas)."""
        check_state(state, {"alpha", "style", "photo"}, "PainterExplorer")
        photo = state.get("photo", next(iter(self.photos)))
        style = state.get("style", next(iter(self.painters)))
        if style not in self.painters:
            raise ValueError(f"style must be one of {list(self.painters)}, got {style!r}")
        painter = self.painters[style]
        t, c = self.features(photo, style, painted=True), self.features(photo, style)
        alpha = float(state.get("alpha", 1.0))
        return painter.decode(painter.mix(c, t, alpha), style, alpha)[0]

    def render(self, state: Mapping) -> bytes:
        """State -> JPEG bytes. Pure: the same state always gives the same bytes."""
        return to_jpeg_bytes(self.painted(state), scale=self.scale)


def _painters_by_style(painter) -> dict:
    """style -> painter, from one painter (all its styles) or a mapping style -> painter."""
    if not isinstance(painter, Mapping):
        _check_painter(painter)
        painter = {name: painter for name in painter.styles}
    if not painter:
        raise ValueError("PainterExplorer needs at least one style: got an empty mapping")
    for style, one in painter.items():
        _check_painter(one)
        if style not in one.styles:
            raise ValueError(
                f"the painter given for {style!r} paints only {list(one.styles)}; pair each "
                "style with a painter that knows it"
            )
    return {style: one.eval() for style, one in painter.items()}


def _check_painter(painter) -> None:
    if not all(hasattr(painter, n) for n in ("encode", "transform", "decode", "styles")):
        raise TypeError(
            f"PainterExplorer needs the feed-forward painter (zoo.load('painter')) or a dict "
            f"style -> painter, got {type(painter).__name__}; for an AdaIN stylizer use "
            "StyleExplorer"
        )


class StyleMixer(Explorer):
    """Style mixing in a style-based generator: A's styles below ``crossover``, B's from it on.

    Shows three faces: A, B and the mix. ``crossover = 0`` is all B; ``crossover = G.num_layers``
    all A.
    """

    def __init__(
        self,
        G: nn.Module,
        seed_a: int = 1,
        seed_b: int = 2,
        crossover: int | None = None,
        max_seed: int = 999,
        scale: int = 4,
        noise_seed: int = 0,
    ):
        import ipywidgets as widgets

        self.G, self.scale, self.noise_seed = G.eval(), scale, noise_seed
        self.device = next(G.parameters()).device
        self._w = LRUCache(64)
        crossover = default_crossover(G) if crossover is None else crossover
        controls = {
            "seed A": widgets.IntSlider(value=seed_a, min=0, max=max_seed, description="seed A"),
            "seed B": widgets.IntSlider(value=seed_b, min=0, max=max_seed, description="seed B"),
            "crossover": widgets.IntSlider(
                value=crossover, min=0, max=G.num_layers, description="crossover"
            ),
            "truncation": widgets.FloatSlider(
                value=1.0, min=0.0, max=1.0, step=0.05, description="truncation"
            ),
        }
        self.build(controls, title="style mixing: A's coarse layers, B's fine layers")

    @torch.no_grad()
    def w(self, seed: int, psi: float) -> torch.Tensor:
        """Cached style vector w (1, w_dim) of a seed at truncation ``psi``."""

        def make():
            g = torch.Generator().manual_seed(int(seed))
            z = torch.randn(1, self.G.z_dim, generator=g).to(self.device)
            return self.G.map(z, psi)

        return self._w.get_or((int(seed), round(float(psi), 4)), make)

    @torch.no_grad()
    def images(self, state: Mapping) -> torch.Tensor:
        """(3, 3, S, S): A, B and the mix of a state."""
        check_state(state, {"seed A", "seed B", "crossover", "truncation"}, "StyleMixer")
        psi = float(state.get("truncation", 1.0))
        wa, wb = self.w(state.get("seed A", 1), psi), self.w(state.get("seed B", 2), psi)
        cross = int(state.get("crossover", self.G.num_layers // 2))
        if not 0 <= cross <= self.G.num_layers:
            raise ValueError(f"crossover must be in 0..{self.G.num_layers}, got {cross}")
        L = self.G.num_layers
        ws = torch.cat(
            [self.G.broadcast(wa), self.G.broadcast(wb), mix_styles(wa, wb, range(cross, L), L)]
        )
        return self.G.synthesis(ws, noise_seed=self.noise_seed)

    def render(self, state: Mapping) -> bytes:
        """State -> PNG bytes of A | B | mix."""
        grid = image_grid(self.images(state), nrow=3) * 2 - 1
        return to_png_bytes(grid, scale=self.scale)


class BackgroundBlender(Explorer):
    """Restyle a photo's background only: slider ``background`` (0 = photo, 1 = full style) and a
    ``style`` picker.

    ``styled`` maps style names to the stylised photo (3, H, W); ``mask`` (H, W) in [0, 1], 1 = keep
    (already feathered, or feathered here with ``feather_sigma``).
    """

    image_format = "jpeg"

    def __init__(
        self,
        photo: torch.Tensor,
        styled: Mapping,
        mask: torch.Tensor,
        feather_sigma: float = 0.0,
        strength: float = 1.0,
        scale: int = 1,
    ):
        import ipywidgets as widgets

        self.photo = photo.float()
        self.styled = _check_images(styled, "styled")
        for name, x in self.styled.items():
            if x.shape != self.photo.shape:
                raise ValueError(
                    f"styled[{name!r}] is {tuple(x.shape)} but the photo is "
                    f"{tuple(self.photo.shape)}"
                )
        self.mask = feather(photo_mask(mask, self.photo), feather_sigma)
        self.scale = scale
        controls = {
            "background": widgets.FloatSlider(
                value=strength, min=0.0, max=1.0, step=0.05, description="background"
            ),
            "style": widgets.Dropdown(
                options=list(self.styled), value=next(iter(self.styled)), description="style"
            ),
        }
        self.build(
            controls, title="background restyling: the subject stays, the background changes"
        )

    def blended(self, state: Mapping) -> torch.Tensor:
        """The photo (3, H, W) with its background restyled as the state says."""
        check_state(state, {"background", "style"}, "BackgroundBlender")
        style = state.get("style", next(iter(self.styled)))
        if style not in self.styled:
            raise KeyError(f"no style named {style!r}; choose one of {list(self.styled)}")
        return blend_background(
            self.photo, self.styled[style], self.mask, float(state.get("background", 1.0))
        )

    def render(self, state: Mapping) -> bytes:
        """State -> JPEG bytes (a photo)."""
        return to_jpeg_bytes(self.blended(state), scale=self.scale)

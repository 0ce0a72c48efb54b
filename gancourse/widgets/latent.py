"""Live explorers of a generator's latent space: attribute toggles, latent directions, edits.

Derived in lessons 05-07, on the slider pattern of lesson 00
(:class:`gancourse.widgets.base.Explorer`):

- :class:`AttributeToggles` (lesson 05): a conditional generator's class labels as toggle buttons.
- :class:`LatentExplorer` (lesson 06): sliders over the top SeFa/GANSpace directions, a seed and
  truncation.
- :class:`EditExplorer` (lesson 07): a sample seed or an inverted image, one slider per attribute
  direction, an optional region mask.

What can be cached is cached: the base latent of a seed (and its image, for masked edits).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from gancourse import editing
from gancourse.data import faces
from gancourse.plot import image_grid, to_png_bytes
from gancourse.runtime import device_of
from gancourse.widgets.base import Explorer, LRUCache

__all__ = ["AttributeToggles", "EditExplorer", "LatentExplorer", "seed_latent"]


def seed_latent(seed: int, z_dim: int) -> torch.Tensor:
    """The latent of a seed, (1, d): the same seed gives the same z on every machine."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}: {seed!r}")
    return torch.randn(1, z_dim, generator=torch.Generator().manual_seed(seed))


def _one_vector(v, name: str) -> torch.Tensor:
    """``v`` as one float vector: a (d,) or (1, d) tensor; a clear error otherwise."""
    if not isinstance(v, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (d,) or (1, d), got {type(v).__name__}")
    if not v.is_floating_point():
        raise TypeError(f"{name} must be a float tensor, got dtype {v.dtype}")
    if v.dim() not in (1, 2) or (v.dim() == 2 and v.shape[0] != 1):
        raise ValueError(f"{name} must be one vector (d,) or (1, d), got {tuple(v.shape)}")
    return v.reshape(-1)


def _slider_name(i: int) -> str:
    return f"direction {i + 1}"


class LatentExplorer(Explorer):
    """Sliders over the top latent directions (SeFa or GANSpace) plus ``seed`` and ``truncation``.

    ``LatentExplorer(G, directions)`` with ``directions`` (k, d) unit rows. Sliders are described
    "direction 1" … "direction k", "seed" and "truncation". ``render(state)`` is pure:
    ``z = mean + ψ (z_seed - mean) + Σ_i α_i n_i`` → G → PNG.
    """

    def __init__(
        self,
        G: nn.Module,
        directions: torch.Tensor,
        seed: int = 0,
        strength: float = 5.0,
        max_seed: int = 999,
        mean: torch.Tensor | None = None,
        scale: int = 4,
        labels=None,
    ):
        d = editing.z_dim_of(G)
        if (
            not isinstance(directions, torch.Tensor)
            or directions.dim() != 2
            or directions.shape[1] != d
        ):
            got = (
                tuple(directions.shape)
                if isinstance(directions, torch.Tensor)
                else type(directions).__name__
            )
            raise ValueError(
                f"directions must be a (k, {d}) tensor (one unit direction per row), got {got}"
            )
        self.G, self.d, self.scale = G, d, scale
        self.device = device_of(G)
        self.directions = editing.normalize(directions.float()).to(self.device)  # (k, d)
        self.mean = (torch.zeros(d) if mean is None else mean.float().reshape(d)).to(self.device)
        self.labels = labels  # optional (1, m) labels for a conditional generator
        self._z_cache = LRUCache()
        import ipywidgets as widgets

        controls = {
            "seed": widgets.IntSlider(
                value=seed, min=0, max=max_seed, description="seed", continuous_update=True
            ),
            "truncation": widgets.FloatSlider(
                value=1.0, min=0.0, max=1.0, step=0.05, description="truncation"
            ),
        }
        for i in range(self.directions.shape[0]):
            controls[_slider_name(i)] = widgets.FloatSlider(
                value=0.0, min=-strength, max=strength, step=0.1, description=_slider_name(i)
            )
        self.build(controls)

    def latent(self, state: Mapping) -> torch.Tensor:
        """The latent (1, d) a state describes."""
        seed = int(state.get("seed", 0))
        z = self._z_cache.get_or(seed, lambda: seed_latent(seed, self.d).to(self.device))
        psi = float(state.get("truncation", 1.0))
        z = self.mean + psi * (z - self.mean)
        k = self.directions.shape[0]
        alphas = torch.tensor(
            [float(state.get(_slider_name(i), 0.0)) for i in range(k)], device=self.device
        )
        return z + (alphas @ self.directions).unsqueeze(0)

    @torch.inference_mode()
    def render(self, state: Mapping) -> bytes:
        """State -> PNG bytes of G(z). Pure: the same state always gives the same bytes."""
        sliders = {_slider_name(i) for i in range(self.directions.shape[0])}
        unknown = set(state) - {"seed", "truncation"} - sliders
        if unknown:
            raise KeyError(
                f"unknown state keys {sorted(unknown)}; the controls are {list(self.controls)}"
                if hasattr(self, "controls")
                else f"unknown state keys {sorted(unknown)}"
            )
        z = self.latent(state)
        image = self.G(z) if self.labels is None else self.G(z, self.labels)
        return to_png_bytes(image[0], scale=self.scale)


class EditExplorer(Explorer):
    """Edit one face with one slider per attribute direction, from a seed or an inverted image.

    ``EditExplorer(G, {"smile": n_smile, "eye_size": n_eye, ...}, sources={"my photo": z_inv},
    regions={"mouth": mask})``. Controls: "start from" (a random sample or one of ``sources``),
    "seed", one slider per attribute (described by the attribute's name, e.g. "smile") and "region"
    ("whole image" or a mask name: the edit is blended in only there).
    ``render(state)`` is pure: ``z = z_start + Σ α_a u_a n_a``, image = G(z), blended with
    G(z_start) through the (soft) mask when a region is chosen. ``units`` sets ``u_a``, the length
    of one slider step of 1.0 along each direction (default 1: for z ~ N(0, I) that is one standard
    deviation). G may be an :class:`~gancourse.editing.FeatureSpace`: seeds then start from the
    features of the seed's z, and ``units={a: (h @ n_a).std()}`` keeps the sliders in standard
    deviations.
    """

    SAMPLE = "random sample (seed)"
    WHOLE = "whole image"

    def __init__(
        self,
        G: nn.Module,
        directions: Mapping[str, torch.Tensor],
        sources: Mapping | None = None,
        regions: Mapping | None = None,
        seed: int = 0,
        strength: float = 4.0,
        max_seed: int = 999,
        scale: int = 4,
        units: Mapping[str, float] | None = None,
    ):
        d = editing.z_dim_of(G)
        if not isinstance(directions, Mapping) or not directions:
            raise ValueError("directions must be a non-empty dict {attribute name: direction (d,)}")
        units = dict(units or {})
        if set(units) - set(directions) or any(not float(u) > 0 for u in units.values()):
            raise ValueError(
                f"units must map direction names {list(directions)} to positive "
                f"lengths, got {units}"
            )
        self.G, self.d, self.scale = G, d, scale
        self.device = device_of(G)
        self.directions = {}
        for name, n in directions.items():
            n = _one_vector(n, f"direction {name!r}")
            if n.shape[0] != d:
                raise ValueError(
                    f"direction {name!r} has {n.shape[0]} entries but the latents have d = {d}"
                )
            unit = float(units.get(name, 1.0))
            self.directions[name] = unit * editing.normalize(n.float()).to(self.device)
        self.sources = {}
        for name, z in (sources or {}).items():
            z = _one_vector(z, f"source {name!r}")
            if z.shape[0] != d:
                raise ValueError(
                    f"source {name!r} must be a latent with d = {d} entries, got {z.shape[0]}"
                )
            self.sources[name] = z.float().to(self.device).unsqueeze(0)
        size = getattr(G, "image_size", 64)
        self.regions = {
            name: editing.soften_mask(editing.check_mask(m, size)).to(self.device)
            for name, m in (regions or {}).items()
        }
        self._base_cache = LRUCache()
        import ipywidgets as widgets

        controls = {
            "start from": widgets.Dropdown(
                options=[self.SAMPLE, *self.sources], value=self.SAMPLE, description="start from"
            ),
            "seed": widgets.IntSlider(value=seed, min=0, max=max_seed, description="seed"),
        }
        for name in self.directions:
            controls[name] = widgets.FloatSlider(
                value=0.0, min=-strength, max=strength, step=0.1, description=name
            )
        if self.regions:
            controls["region"] = widgets.Dropdown(
                options=[self.WHOLE, *self.regions], value=self.WHOLE, description="region"
            )
        self.build(controls)

    def start(self, state: Mapping) -> tuple[torch.Tensor, torch.Tensor]:
        """The starting latent (1, d) and its image (cached)."""
        source = state.get("start from", self.SAMPLE)
        if source == self.SAMPLE:
            key = ("seed", int(state.get("seed", 0)))

            def make_z():  # a FeatureSpace's features of the seed's z too
                return editing.sample_latents(self.G, 1, key[1]).to(self.device)
        elif source in self.sources:
            key = ("source", source)

            def make_z():
                return self.sources[source]
        else:
            raise KeyError(
                f"unknown start {source!r}; choose {self.SAMPLE!r} or one of {list(self.sources)}"
            )

        def make():
            z = make_z()
            with torch.no_grad():
                return z, self.G(z)

        return self._base_cache.get_or(key, make)

    @torch.inference_mode()
    def render(self, state: Mapping) -> bytes:
        """State -> PNG bytes of the edited face. Pure: the same state always gives the same
        bytes."""
        known = {"start from", "seed", "region", *self.directions}
        unknown = set(state) - known
        if unknown:
            raise KeyError(
                f"unknown state keys {sorted(unknown)}; attributes with a slider: "
                f"{list(self.directions)}"
            )
        z, base = self.start(state)
        alphas = {name: float(state.get(name, 0.0)) for name in self.directions}
        if not any(alphas.values()):
            return to_png_bytes(base[0], scale=self.scale)
        for name, alpha in alphas.items():
            if alpha:
                z = z + alpha * self.directions[name]
        image = self.G(z)
        region = state.get("region", self.WHOLE)
        if region != self.WHOLE:
            if region not in self.regions:
                raise KeyError(
                    f"unknown region {region!r}; choose {self.WHOLE!r} or one of "
                    f"{list(self.regions)}"
                )
            mask = self.regions[region]
            image = mask * image + (1 - mask) * base
        return to_png_bytes(image[0], scale=self.scale)


class AttributeToggles(Explorer):
    """A conditional generator's labels as toggle buttons (one row per attribute) plus a seed.

    Shows ``n`` samples (seeds ``seed .. seed + n - 1``) drawn with the chosen labels, so you see
    that the label decides the attribute and z decides the rest. ``render(state)`` is pure.
    """

    def __init__(
        self, G: nn.Module, seed: int = 0, n: int = 4, max_seed: int = 999, scale: int = 2
    ):
        classes = getattr(G, "classes", None)
        if not isinstance(classes, Mapping):
            raise TypeError(f"{type(G).__name__} is not a conditional generator (no .classes)")
        self.G, self.n, self.scale = G, n, scale
        self.d = editing.z_dim_of(G)
        self.device = device_of(G)
        self.class_names = {
            name: (
                faces.ATTRIBUTES[name].classes
                if name in faces.ATTRIBUTES
                else tuple(str(i) for i in range(k))
            )
            for name, k in classes.items()
        }
        self._z_cache = LRUCache()
        import ipywidgets as widgets

        controls = {"seed": widgets.IntSlider(value=seed, min=0, max=max_seed, description="seed")}
        for name, options in self.class_names.items():
            controls[name] = widgets.ToggleButtons(
                options=list(options),
                value=options[0],
                description=name,
                style={"button_width": "70px"},
            )
        self.build(controls)

    def labels(self, state: Mapping) -> torch.Tensor:
        """(n, m) class indices for the state's choices."""
        row = []
        for name, options in self.class_names.items():
            value = state.get(name, options[0])
            if value not in options:
                raise ValueError(f"{name} must be one of {options}, got {value!r}")
            row.append(options.index(value))
        return torch.tensor([row] * self.n, device=self.device)

    @torch.inference_mode()
    def render(self, state: Mapping) -> bytes:
        """State -> PNG bytes of ``n`` samples with the chosen labels (a row)."""
        seed = int(state.get("seed", 0))
        z = self._z_cache.get_or(
            seed,
            lambda: torch.randn(self.n, self.d, generator=torch.Generator().manual_seed(seed)).to(
                self.device
            ),
        )
        images = self.G(z, self.labels(state))
        grid = image_grid(images, nrow=self.n, value_range=(-1, 1)) * 2 - 1
        return to_png_bytes(grid, scale=self.scale)

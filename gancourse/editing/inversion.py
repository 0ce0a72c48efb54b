"""GAN inversion: find z with ``G(z) ≈ x`` for a given image x, then edit it.

Derived in lesson 07.

    minimise ``|G(z) - x|² + λ_f |φ(G(z)) - φ(x)|² + λ_z (|z|²/d - 1)²`` over z with Adam, where φ
    are the classifier's features (a perceptual loss); start from an encoder's guess
    (:func:`train_encoder`) or from the best of K random z (:func:`best_of_k`). Quality is reported
    as PSNR (:func:`gancourse.metrics.psnr`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from tqdm.auto import tqdm

from gancourse.data.transforms import from_uint8
from gancourse.metrics import psnr
from gancourse.runtime import device_of
from gancourse.train import generate

from .latents import check_latents, z_dim_of


def check_image(image, G: nn.Module) -> torch.Tensor:
    """An image to invert as a float (B, C, S, S) tensor in [-1, 1] matching G, or a clear error.

    Accepts a PIL image (must be RGB, S x S), a uint8 tensor (values 0..255) or a float tensor in
    [-1, 1], each (C, S, S) or (B, C, S, S).
    """
    channels, size = getattr(G, "channels", 3), getattr(G, "image_size", None)
    if isinstance(image, Image.Image):
        if image.mode != "RGB" and channels == 3:
            raise ValueError(
                f"the image has mode {image.mode!r}; the generator makes RGB images. "
                "Convert it first: image.convert('RGB')."
            )
        if size is not None and image.size != (size, size):
            raise ValueError(
                f"the image is {image.size[0]}x{image.size[1]} pixels; the generator makes "
                f"{size}x{size}. Resize (and crop) it first: image.resize(({size}, {size}))."
            )
        array = torch.from_numpy(np.asarray(image).copy())
        image = array.permute(2, 0, 1) if array.dim() == 3 else array.unsqueeze(0)
    if not isinstance(image, torch.Tensor):
        raise TypeError(
            f"image must be a torch.Tensor (C, H, W) or a PIL image, got {type(image).__name__}"
        )
    x = image
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4:
        raise ValueError(
            f"image must have shape (C, H, W) or (B, C, H, W), got {tuple(image.shape)}"
        )
    if x.shape[1] != channels:
        if x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
            hint = " It looks channels-last (H, W, C): use .permute(2, 0, 1)."
        elif x.shape[1] == 4:
            hint = (
                " It has an alpha channel (RGBA): drop it with image[:3] "
                "(or PIL's .convert('RGB'))."
            )
        elif x.shape[1] == 1:
            hint = (
                " It is grayscale: repeat it to 3 channels with image.expand(3, -1, -1) "
                "if that is what you mean."
            )
        else:
            hint = ""
        raise ValueError(
            f"the image has {x.shape[1]} channel(s); the generator makes {channels}-channel images "
            f"of shape ({channels}, {size}, {size}).{hint}"
        )
    if size is not None and tuple(x.shape[-2:]) != (size, size):
        raise ValueError(
            f"the image is {x.shape[-2]}x{x.shape[-1]} pixels; the generator makes {size}x{size}. "
            f"Resize it first, e.g. torch.nn.functional.interpolate(x, size={size}, mode='area')."
        )
    if x.dtype == torch.uint8:
        x = from_uint8(x)
    elif not x.is_floating_point():
        raise TypeError(f"image must be uint8 (0..255) or float in [-1, 1], got dtype {x.dtype}")
    elif not torch.isfinite(x).all():
        raise ValueError("the image holds NaN or inf values; load or compute it again")
    elif x.min() < -1.01 or x.max() > 1.01:
        raise ValueError(
            "a float image must be in [-1, 1], got values in "
            f"[{x.min().item():.3g}, {x.max().item():.3g}]. "
            "If it is in [0, 1], use x * 2 - 1; if in [0, 255], x / 127.5 - 1."
        )
    return x.float()


@torch.no_grad()
def best_of_k(G: nn.Module, target: torch.Tensor, k: int = 256, seed: int = 0) -> torch.Tensor:
    """Per target image, the z among ``k`` random ones whose G(z) is nearest in pixels: (B, d)."""
    target = check_image(target, G)
    d = z_dim_of(G)
    g = torch.Generator().manual_seed(seed)
    candidates = torch.randn(k, d, generator=g)
    images = generate(G, candidates)  # (k, C, S, S)
    dist = torch.cdist(target.flatten(1).cpu(), images.flatten(1))  # (B, k)
    return candidates[dist.argmin(1)]


class Encoder(nn.Module):
    """A small CNN ``E: image (B, 3, 64, 64) -> z (B, d)`` trained on (G(z), z) pairs.

    Its guess ``E(x)`` is where :func:`invert` starts.
    """

    def __init__(self, z_dim: int = 64, image_size: int = 64, channels: int = 3, width: int = 32):
        super().__init__()
        self.config = {
            "z_dim": z_dim,
            "image_size": image_size,
            "channels": channels,
            "width": width,
        }
        layers, c, size = [], channels, image_size
        out = width
        while size > 4:  # each: (B, c, s, s) -> (B, out, s/2, s/2)
            layers += [nn.Conv2d(c, out, 4, 2, 1), nn.LeakyReLU(0.2, True)]
            c, out, size = out, min(out * 2, 8 * width), size // 2
        self.body = nn.Sequential(*layers)  # (B, c, 4, 4)
        self.head = nn.Linear(c * 16, z_dim)  # (B, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).flatten(1))


def train_encoder(
    G: nn.Module,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    width: int = 32,
    log_every: int = 0,
    progress: bool = True,
) -> Encoder:
    """Train an :class:`Encoder` to predict z from G(z) (MSE on z), on fresh samples each step.

    ``log_every`` prints the latent MSE every so many steps; ``progress`` shows a tqdm bar.
    """
    d = z_dim_of(G)
    device = device_of(G)
    torch.manual_seed(seed)
    E = Encoder(d, getattr(G, "image_size", 64), getattr(G, "channels", 3), width).to(device)
    opt = torch.optim.Adam(E.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    for step in tqdm(
        range(steps), desc="encoder", disable=not progress, leave=False, mininterval=1
    ):
        z = torch.randn(batch_size, d, generator=g).to(device)
        with torch.no_grad():
            x = G(z)
        loss = F.mse_loss(E(x), z)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"encoder step {step + 1}/{steps}: latent MSE {loss.item():.3f}")
    return E.eval().requires_grad_(False)


def invert(
    G: nn.Module,
    image,
    steps: int = 200,
    lr: float = 0.05,
    features: Callable | None = None,
    feature_weight: float = 1.0,
    latent_weight: float = 0.01,
    init: torch.Tensor | None = None,
    encoder: nn.Module | None = None,
    k: int = 256,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """GAN inversion by optimisation: find z with ``G(z) ≈ image``.

    loss(z) = ``mean (G(z) - x)²`` + ``feature_weight · mean (φ(G(z)) - φ(x))²`` +
    ``latent_weight · (|z|²/d - 1)²`` (keeps z on the Gaussian shell), minimised with Adam.
    φ is ``features`` (e.g. the classifier's ``features`` method), skipped when None.
    Start: ``init`` if given, else ``encoder(x)``, else the best of ``k`` random latents.

    Returns ``{"z": (B, d), "image": G(z) (B, C, S, S), "psnr": (B,) dB, "start_psnr": (B,),
    "losses": [...]}`` (PSNR per image, :func:`gancourse.metrics.psnr`). ``progress``: a progress
    bar while it runs.
    """
    x = check_image(image, G).to(device_of(G))
    d = z_dim_of(G)
    if init is not None:
        z0 = check_latents(init).reshape(-1, d).to(x)
    elif encoder is not None:
        with torch.no_grad():
            z0 = encoder(x)
    else:
        z0 = best_of_k(G, x, k=k, seed=seed).to(x)
    with torch.no_grad():
        start_psnr = psnr(G(z0), x).cpu()
        target_feats = features(x) if features is not None else None
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    losses = []
    for _ in tqdm(range(steps), desc="inverting", disable=not progress, leave=False, mininterval=1):
        out = G(z)
        loss = (out - x).pow(2).mean()
        if features is not None:
            loss = loss + feature_weight * (features(out) - target_feats).pow(2).mean()
        loss = loss + latent_weight * ((z.pow(2).mean(1) - 1) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    z = z.detach()
    with torch.no_grad():
        image_out = G(z)
    return {
        "z": z.cpu(),
        "image": image_out.cpu(),
        "psnr": psnr(image_out, x).cpu(),
        "start_psnr": start_psnr,
        "losses": losses,
    }

"""The two steps of the game, each testable alone: :func:`d_step` and :func:`g_step`.

Derived in lesson 04 (lesson 01 shows the game on 2-D data). Conditional GANs (lesson 05) reuse
them through :class:`WithLabels`; style-mixing regularisation (lesson 08) is :func:`style_mixed`.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from gancourse import losses as _losses
from gancourse.runtime import device_of


# ----------------------------------------------------------------------------- helpers
def loss_fns(loss):
    """``loss`` is a name from ``gancourse.losses.LOSSES`` or a ``(d_loss, g_loss)`` pair."""
    if isinstance(loss, str):
        return _losses.get_loss(loss)
    if isinstance(loss, tuple | list) and len(loss) == 2 and all(callable(f) for f in loss):
        return tuple(loss)
    raise ValueError(
        f"loss must be a name ({', '.join(_losses.LOSSES)}) or a (d_loss, g_loss) pair, "
        f"got {loss!r}"
    )


def autocast(device: torch.device, amp: bool):
    """bf16 autocast on CUDA when ``amp``; a no-op elsewhere (CPU training stays float32)."""
    if amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def frozen(model: nn.Module):
    """Temporarily switch off ``requires_grad`` of a model's parameters (restored afterwards).

    In the G step this stops autograd from computing D's weight gradients, which the G step does
    not use: gradients still flow *through* D to G, and the step is cheaper.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p in params:
            p.requires_grad_(True)


def _d_prob(logits: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(logits.detach().float()).mean()


# ----------------------------------------------------------------------------- the two steps
def d_step(
    G: nn.Module,
    D: nn.Module,
    real: torch.Tensor,
    z: torch.Tensor | None,
    opt_d,
    loss="bce",
    fake: torch.Tensor | None = None,
    gp_weight: float = 0.0,
    r1_weight: float = 0.0,
    amp: bool = False,
) -> dict[str, torch.Tensor]:
    """One discriminator update. Returns detached tensors ``d_loss``, ``d_real``, ``d_fake``.

    ``L_D = d_loss(D(x), D(G(z)))  [+ gp_weight · GP]  [+ r1_weight/2 · R1]``

    The fake batch is made under ``no_grad`` (or ``fake.detach()`` when given), so no gradient
    reaches G. ``d_real`` / ``d_fake`` are the mean of ``sigmoid(D(·))``: D's belief that the batch
    is real.
    """
    d_fn, _ = loss_fns(loss)
    if fake is None:
        if z is None:
            raise ValueError("d_step needs either a latent batch z or a ready fake batch")
        with torch.no_grad(), autocast(real.device, amp):
            fake = G(z)
    fake = fake.detach()
    opt_d.zero_grad(set_to_none=True)
    with autocast(real.device, amp):
        real_logits = D(real)
        fake_logits = D(fake)
        loss_d = d_fn(real_logits.float(), fake_logits.float())
    if gp_weight:
        loss_d = loss_d + gp_weight * _losses.gradient_penalty(D, real, fake.to(real.dtype))
    if r1_weight:
        loss_d = loss_d + 0.5 * r1_weight * _losses.r1_penalty(D, real)
    loss_d.backward()
    opt_d.step()
    return {
        "d_loss": loss_d.detach(),
        "d_real": _d_prob(real_logits),
        "d_fake": _d_prob(fake_logits),
    }


def g_step(
    G: nn.Module,
    D: nn.Module,
    z: torch.Tensor | None,
    opt_g,
    loss="bce",
    fake: torch.Tensor | None = None,
    amp: bool = False,
) -> dict[str, torch.Tensor]:
    """One generator update.

    Returns detached tensors ``g_loss`` and ``d_fake_g`` (D(G(z)) seen by G).

    ``L_G = g_loss(D(G(z)))``; D's parameters are frozen during the step (no gradient is
    accumulated in D), the gradient flows through D into G. ``fake`` may be the batch already
    made for the D step (still attached to G's graph), which saves a generator forward pass.
    """
    _, g_fn = loss_fns(loss)
    opt_g.zero_grad(set_to_none=True)
    with frozen(D), autocast(device_of(G), amp):
        if fake is None:
            if z is None:
                raise ValueError("g_step needs either a latent batch z or a fake batch made by G")
            fake = G(z)
        elif not fake.requires_grad:
            raise ValueError(
                "g_step got a detached fake batch: pass G(z) itself (not .detach()), "
                "otherwise no gradient can reach the generator"
            )
        fake_logits = D(fake)
        loss_g = g_fn(fake_logits.float())
    loss_g.backward()
    opt_g.step()
    return {"g_loss": loss_g.detach(), "d_fake_g": _d_prob(fake_logits)}


class WithLabels(nn.Module):
    """``D(x, labels)`` seen as ``D(x)``: the labels of the current batch are set before each step.

    Lets a conditional GAN (lesson 05) reuse :func:`d_step` / :func:`g_step` unchanged.
    """

    def __init__(self, D: nn.Module):
        super().__init__()
        self.D = D
        self.labels: torch.Tensor | None = None

    def forward(self, x):
        return self.D(x, self.labels)


def style_mixed(G: nn.Module, z: torch.Tensor, generator: torch.Generator, prob: float):
    """Style-mixing regularisation (Karras et al., 2019), derived in lesson 08.

    With probability ``prob`` the batch takes ``w1 = f(z)`` for the layers before a random
    crossover and ``w2 = f(z2)`` after it, so no layer can rely on its neighbours sharing a style.
    ``G`` needs ``mapping``, ``broadcast``, ``synthesis`` and ``num_layers`` (a StyleGenerator).
    """
    ws = G.broadcast(G.mapping(z))  # (B, L, w_dim)
    if torch.rand(1, generator=generator).item() < prob:
        z2 = torch.randn(z.shape, generator=generator).to(z.device)
        cross = int(torch.randint(1, G.num_layers, (1,), generator=generator))
        ws = torch.cat([ws[:, :cross], G.broadcast(G.mapping(z2))[:, cross:]], 1)
    return G.synthesis(ws)

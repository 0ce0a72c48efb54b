"""Every adversarial loss of the course, on **logits**, numerically stable. Derived in lesson 03.

Notation: the discriminator outputs a logit ``l = D_logit(x)``; its probability is
``D(x) = sigmoid(l)``. ``real`` are logits on real data, ``fake`` logits on generated data
``G(z)``. All functions return the mean over the batch (a scalar tensor).

We never compute ``log(sigmoid(l))`` directly (it is ``-inf`` for ``l < -104`` in float32); we use
``softplus(t) = log(1 + e^t)``:  ``-log sigmoid(l) = softplus(-l)`` and
``-log(1 - sigmoid(l)) = softplus(l)``.

| name          | discriminator loss                       | generator loss              |
| ------------- | ---------------------------------------- | --------------------------- |
| ``"minimax"`` | BCE: -log D(x) - log(1 - D(G(z)))        | saturating: log(1 - D(G(z)))|
| ``"bce"``     | same BCE                                 | non-saturating: -log D(G(z))|
| ``"lsgan"``   | ½(l_real - 1)² + ½ l_fake²               | ½(l_fake - 1)²              |
| ``"hinge"``   | max(0, 1 - l_real) + max(0, 1 + l_fake)  | -l_fake                     |
| ``"wgan"``    | l_fake - l_real  (a critic)              | -l_fake                     |

Regularisers: :func:`gradient_penalty` (WGAN-GP) and :func:`r1_penalty` (R1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check_logits(**tensors: torch.Tensor) -> None:
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError(
                f"{name} must be a tensor of discriminator logits, got {type(t).__name__}"
            )
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a float tensor of logits, got dtype {t.dtype}")


# ----------------------------------------------------------------------------- minimax / BCE
def d_loss_bce(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator binary cross-entropy (the minimax game's D side).

    ``L_D = E[-log D(x)] + E[-log(1 - D(G(z)))] = E[softplus(-l_real)] + E[softplus(l_fake)]``

    Real labelled 1, fake labelled 0; equals
    ``BCEWithLogits(real, 1) + BCEWithLogits(fake, 0)``. Minimum when D is right everywhere.
    """
    _check_logits(real=real, fake=fake)
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def g_loss_saturating(fake: torch.Tensor) -> torch.Tensor:
    """The original minimax generator loss (Goodfellow et al., 2014), which *saturates*.

    ``L_G = E[log(1 - D(G(z)))] = -E[softplus(l_fake)]``  (G minimises it)

    Its gradient w.r.t. the logit is ``-sigmoid(l) = -D(G(z))``: near 0 exactly when D confidently
    rejects the fakes (early in training), so G barely learns. Prefer :func:`g_loss_nonsaturating`.
    """
    _check_logits(fake=fake)
    return -F.softplus(fake).mean()


def g_loss_nonsaturating(fake: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss ("-log D trick").

    ``L_G = E[-log D(G(z))] = E[softplus(-l_fake)]``

    Same fixed point as the minimax loss, but the gradient w.r.t. the logit is
    ``-(1 - D(G(z)))``: large when D rejects the fakes.
    """
    _check_logits(fake=fake)
    return F.softplus(-fake).mean()


# ----------------------------------------------------------------------------- LSGAN
def d_loss_lsgan(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Least-squares GAN discriminator (Mao et al., 2017), targets real → 1, fake → 0.

    ``L_D = ½ E[(l_real - 1)²] + ½ E[l_fake²]``  (``l`` is the raw output, no sigmoid)
    """
    _check_logits(real=real, fake=fake)
    return 0.5 * (real - 1).pow(2).mean() + 0.5 * fake.pow(2).mean()


def g_loss_lsgan(fake: torch.Tensor) -> torch.Tensor:
    """Least-squares GAN generator: pull fakes to the real target 1.

    ``L_G = ½ E[(l_fake - 1)²]``
    """
    _check_logits(fake=fake)
    return 0.5 * (fake - 1).pow(2).mean()


# ----------------------------------------------------------------------------- hinge
def d_loss_hinge(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge discriminator loss (SAGAN, BigGAN).

    ``L_D = E[max(0, 1 - l_real)] + E[max(0, 1 + l_fake)]``

    Only samples inside the margin (real with ``l < 1``, fake with ``l > -1``) give gradient.
    """
    _check_logits(real=real, fake=fake)
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def g_loss_hinge(fake: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss: ``L_G = -E[l_fake]``."""
    _check_logits(fake=fake)
    return -fake.mean()


# ----------------------------------------------------------------------------- Wasserstein
def d_loss_wasserstein(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss (Arjovsky et al., 2017).

    ``L_D = E[f(G(z))] - E[f(x)]``; at its minimum over 1-Lipschitz ``f``,
    ``-L_D`` is the Wasserstein-1 distance. Needs a Lipschitz constraint:
    :func:`gradient_penalty` (WGAN-GP) or spectral norm.
    """
    _check_logits(real=real, fake=fake)
    return fake.mean() - real.mean()


def g_loss_wasserstein(fake: torch.Tensor) -> torch.Tensor:
    """Wasserstein generator loss: ``L_G = -E[f(G(z))]``."""
    _check_logits(fake=fake)
    return -fake.mean()


# ----------------------------------------------------------------------------- regularisers
def _input_grad(D, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    out = D(x)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.flatten(1)  # (B, prod(x.shape[1:]))


def gradient_penalty(
    D, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """WGAN-GP gradient penalty (Gulrajani et al., 2017), *without* its weight λ (usually 10).

    ``x̂ = ε x + (1 - ε) G(z)``, ``ε ~ U(0, 1)`` one per sample;
    ``GP = E[(‖∇_x̂ D(x̂)‖₂ - 1)²]``

    ``create_graph=True`` so that the penalty itself can be back-propagated into D. Use it with a
    discriminator without BatchNorm (the penalty is per sample).
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"gradient_penalty: real {tuple(real.shape)} and fake {tuple(fake.shape)} "
            "must have the same shape"
        )
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, dtype=real.dtype).to(real.device)
    mixed = eps * real.detach() + (1 - eps) * fake.detach()
    grad = _input_grad(D, mixed)
    return (grad.norm(2, dim=1) - 1).pow(2).mean()


def r1_penalty(D, real: torch.Tensor) -> torch.Tensor:
    """R1 penalty (Mescheder et al., 2018), *without* its weight, on real data.

    ``R1 = E[‖∇_x D(x)‖₂²]``

    Add ``γ/2 · R1`` to the discriminator loss (γ ≈ 0.1 … 10).
    """
    grad = _input_grad(D, real)
    return grad.pow(2).sum(1).mean()


# ----------------------------------------------------------------------------- registry
LOSSES = {
    "minimax": (d_loss_bce, g_loss_saturating),
    "bce": (d_loss_bce, g_loss_nonsaturating),
    "nonsaturating": (d_loss_bce, g_loss_nonsaturating),
    "lsgan": (d_loss_lsgan, g_loss_lsgan),
    "hinge": (d_loss_hinge, g_loss_hinge),
    "wgan": (d_loss_wasserstein, g_loss_wasserstein),
}


def get_loss(name: str):
    """``(d_loss, g_loss)`` functions for a loss name: one of ``LOSSES``.

    E.g. ``"bce"``, ``"hinge"``.
    """
    if name not in LOSSES:
        raise ValueError(f"Unknown GAN loss {name!r}. Choices: {', '.join(LOSSES)}.")
    return LOSSES[name]

"""Checks for ``exercises/01_gan_concepts.ipynb``: the optimal discriminator and the D step."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from gancourse.models import MLPDiscriminator, MLPGenerator

from ._core import CheckFailed, passed, run_learner


def _densities():
    g = torch.Generator().manual_seed(0)
    p_data = torch.rand(50, generator=g) + 0.05
    p_g = torch.rand(50, generator=g) + 0.05
    p_g[:5] = p_data[:5]  # equal densities: D* must be exactly 1/2 there
    return p_data, p_g


def check_optimal_discriminator(optimal_discriminator) -> bool:
    """Check ``optimal_discriminator(p_data, p_g) -> D*(x) = p_data / (p_data + p_g)``
    elementwise."""
    p_data, p_g = _densities()
    out = run_learner(
        optimal_discriminator, p_data.clone(), p_g.clone(), name="optimal_discriminator"
    )
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"return a torch.Tensor, got {type(out).__name__}.", mistake="not a tensor"
        )
    if out.shape != p_data.shape:
        raise CheckFailed(
            f"return one value per point: shape {tuple(p_data.shape)}, got {tuple(out.shape)}.",
            mistake="shape",
        )
    expected = p_data / (p_data + p_g)
    if torch.allclose(out, 1 - expected, atol=1e-5):
        raise CheckFailed(
            "your D* is high where the *generated* density is high. D(x) is the probability "
            "that x is real: put p_data in the numerator.",
            mistake="flipped ratio",
        )
    if torch.allclose(out, p_data, atol=1e-5) or torch.allclose(out, p_data / p_g, atol=1e-5):
        raise CheckFailed(
            "D* must be a probability in [0, 1]: divide p_data by the total density p_data + p_g.",
            mistake="not normalised",
        )
    if not torch.allclose(out, expected, atol=1e-5):
        raise CheckFailed(
            "maximise a·log(y) + b·log(1 - y) over y: set the derivative a/y - b/(1 - y) to 0.",
            mistake="wrong formula",
        )
    return passed("D* = p_data / (p_data + p_g): 1/2 where the densities are equal.")


def _setup(seed=0):

    torch.manual_seed(seed)
    G, D = MLPGenerator(z_dim=4, hidden=16, depth=2), MLPDiscriminator(hidden=16, depth=2)
    g = torch.Generator().manual_seed(seed + 1)
    real = torch.randn(32, 2, generator=g) + 2
    z = torch.randn(32, 4, generator=g)
    return G, D, real, z


def check_d_step(discriminator_step) -> bool:
    """Check ``discriminator_step(G, D, real, z, opt_d) -> loss``: one BCE update of D only.

    Recognises: missing detach (gradients reach G), flipped labels, flipped sign (D maximising its
    loss), a missing zero_grad (old gradients added in), a missing optimiser step.
    """
    G, D, real, z = _setup()
    D_ref = copy.deepcopy(D)
    with torch.no_grad():
        fake = G(z)
        r, f = D_ref(real), D_ref(fake)
    expected = F.softplus(-r).mean() + F.softplus(f).mean()
    flipped = F.softplus(r).mean() + F.softplus(-f).mean()

    # a correct step from clean gradients, with plain SGD so the update is the gradient itself
    opt_ref = torch.optim.SGD(D_ref.parameters(), lr=0.1)
    opt_ref.zero_grad()
    (F.softplus(-D_ref(real)).mean() + F.softplus(D_ref(fake)).mean()).backward()
    opt_ref.step()

    stale = []
    for p in D.parameters():  # leftover gradients from "a previous step"
        p.grad = torch.full_like(p, 0.5)
        stale.append(p.detach().clone())
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    out = run_learner(
        discriminator_step, G, D, real.clone(), z.clone(), opt_d, name="discriminator_step"
    )

    if any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters()):
        raise CheckFailed(
            "gradients reached the generator. In the D step the fake batch must be "
            "G(z).detach() (or made under torch.no_grad()).",
            mistake="missing detach",
        )
    if not isinstance(out, torch.Tensor) or out.numel() != 1:
        raise CheckFailed(
            "return the discriminator's loss as a scalar tensor.", mistake="no loss returned"
        )
    value = out.detach().float()
    if torch.allclose(value, flipped, atol=1e-4):
        raise CheckFailed(
            "your labels are swapped: real samples are labelled 1, fakes 0 "
            "(L_D = softplus(-D(x)) + softplus(D(G(z)))).",
            mistake="flipped labels",
        )
    if torch.allclose(value, -expected, atol=1e-4):
        raise CheckFailed(
            "your loss has the wrong sign: D *maximises* V, so it *minimises* -V "
            "(the binary cross-entropy).",
            mistake="flipped sign",
        )
    if not torch.allclose(value, expected, atol=1e-4):
        raise CheckFailed(
            f"the loss should be the BCE {expected.item():.4f}, got {value.item():.4f}: "
            "mean of softplus(-D(x)) plus mean of softplus(D(G(z))).",
            mistake="wrong loss",
        )
    if all(torch.equal(p.detach(), s) for p, s in zip(D.parameters(), stale)):
        raise CheckFailed(
            "D's weights did not change: call opt_d.step() after backward().",
            mistake="no optimizer step",
        )
    moved_ok = all(
        torch.allclose(p, q, atol=1e-5) for p, q in zip(D.parameters(), D_ref.parameters())
    )
    if not moved_ok:
        stale_added = all(
            torch.allclose(p, q - 0.1 * 0.5, atol=1e-5)
            for p, q in zip(D.parameters(), D_ref.parameters())
        )
        if stale_added:
            raise CheckFailed(
                "old gradients were added to this step's: call opt_d.zero_grad() before "
                "backward().",
                mistake="missing zero_grad",
            )
        raise CheckFailed(
            "D's update is not one optimiser step on the BCE loss: zero_grad(), "
            "loss.backward(), opt_d.step(), in that order.",
            mistake="wrong update",
        )
    return passed("one D update on the BCE loss, fake detached, G untouched.")

"""Checks for ``exercises/09_image_to_image.ipynb``: the pix2pix generator loss, the
cycle-consistency loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._core import CheckFailed, passed, run_learner


def _scalar(out, name):
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"`{name}` must return a torch.Tensor, got {type(out).__name__}.",
            mistake="not a tensor",
        )
    if out.numel() != 1:
        raise CheckFailed(
            f"`{name}` must return one number, got shape {tuple(out.shape)}: take the mean.",
            mistake="not reduced",
        )
    return out.reshape(())


def _pix2pix_data():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 1, 6, 6, generator=g)
    fake = torch.rand(3, 3, 16, 16, generator=g) * 2 - 1
    target = torch.rand(3, 3, 16, 16, generator=g) * 2 - 1
    return logits, fake, target


def check_pix2pix_generator_loss(pix2pix_generator_loss) -> bool:
    """Check ``pix2pix_generator_loss(d_fake_logits, fake, target, lam) =
    BCE(logits, 1) + lam * L1(fake, target)``."""
    logits, fake, target = _pix2pix_data()
    lam = 100.0
    out = _scalar(
        run_learner(
            pix2pix_generator_loss,
            logits.clone(),
            fake.clone(),
            target.clone(),
            lam,
            name="pix2pix_generator_loss",
        ),
        "pix2pix_generator_loss",
    )
    adv = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    l1 = (fake - target).abs().mean()
    expected = adv + lam * l1
    if torch.allclose(out, lam * adv + l1, rtol=1e-4):
        raise CheckFailed(
            "λ multiplies the wrong term: it weights the L1 term (λ = 100 keeps the output close "
            "to the target), not the adversarial one.",
            mistake="L1 weight on the wrong term",
        )
    if torch.allclose(out, adv + l1, rtol=1e-4):
        raise CheckFailed("λ is missing: the L1 term is λ · |G(x) − y|₁.", mistake="missing lambda")
    if torch.allclose(out, adv, rtol=1e-4):
        raise CheckFailed("the L1 term is missing: add λ · |G(x) − y|₁.", mistake="missing L1")
    if torch.allclose(out, lam * l1, rtol=1e-4):
        raise CheckFailed(
            "the adversarial term is missing: add BCE(D(x, G(x)), 1).",
            mistake="missing adversarial",
        )
    zeros_adv = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
    if torch.allclose(out, zeros_adv + lam * l1, rtol=1e-4):
        raise CheckFailed(
            "the generator wants D to say *real*: the BCE target is 1, not 0.",
            mistake="flipped labels",
        )
    if torch.allclose(out, adv + lam * ((fake - target) ** 2).mean(), rtol=1e-4):
        raise CheckFailed(
            "that is L2 (squared error): pix2pix uses L1, |G(x) − y|, which blurs less.",
            mistake="L2 instead of L1",
        )
    if not torch.allclose(out, expected, rtol=1e-4):
        if torch.allclose(out, adv + lam * (fake - target).abs().sum(), rtol=1e-4):
            raise CheckFailed(
                "use the mean absolute error, not the sum.", mistake="sum instead of mean"
            )
        raise CheckFailed(
            f"expected {expected.item():.4f}, got {out.item():.4f}. "
            "BCE-with-logits(D(x, G(x)), 1) + λ · mean|G(x) − y|.",
            mistake="wrong formula",
        )
    extreme = torch.full((1, 1, 2, 2), -300.0)
    value = _scalar(
        run_learner(
            pix2pix_generator_loss,
            extreme,
            fake[:1],
            target[:1],
            lam,
            name="pix2pix_generator_loss",
        ),
        "pix2pix_generator_loss",
    )
    if not torch.isfinite(value):
        raise CheckFailed(
            "for a logit of −300 your loss is inf: use F.binary_cross_entropy_with_logits "
            "(stable), not log(sigmoid(·)).",
            mistake="unstable log(sigmoid)",
        )
    return passed("pix2pix generator loss: adversarial (target 1) + λ · L1.")


def _cycle_setup():
    torch.manual_seed(0)
    G_ab = torch.nn.Conv2d(3, 3, 3, padding=1)
    G_ba = torch.nn.Conv2d(3, 3, 3, padding=1)
    g = torch.Generator().manual_seed(1)
    a = torch.rand(2, 3, 8, 8, generator=g) * 2 - 1
    b = torch.rand(2, 3, 8, 8, generator=g) * 2 - 1
    return G_ab, G_ba, a, b


def check_cycle_loss(cycle_loss) -> bool:
    """Check ``cycle_loss(a, b, G_ab, G_ba) = |G_ba(G_ab(a)) - a|_1 + |G_ab(G_ba(b)) - b|_1``
    (means)."""
    G_ab, G_ba, a, b = _cycle_setup()
    out = _scalar(
        run_learner(cycle_loss, a.clone(), b.clone(), G_ab, G_ba, name="cycle_loss"), "cycle_loss"
    )
    rec_a, rec_b = G_ba(G_ab(a)), G_ab(G_ba(b))
    expected = (rec_a - a).abs().mean() + (rec_b - b).abs().mean()
    fake_b, fake_a = G_ab(a), G_ba(b)
    with torch.no_grad():
        if torch.allclose(
            out, (rec_a - fake_b).abs().mean() + (rec_b - fake_a).abs().mean(), rtol=1e-4
        ):
            raise CheckFailed(
                "you compared the round trip with the *translated* image: compare F(G(a)) with the "
                "original input a.",
                mistake="cycle compared to the wrong image",
            )
        if torch.allclose(out, (fake_b - a).abs().mean() + (fake_a - b).abs().mean(), rtol=1e-4):
            raise CheckFailed(
                "that compares G(a) with a (an identity-like loss): the cycle goes there "
                "*and back*, F(G(a)), before comparing with a.",
                mistake="no round trip",
            )
        if torch.allclose(out, (rec_a - a).abs().mean(), rtol=1e-4):
            raise CheckFailed(
                "only the A → B → A cycle: add the B → A → B cycle |G(F(b)) − b|₁.",
                mistake="one direction only",
            )
        if torch.allclose(
            out, (G_ab(G_ab(a)) - a).abs().mean() + (G_ba(G_ba(b)) - b).abs().mean(), rtol=1e-4
        ):
            raise CheckFailed(
                "the round trip uses the same generator twice: "
                "go A → B with G_ab and back with G_ba.",
                mistake="same generator twice",
            )
        if torch.allclose(out, ((rec_a - a) ** 2).mean() + ((rec_b - b) ** 2).mean(), rtol=1e-4):
            raise CheckFailed(
                "that is L2: the cycle loss is L1 (mean absolute error).",
                mistake="L2 instead of L1",
            )
        if not torch.allclose(out, expected, rtol=1e-4):
            raise CheckFailed(
                f"expected {expected.item():.4f}, got {out.item():.4f}: "
                "|G_ba(G_ab(a)) − a|₁ + |G_ab(G_ba(b)) − b|₁ (means).",
                mistake="wrong formula",
            )
    G_ab.zero_grad()
    G_ba.zero_grad()
    out = run_learner(cycle_loss, a.clone(), b.clone(), G_ab, G_ba, name="cycle_loss")
    out.backward()
    if G_ab.weight.grad is None or G_ba.weight.grad is None:
        raise CheckFailed(
            "no gradient reaches both generators: "
            "do not detach or use torch.no_grad() inside the loss.",
            mistake="missing gradient",
        )
    return passed(
        "cycle loss: both round trips, compared with the original inputs, "
        "gradients reach both generators."
    )

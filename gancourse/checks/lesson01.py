"""Checks for ``exercises/01_gan_concepts.ipynb`` (lesson 01): the optimal discriminator and the
D step.

    D*(x) = p_data(x) / (p_data(x) + p_g(x))
    L_D = mean(softplus(-D(x))) + mean(softplus(D(G(z))))   (BCE on logits; G(z) detached)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gancourse.models import MLPDiscriminator, MLPGenerator

from ._core import CheckFailed, expect_tensor, passed, recognise, run_pure


def _densities(n=50, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    p_data = torch.rand(n, generator=g, dtype=dtype) + 0.05
    p_g = torch.rand(n, generator=g, dtype=dtype) + 0.05
    p_g[:5] = p_data[:5]  # equal densities: D* must be exactly 1/2 there
    return p_data, p_g


def check_optimal_discriminator(optimal_discriminator) -> bool:
    """Check ``optimal_discriminator(p_data, p_g) -> D*(x) = p_data / (p_data + p_g)``
    elementwise, on 50 float32 densities and 30 float64 ones (another seed)."""
    name = "optimal_discriminator"
    for n, seed, dtype in ((50, 0, torch.float32), (30, 1, torch.float64)):
        p_data, p_g = _densities(n, seed, dtype)
        out = run_pure(optimal_discriminator, p_data, p_g, name=name)
        out = expect_tensor(out, like=p_data, shape=p_data.shape, name=name)
        expected = p_data / (p_data + p_g)
        recognise(
            out,
            {
                "flipped ratio": (
                    1 - expected,
                    "your D* is high where the *generated* density is high. D(x) is the "
                    "probability that x is real: put p_data in the numerator.",
                ),
                "not normalised": (
                    p_data / p_g,
                    "D* must be a probability in [0, 1]: divide p_data by the total density "
                    "p_data + p_g, not by p_g alone.",
                ),
                "numerator only": (
                    p_data,
                    "D* must be a probability in [0, 1]: divide p_data by the total density "
                    "p_data + p_g.",
                ),
            },
        )
        if not torch.allclose(out, expected, atol=1e-5):
            raise CheckFailed(
                "maximise a·log(y) + b·log(1 - y) over y: set the derivative a/y - b/(1 - y) to 0.",
                mistake="wrong formula",
            )
    return passed("D* = p_data / (p_data + p_g): 1/2 where the densities are equal.")


def _setup(seed=0, batch=32, confident=0.0):
    """A small G and D, a real batch and latents; ``confident`` shifts D's logits (±30 tests
    the loss on logits where log(sigmoid) and log(1 - sigmoid) lose all precision)."""
    torch.manual_seed(seed)
    G, D = MLPGenerator(z_dim=4, hidden=16, depth=2), MLPDiscriminator(hidden=16, depth=2)
    with torch.no_grad():
        D.net[-1].bias += confident
    g = torch.Generator().manual_seed(seed + 1)
    real = torch.randn(batch, 2, generator=g) + 2
    z = torch.randn(batch, 4, generator=g)
    return G, D, real, z


def _references(G, D, real, z, lr):
    """The BCE loss, known wrong losses, and D's weights after the right step and known wrong
    ones (SGD, so an update is ``p - lr · gradient``)."""
    params = list(D.parameters())
    with torch.no_grad():
        fake = G(z)
    r, f = D(real), D(fake)
    real_term, fake_term = F.softplus(-r).mean(), F.softplus(f).mean()
    g_real = torch.autograd.grad(real_term, params, retain_graph=True)
    g_fake = torch.autograd.grad(fake_term, params)
    ones, zeros = torch.ones_like(r), torch.zeros_like(f)
    with torch.no_grad():
        rp, fp = torch.sigmoid(r), torch.sigmoid(f)
        losses = {
            "right": real_term + fake_term,
            "flipped labels": F.softplus(r).mean() + F.softplus(-f).mean(),
            "flipped sign": -(real_term + fake_term),
            "BCE on probabilities": F.binary_cross_entropy(rp, ones)
            + F.binary_cross_entropy(fp, zeros),
        }
    step = {
        "right": [p - lr * (a + b) for p, a, b in zip(params, g_real, g_fake)],
        "missing zero_grad": [p - lr * (a + b + 0.5) for p, a, b in zip(params, g_real, g_fake)],
        "no backward": [p - lr * 0.5 for p in params],
        "real term detached": [p - lr * b for p, b in zip(params, g_fake)],
        "fake term detached": [p - lr * a for p, a in zip(params, g_real)],
    }
    return {k: v.detach() for k, v in losses.items()}, {
        k: [p.detach() for p in v] for k, v in step.items()
    }


_UPDATE_HINTS = {
    "missing zero_grad": "old gradients were added to this step's: call opt_d.zero_grad() before "
    "loss.backward().",
    "no backward": "the step used only the old gradients: call loss.backward() before "
    "opt_d.step().",
    "real term detached": "D learned only from the fakes: the real term carries no gradient. "
    "Do not .detach() D(real) or compute it under torch.no_grad(); only G(z) is detached.",
    "fake term detached": "D learned only from the real batch: the fake term carries no gradient. "
    "Detach G(z) (the generator's output), not D(G(z)) (D's own output).",
}


def _loss_hint(value, losses, confident):
    if not torch.isfinite(value):
        raise CheckFailed(
            f"your loss is {value.item()} when D is confident (logits near {confident:+.0f}): "
            "log(1 - sigmoid(l)) becomes log(0). Use F.softplus(-D(x)) + F.softplus(D(G(z))) "
            "or F.binary_cross_entropy_with_logits, which are exact at any logit.",
            mistake="unstable log(sigmoid)",
        )
    hints = {
        "flipped labels": "your labels are swapped: real samples are labelled 1, fakes 0 "
        "(L_D = softplus(-D(x)) + softplus(D(G(z)))).",
        "flipped sign": "your loss has the wrong sign: D *maximises* V, so it *minimises* -V "
        "(the binary cross-entropy).",
        "BCE on probabilities": "F.binary_cross_entropy on sigmoid(logits) is wrong for "
        "confident logits: 1 - sigmoid(30) rounds to 0 in float32 and the log is clamped at -100. "
        "Use F.binary_cross_entropy_with_logits or F.softplus on the logits.",
    }
    recognise(value, {k: (losses[k], hints[k]) for k in hints}, atol=1e-4)
    expected = losses["right"]
    if confident:
        raise CheckFailed(
            f"when D is confident (logits near {confident:+.0f}) your loss is {value.item():.4f}, "
            f"expected {expected.item():.4f}: log(sigmoid(l) + ε) or a clamp caps the loss "
            "(-log 1e-8 = 18.4). Use F.softplus / binary_cross_entropy_with_logits on the logits.",
            mistake="extreme logits",
        )
    raise CheckFailed(
        f"the loss should be the BCE {expected.item():.4f}, got {value.item():.4f}: "
        "mean of softplus(-D(x)) plus mean of softplus(D(G(z))).",
        mistake="wrong loss",
    )


def _one_d_step(discriminator_step, seed, batch, lr, confident):
    G, D, real, z = _setup(seed, batch, confident)
    losses, updates = _references(G, D, real, z, lr)
    for p in D.parameters():  # leftover gradients from "a previous step"
        p.grad = torch.full_like(p, 0.5)
    before = [p.detach().clone() for p in D.parameters()]
    g_before = [p.detach().clone() for p in G.parameters()]
    opt_d = torch.optim.SGD(D.parameters(), lr=lr)
    steps, backward = [], []
    for p in D.parameters():
        p.register_hook(lambda grad: backward.append(1))
    opt_step = opt_d.step
    opt_d.step = lambda *a, **k: steps.append(1) or opt_step(*a, **k)
    name = "discriminator_step"
    out = run_pure(lambda real, z: discriminator_step(G, D, real, z, opt_d), real, z, name=name)
    if any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters()):
        raise CheckFailed(
            "gradients reached the generator. In the D step the fake batch must be "
            "G(z).detach() (or made under torch.no_grad()).",
            mistake="missing detach",
        )
    if any(not torch.equal(p.detach(), q) for p, q in zip(G.parameters(), g_before)):
        raise CheckFailed("G's weights changed: the D step updates D only.", mistake="G changed")
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.reshape(())
    out = expect_tensor(out, like=real, shape=(), name=name)
    if not torch.allclose(out.detach(), losses["right"], atol=1e-4):
        _loss_hint(out.detach(), losses, confident)
    params = [p.detach() for p in D.parameters()]
    if all(torch.equal(p, q) for p, q in zip(params, before)):
        if steps and not backward:
            raise CheckFailed(
                "opt_d.step() ran without gradients: call loss.backward() before opt_d.step().",
                mistake="no backward",
            )
        if steps and all(p.grad is None or p.grad.abs().sum() == 0 for p in D.parameters()):
            raise CheckFailed(
                "opt_d.step() ran, but the gradients were zero by then: zero_grad() between "
                "backward() and step() wipes them. Order: zero_grad(), backward(), step().",
                mistake="zero_grad after backward",
            )
        raise CheckFailed(
            "D's weights did not change: call opt_d.step() after loss.backward().",
            mistake="no optimizer step",
        )
    if not steps:
        raise CheckFailed(
            "D's weights changed, but not through opt_d.step(): use the optimiser you are "
            "given (one made inside the function ignores the caller's learning rate and state).",
            mistake="own optimizer",
        )
    if len(steps) > 1:
        raise CheckFailed(
            f"opt_d.step() ran {len(steps)} times: one call is one step.", mistake="several steps"
        )
    for mistake, expected in updates.items():
        if all(torch.allclose(p, q, atol=1e-5, rtol=1e-4) for p, q in zip(params, expected)):
            if mistake == "right":
                return
            raise CheckFailed(_UPDATE_HINTS[mistake], mistake=mistake)
    raise CheckFailed(
        "D's update is not one optimiser step on the BCE loss: zero_grad(), "
        "loss.backward(), opt_d.step(), in that order.",
        mistake="wrong update",
    )


def check_d_step(discriminator_step) -> bool:
    """Check ``discriminator_step(G, D, real, z, opt_d) -> loss``: one BCE update of D only.

    L_D = mean(softplus(-D(x))) + mean(softplus(D(G(z)))), then one ``opt_d`` step. Run twice:
    32 points, SGD lr 0.1; then another seed, 24 points, lr 0.05, with D's logits shifted to about
    +30 (where log(1 - sigmoid) and BCE on probabilities fail). D's weights after the call are
    compared with the right update and known wrong ones. Recognises: missing detach (gradients
    reach G), flipped labels or sign, BCE on probabilities, an unstable or ε-capped log, a
    missing zero_grad, a zero_grad between backward and step, no backward, no step, an own
    optimiser, a detached real or fake term, an in-place change to ``real`` or ``z``.
    """
    _one_d_step(discriminator_step, seed=0, batch=32, lr=0.1, confident=0.0)
    _one_d_step(discriminator_step, seed=3, batch=24, lr=0.05, confident=30.0)
    return passed("one D update on the stable BCE loss, fake detached, G untouched.")

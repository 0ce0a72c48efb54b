"""Every loss against its closed form, its stability on extreme logits, the penalties' values."""

import math

import pytest
import torch
import torch.nn.functional as F

from gancourse import losses

LOGITS = torch.tensor([-3.0, -0.5, 0.0, 0.7, 2.5], dtype=torch.float64)
FAKE = torch.tensor([-2.0, 0.3, 1.1, -0.1, 4.0], dtype=torch.float64)


def sig(t):
    return 1 / (1 + torch.exp(-t))


def test_bce_d_closed_form():
    expected = (-torch.log(sig(LOGITS))).mean() + (-torch.log(1 - sig(FAKE))).mean()
    assert torch.allclose(losses.d_loss_bce(LOGITS, FAKE), expected)
    bce = F.binary_cross_entropy_with_logits
    assert torch.allclose(
        losses.d_loss_bce(LOGITS, FAKE),
        bce(LOGITS, torch.ones_like(LOGITS)) + bce(FAKE, torch.zeros_like(FAKE)),
    )


def test_generator_losses_closed_form():
    assert torch.allclose(losses.g_loss_saturating(FAKE), torch.log(1 - sig(FAKE)).mean())
    assert torch.allclose(losses.g_loss_nonsaturating(FAKE), (-torch.log(sig(FAKE))).mean())


def test_lsgan_hinge_wasserstein_closed_form():
    r, f = LOGITS, FAKE
    assert torch.allclose(
        losses.d_loss_lsgan(r, f), 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f**2).mean()
    )
    assert torch.allclose(losses.g_loss_lsgan(f), 0.5 * ((f - 1) ** 2).mean())
    hinge = torch.clamp(1 - r, min=0).mean() + torch.clamp(1 + f, min=0).mean()
    assert torch.allclose(losses.d_loss_hinge(r, f), hinge)
    assert torch.allclose(losses.g_loss_hinge(f), -f.mean())
    assert torch.allclose(losses.d_loss_wasserstein(r, f), f.mean() - r.mean())
    assert torch.allclose(losses.g_loss_wasserstein(f), -f.mean())


def test_bce_at_chance_is_2_log_2():
    zero = torch.zeros(4)
    assert losses.d_loss_bce(zero, zero).item() == pytest.approx(2 * math.log(2))


@pytest.mark.parametrize("fn", [losses.g_loss_saturating, losses.g_loss_nonsaturating])
def test_stable_on_extreme_logits(fn):
    extreme = torch.tensor([-200.0, 200.0], requires_grad=True)
    value = fn(extreme)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(extreme.grad).all()
    d = losses.d_loss_bce(torch.tensor([-200.0]), torch.tensor([200.0]))
    assert d.item() == pytest.approx(400.0)


def test_saturating_vs_nonsaturating_gradients():
    """d/dl log(1 - σ(l)) = -σ(l) vanishes when D rejects fakes; -log σ(l) gives -(1 - σ(l))."""
    logits = torch.tensor([-6.0, 0.0, 6.0], requires_grad=True)
    (g_sat,) = torch.autograd.grad(losses.g_loss_saturating(logits) * 3, logits)
    (g_ns,) = torch.autograd.grad(losses.g_loss_nonsaturating(logits) * 3, logits)
    assert torch.allclose(g_sat, -torch.sigmoid(logits.detach()), atol=1e-6)
    assert torch.allclose(g_ns, -(1 - torch.sigmoid(logits.detach())), atol=1e-6)
    assert abs(g_sat[0]) < 0.01 < abs(g_ns[0])


class Linear(torch.nn.Module):
    """D(x) = w·x: its input gradient is w everywhere, so both penalties have closed forms."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x):
        return x.flatten(1) @ self.w


def test_gradient_penalty_closed_form_and_backprop():
    w = torch.tensor([3.0, 4.0])  # ||w|| = 5 -> GP = (5 - 1)^2 = 16
    D = Linear(w.clone())
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    gp = losses.gradient_penalty(D, real, fake)
    assert gp.item() == pytest.approx(16.0)
    gp.backward()  # create_graph=True: the penalty trains D
    assert torch.allclose(D.w.grad, 2 * (5 - 1) * w / 5)
    unit = Linear(torch.tensor([0.6, 0.8]))
    assert losses.gradient_penalty(unit, real, fake).item() == pytest.approx(0.0, abs=1e-10)


def test_gradient_penalty_interpolates_between_real_and_fake():
    seen = []

    class Spy(torch.nn.Module):
        def forward(self, x):
            seen.append(x.detach())
            return (x**2).sum(1)

    real, fake = torch.zeros(64, 1), torch.ones(64, 1)
    losses.gradient_penalty(Spy(), real, fake)
    mixed = seen[0]
    assert mixed.min() >= 0 and mixed.max() <= 1 and mixed.std() > 0.1  # one ε per sample


def test_r1_closed_form():
    D = Linear(torch.tensor([3.0, 4.0]))
    assert losses.r1_penalty(D, torch.randn(5, 2)).item() == pytest.approx(25.0)


def test_registry_and_errors():
    assert losses.get_loss("hinge") == (losses.d_loss_hinge, losses.g_loss_hinge)
    with pytest.raises(ValueError, match="Unknown GAN loss 'nope'. Choices: minimax, bce"):
        losses.get_loss("nope")
    with pytest.raises(TypeError, match="float tensor of logits"):
        losses.d_loss_bce(torch.tensor([1]), torch.tensor([0]))
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(Linear(torch.ones(2)), torch.zeros(3, 2), torch.zeros(4, 2))

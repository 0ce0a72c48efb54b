"""The use-it plumbing of exercises 06-10 runs the learner's function and hands back results."""

import pytest
import torch

from gancourse.checks import useit_06_10 as useit
from gancourse.models import cyclegan


def _library_step(G_ab, G_ba, D_a, D_b, opt_g, a, b, lambda_cyc, lambda_id):
    model = torch.nn.Module()
    model.G_ab, model.G_ba = G_ab, G_ba
    loss, terms, _ = cyclegan.generator_loss(model, D_a, D_b, a, b, lambda_cyc, lambda_id)
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    return terms


def test_train_cyclegan_calls_the_step_and_trains():
    calls = []

    def step(*args):
        calls.append(args[5].shape)
        return _library_step(*args)

    G_ab, G_ba, logs = useit.train_cyclegan(step, steps=3, size=32, batch=2)
    assert calls == [torch.Size([2, 3, 32, 32])] * 3 and len(logs) == 3
    assert logs[-1]["cycle"] != logs[0]["cycle"]
    assert G_ab(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32) and not G_ab.training


def test_blue_faces_swap_red_and_blue():
    from gancourse.data import faces

    x = faces.face_batch(2, 32, seed=5)[0]
    assert torch.equal(useit.blue_faces(2, 32, seed=5), x[:, [2, 1, 0]])


def test_train_cyclegan_lets_not_implemented_through():
    def blank(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        useit.train_cyclegan(blank, steps=2)


def test_unwritten_names_the_stub_that_raised():
    def inversion_loss(*args):
        raise NotImplementedError()

    def outer():
        return inversion_loss()

    with pytest.raises(NotImplementedError) as info:
        outer()
    assert useit.unwritten(info.value) == "inversion_loss"


def test_invert_with_runs_the_learners_loss_and_it_falls():
    from gancourse import zoo
    from gancourse.data import faces

    G = zoo.load("faces_dcgan64")
    calls = []

    def loss(G_, z, target, features, w):
        calls.append(w)
        out = G_(z)
        return (out - target).pow(2).mean() + w * (features(out) - features(target)).pow(2).mean()

    target = faces.face_batch(1, 64, seed=3)[0]
    z, losses = useit.invert_with(loss, G, target, lambda x: x.mean((2, 3)), 0.5, steps=8)
    assert calls == [0.5] * 8 and z.shape == (1, G.z_dim) and not z.requires_grad
    assert losses[-1] < losses[0]


def test_progress_wraps_features_and_counts_calls():
    with useit.progress(lambda x: 2 * x, total=3, desc="t") as f:
        assert torch.equal(f(torch.ones(2)), torch.full((2,), 2.0))
        f(torch.ones(1))
    with pytest.raises(NotImplementedError), useit.progress(lambda x: x, total=1):
        raise NotImplementedError()  # the bar closes, the error goes through

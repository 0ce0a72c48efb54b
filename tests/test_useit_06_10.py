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

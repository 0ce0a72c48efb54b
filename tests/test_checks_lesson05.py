"""The lesson 05 checks pass on the solution (and the library) and name the common mistakes."""

import pytest
import torch
import torch.nn.functional as F

from gancourse.checks import CheckFailed, NotImplementedYet, lesson05


def good_concat(z, labels, classes):
    return torch.cat([z, F.one_hot(labels, classes).float()], 1)


def good_projection(features, psi, embedding, labels):
    return psi(features).squeeze(1) + (embedding(labels) * features).sum(1)


def test_solutions_pass(capsys):
    assert lesson05.check_one_hot_concat(good_concat)
    assert lesson05.check_one_hot_concat(lambda z, y, k: torch.cat([z, torch.eye(k)[y]], dim=-1))
    assert lesson05.check_projection_logits(good_projection)
    assert lesson05.check_projection_logits(  # y^T V φ(x) with y one-hot, as lesson 05 writes it
        lambda f, psi, emb, y: (
            psi(f).flatten() + ((F.one_hot(y, emb.num_embeddings).float() @ emb.weight) * f).sum(1)
        )
    )
    assert capsys.readouterr().out.count("✅ Passed") == 4


def blank(*_):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [lesson05.check_one_hot_concat, lesson05.check_projection_logits])
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet):
        check(blank)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("not one-hot", lambda z, y, k: torch.cat([z, y[:, None].float()], 1)),
        ("not one-hot", lambda z, y, k: torch.cat([z, y[:, None]], 1)),
        ("wrong dim", lambda z, y, k: torch.cat([z, F.one_hot(y, k).float()], 0)),
        ("one-hot left as long", lambda z, y, k: torch.cat([z.long(), F.one_hot(y, k)], 1)),
        ("classes mismatch", lambda z, y, k: torch.cat([z, F.one_hot(y).float()], 1)),
        ("classes mismatch", lambda z, y, k: torch.cat([z, F.one_hot(y, 10).float()], 1)),
        ("wrong order", lambda z, y, k: torch.cat([F.one_hot(y, k).float(), z], 1)),
        ("wrong values", lambda z, y, k: torch.cat([z, F.one_hot((y + 1) % k, k).float()], 1)),
    ],
)
def test_one_hot_concat_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson05.check_one_hot_concat(func)
    assert info.value.mistake == mistake


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("missing psi term", lambda f, psi, emb, y: (emb(y) * f).sum(1)),
        ("missing projection term", lambda f, psi, emb, y: psi(f).squeeze(1)),
        ("mean instead of sum", lambda f, psi, emb, y: psi(f).squeeze(1) + (emb(y) * f).mean(1)),
        ("shape (B, 1)", lambda f, psi, emb, y: psi(f) + (emb(y) * f).sum(1, keepdim=True)),
        ("broadcast to (B, B)", lambda f, psi, emb, y: psi(f) + (emb(y) * f).sum(1)),
        (
            "wrong labels",
            lambda f, psi, emb, y: psi(f).squeeze(1) + (emb(torch.zeros_like(y)) * f).sum(1),
        ),
        (
            "wrong labels",
            lambda f, psi, emb, y: (
                psi(f).squeeze(1) + (emb((f @ emb.weight.T).argmax(1)) * f).sum(1)
            ),
        ),
        ("no gradient", lambda f, psi, emb, y: good_projection(f, psi, emb, y).detach()),
        ("wrong formula", lambda f, psi, emb, y: psi(f).squeeze(1) - (emb(y) * f).sum(1)),
    ],
)
def test_projection_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson05.check_projection_logits(func)
    assert info.value.mistake == mistake

"""The lesson 05 checks pass on the solution (and the library) and name the common mistakes."""

import pytest
import torch
import torch.nn.functional as F

from gancourse.checks import CheckFailed, NotImplementedYet, lesson05
from tests.test_checks_core import crash_prone


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


def _zeros_then_fill(z, y, k):  # a new tensor in the default dtype, float32
    out = torch.zeros(z.shape[0], z.shape[1] + k)
    out[:, : z.shape[1]] = z
    out[torch.arange(len(y)), z.shape[1] + y] = 1
    return out


def _centred_in_place(z, y, k):  # "centre z first", on the caller's tensor
    z -= z.mean(1, keepdim=True)
    return good_concat(z, y, k)


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
        ("dtype", lambda z, y, k: good_concat(z, y, k).float()),  # the float64 z comes back float32
        ("dtype", _zeros_then_fill),
        ("classes mismatch", lambda z, y, k: torch.cat([z, F.one_hot(y, 6).float()], 1)),
        ("in place", _centred_in_place),
        ("not a tensor", lambda z, y, k: (z, F.one_hot(y, k))),
        ("not a tensor", lambda z, y, k: good_concat(z, y, k).numpy()),
    ],
)
def test_one_hot_concat_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson05.check_one_hot_concat(func)
    assert info.value.mistake == mistake


def _proj(f, emb, y):
    return (emb(y) * f).sum(1)


def _proj_frozen(f, emb, y):
    return (emb.weight.detach()[y] * f).sum(1)


def _hard_coded_features(f, psi, emb, y):  # F = 5 written in: wrong for F = 7
    return psi(f).squeeze(1) + (emb(y)[:, :5] * f[:, :5]).sum(1)


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
        ("psi term detached", lambda f, psi, emb, y: psi(f).squeeze(1).detach() + _proj(f, emb, y)),
        (
            "projection term detached",
            lambda f, psi, emb, y: psi(f).squeeze(1) + _proj_frozen(f, emb, y),
        ),
        ("features detached", lambda f, psi, emb, y: psi(f).squeeze(1) + _proj(f.detach(), emb, y)),
        ("in place", lambda f, psi, emb, y: good_projection(f.mul_(2), psi, emb, y)),
        ("dtype", lambda f, psi, emb, y: good_projection(f, psi, emb, y).double()),
        ("not a tensor", lambda f, psi, emb, y: good_projection(f, psi, emb, y).tolist()),
        ("wrong formula", _hard_coded_features),
    ],
)
def test_projection_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson05.check_projection_logits(func)
    assert info.value.mistake == mistake


@pytest.mark.parametrize("func", crash_prone(good_concat, grads=False))
def test_check_one_hot_concat_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson05.check_one_hot_concat(func)


@pytest.mark.parametrize("func", crash_prone(good_projection, grads=True))
def test_check_projection_logits_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson05.check_projection_logits(func)

"""The lesson 07 checks (InterFaceGAN direction, orthogonalisation) pass on the solutions and name the mistakes."""

import pytest
import torch
from sklearn.linear_model import LogisticRegression

from gancourse.checks import CheckFailed, NotImplementedYet, lesson07


def good_interfacegan(z, scores, fraction=0.3):
    order = scores.argsort()
    m = int(fraction * len(order))
    idx = torch.cat([order[:m], order[-m:]])
    labels = torch.cat([torch.zeros(m), torch.ones(m)])
    model = LogisticRegression(max_iter=1000).fit(z[idx].numpy(), labels.numpy())
    n = torch.as_tensor(model.coef_[0], dtype=torch.float32)
    return n / n.norm()


def good_orthogonalize(n1, n2):
    n2 = n2 / n2.norm()
    out = n1 - (n1 @ n2) * n2
    return out / out.norm()


def test_solutions_pass(capsys):
    assert lesson07.check_interfacegan(good_interfacegan)
    assert lesson07.check_orthogonalize(good_orthogonalize)
    from gancourse import editing

    assert lesson07.check_interfacegan(lambda z, s: editing.interfacegan_from_scores(z, {"smile": s}, "smile"))
    assert lesson07.check_orthogonalize(editing.orthogonalize)
    assert capsys.readouterr().out.count("✅ Passed") == 4


def blank(*_):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [lesson07.check_interfacegan, lesson07.check_orthogonalize])
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet, match="still raises NotImplementedError"):
        check(blank)


def _unnormalised(z, scores):
    return 3.0 * good_interfacegan(z, scores)


@pytest.mark.parametrize("mistake,func", [
    ("flipped sign", lambda z, s: -good_interfacegan(z, s)),
    ("unnormalised direction", _unnormalised),
    ("wrong direction", lambda z, s: torch.ones(z.shape[1]) / z.shape[1] ** 0.5),
    ("shape", lambda z, s: good_interfacegan(z, s)[:5]),
    ("not a tensor", lambda z, s: good_interfacegan(z, s).numpy()),
])
def test_interfacegan_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson07.check_interfacegan(func)
    assert info.value.mistake == mistake, str(info.value)


def _projection(n1, n2):
    p = (n1 @ n2) * n2
    return p / p.norm()


@pytest.mark.parametrize("mistake,func", [
    ("not orthogonalised", lambda n1, n2: n1),
    ("unnormalised direction", lambda n1, n2: n1 - (n1 @ n2) * n2),
    ("projection instead of rejection", _projection),
    ("n2 not normalised", lambda n1, n2: (n1 - (n1 @ n2) * n2) / (n1 - (n1 @ n2) * n2).norm()),
    ("not orthogonal", lambda n1, n2: (n1 - 0.5 * (n1 @ n2) * n2) / (n1 - 0.5 * (n1 @ n2) * n2).norm()),
])
def test_orthogonalize_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson07.check_orthogonalize(func)
    assert info.value.mistake == mistake, str(info.value)

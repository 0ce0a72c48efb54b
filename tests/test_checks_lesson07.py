"""The lesson 07 checks (InterFaceGAN direction, orthogonalisation, feature-layer edit) pass on the
solutions and name the mistakes."""

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

    assert lesson07.check_interfacegan(
        lambda z, s: editing.interfacegan_from_scores(z, {"smile": s}, "smile")
    )
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


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("flipped sign", lambda z, s: -good_interfacegan(z, s)),
        ("unnormalised direction", _unnormalised),
        ("wrong direction", lambda z, s: torch.ones(z.shape[1]) / z.shape[1] ** 0.5),
        ("shape", lambda z, s: good_interfacegan(z, s)[:5]),
        ("not a tensor", lambda z, s: good_interfacegan(z, s).numpy()),
    ],
)
def test_interfacegan_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson07.check_interfacegan(func)
    assert info.value.mistake == mistake, str(info.value)


def _projection(n1, n2):
    p = (n1 @ n2) * n2
    return p / p.norm()


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("not orthogonalised", lambda n1, n2: n1),
        ("unnormalised direction", lambda n1, n2: n1 - (n1 @ n2) * n2),
        ("projection instead of rejection", _projection),
        ("n2 not normalised", lambda n1, n2: (n1 - (n1 @ n2) * n2) / (n1 - (n1 @ n2) * n2).norm()),
        (
            "not orthogonal",
            lambda n1, n2: (n1 - 0.5 * (n1 @ n2) * n2) / (n1 - 0.5 * (n1 @ n2) * n2).norm(),
        ),
    ],
)
def test_orthogonalize_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson07.check_orthogonalize(func)
    assert info.value.mistake == mistake, str(info.value)


def good_feature_edit(G, z, n, alpha):
    h = G.blocks[0](z[:, :, None, None])  # (B, C, 4, 4), after the ReLU
    h = h + alpha * n.view(h.shape[1:])
    for block in G.blocks[1:]:
        h = block(h)
    return h


def _edit_before_relu(G, z, n, alpha):
    pre = G.blocks[0][:-1](z[:, :, None, None])
    h = torch.relu(pre + alpha * n.view(pre.shape[1:]))
    for block in G.blocks[1:]:
        h = block(h)
    return h


def test_feature_edit_solution_and_library_pass(capsys):
    from gancourse import editing

    assert lesson07.check_feature_edit(good_feature_edit)

    def with_library(G, z, n, alpha):
        fs = editing.FeatureSpace(G)
        return fs(fs.features(z) + alpha * n)

    assert lesson07.check_feature_edit(with_library)
    assert capsys.readouterr().out.count("✅ Passed") == 2
    with pytest.raises(NotImplementedYet):
        lesson07.check_feature_edit(blank)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("not edited", lambda G, z, n, a: G(z)),
        ("alpha", lambda G, z, n, a: good_feature_edit(G, z, n, 1.0)),
        ("alpha", lambda G, z, n, a: good_feature_edit(G, z, n, 2 * a)),
        ("before the ReLU", _edit_before_relu),
        ("shape", lambda G, z, n, a: good_feature_edit(G, z, n, a)[:, :1]),
        ("not a tensor", lambda G, z, n, a: good_feature_edit(G, z, n, a).numpy()),
        ("wrong images", lambda G, z, n, a: good_feature_edit(G, z, -n, a)),
        ("error", lambda G, z, n, a: G(z + a * n)),  # edits z with an h-sized direction
    ],
)
def test_feature_edit_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson07.check_feature_edit(func)
    assert info.value.mistake == mistake, str(info.value)

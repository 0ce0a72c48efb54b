"""The lesson 07 checks (InterFaceGAN direction, orthogonalisation, feature-layer edit) pass on the
solutions and name the mistakes."""

import pytest
import torch
from sklearn.linear_model import LogisticRegression

from gancourse.checks import CheckFailed, NotImplementedYet, lesson07
from tests.test_checks_core import crash_prone


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


def test_feature_edit_solution_passes(capsys):
    assert lesson07.check_feature_edit(good_feature_edit)
    assert capsys.readouterr().out.count("✅ Passed") == 1
    with pytest.raises(NotImplementedYet):
        lesson07.check_feature_edit(blank)


def test_feature_edit_reference_is_the_librarys_feature_space():
    """The check's reference edit equals editing.FeatureSpace's (which works in float32 only)."""
    from gancourse import editing

    G = lesson07._edit_generator()
    fs = editing.FeatureSpace(G)
    z, n = torch.randn(3, 8), torch.randn(fs.z_dim)
    with torch.no_grad():
        assert torch.allclose(lesson07._edited(G, z, n, 1.5), fs(fs.features(z) + 1.5 * n))
    assert G(z).abs().mean() > 0.2  # O(1) images: an extra tanh or a wrong edit shows


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("not edited", lambda G, z, n, a: G(z)),
        ("alpha missing", lambda G, z, n, a: good_feature_edit(G, z, n, 1.0)),
        ("alpha twice", lambda G, z, n, a: good_feature_edit(G, z, n, a * a)),
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


# ----------------------------------------------------------------------------- issue 20 mistakes
def _ifg_inplace(z, scores):
    scores -= scores.mean()  # changes the caller's scores
    return good_interfacegan(z, scores + 0.5)


_FIRST_Z = {}


def _ifg_kept(z, scores):
    """Computes the direction once and returns it for every later data set."""
    if "n" not in _FIRST_Z:
        _FIRST_Z["n"] = good_interfacegan(z, scores)
    return _FIRST_Z["n"]


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _ifg_inplace),
        ("dtype", lambda z, s: good_interfacegan(z, s).double()),
        ("shape", lambda z, s: good_interfacegan(z, s)[None]),
        ("not a tensor", lambda z, s: None),
        ("not finite", lambda z, s: good_interfacegan(z, s) / 0),
        ("wrong direction", _ifg_kept),
    ],
)
def test_interfacegan_issue20_mistakes_named(mistake, func):
    _FIRST_Z.clear()
    with pytest.raises(CheckFailed) as info:
        lesson07.check_interfacegan(func)
    assert info.value.mistake == mistake, str(info.value)


def _orth_inplace(n1, n2):
    n2 /= n2.norm()  # changes the caller's n2
    out = n1 - (n1 @ n2) * n2
    return out / out.norm()


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _orth_inplace),
        ("dtype", lambda n1, n2: good_orthogonalize(n1, n2).float()),
        ("dtype", lambda n1, n2: good_orthogonalize(n1.double(), n2.double())),
        ("shape", lambda n1, n2: good_orthogonalize(n1, n2)[None, None]),
        ("not a tensor", lambda n1, n2: good_orthogonalize(n1, n2).tolist()),
        ("not a tensor", lambda n1, n2: None),
        (
            "wrong direction",
            lambda n1, n2: good_orthogonalize(n1, n2) if len(n1) == 16 else n1 / n1.norm(),
        ),
    ],
)
def test_orthogonalize_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson07.check_orthogonalize(func)
    assert info.value.mistake == mistake, str(info.value)


def _edit_inplace(G, z, n, alpha):
    n *= alpha  # changes the caller's direction
    h = G.blocks[0](z[:, :, None, None]) + n.view(-1, 4, 4)
    for block in G.blocks[1:]:
        h = block(h)
    return h


def _edit_moves_weights(G, z, n, alpha):
    G.blocks[0][0].weight.data += 0.0 * alpha + 1e-3  # edits the generator itself
    return good_feature_edit(G, z, n, alpha)


def _edit_new_tensor(G, z, n, alpha):
    out = torch.zeros(len(z), 3, 16, 16)  # float32 whatever z's dtype
    out[:] = good_feature_edit(G, z, n, alpha)
    return out


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _edit_inplace),
        ("in place", _edit_moves_weights),
        ("alpha hard-coded", lambda G, z, n, a: good_feature_edit(G, z, n, 2.0)),
        ("extra tanh", lambda G, z, n, a: torch.tanh(good_feature_edit(G, z, n, a))),
        ("dtype", lambda G, z, n, a: good_feature_edit(G, z, n, a).double()),
        ("dtype", _edit_new_tensor),
        ("not a tensor", lambda G, z, n, a: None),
        ("not finite", lambda G, z, n, a: good_feature_edit(G, z, n, a) / 0),
    ],
)
def test_feature_edit_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson07.check_feature_edit(func)
    assert info.value.mistake == mistake, str(info.value)


# ----------------------------------------------------------------------------- masked blend
def good_blend(original, edited, mask):
    return mask * edited + (1 - mask) * original


def _blend_inplace(original, edited, mask):
    edited.data.mul_(mask)  # m · edited, written over the caller's image
    return edited + (1 - mask) * original


def _blend_first_channel(original, edited, mask):
    out = good_blend(original, edited, mask)
    return torch.cat([out[:, :1], original[:, 1:]], 1)  # only channel 0 blended


def _blend_first_mask(original, edited, mask):
    return good_blend(original, edited, mask[:1])  # the first image's mask for every image


def test_masked_blend_solution_library_and_blank(capsys):
    assert lesson07.check_masked_blend(good_blend)
    assert lesson07.check_masked_blend(
        lambda o, e, m: m * e + o - m * o  # the same blend, written differently
    )
    assert capsys.readouterr().out.count("✅ Passed") == 2
    with pytest.raises(NotImplementedYet):
        lesson07.check_masked_blend(blank)


@pytest.mark.parametrize("func", crash_prone(good_blend, grads=True))
def test_masked_blend_never_crashes(func):
    with pytest.raises(CheckFailed):
        lesson07.check_masked_blend(func)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("swapped", lambda o, e, m: m * o + (1 - m) * e),
        ("hard mask", lambda o, e, m: (m > 0.5) * e + (m <= 0.5) * o),
        ("missing 1 - m", lambda o, e, m: m * e + o),
        ("only edited", lambda o, e, m: m * e),
        ("average", lambda o, e, m: (o + e) / 2),
        ("in place", _blend_inplace),
        ("wrong blend", _blend_first_channel),
        ("wrong blend", _blend_first_mask),
        ("dtype", lambda o, e, m: good_blend(o, e, m).float()),
        ("shape", lambda o, e, m: good_blend(o, e, m)[0]),
        ("wrong gradient", lambda o, e, m: m * e.detach() + (1 - m) * o),
        ("no gradient", lambda o, e, m: good_blend(o, e, m).detach()),
        ("error", lambda o, e, m: good_blend(o, e, m.view(-1))),
    ],
)
def test_masked_blend_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson07.check_masked_blend(func)
    assert info.value.mistake == mistake, str(info.value)


# ----------------------------------------------------------------------------- inversion loss
def good_inversion_loss(G, z, target, features, feature_weight):
    out = G(z)
    pixel = (out - target).pow(2).mean()
    return pixel + feature_weight * (features(out) - features(target)).pow(2).mean()


def _inv(pixel=lambda d: d.pow(2).mean(), weight=None, detach=False, on_pixel=False):
    def inversion_loss(G, z, target, features, feature_weight):
        w = feature_weight if weight is None else weight
        out = G(z)
        feats = features(out.detach() if detach else out)
        p, f = pixel(out - target), pixel(feats - features(target))
        return w * p + f if on_pixel else p + w * f

    return inversion_loss


def _inv_inplace(G, z, target, features, feature_weight):
    target.clamp_(-0.5, 0.5)
    return good_inversion_loss(G, z, target, features, feature_weight)


def test_inversion_loss_solution_and_blank(capsys):
    assert lesson07.check_inversion_loss(good_inversion_loss)
    assert "✅ Passed" in capsys.readouterr().out
    with pytest.raises(NotImplementedYet):
        lesson07.check_inversion_loss(blank)


@pytest.mark.parametrize("func", crash_prone(good_inversion_loss, grads=True))
def test_inversion_loss_never_crashes(func):
    with pytest.raises(CheckFailed):
        lesson07.check_inversion_loss(func)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("weight hard-coded", _inv(weight=1.0)),
        ("weight hard-coded", _inv(weight=2.5)),  # right on the first call only
        ("pixel term only", _inv(weight=0.0)),
        ("weight on the wrong term", _inv(on_pixel=True)),
        ("sum instead of mean", _inv(pixel=lambda d: d.pow(2).sum())),
        ("L1 instead of squared", _inv(pixel=lambda d: d.abs().mean())),
        ("detached features", _inv(detach=True)),
        ("in place", _inv_inplace),
        ("not reduced", lambda G, z, t, f, w: (G(z) - t).pow(2)),
        ("no gradient", lambda G, z, t, f, w: good_inversion_loss(G, z, t, f, w).detach()),
        ("wrong value", lambda G, z, t, f, w: good_inversion_loss(G, z, t, f, w) + 0.1),
        ("error", lambda G, z, t, f, w: (f(G(z)) - t).pow(2).mean()),
    ],
)
def test_inversion_loss_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson07.check_inversion_loss(func)
    assert info.value.mistake == mistake, str(info.value)

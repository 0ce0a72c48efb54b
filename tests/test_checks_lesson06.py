"""The lesson 06 checks (slerp, truncation, SeFa) pass on the solutions and name the common
mistakes."""

import pytest
import torch

from gancourse.checks import CheckFailed, NotImplementedYet, lesson06


def good_slerp(z0, z1, t):
    omega = torch.arccos(torch.clamp(z0 / z0.norm() @ (z1 / z1.norm()), -1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def good_truncate(z, psi, mean):
    return mean + psi * (z - mean)


def good_sefa(weight, k):
    d = weight.shape[0]
    A = weight.reshape(d, -1).T
    _, vectors = torch.linalg.eigh(A.T @ A)
    return vectors[:, -k:].flip(1).T


def test_solutions_pass(capsys):
    assert lesson06.check_slerp(good_slerp)
    assert lesson06.check_truncate(good_truncate)
    assert lesson06.check_sefa(good_sefa)
    # the course's own implementations pass too
    from gancourse import editing

    assert lesson06.check_slerp(editing.slerp)
    assert lesson06.check_truncate(editing.truncate)
    # editing.sefa always returns float32 (its documented contract); the exercise keeps w's dtype
    assert lesson06.check_sefa(
        lambda w, k: editing.sefa(w.reshape(w.shape[0], -1).T, k)[0].to(w.dtype)
    )
    assert capsys.readouterr().out.count("✅ Passed") == 6


def blank(*_):
    raise NotImplementedError()


@pytest.mark.parametrize(
    "check", [lesson06.check_slerp, lesson06.check_truncate, lesson06.check_sefa]
)
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet, match="still raises NotImplementedError"):
        check(blank)


def _unit_slerp(z0, z1, t):
    return good_slerp(z0 / z0.norm(), z1 / z1.norm(), t)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("lerp instead of slerp", lambda z0, z1, t: (1 - t) * z0 + t * z1),
        ("swapped endpoints", lambda z0, z1, t: good_slerp(z1, z0, t)),
        ("normalised output", _unit_slerp),
        (
            "swapped weights",
            lambda z0, z1, t: good_slerp(z0, z1, 1 - t) if 0 < t < 1 else good_slerp(z0, z1, t),
        ),
        ("norm not kept", lambda z0, z1, t: good_slerp(z0, z1, t) * (1 + 0.2 * t * (1 - t))),
        ("not a tensor", lambda z0, z1, t: good_slerp(z0, z1, t).numpy()),
        ("shape", lambda z0, z1, t: good_slerp(z0, z1, t)[None]),
        ("error", lambda z0, z1, t: z0 @ z1 @ z0),
    ],
)
def test_slerp_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson06.check_slerp(func)
    assert info.value.mistake == mistake, str(info.value)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("truncating toward 0", lambda z, psi, mean: psi * z),
        ("psi flipped", lambda z, psi, mean: mean + (1 - psi) * (z - mean)),
        ("forgot to subtract the mean", lambda z, psi, mean: psi * z + mean),
        ("wrong formula", lambda z, psi, mean: z - psi * mean),
        ("shape", lambda z, psi, mean: (mean + psi * (z - mean)).mean(0)),
    ],
)
def test_truncate_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson06.check_truncate(func)
    assert info.value.mistake == mistake, str(info.value)


def _wrong_matrix(weight, k):
    d = weight.shape[0]
    A = weight.reshape(d, -1).T
    _, vectors = torch.linalg.eigh(A @ A.T)
    return vectors[:, -k:].flip(1).T


def _smallest(weight, k):
    d = weight.shape[0]
    A = weight.reshape(d, -1).T
    _, vectors = torch.linalg.eigh(A.T @ A)
    return vectors[:, :k].T


def _rows(weight, k):
    d = weight.shape[0]
    A = weight.reshape(d, -1).T
    _, vectors = torch.linalg.eigh(A.T @ A)
    return vectors.flip(1)[:k]


def _wrong_reshape(weight, k):
    d = weight.shape[0]
    A = weight.reshape(-1, d)
    _, vectors = torch.linalg.eigh(A.T @ A)
    return vectors[:, -k:].flip(1).T


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("eigenvectors of the wrong matrix", _wrong_matrix),
        ("smallest eigenvalues", _smallest),
        ("rows instead of columns", _rows),
        ("wrong reshape", _wrong_reshape),
        ("unnormalised direction", lambda w, k: 2 * good_sefa(w, k)),
        ("shape", lambda w, k: good_sefa(w, k).T),
    ],
)
def test_sefa_mistakes_are_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson06.check_sefa(func)
    assert info.value.mistake == mistake, str(info.value)


# ----------------------------------------------------------------------------- issue 20 mistakes
def _slerp_inplace(z0, z1, t):
    z0 /= z0.norm()  # changes the caller's latent
    return good_slerp(z0, z1, t)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _slerp_inplace),
        ("dtype", lambda z0, z1, t: good_slerp(z0, z1, t).float()),
        ("dtype", lambda z0, z1, t: good_slerp(z0.double(), z1.double(), t)),
        ("not finite", lambda z0, z1, t: good_slerp(z0, z1, t) * (float("nan") if t == 0.5 else 1)),
        ("not a tensor", lambda z0, z1, t: None),
        ("not a tensor", lambda z0, z1, t: (good_slerp(z0, z1, t), t)),
        ("not a tensor", lambda z0, z1, t: float(t)),
        ("wrong formula", lambda z0, z1, t: good_slerp(z0, z1, t) if len(z0) == 64 else z0),
    ],
)
def test_slerp_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson06.check_slerp(func)
    assert info.value.mistake == mistake, str(info.value)


def _truncate_inplace(z, psi, mean):
    z -= mean
    return mean + psi * z


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _truncate_inplace),
        ("psi hard-coded", lambda z, psi, mean: mean + 0.7 * (z - mean)),
        ("psi hard-coded", lambda z, psi, mean: mean + 0.3 * (z - mean)),
        ("psi ignored", lambda z, psi, mean: z.clone()),
        ("dtype", lambda z, psi, mean: (mean + psi * (z - mean)).double()),
        ("dtype", lambda z, psi, mean: (mean + psi * (z - mean)).float()),
        ("not a tensor", lambda z, psi, mean: (mean + psi * (z - mean)).numpy()),
        ("not a tensor", lambda z, psi, mean: None),
        ("wrong formula", lambda z, psi, mean: mean + psi * (z - mean) if len(z) == 5 else z),
    ],
)
def test_truncate_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson06.check_truncate(func)
    assert info.value.mistake == mistake, str(info.value)


def _sefa_inplace(weight, k):
    weight /= weight.norm()
    return good_sefa(weight, k)


def _largest_last(weight, k):
    return good_sefa(weight, k).flip(0)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("in place", _sefa_inplace),
        ("k ignored", lambda w, k: good_sefa(w, 3)),
        ("largest last", _largest_last),
        ("dtype", lambda w, k: good_sefa(w, k).float()),
        ("not finite", lambda w, k: good_sefa(w, k) * float("nan")),
        ("not a tensor", lambda w, k: good_sefa(w, k).numpy()),
        (
            "not a tensor",
            lambda w, k: torch.linalg.eigh(w.reshape(w.shape[0], -1) @ w.reshape(w.shape[0], -1).T),
        ),
    ],
)
def test_sefa_issue20_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson06.check_sefa(func)
    assert info.value.mistake == mistake, str(info.value)

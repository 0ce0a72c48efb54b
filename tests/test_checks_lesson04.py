"""The lesson 04 checks pass on the solution (and the library) and name the common mistakes."""

import pytest
import torch
from torch import nn

from gancourse import metrics
from gancourse.checks import CheckFailed, NotImplementedYet, lesson04
from gancourse.models import dcgan_init
from tests.test_checks_core import crash_prone


def good_block(cin, cout):
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)
    )


def good_init(m):
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def loop_init(
    model,
):  # written for the whole model: model.apply calls it on every submodule, still fine
    for m in model.modules():
        good_init(m)


def library_block(cin, cout):  # a hidden block of the course's Generator
    from gancourse.models import Generator

    block = Generator(z_dim=4, image_size=16, width=cout).blocks[
        1
    ]  # (B, 2·width, 4, 4) -> (B, width, 8, 8)
    assert block[0].in_channels == cin
    return block


def test_solutions_and_library_pass(capsys):
    assert lesson04.check_up_block(good_block)
    assert lesson04.check_up_block(
        lambda cin, cout: nn.Sequential(
            nn.ConvTranspose2d(cin, cout, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
        )
    )
    assert lesson04._check_block(library_block, 16, 8, 8, 0) is not None  # cin = 2·cout only
    assert lesson04.check_dcgan_init(good_init)
    assert lesson04.check_dcgan_init(loop_init)
    assert lesson04.check_dcgan_init(dcgan_init)
    assert capsys.readouterr().out.count("✅ Passed") == 5


def blank(*_):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [lesson04.check_up_block, lesson04.check_dcgan_init])
def test_blank_is_not_implemented(check):
    with pytest.raises(NotImplementedYet):
        check(blank)


def block(
    kernel=4, stride=2, padding=1, bias=False, norm=True, act="relu", order="cbr", output_padding=0
):
    def up_block(cin, cout):
        conv = nn.ConvTranspose2d(
            cin, cout, kernel, stride, padding, output_padding=output_padding, bias=bias
        )
        acts = {
            "relu": [nn.ReLU()],
            "leaky": [nn.LeakyReLU(0.2)],
            "tanh": [nn.Tanh()],
            "none": [],
            "relu+tanh": [nn.ReLU(), nn.Tanh()],
        }[act]
        bn = [nn.BatchNorm2d(cout)] if norm else []
        if order == "crb":
            return nn.Sequential(conv, *acts, *bn)
        return nn.Sequential(conv, *bn, *acts)

    return up_block


class SquashedBlock(nn.Module):  # a tanh hidden in forward, invisible as a module
    def __init__(self, cin, cout):
        super().__init__()
        self.conv, self.bn = (
            nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        return torch.tanh(torch.relu(self.bn(self.conv(x))))


def _bn_of_cin(cin, cout):
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cin), nn.ReLU()
    )


class _Double(nn.Module):
    def forward(self, x):
        return x.double()


class _ToNumpy(nn.Module):
    def forward(self, x):
        return x.detach().numpy()


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("wrong kernel/stride/padding", block(kernel=3)),
        ("wrong kernel/stride/padding", block(stride=1)),
        ("wrong kernel/stride/padding", block(padding=0)),
        (
            "wrong kernel/stride/padding",
            block(kernel=3, output_padding=1),
        ),  # doubles, but not DCGAN's 4/2/1
        ("bias before BatchNorm", block(bias=True)),
        ("LeakyReLU in G", block(act="leaky")),
        ("missing BatchNorm", block(norm=False)),
        ("tanh in hidden block", block(act="tanh")),
        ("tanh in hidden block", block(act="relu+tanh")),
        ("tanh in hidden block", SquashedBlock),
        ("missing ReLU", block(act="none")),
        ("wrong order", block(order="crb")),
        ("wrong channels", lambda cin, cout: good_block(cin, cin)),
        (
            "no ConvTranspose2d",
            lambda cin, cout: nn.Sequential(
                nn.Upsample(scale_factor=2),
                nn.Conv2d(cin, cout, 3, 1, 1),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
            ),
        ),
        ("not a module", lambda cin, cout: [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)]),
        ("wrong channels", lambda cin, cout: good_block(cin, cin // 2)),  # right for (16, 8)
        ("BatchNorm channels", _bn_of_cin),
        ("in place", lambda cin, cout: nn.Sequential(nn.ReLU(True), good_block(cin, cout))),
        ("dtype", lambda cin, cout: nn.Sequential(good_block(cin, cout), _Double())),
        ("not a tensor", lambda cin, cout: nn.Sequential(good_block(cin, cout), _ToNumpy())),
    ],
)
def test_up_block_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson04.check_up_block(func)
    assert info.value.mistake == mistake


def init(conv=(nn.Conv2d, nn.ConvTranspose2d), std=0.02, dist="normal", bn="normal", bn_bias=True):
    def dcgan_init_(m):
        if isinstance(m, conv):
            if dist == "uniform":
                nn.init.uniform_(m.weight, -0.02, 0.02)
            else:
                nn.init.normal_(m.weight, 0.0, std)
        elif isinstance(m, nn.BatchNorm2d):
            if bn == "normal":
                nn.init.normal_(m.weight, 1.0, 0.02)
            elif bn == "zero":
                nn.init.zeros_(m.weight)
            elif bn == "like conv":
                nn.init.normal_(m.weight, 0.0, 0.02)
            elif bn == "wide":
                nn.init.normal_(m.weight, 1.0, 0.2)
            if bn_bias:
                nn.init.zeros_(m.bias)

    return dcgan_init_


def leaf_in_place(m):
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        m.weight.normal_(0.0, 0.02)


def _seeded_init(m):
    torch.manual_seed(0)
    good_init(m)


def mean_as_std(m):  # nn.init.normal_(w, 0.02): the second positional argument is the mean
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(m.weight, 0.02)
    else:
        good_init(m)


@pytest.mark.parametrize(
    "mistake,func",
    [
        ("wrong scale", init(std=0.2)),
        ("wrong scale", init(std=1.0)),
        ("wrong scale", mean_as_std),
        ("wrong scale", init(bn="wide")),
        ("BatchNorm weights zero", init(bn="zero")),
        ("BatchNorm weights zero", init(bn="like conv")),
        ("BatchNorm left default", init(bn="default")),
        ("BatchNorm bias not zero", init(bn_bias=False)),
        ("forgot ConvTranspose2d", init(conv=nn.Conv2d)),
        ("forgot Conv2d", init(conv=nn.ConvTranspose2d)),
        ("uniform", init(dist="uniform")),
        ("in-place on a leaf", leaf_in_place),
        ("fixed seed", _seeded_init),
    ],
)
def test_dcgan_init_mistakes_named(mistake, func):
    with pytest.raises(CheckFailed) as info:
        lesson04.check_dcgan_init(func)
    assert info.value.mistake == mistake


def good_fid(real, fake):
    real, fake = real.double(), fake.double()
    s1, s2 = torch.cov(real.T), torch.cov(fake.T)
    root = torch.linalg.eigvals(s1 @ s2).real.clamp(min=0).sqrt().sum()
    return (real.mean(0) - fake.mean(0)).pow(2).sum() + s1.trace() + s2.trace() - 2 * root


def fid_variant(kind):
    def fid(real, fake):
        if kind == "in place":
            real -= real.mean(0)  # the caller's features, centred
        r, f = real.double(), fake.double()
        if kind == "float32":
            r, f = real.float(), fake.float()
        cov = {"biased": lambda x: torch.cov(x.T, correction=0), "rows": torch.cov}.get(
            kind, lambda x: torch.cov(x.T)
        )
        s1, s2 = cov(r), cov(f)
        d2 = (r.mean(0) - f.mean(0)).pow(2).sum()
        root = torch.linalg.eigvals(s1 @ s2).real.clamp(min=0).sqrt().sum()
        terms = {
            "elementwise": lambda: (s1 * s2).sqrt().trace(),
            "sqrtm of product": lambda: (s1 @ s2).clamp(min=0).sqrt().trace(),
            "sqrt trace": lambda: (s1 @ s2).trace().sqrt(),
            "no 2": lambda: root / 2,
        }
        root = terms.get(kind, lambda: root)()
        if kind == "norm":
            d2 = d2.sqrt()
        if kind == "no mean":
            d2 = 0 * d2
        if kind == "diagonal":
            return d2 + (s1.diagonal().sqrt() - s2.diagonal().sqrt()).pow(2).sum()
        if kind == "no cov":
            return d2
        if kind == "no clamp":
            root = torch.linalg.eigvals(s1 @ s2).real.sqrt().sum() * float("nan")
        out = d2 + s1.trace() + s2.trace() - 2 * root
        return {"item": lambda: out.item(), "vector": lambda: out.expand(2)}.get(
            kind, lambda: out
        )()

    return fid


def test_fid_solution_and_library_pass(capsys):
    assert lesson04.check_fid_from_features(good_fid)
    library = lambda r, f: torch.tensor(metrics.fid_from_features(r, f), dtype=torch.float64)  # noqa: E731
    assert lesson04.check_fid_from_features(library)
    assert capsys.readouterr().out.count("✅ Passed") == 2


def test_fid_matches_the_closed_form_and_the_library():
    real, fake, expected = lesson04._fid_case(0)
    assert real.dtype == torch.float32 and len(real) == len(fake) == 40
    assert abs(good_fid(real, fake).item() - expected) < 1e-4 * expected
    real, fake, expected = lesson04._fid_case(1)
    assert abs(good_fid(real, fake).item() - expected) < 1e-8 * expected
    assert torch.allclose(torch.cov(real.T), torch.cov(lesson04._fid_case(1)[0].T))


def test_fid_blank_is_not_implemented():
    with pytest.raises(NotImplementedYet):
        lesson04.check_fid_from_features(lambda r, f: (_ for _ in ()).throw(NotImplementedError()))


@pytest.mark.parametrize(
    "mistake,kind",
    [
        ("biased covariance", "biased"),
        ("covariance over samples", "rows"),
        ("elementwise sqrt", "elementwise"),
        ("elementwise sqrt", "sqrtm of product"),
        ("elementwise sqrt", "diagonal"),
        ("sqrt of the trace", "sqrt trace"),
        ("missing 2", "no 2"),
        ("distance not squared", "norm"),
        ("no mean term", "no mean"),
        ("no covariance term", "no cov"),
        ("not finite", "no clamp"),
        ("dtype", "float32"),
        ("not a tensor", "item"),
        ("shape", "vector"),
        ("in place", "in place"),
    ],
)
def test_fid_mistakes_named(mistake, kind):
    with pytest.raises(CheckFailed) as info:
        lesson04.check_fid_from_features(fid_variant(kind))
    assert info.value.mistake == mistake


@pytest.mark.parametrize(  # float64 is the right dtype here
    "func", [p for p in crash_prone(good_fid) if p.id != "float64"]
)
def test_check_fid_answers_crash_prone_results_with_a_hint(func):
    with pytest.raises(CheckFailed):  # a hint, never another exception
        lesson04.check_fid_from_features(func)

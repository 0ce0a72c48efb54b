"""Checks for ``exercises/04_training_a_dcgan.ipynb``: the generator's upsampling block, the
DCGAN init.

The upsampling block is the middle block of :class:`gancourse.models.Generator`::

    ConvTranspose2d(cin, cout, 4, 2, 1, bias=False) -> BatchNorm2d(cout) -> ReLU
    (B, cin, H, W) -> (B, cout, 2H, 2W)

since a transposed convolution's output size is ``out = (in - 1)·stride - 2·padding + kernel``
(+ ``output_padding``, 0 here): ``(in - 1)·2 - 2 + 4 = 2·in``.

The DCGAN initialisation (Radford et al., 2016) is :func:`gancourse.models.dcgan_init`::

    Conv2d / ConvTranspose2d weight ~ N(0, 0.02)
    BatchNorm2d weight (γ) ~ N(1, 0.02), bias (β) = 0

FID of two feature sets (rows are samples; μ, Σ their means and (N - 1) covariances)::
    FID = ‖μ₁ - μ₂‖² + Tr(Σ₁ + Σ₂ - 2 (Σ₁Σ₂)^½),   Tr((Σ₁Σ₂)^½) = Σᵢ √λᵢ(Σ₁Σ₂)
"""

from __future__ import annotations

import torch
from torch import nn

from gancourse import metrics
from gancourse.models import Discriminator, Generator

from ._core import CheckFailed, expect_tensor, passed, run_learner, run_pure


def _leaves(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if not list(m.children())]


def _transposed_size(size: int, conv: nn.ConvTranspose2d) -> int:
    k, s, p, op = conv.kernel_size[0], conv.stride[0], conv.padding[0], conv.output_padding[0]
    return (size - 1) * s - 2 * p + k + op


def _reference_block(conv: nn.ConvTranspose2d, norm: nn.BatchNorm2d, cin, cout) -> nn.Sequential:
    """The library's block with the learner's parameters copied in."""
    ref = nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()
    )
    with torch.no_grad():
        ref[0].weight.copy_(conv.weight)
        ref[1].weight.copy_(norm.weight)
        ref[1].bias.copy_(norm.bias)
    return ref.train()


def _check_block(up_block, cin: int, cout: int, size: int, seed: int):
    torch.manual_seed(seed)
    block = run_learner(up_block, cin, cout, name="up_block")
    if not isinstance(block, nn.Module):
        raise CheckFailed(
            "`up_block` must return an nn.Module (e.g. nn.Sequential(...)), "
            f"got {type(block).__name__}.",
            mistake="not a module",
        )
    layers = _leaves(block)
    convs = [m for m in layers if isinstance(m, nn.ConvTranspose2d)]
    if not convs:
        raise CheckFailed(
            "no nn.ConvTranspose2d in your block: DCGAN's generator upsamples with a transposed "
            "convolution, nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False).",
            mistake="no ConvTranspose2d",
        )
    conv = convs[0]
    if any(isinstance(m, nn.Tanh) for m in layers):
        raise CheckFailed(
            "tanh belongs only on G's *output* layer (it puts the image in [-1, 1]); in a hidden "
            "block it squashes the features and its gradient vanishes. End the block with ReLU.",
            mistake="tanh in hidden block",
        )
    if any(isinstance(m, nn.LeakyReLU) for m in layers):
        raise CheckFailed(
            "LeakyReLU(0.2) is the *discriminator's* activation; DCGAN's generator uses plain "
            "nn.ReLU in its hidden blocks.",
            mistake="LeakyReLU in G",
        )
    norms = [m for m in layers if isinstance(m, nn.BatchNorm2d)]
    if not norms:
        raise CheckFailed(
            "no nn.BatchNorm2d(cout): DCGAN normalises every hidden block of G, which keeps the "
            "activations at a sane scale and helps G train.",
            mistake="missing BatchNorm",
        )
    if (conv.in_channels, conv.out_channels) != (cin, cout):
        guess = " (cin // 2?)" if conv.out_channels == cin // 2 != cout else ""
        raise CheckFailed(
            f"up_block({cin}, {cout}) made ConvTranspose2d({conv.in_channels}, "
            f"{conv.out_channels}){guess}: take the channel counts from the arguments, "
            "ConvTranspose2d(cin, cout, ...), not numbers of your own.",
            mistake="wrong channels",
        )
    if norms[0].num_features != cout:
        raise CheckFailed(
            f"up_block({cin}, {cout}) made BatchNorm2d({norms[0].num_features}): BatchNorm "
            "comes after the transposed conv, so it normalises its cout channels: "
            "nn.BatchNorm2d(cout).",
            mistake="BatchNorm channels",
        )

    x = torch.randn(2, cin, size, size, generator=torch.Generator().manual_seed(seed + 4))
    block.train()
    label = f"up_block({cin}, {cout})"
    out = expect_tensor(run_pure(block, x, name=label), like=x, name=label)
    if out.dim() != 4:
        got = tuple(out.shape)
        raise CheckFailed(
            f"up_block({cin}, {cout}) on a (2, {cin}, {size}, {size}) batch must give a 4-D tensor "
            f"(2, {cout}, {2 * size}, {2 * size}), got {got}.",
            mistake="wrong shape",
        )
    if tuple(out.shape[:2]) != (2, cout):
        raise CheckFailed(
            f"expected {cout} output channels (cout), got shape {tuple(out.shape)}.",
            mistake="wrong channels",
        )
    k, s, p = conv.kernel_size[0], conv.stride[0], conv.padding[0]
    if tuple(out.shape[2:]) != (2 * size, 2 * size):
        raise CheckFailed(
            f"the block must double H and W ({size} -> {2 * size}), "
            f"yours gives {tuple(out.shape[2:])}. "
            "A transposed conv gives out = (in - 1)·stride - 2·padding + kernel; "
            f"with your kernel {k}, stride {s}, padding {p}: "
            f"({size} - 1)·{s} - 2·{p} + {k} = {_transposed_size(size, conv)}. "
            "Kernel 4, stride 2, padding 1 gives exactly 2·in.",
            mistake="wrong kernel/stride/padding",
        )
    if (k, s, p) != (4, 2, 1):
        raise CheckFailed(
            f"your kernel {k}, stride {s}, padding {p} doubles the size too, but DCGAN uses "
            "kernel 4, stride 2, padding 1: a kernel divisible by the stride covers every output "
            "pixel equally (fewer checkerboard artefacts).",
            mistake="wrong kernel/stride/padding",
        )
    if conv.bias is not None:
        raise CheckFailed(
            f"the transposed conv has a bias ({conv.bias.numel()} wasted parameters): "
            "BatchNorm right after it subtracts the per-channel mean, which cancels any bias. "
            "Use bias=False.",
            mistake="bias before BatchNorm",
        )
    if out.min() < 0:
        if any(isinstance(m, nn.ReLU) for m in layers):
            raise CheckFailed(
                "your output has negative values although there is a ReLU: the order must be "
                "ConvTranspose2d -> BatchNorm2d -> ReLU, so the ReLU comes last.",
                mistake="wrong order",
            )
        raise CheckFailed(
            "your output has negative values: the block ends with a ReLU (nn.ReLU(True)).",
            mistake="missing ReLU",
        )
    if out.max() <= 1:
        raise CheckFailed(
            "all your outputs are <= 1, as if squashed by tanh or a sigmoid: a hidden block ends "
            "with ReLU; tanh is only for G's output layer.",
            mistake="tanh in hidden block",
        )
    with torch.no_grad():
        expected = _reference_block(conv, norms[0], cin, cout)(x)
    if not torch.allclose(out.detach(), expected, atol=1e-4):
        raise CheckFailed(
            "the shapes are right but the values differ from ConvTranspose2d(cin, cout, 4, 2, 1, "
            "bias=False) -> BatchNorm2d(cout) -> ReLU with your parameters. Anything extra in "
            "the block?",
            mistake="wrong block",
        )
    return out


def check_up_block(up_block) -> bool:
    """Check ``up_block(cin, cout)``: ConvTranspose2d(cin, cout, 4, 2, 1, bias=False) +
    BatchNorm2d + ReLU.

    Builds ``up_block(16, 8)``, runs a (2, 16, 8, 8) batch and expects (2, 8, 16, 16), the
    library's block on the same parameters; then ``up_block(6, 10)`` on a (2, 6, 5, 5) batch
    (another seed), so channels written into the function (``cin // 2``) fail. Recognises: no
    transposed convolution, a tanh or a LeakyReLU in G's hidden block, no BatchNorm, wrong
    kernel/stride/padding (with the size formula ``out = (in - 1)·stride - 2·padding + kernel``),
    a bias before BatchNorm, a missing ReLU or one before the BatchNorm, channel counts not
    taken from the arguments, BatchNorm2d(cin), an in-place change to the input.
    """
    for cin, cout, size, seed in ((16, 8, 8, 0), (6, 10, 5, 1)):
        _check_block(up_block, cin, cout, size, seed)
    return passed(
        "up_block(16, 8) and up_block(6, 10): (B, cin, H, W) -> (B, cout, 2H, 2W), "
        "ConvTranspose2d(4, 2, 1, no bias) -> BatchNorm -> ReLU."
    )


def _init_model() -> nn.ModuleDict:
    """A small DCGAN pair with PyTorch's *default* init (Kaiming-uniform convs, BatchNorm γ = 1)."""

    torch.manual_seed(0)
    model = nn.ModuleDict(
        {
            "G": Generator(z_dim=8, image_size=16, channels=3, width=16),
            "D": Discriminator(image_size=16, channels=3, width=16),
        }
    )
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.BatchNorm2d):
            m.reset_parameters()  # undo the library's own DCGAN init
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.bias.fill_(0.1)  # as after some training: the init must set β back to 0
    return model


def _weights(model: nn.Module, kind) -> dict[str, torch.Tensor]:
    return {name: m.weight.detach().clone() for name, m in model.named_modules() if type(m) is kind}


def _conv_stats_hint(kind: str, w: torch.Tensor) -> None:
    """Raise a named CheckFailed unless the weights ``w`` of all ``kind`` layers look like
    N(0, 0.02)."""
    mean, std = w.mean().item(), w.std().item()
    if std < 1e-8:
        raise CheckFailed(
            f"all your {kind} weights are equal ({mean:.4g}): every filter would compute the same "
            "feature and stay the same (symmetry). Draw them at random from N(0, 0.02).",
            mistake="constant weights",
        )
    kurtosis = (((w - mean) / std) ** 4).mean().item()  # 3 for a Gaussian, 1.8 for a uniform
    if kurtosis < 2.4:
        raise CheckFailed(
            f"your {kind} weights look uniformly distributed (kurtosis {kurtosis:.2f}; "
            "a Gaussian has 3, a uniform 1.8). DCGAN draws them from a normal distribution: "
            "nn.init.normal_(m.weight, 0.0, 0.02), not uniform_.",
            mistake="uniform",
        )
    if abs(std - 0.02) > 0.003:
        extra = ""
        if abs(std - 1) < 0.1:
            extra = (
                " A std of 1 is torch.randn's default, or nn.init.normal_(w, 0.02), whose second "
                "positional argument is the *mean*: write nn.init.normal_(w, 0.0, 0.02)."
            )
        raise CheckFailed(
            f"your {kind} weights have std {std:.4f}, expected 0.02.{extra}", mistake="wrong scale"
        )
    if abs(mean) > 0.003:
        raise CheckFailed(
            f"your {kind} weights have mean {mean:.4f}, expected 0: N(0, 0.02).",
            mistake="wrong mean",
        )


def check_dcgan_init(dcgan_init_) -> bool:
    """Check ``dcgan_init_(module)``, applied with ``model.apply(dcgan_init_)``, against
    DCGAN's init.

    Conv2d and ConvTranspose2d weights ~ N(0, 0.02); BatchNorm2d weight ~ N(1, 0.02), bias 0.
    The model is a small DCGAN generator and discriminator reset to PyTorch's default init. The
    statistics are compared with tolerances (std within 0.003 of 0.02 for the convs, BatchNorm
    weights with mean within 0.01 of 1 and std between 0.013 and 0.027). Recognises: forgetting
    ConvTranspose2d (it is not a subclass of Conv2d) or Conv2d, uniform instead of normal, a wrong
    scale (std 0.2 or 1), BatchNorm weights set to 0 (dead features) or left at their default 1,
    BatchNorm biases not set to 0.
    """
    if not callable(dcgan_init_):
        raise CheckFailed(
            f"expected a function, got {type(dcgan_init_).__name__}. Pass the function itself: "
            "check_dcgan_init(dcgan_init_)."
        )
    model = _init_model()
    before = {kind: _weights(model, kind) for kind in (nn.ConvTranspose2d, nn.Conv2d)}
    torch.manual_seed(1)
    try:
        run_learner(lambda: model.apply(dcgan_init_), name="dcgan_init_")
    except CheckFailed as error:
        if error.mistake == "error" and "leaf Variable" in error.hint:
            raise CheckFailed(
                "in-place changes to a parameter need torch.no_grad(); nn.init.normal_(m.weight, "
                "0.0, 0.02) does that for you.",
                mistake="in-place on a leaf",
            ) from None
        raise
    for kind, old in before.items():
        new = _weights(model, kind)
        same = [name for name in old if torch.equal(old[name], new[name])]
        if same and len(same) == len(old):
            hint = {
                nn.ConvTranspose2d: "none of G's nn.ConvTranspose2d weights changed: "
                "ConvTranspose2d is not a subclass of Conv2d, so isinstance(m, nn.Conv2d) "
                "misses them. Test isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)).",
                nn.Conv2d: "none of D's nn.Conv2d weights changed: the init covers D's "
                "convolutions too.",
            }[kind]
            raise CheckFailed(hint, mistake=f"forgot {kind.__name__}")
        if same:
            raise CheckFailed(
                f"some {kind.__name__} layers kept PyTorch's default weights: {same}. Initialise "
                "every layer; model.apply(f) calls f on every submodule.",
                mistake="missed layers",
            )
        _conv_stats_hint(kind.__name__, torch.cat([w.flatten() for w in new.values()]))
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    gamma = torch.cat([m.weight.detach().flatten() for m in norms])
    beta = torch.cat([m.bias.detach().flatten() for m in norms])
    if torch.all(gamma == 1):
        raise CheckFailed(
            "your BatchNorm weights are all exactly 1, PyTorch's default (mean 1, std 0): DCGAN "
            "draws them from N(1, 0.02): nn.init.normal_(m.weight, 1.0, 0.02).",
            mistake="BatchNorm left default",
        )
    if gamma.abs().mean() < 0.1:
        raise CheckFailed(
            f"your BatchNorm weights γ are near 0 (mean |γ| {gamma.abs().mean():.3f}): BatchNorm "
            "outputs γ·x̂ + β, so γ ≈ 0 silences every feature and its gradient (dead features). "
            "They are scales around 1: N(1, 0.02), not the convs' N(0, 0.02).",
            mistake="BatchNorm weights zero",
        )
    if abs(gamma.std().item() - 0.02) > 0.007:
        raise CheckFailed(
            f"your BatchNorm weights have std {gamma.std():.4f}, expected 0.02: N(1, 0.02).",
            mistake="wrong scale",
        )
    if abs(gamma.mean().item() - 1) > 0.01:
        raise CheckFailed(
            f"your BatchNorm weights have mean {gamma.mean():.4f}, expected 1: N(1, 0.02).",
            mistake="wrong BatchNorm mean",
        )
    if not torch.all(beta == 0):
        raise CheckFailed(
            "set the BatchNorm biases β to 0 (nn.init.zeros_(m.bias)): these were 0.1 before your "
            "init and still are not 0.",
            mistake="BatchNorm bias not zero",
        )
    # A second model under another global seed must get other weights: no seed of its own.
    again = _init_model()
    torch.manual_seed(2)
    run_learner(lambda: again.apply(dcgan_init_), name="dcgan_init_")
    first, second = _weights(model, nn.Conv2d), _weights(again, nn.Conv2d)
    if all(torch.equal(first[k], second[k]) for k in first):
        raise CheckFailed(
            "two models initialised under different seeds got the very same weights: a "
            "torch.manual_seed(...) inside dcgan_init_ fixes them (and makes layers of the same "
            "shape identical). Leave seeding to the caller.",
            mistake="fixed seed",
        )
    return passed("convs and transposed convs ~ N(0, 0.02), BatchNorm γ ~ N(1, 0.02), β = 0.")


def _gaussian_features(n, mean, cov, seed):
    """``n`` float64 rows whose sample mean and covariance (N - 1) are exactly ``mean``, ``cov``."""
    x = torch.randn(n, len(mean), generator=torch.Generator().manual_seed(seed)).double()
    x = x - x.mean(0)
    whiten = torch.linalg.inv(torch.linalg.cholesky(torch.cov(x.T))).T
    return x @ whiten @ torch.linalg.cholesky(cov).T + mean


def _fid_case(case: int):
    """(real, fake, expected FID): 0: closed form, float32, 40 + 40 rows; 1: float64, 30 + 25."""
    g = torch.Generator().manual_seed(11 + case)
    dim = (3, 5)[case]
    mu1, mu2 = torch.randn(2, dim, generator=g, dtype=torch.float64)
    if case == 0:  # Σ = R diag(a) Rᵀ, same R: FID = ‖μ₁ - μ₂‖² + Σ (√a - √b)²
        rot = torch.linalg.qr(torch.randn(dim, dim, generator=g, dtype=torch.float64))[0]
        a, b = torch.tensor([4.0, 1.0, 0.25]).double(), torch.tensor([1.0, 2.25, 0.09]).double()
        real = _gaussian_features(40, mu1, rot @ torch.diag(a) @ rot.T, 1)
        fake = _gaussian_features(40, mu2, rot @ torch.diag(b) @ rot.T, 2)
        expected = (mu1 - mu2).pow(2).sum() + (a.sqrt() - b.sqrt()).pow(2).sum()
        return real.float(), fake.float(), expected.item()
    m1, m2 = torch.randn(2, dim, dim, generator=g, dtype=torch.float64)
    real = _gaussian_features(30, mu1, m1 @ m1.T + 0.5 * torch.eye(dim), 3)
    fake = _gaussian_features(25, mu2, m2 @ m2.T + 0.5 * torch.eye(dim), 4)
    return real, fake, metrics.fid_from_features(real, fake)


_FID_HINTS = {
    "biased covariance": "your covariances divide by N; FID uses the unbiased covariance "
    "(N - 1), as torch.cov(x.T) does.",
    "elementwise sqrt": "(Σ₁Σ₂)^½ is a *matrix* square root over the full covariances, not a "
    "root of each entry or of the variances alone: sum √ of the eigenvalues of Σ₁ @ Σ₂.",
    "sqrt of the trace": "Tr((Σ₁Σ₂)^½) is the sum of the square roots of the eigenvalues, not "
    "the square root of the trace.",
    "missing 2": "the cross term carries a factor 2: Tr(Σ₁ + Σ₂ - 2 (Σ₁Σ₂)^½).",
    "distance not squared": "the mean term is the *squared* distance ‖μ₁ - μ₂‖².",
    "no mean term": "the mean term ‖μ₁ - μ₂‖² is missing.",
    "no covariance term": "the covariance term Tr(Σ₁ + Σ₂ - 2 (Σ₁Σ₂)^½) is missing.",
    "covariance over samples": "rows are samples, columns features: mean over dim 0 and "
    "torch.cov(x.T) (torch.cov wants one variable per row).",
}


def _fid_mistakes(real, fake) -> dict:  # {mistake: the FID it gives for these features}
    r, f = real.double(), fake.double()
    d2 = (r.mean(0) - f.mean(0)).pow(2).sum()
    s1, s2 = torch.cov(r.T), torch.cov(f.T)
    diag = (s1 @ s2).diagonal().clamp(min=0)

    def fid(dist, a, b, cross=None):
        root = torch.linalg.eigvals(a @ b).real.clamp(min=0).sqrt().sum()
        return dist + a.trace() + b.trace() - 2 * (root if cross is None else cross)

    right = fid(d2, s1, s2)
    found = {
        "biased covariance": fid(d2, torch.cov(r.T, correction=0), torch.cov(f.T, correction=0)),
        "elementwise sqrt": fid(d2, s1, s2, (s1 * s2).clamp(min=0).sqrt().trace()),
        "elementwise sqrt (of Σ₁Σ₂)": fid(d2, s1, s2, diag.sqrt().sum()),
        "sqrt of the trace": fid(d2, s1, s2, diag.sum().sqrt()),
        "missing 2": (right + fid(d2, s1, s2, torch.zeros(()))) / 2,
        "distance not squared": right - d2 + d2.sqrt(),
        "no mean term": right - d2,
        "no covariance term": d2,
    }
    if len(r) == len(f):  # rows and columns mixed up: N x N "covariances" (means right or not)
        c1, c2 = torch.cov(r), torch.cov(f)
        found["covariance over samples"] = fid((r.mean(1) - f.mean(1)).pow(2).sum(), c1, c2)
        found["covariance over samples (means right)"] = fid(d2, c1, c2)
    return found


def check_fid_from_features(fid_from_features) -> bool:
    """Check ``fid_from_features(real, fake)`` -> float64 scalar tensor against the closed form
    for two Gaussians (commuting covariances, float32 input) and ``gancourse.metrics`` (float64,
    other sizes and seed). Recognises the mistakes of ``_FID_HINTS``."""
    name = "fid_from_features"
    for case in (0, 1):
        real, fake, expected = _fid_case(case)
        out = run_pure(fid_from_features, real, fake, name=name)
        if isinstance(out, torch.Tensor) and out.numel() == 1:
            out = out.reshape(())
        if isinstance(out, torch.Tensor) and out.is_floating_point() and out.dtype != torch.float64:
            why = "covariance products lose digits in float32, and FID is a small difference"
            hint = f"`{name}` returned {out.dtype}: compute in float64 (.double() first); {why}."
            raise CheckFailed(hint, mistake="dtype")
        out = expect_tensor(out, shape=(), dtype=torch.float64, device=real.device, name=name)
        value = out.item()
        if value != value:
            hint = "a root of a tiny negative eigenvalue? Clamp at 0 (.clamp(min=0)) before .sqrt()"
            raise CheckFailed(f"`{name}` returned NaN: {hint}.", mistake="not finite")
        if abs(value - expected) <= 1e-4 * max(1.0, abs(expected)):
            continue
        for mistake, candidate in _fid_mistakes(real, fake).items():
            if abs(value - candidate.item()) <= 1e-4 * max(1.0, abs(candidate.item())):
                mistake = mistake.split(" (")[0]
                raise CheckFailed(_FID_HINTS[mistake], mistake=mistake)
        raise CheckFailed(
            f"expected FID {expected:.4f} for these features, got {value:.4f}. μ = x.mean(0), "
            "Σ = torch.cov(x.T); ‖μ₁ - μ₂‖² + Tr(Σ₁) + Tr(Σ₂) - 2 Σᵢ √λᵢ(Σ₁ @ Σ₂).",
            mistake="wrong value",
        )
    return passed("FID matches the closed form for two Gaussians and gancourse.metrics.")

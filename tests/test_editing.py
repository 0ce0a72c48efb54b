"""gancourse.editing: interpolation, truncation, directions, orthogonalisation, scoring, masks,
inversion."""

import math

import pytest
import torch
from torch import nn

from gancourse import editing, metrics
from gancourse.data import faces
from gancourse.models.dcgan import Generator


@pytest.fixture(scope="module")
def G():
    """A small random DCGAN whose images vary with z (weights 10x the DCGAN init)."""
    torch.manual_seed(0)
    G = Generator(z_dim=16, image_size=16, width=8)
    for module in G.modules():
        if isinstance(module, nn.ConvTranspose2d):
            nn.init.normal_(module.weight, 0.0, 0.2)
    return G.eval().requires_grad_(False)


# ---------------------------------------------------------------------------------- interpolation
def test_slerp_endpoints_and_norm():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(2, 512, generator=g)
    z1 = z1 / z1.norm() * z0.norm()  # equal norms: slerp keeps the norm all the way
    path = editing.slerp(z0, z1, torch.linspace(0, 1, 11))
    assert path.shape == (11, 512)
    assert torch.allclose(path[0], z0, atol=1e-4) and torch.allclose(path[-1], z1, atol=1e-4)
    assert torch.allclose(path.norm(dim=1), z0.norm().expand(11), rtol=1e-4)


def test_lerp_midpoint_falls_inside_the_gaussian_shell():
    g = torch.Generator().manual_seed(1)
    d = 512
    z0, z1 = torch.randn(2, 200, d, generator=g)
    mid_lerp = editing.lerp(z0, z1, 0.5).norm(dim=1)
    mid_slerp = editing.slerp(z0, z1, 0.5).norm(dim=1)
    assert abs(mid_lerp.mean().item() - math.sqrt(d / 2)) < 1.0  # ≈ √(d/2): off the shell
    assert abs(mid_slerp.mean().item() - math.sqrt(d)) < 1.0  # ≈ √d: on the shell


def test_slerp_batches_and_parallel_fallback():
    z0 = torch.randn(3, 8)
    out = editing.slerp(z0, z0 * 2, torch.tensor([0.0, 0.5, 1.0]))  # parallel: falls back to lerp
    assert out.shape == (3, 3, 8)
    assert torch.allclose(out[1], 1.5 * z0, atol=1e-4)
    assert torch.isfinite(out).all()


def test_interpolation_bad_inputs():
    with pytest.raises(ValueError, match="same shape"):
        editing.slerp(torch.randn(4), torch.randn(5), 0.5)
    with pytest.raises(TypeError, match="torch.Tensor"):
        editing.lerp([1.0, 2.0], torch.randn(2), 0.5)


def test_truncation_goes_towards_the_mean():
    z = torch.randn(10, 6, generator=torch.Generator().manual_seed(0))
    mean = torch.arange(6.0)
    # mean + (z - mean) rounds: a z near 0 next to a mean of 5 is off by ~1e-7, beyond rtol alone
    assert torch.allclose(editing.truncate(z, 1.0, mean), z, atol=1e-6)
    assert torch.allclose(editing.truncate(z, 0.0, mean), mean.expand(10, 6))
    half = editing.truncate(z, 0.5, mean)
    assert torch.allclose(half - mean, 0.5 * (z - mean), atol=1e-6)
    assert torch.allclose(editing.truncate(z, 0.5), 0.5 * z)  # no mean: z-space mean is 0
    with pytest.raises(ValueError, match="entries"):
        editing.truncate(z, 0.5, torch.zeros(5))


def test_mean_latent_of_a_mapping_is_not_zero():
    mapping = lambda z: z + 3.0
    w_mean = editing.mean_latent(4, mapping, n=4000)
    assert torch.allclose(w_mean, torch.full((4,), 3.0), atol=0.1)
    assert torch.equal(editing.mean_latent(4), torch.zeros(4))


# ---------------------------------------------------------------------------------- SeFa, GANSpace
def test_first_layer_matrix_reproduces_the_first_layer(G):
    A = editing.first_layer_weight(G)
    z = torch.randn(5, 16)
    h = G.blocks[0][0](z[:, :, None, None]).flatten(1)  # ConvTranspose output before BatchNorm
    assert A.shape == (h.shape[1], 16)
    assert torch.allclose(h, z @ A.T, atol=1e-5)


def test_sefa_finds_the_top_right_singular_vectors():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(40, 8, generator=g)
    directions, values = editing.sefa(A, k=3)
    _, s, vh = torch.linalg.svd(A)
    assert torch.allclose(values, s[:3] ** 2, rtol=1e-4)
    for i in range(3):
        assert abs(abs(directions[i] @ vh[i]) - 1) < 1e-4
    assert torch.allclose(directions.norm(dim=1), torch.ones(3), atol=1e-5)
    # the first direction changes A z the most among unit vectors
    assert (A @ directions[0]).norm() >= (A @ editing.normalize(torch.randn(8, generator=g))).norm()


def test_sefa_on_a_generator_and_bad_k(G):
    directions, values = editing.sefa(G, k=4)
    assert directions.shape == (4, 16) and (values[:-1] >= values[1:]).all()
    assert torch.equal(directions, editing.sefa(G, k=4)[0])  # signs fixed: reproducible
    with pytest.raises(ValueError, match="k must be"):
        editing.sefa(G, k=17)


def test_ganspace_directions_move_the_principal_components(G):
    directions, ratio = editing.ganspace(G, k=3, n=600, layer=0)
    assert directions.shape == (3, 16)
    assert torch.allclose(directions.norm(dim=1), torch.ones(3), atol=1e-5)
    assert (ratio[:-1] >= ratio[1:]).all() and ratio.sum() <= 1
    # the first direction changes the features more than a random unit direction does
    z = torch.randn(64, 16, generator=torch.Generator().manual_seed(3))
    base = editing.layer_features(G, z)
    moved = (editing.layer_features(G, z + 2 * directions[0]) - base).norm(dim=1).mean()
    rand = editing.normalize(torch.randn(16, generator=torch.Generator().manual_seed(4)))
    moved_rand = (editing.layer_features(G, z + 2 * rand) - base).norm(dim=1).mean()
    assert moved > moved_rand


# ---------------------------------------------------------------------------------- InterFaceGAN
def test_interfacegan_recovers_a_linear_boundary():
    g = torch.Generator().manual_seed(0)
    w = editing.normalize(torch.randn(32, generator=g))
    z = torch.randn(600, 32, generator=g)
    labels = (z @ w > 0).long()
    n = editing.interfacegan_direction(z, labels)
    assert abs(n.norm().item() - 1) < 1e-5
    assert (n @ w).item() > 0.85


def test_interfacegan_from_scores_uses_the_extremes():
    g = torch.Generator().manual_seed(1)
    w = editing.normalize(torch.randn(16, generator=g))
    z = torch.randn(1000, 16, generator=g)
    scores = {"smile": torch.sigmoid(z @ w + 0.3 * torch.randn(1000, generator=g))}
    n = editing.interfacegan_from_scores(z, scores, "smile")
    assert (n @ w).item() > 0.9
    with pytest.raises(ValueError, match="Did you mean 'smile'"):
        editing.interfacegan_from_scores(z, scores, "smiles")


def test_interfacegan_bad_labels():
    with pytest.raises(ValueError, match="both present"):
        editing.interfacegan_direction(torch.randn(10, 4), torch.ones(10))
    with pytest.raises(ValueError, match="one label per latent"):
        editing.interfacegan_direction(torch.randn(10, 4), torch.ones(9))


def test_orthogonalize_one_and_many():
    g = torch.Generator().manual_seed(0)
    n1, n2, n3 = editing.normalize(torch.randn(3, 12, generator=g))
    o = editing.orthogonalize(n1, n2)
    assert abs(o.norm().item() - 1) < 1e-5 and abs((o @ n2).item()) < 1e-5
    expected = editing.normalize(n1 - (n1 @ n2) * n2)
    assert torch.allclose(o, expected, atol=1e-5)
    o2 = editing.orthogonalize(n1, n2, n3)
    assert abs((o2 @ n2).item()) < 1e-5 and abs((o2 @ n3).item()) < 1e-5
    with pytest.raises(ValueError, match="span"):
        editing.orthogonalize(n2, n2)


# ---------------------------------------------------------------------------------- scoring edits
class _ToyG(nn.Module):
    """z -> image: channel 0 brightness follows z[0], channel 1 follows z[1]."""

    z_dim, image_size, channels = 4, 16, 3

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.3))

    def forward(self, z):
        img = torch.zeros(z.shape[0], 3, 16, 16)
        img[:, 0] = torch.tanh(self.scale * z[:, 0])[:, None, None]
        img[:, 1] = torch.tanh(self.scale * z[:, 1])[:, None, None]
        return img


class _ToyClassifier(nn.Module):
    """Reads 'smile' from channel 0 and 'eye_size' from channel 1; the rest constant."""

    attribute_names = list(faces.ATTRIBUTE_NAMES)

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        b = x.shape[0]
        out = {
            "smile": (x[:, 0].mean((1, 2)) + 1) / 2,
            "eye_size": (x[:, 1].mean((1, 2)) + 1) / 2,
            "skin_tone": torch.full((b,), 0.3),
            "head_tilt": torch.full((b,), 0.5),
        }
        for name in faces.CATEGORICAL:
            out[name] = torch.zeros(b, faces.ATTRIBUTES[name].num_classes)
        return out


def test_score_edit_separates_target_and_leakage():
    G, C = _ToyG().eval(), _ToyClassifier().eval()
    clean = editing.score_edit(G, C, torch.tensor([1.0, 0, 0, 0]), "smile", 1.5, n=128)
    assert clean["success"] > 0.9 and clean["target_change"] > 0
    assert clean["leakage"]["eye_size"] < 1e-6 and clean["mean_leakage"] < 1e-6
    leaky = editing.score_edit(
        G, C, editing.normalize(torch.tensor([1.0, 1.0, 0, 0])), "smile", 1.5, n=128
    )
    assert leaky["leakage"]["eye_size"] > 0.05
    down = editing.score_edit(G, C, torch.tensor([1.0, 0, 0, 0]), "smile", -1.5, n=128)
    assert down["success"] > 0.9 and down["target_change"] < 0
    with pytest.raises(ValueError, match="unknown attribute"):
        editing.score_edit(G, C, torch.tensor([1.0, 0, 0, 0]), "beard", 1.0, n=8)


def test_score_edit_counts_only_samples_with_room_to_move():
    G, C = _ToyG().eval(), _ToyClassifier().eval()
    z = torch.randn(100, 4, generator=torch.Generator().manual_seed(0))
    z[:50, 0] = 20.0  # smile saturated at 1: cannot rise further
    r = editing.score_edit(G, C, torch.tensor([1.0, 0, 0, 0]), "smile", 1.5, z=z)
    assert r["eligible"] == 0.5 and r["success"] > 0.9
    r_down = editing.score_edit(G, C, torch.tensor([1.0, 0, 0, 0]), "smile", -1.5, z=z)
    assert r_down["eligible"] == 1.0  # all can go down


def test_attribute_directions_one_per_class_and_conditional_holds_the_others():
    g = torch.Generator().manual_seed(3)
    z = torch.randn(1200, 16, generator=g)
    W = editing.normalize(torch.randn(4, 16, generator=g))
    W[1] = editing.normalize(W[0] + W[1])  # eye_size entangled with smile
    hair = torch.softmax(torch.stack([z @ W[2], -(z @ W[2]), z @ W[3], -(z @ W[3])], 1), 1)
    glasses = torch.sigmoid(3 * (z @ W[3]))
    scores = {
        "smile": torch.sigmoid(z @ W[0]),
        "eye_size": torch.sigmoid(z @ W[1]),
        "hair_color": hair.argmax(1),
        "hair_color_probs": hair,
        "glasses": (glasses > 0.5).long(),
        "glasses_probs": torch.stack([1 - glasses, glasses], 1),
    }
    directions = editing.attribute_directions(z, scores)
    assert sorted(directions) == sorted(
        [
            "smile",
            "eye_size",
            "glasses=yes",
            "hair_color=black",
            "hair_color=brown",
            "hair_color=blonde",
            "hair_color=red",
        ]
    )
    assert (directions["smile"] @ W[0]).item() > 0.9 and (
        directions["glasses=yes"] @ W[3]
    ).item() > 0.9
    conditional = editing.conditional_direction(directions, "eye_size")
    for key, other in directions.items():
        if key != "eye_size":
            assert abs((conditional @ other).item()) < 1e-5, key  # holds smile, hair and glasses
    assert (conditional @ directions["eye_size"]).item() > 0.1  # something of eye size is left
    red = editing.conditional_direction(
        directions, "hair_color=red"
    )  # its own classes are not held
    expected = editing.orthogonalize(
        directions["hair_color=red"],
        directions["smile"],
        directions["eye_size"],
        directions["glasses=yes"],
    )
    assert torch.allclose(red, expected, atol=1e-5)
    with pytest.raises(KeyError, match="glasses=yes"):
        editing.conditional_direction(directions, "glasses")


def test_linear_r2_tells_linear_from_nonlinear():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(2000, 8, generator=g)
    assert editing.linear_r2(z, 2 * z[:, 0] - z[:, 3] + 0.5) > 0.999
    assert editing.linear_r2(z, z[:, 0] ** 2) < 0.05  # symmetric in z: no linear trend at all
    with pytest.raises(ValueError, match="one value per latent"):
        editing.linear_r2(z, torch.zeros(3))


def test_linear_r2_held_out_and_ridge_for_many_coordinates():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(300, 400, generator=g)  # more coordinates than samples, like a feature space
    noise = torch.randn(300, generator=g)
    assert editing.linear_r2(h, noise) > 0.999  # in-sample: d >= n fits pure noise "perfectly"
    assert editing.linear_r2(h, noise, holdout=0.3, ridge=10.0) < 0.1  # held out: nothing to find
    signal = h[:, :5].sum(1) + 0.1 * noise
    assert editing.linear_r2(h, signal, holdout=0.3, ridge=10.0) > 0.5
    z = torch.randn(500, 4, generator=g)
    assert (
        editing.linear_r2(z, z[:, 0], holdout=0.2) > 0.999
    )  # plain least squares, scored on held-out rows
    with pytest.raises(ValueError, match="holdout"):
        editing.linear_r2(z, z[:, 0], holdout=1.0)
    with pytest.raises(ValueError, match="too few"):
        editing.linear_r2(z[:3], z[:3, 0], holdout=0.5)


class _FoldG(nn.Module):
    """A two-block 'DCGAN' whose smile is |z[0]|: curved in z, linear in block 0's ReLU features.

    block 0: z -> h = (relu(z0), relu(-z0)) as (B, 2, 1, 1);
    block 1: smile channel = tanh(0.5 (h0 + h1)).
    """

    z_dim, image_size, channels = 4, 16, 3

    class _Fold(nn.Module):
        def forward(self, z):  # (B, 4, 1, 1) -> (B, 2, 1, 1)
            return torch.relu(torch.cat([z[:, :1], -z[:, :1]], 1))

    class _Draw(nn.Module):
        def forward(self, h):  # (B, 2, 1, 1) -> (B, 3, 16, 16)
            img = torch.zeros(h.shape[0], 3, 16, 16)
            img[:, 0] = torch.tanh(0.5 * (h[:, 0] + h[:, 1]))
            return img

    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(self._Fold(), self._Draw())

    def shapes(self, batch: int = 1):
        return [(batch, 2, 1, 1), (batch, 3, 16, 16)]

    def forward(self, z):
        return self.blocks(z[:, :, None, None])


def test_feature_space_renders_what_g_renders(G):
    fs = editing.FeatureSpace(G, layer=0)
    z = editing.sample_latents(G, 8, seed=3)
    h = fs.features(z)
    assert fs.z_dim == h.shape[1] == math.prod(G.shapes()[0][1:])
    assert torch.allclose(fs(h), G(z), atol=1e-5)
    assert torch.equal(editing.sample_latents(fs, 8, seed=3), h)  # same seed, same faces
    assert fs(editing.edit(h, editing.normalize(torch.ones(fs.z_dim)), 0.5)).shape == G(z).shape
    with pytest.raises(ValueError, match=r"shape \(B, "):
        fs(z)
    with pytest.raises(ValueError, match="intermediate block"):
        editing.FeatureSpace(G, layer=len(G.blocks) - 1)
    with pytest.raises(TypeError, match="DCGAN"):
        editing.FeatureSpace(_ToyG())


def test_interfacegan_in_feature_space_edits_what_z_space_cannot():
    G, C = _FoldG().eval(), _ToyClassifier().eval()
    fs = editing.FeatureSpace(G)
    for space in (G, fs):
        latents, scores = editing.label_latents(space, C, n=600, seed=0)
        r2 = editing.linear_r2(latents, scores["smile"])
        direction = editing.interfacegan_from_scores(latents, scores, "smile")
        result = editing.score_edit(space, C, direction, "smile", 1.0, n=300, seed=1)
        if space is G:  # |z0| has no linear trend in z: half the samples move the wrong way
            assert r2 < 0.05 and result["success"] < 0.7
        else:  # h0 + h1 is linear in h: one direction raises it for everyone
            assert r2 > 0.9 and result["success"] > 0.95


def test_calibrate_alpha_picks_the_smallest_strength_that_reaches_the_goal():
    G, C = _ToyG().eval(), _ToyClassifier().eval()
    z = torch.randn(200, 4, generator=torch.Generator().manual_seed(0))
    alpha, r = editing.calibrate_alpha(
        G, C, torch.tensor([1.0, 0, 0, 0]), "smile", alphas=(0.01, 0.05, 1.0, 2.0), z=z
    )
    assert alpha == 1.0 and r["success"] >= 0.9 and r["alpha"] == 1.0
    none, r = editing.calibrate_alpha(
        G, C, torch.tensor([0.0, 1.0, 0, 0]), "smile", alphas=(1.0, 2.0), z=z
    )
    assert (
        none == 2.0 and r["success"] < 0.9
    )  # the direction does not move smile: the largest α, reported
    with pytest.raises(ValueError, match="positive"):
        editing.calibrate_alpha(G, C, torch.tensor([1.0, 0, 0, 0]), "smile", alphas=(0.0, 1.0), z=z)


class _EntangledG(_ToyG):
    """Like _ToyG, but 'eye_size' (channel 1) follows z[0] + z[1]:
    raising smile along z[0] moves it too."""

    def forward(self, z):
        img = torch.zeros(z.shape[0], 3, 16, 16)
        img[:, 0] = torch.tanh(self.scale * z[:, 0])[:, None, None]
        img[:, 1] = torch.tanh(self.scale * (z[:, 0] + z[:, 1]))[:, None, None]
        return img


def test_gradient_edit_follows_the_target_and_holds_the_others():
    G, C = _EntangledG().eval(), _ToyClassifier().eval()
    z = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    free = editing.gradient_edit(G, C, z, "smile", steps=4, step_size=0.5, hold_others=False)
    held = editing.gradient_edit(G, C, z, "smile", steps=4, step_size=0.5)
    r_free = editing.measure_edit(G, C, z, free, "smile")
    r_held = editing.measure_edit(G, C, z, held, "smile")
    assert r_free["success"] > 0.9 and r_held["success"] > 0.9
    assert r_free["leakage"]["eye_size"] > 0.05  # the plain gradient drags eye size along
    assert (
        r_held["leakage"]["eye_size"] < 0.2 * r_free["leakage"]["eye_size"]
    )  # held: it barely moves
    assert torch.allclose(
        (held - z).norm(dim=1), torch.full((64,), 2.0), atol=1e-4
    )  # 4 unit steps of 0.5
    unchanged = editing.measure_edit(G, C, z, z, "smile")
    assert (
        unchanged["target_change"] == 0
        and unchanged["mean_leakage"] == 0
        and unchanged["success"] == 0
    )
    with pytest.raises(ValueError, match="step_size"):
        editing.gradient_edit(G, C, z, "smile", step_size=0)
    with pytest.raises(ValueError, match="unknown attribute"):
        editing.gradient_edit(G, C, z, "beard")
    with pytest.raises(ValueError, match="same shape"):
        editing.measure_edit(G, C, z, z[:3], "smile")


def test_attribute_target_needs_a_class_for_multiclass():
    scores = {
        "hair_color": torch.zeros(3),
        "hair_color_probs": torch.full((3, 4), 0.25),
        "glasses": torch.zeros(3),
        "glasses_probs": torch.tensor([[0.9, 0.1]] * 3),
    }
    assert torch.allclose(editing.attribute_target(scores, "glasses"), torch.full((3,), 0.1))
    assert editing.attribute_target(scores, "hair_color", "red").shape == (3,)
    with pytest.raises(ValueError, match="target_class"):
        editing.attribute_target(scores, "hair_color")


# ---------------------------------------------------------------------------------- masks
def test_masked_blend_changes_only_inside():
    original, edited = -torch.ones(2, 3, 16, 16), torch.ones(2, 3, 16, 16)
    mask = torch.zeros(16, 16)
    mask[4:8, 4:8] = 1
    out = editing.masked_blend(original, edited, mask)
    assert torch.equal(out[..., 4:8, 4:8], edited[..., 4:8, 4:8])
    assert torch.equal(out[..., 10:, 10:], original[..., 10:, 10:])
    soft = editing.soften_mask(mask, 1.0)
    assert soft.shape == mask.shape and 0 < soft[3, 5] < 1 and soft[0, 15] < 1e-3


def test_mask_of_another_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"mask must have shape \(16, 16\)"):
        editing.masked_blend(
            torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16), torch.zeros(32, 32)
        )
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        editing.check_mask(torch.full((16, 16), 2.0), 16)


# ---------------------------------------------------------------------------------- inversion
def test_check_image_accepts_pil_uint8_and_float(G):
    from PIL import Image

    pil = Image.new("RGB", (16, 16), (255, 0, 0))
    x = editing.check_image(pil, G)
    assert x.shape == (1, 3, 16, 16) and x[0, 0].min() == 1 and x[0, 1].max() == -1
    assert editing.check_image(torch.full((3, 16, 16), 255, dtype=torch.uint8), G).max() == 1
    assert editing.check_image(torch.zeros(2, 3, 16, 16), G).shape == (2, 3, 16, 16)


@pytest.mark.parametrize(
    "image, message",
    [
        (lambda: torch.zeros(1, 16, 16), "grayscale"),
        (lambda: torch.zeros(4, 16, 16), "alpha channel"),
        (lambda: torch.zeros(3, 32, 32), "32x32 pixels; the generator makes 16x16"),
        (lambda: torch.zeros(16, 16, 3), "channels-last"),
        (lambda: torch.full((3, 16, 16), 200.0), r"\[-1, 1\]"),
        (lambda: __import__("PIL.Image").Image.new("RGBA", (16, 16)), "mode 'RGBA'"),
        (lambda: __import__("PIL.Image").Image.new("L", (16, 16)), "mode 'L'"),
        (lambda: __import__("PIL.Image").Image.new("RGB", (20, 16)), "20x16 pixels"),
    ],
)
def test_check_image_errors_say_what_is_expected(G, image, message):
    with pytest.raises(ValueError, match=message):
        editing.invert(G, image(), steps=1)


def test_inversion_improves_reconstruction(G):
    target_z = torch.randn(2, 16, generator=torch.Generator().manual_seed(7))
    target = G(target_z)
    result = editing.invert(G, target, steps=40, lr=0.05, k=16)
    assert result["z"].shape == (2, 16) and result["image"].shape == target.shape
    assert (result["psnr"] > result["start_psnr"]).all()
    assert result["losses"][-1] < result["losses"][0]
    assert torch.allclose(metrics.psnr(result["image"], target), result["psnr"], atol=1e-3)


def test_encoder_gives_a_start(G):
    E = editing.train_encoder(G, steps=5, batch_size=8, width=8)
    out = editing.invert(G, G(torch.randn(1, 16)), steps=5, encoder=E)
    assert out["z"].shape == (1, 16) and torch.isfinite(out["psnr"]).all()


def test_edit_shapes():
    z, n = torch.randn(3, 5), editing.normalize(torch.randn(5))
    assert editing.edit(z, n, 2.0).shape == (3, 5)
    assert editing.edit(z[0], n, torch.linspace(-1, 1, 4)).shape == (4, 5)
    assert editing.edit(z, n, torch.linspace(-1, 1, 4)).shape == (4, 3, 5)
    with pytest.raises(ValueError, match="d = 5"):
        editing.edit(z, torch.randn(6), 1.0)

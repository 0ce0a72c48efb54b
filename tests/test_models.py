"""MLP and DCGAN models: shapes for every size, config round trip, init, clear errors."""

import pytest
import torch

from gancourse.models import Discriminator, Generator, MLPDiscriminator, MLPGenerator


@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_any_power_of_two(size, channels):
    G = Generator(z_dim=16, image_size=size, channels=channels, width=8)
    D = Discriminator(image_size=size, channels=channels, width=8)
    x = G(torch.randn(5, 16))
    assert x.shape == (5, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1  # tanh output
    assert D(x).shape == (5,)
    shapes = G.shapes()
    assert shapes[0] == (1, 8 * size // 8, 4, 4) and shapes[-1] == (1, channels, size, size)
    assert [s[-1] for s in shapes] == [4 * 2**i for i in range(len(shapes))]  # doubles each block
    assert D.shapes()[-1] == (1, 1, 1, 1)


def test_latent_as_4d_is_accepted():
    G = Generator(z_dim=16, image_size=16, width=8).eval()
    z = torch.randn(3, 16)
    assert torch.allclose(G(z), G(z[:, :, None, None]))


@pytest.mark.parametrize("cls", [Generator, MLPGenerator, MLPDiscriminator])
def test_config_rebuilds_the_same_architecture(cls):
    model = cls() if cls is not Generator else cls(z_dim=8, image_size=16, width=4)
    clone = type(model)(**model.config)
    assert clone.config == model.config
    assert [p.shape for p in clone.parameters()] == [p.shape for p in model.parameters()]
    clone.load_state_dict(model.state_dict())  # same keys and shapes


@pytest.mark.parametrize("sn", [False, True])
def test_discriminator_config_and_spectral_norm(sn):
    D = Discriminator(image_size=32, channels=3, width=8, spectral_norm=sn)
    clone = Discriminator(**D.config)
    clone.load_state_dict(D.state_dict())
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    assert has_bn == (not sn)
    has_sn = any("parametrizations" in name for name, _ in D.named_parameters())
    assert has_sn == sn


def test_spectral_norm_bounds_each_layer():
    D = Discriminator(image_size=16, channels=3, width=8, spectral_norm=True)
    x = torch.randn(4, 3, 16, 16)
    for _ in range(20):  # power iteration converges during training forward passes
        D(x)
    D.eval()
    conv = D.blocks[0][0]
    sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2).item()
    assert sigma == pytest.approx(1.0, abs=0.05)


def test_dcgan_init_statistics():
    G = Generator(z_dim=64, image_size=32, width=32)
    weights = torch.cat(
        [m.weight.flatten() for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    )
    assert weights.std().item() == pytest.approx(0.02, rel=0.05)
    assert abs(weights.mean().item()) < 1e-3
    bn = [m for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    gammas = torch.cat([m.weight for m in bn])
    assert (
        gammas.mean().item() == pytest.approx(1.0, abs=0.01) and 0.01 < gammas.std().item() < 0.03
    )


def test_mlp_shapes():
    G, D = MLPGenerator(z_dim=3), MLPDiscriminator()
    x = G(torch.randn(7, 3))
    assert x.shape == (7, 2) and D(x).shape == (7,)


@pytest.mark.parametrize("z", [torch.randn(4, 10), torch.randn(4), torch.randn(4, 16, 2, 2)])
def test_wrong_latent_is_a_clear_error(z):
    G = Generator(z_dim=16, image_size=16, width=4)
    with pytest.raises(ValueError, match=r"latent z of shape \(B, 16\).*z_dim=16"):
        G(z)


def test_mlp_wrong_latent_is_a_clear_error():
    with pytest.raises(ValueError, match="z_dim=2"):
        MLPGenerator(z_dim=2)(torch.randn(5, 3))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        MLPDiscriminator()(torch.randn(5, 3))


@pytest.mark.parametrize(
    "shape,match",
    [
        ((2, 1, 32, 32), "channels=3"),
        ((2, 3, 64, 64), "image_size=32"),
        ((2, 32, 32, 3), "permute"),
        ((3, 32, 32), r"\(B, 3, 32, 32\)"),
    ],
)
def test_wrong_images_are_a_clear_error(shape, match):
    D = Discriminator(image_size=32, channels=3, width=4)
    with pytest.raises(ValueError, match=match):
        D(torch.randn(shape))


@pytest.mark.parametrize("size", [8, 24, 100, 32.0])
def test_bad_image_size_is_a_clear_error(size):
    with pytest.raises(ValueError, match="power of two >= 16"):
        Generator(image_size=size)
    with pytest.raises(ValueError, match="power of two >= 16"):
        Discriminator(image_size=size)

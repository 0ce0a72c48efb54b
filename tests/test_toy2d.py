"""2-D toy distributions: shapes, determinism, mode structure, clear errors."""

import pytest
import torch

from gancourse.data import toy2d


@pytest.mark.parametrize("name", toy2d.TOY_NAMES)
def test_shape_dtype_determinism(name):
    a = toy2d.sample_toy(name, 500, seed=3)
    assert a.shape == (500, 2) and a.dtype == torch.float32
    assert torch.equal(a, toy2d.sample_toy(name, 500, seed=3))
    assert not torch.equal(a, toy2d.sample_toy(name, 500, seed=4))
    assert a.abs().max() < 3
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert torch.equal(
        toy2d.sample_toy(name, 10, generator=g1), toy2d.sample_toy(name, 10, generator=g2)
    )


def test_ring_modes_are_covered_evenly():
    points = toy2d.sample_toy("ring", 4000)
    cov = toy2d.mode_coverage(points, "ring")
    assert cov["modes"] == 8 and cov["high_quality"] > 0.99
    assert cov["fraction"].min() > 0.1 and cov["fraction"].max() < 0.15
    assert torch.allclose(points.norm(dim=1).mean(), torch.tensor(2.0), atol=0.02)


def test_grid_has_25_modes_and_collapse_is_detected():
    assert toy2d.mode_coverage(toy2d.sample_toy("grid", 5000), "grid")["modes"] == 25
    collapsed = toy2d.mode_centers("ring")[:1].repeat(100, 1)
    cov = toy2d.mode_coverage(collapsed, "ring")
    assert cov["modes"] == 1 and cov["counts"][0] == 100
    cov = toy2d.mode_coverage(torch.zeros(50, 2), "ring")  # between the modes: low quality
    assert cov["modes"] == 0 and cov["high_quality"] == 0


def test_moons_are_two_separate_arcs():
    points = toy2d.sample_toy("moons", 2000)
    assert points.mean(0).abs().max() < 0.2  # centred


def test_clear_errors():
    with pytest.raises(ValueError, match="Unknown toy distribution 'rings'. Choices: ring, grid"):
        toy2d.sample_toy("rings", 10)
    with pytest.raises(ValueError, match="positive int"):
        toy2d.sample_toy("ring", 0)
    with pytest.raises(ValueError, match="either generator= or seed="):
        toy2d.sample_toy("ring", 5, generator=torch.Generator(), seed=1)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        toy2d.mode_coverage(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="only 'ring' and 'grid'"):
        toy2d.mode_centers("spiral")

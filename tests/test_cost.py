"""gancourse.cost: power-law fits and the cost measurement lesson 11 plots."""

import pytest
import torch

from gancourse import cost


def test_fit_power_law_recovers_the_exponent():
    x = [16, 32, 64, 128]
    k, a = cost.fit_power_law(x, [3.0 * v**2.0 for v in x])
    assert k == pytest.approx(2.0) and a == pytest.approx(3.0)
    k, _ = cost.fit_power_law(x, [5.0] * 4)
    assert k == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    "x,y,match", [([1], [1], "two"), ([1, 2], [1, 0], "> 0"), ([1, 2], [1, 2, 3], "equal")]
)
def test_fit_power_law_errors(x, y, match):
    with pytest.raises(ValueError, match=match):
        cost.fit_power_law(x, y)


def test_time_call_counts_wall_and_cpu_time():
    calls = []
    result = cost.time_call(lambda: calls.append(sum(range(20000))), repeats=3, warmup=2)
    assert len(calls) == 5 and result["wall"] > 0 and result["cpu"] >= 0
    with pytest.raises(ValueError, match="repeats"):
        cost.time_call(lambda: None, repeats=0)


def test_measure_cost_rows_and_parameter_growth():
    threads = torch.get_num_threads()
    rows = cost.measure_cost(
        sizes=(16, 32),
        widths=(4, 8),
        base_width=4,
        base_size=16,
        batch_size=2,
        repeats=1,
        device="cpu",
        threads=1,
    )
    assert torch.get_num_threads() == threads and all(r["threads"] == 1 for r in rows)  # restored
    assert [(r["sweep"], r["size"], r["width"]) for r in rows] == [
        ("size", 16, 4),
        ("size", 32, 4),
        ("width", 16, 4),
        ("width", 16, 8),
    ]
    for r in rows:
        assert r["train_step_ms"] > 0 and r["sample_ms"] > 0 and r["train_step_cpu_ms"] >= 0
    assert 1.8 < rows[3]["params_G"] / rows[2]["params_G"] < 4.5  # inner layers x4, the z layer x2
    assert "| width | 16 | 8 |" in cost.format_table(rows)
    with pytest.raises(ValueError, match="threads"):
        cost.measure_cost(sizes=(16,), widths=(4,), threads=0)

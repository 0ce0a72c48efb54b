"""LivePlot: a train.fit callback that redraws loss curves and samples in place (lesson 04)."""

import io

import pytest
import torch
from PIL import Image

from gancourse import train
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.widgets import LivePlot


def _run(live, steps=12):
    torch.manual_seed(0)
    G, D = MLPGenerator(z_dim=4, hidden=16), MLPDiscriminator(hidden=16)
    data = torch.randn(256, 2)
    return train.fit(G, D, data, steps, batch_size=32, ema=None, progress=False, callbacks=[live])


def test_it_draws_every_n_steps_and_at_the_end():
    live = LivePlot(every=5)
    state = _run(live, steps=12)
    assert live.frames == 3  # steps 5, 10 and the end (12)
    png = live.render(state)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 300
    assert live.image is not None and live.image.value == png  # the same widget, updated


def test_it_plots_the_recorded_losses_and_checks_the_keys():
    live = LivePlot(every=100, keys=["d_loss", "g_loss"])
    state = _run(live, steps=4)
    assert set(live.curves(state)) == {"d_loss", "g_loss"}
    assert len(live.curves(state)["g_loss"]) == 4
    with pytest.raises(KeyError, match="pick keys among those"):
        LivePlot(keys=["fid"]).curves(state)


def test_samples_of_a_fixed_batch_change_the_picture():
    class Images(torch.nn.Module):  # a "generator" of 8x8 images whose colour is a weight
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, z):
            return (self.w + 0 * z[:, :1]).view(-1, 1, 1, 1).expand(-1, 3, 8, 8).tanh()

    state = train.TrainState(Images(), None, None, None, None, None, torch.device("cpu"))
    state.history = {"step": [1], "g_loss": [0.5]}
    live = LivePlot(every=1, z=torch.randn(4, 2), nrow=2)
    before = live.render(state)
    with torch.no_grad():
        state.G.w.fill_(2.0)
    assert live.render(state) != before


def test_bad_arguments_say_what_to_pass():
    for kwargs, message in [
        ({"every": 0}, "every must be"),
        ({"smooth": 0}, "smooth must be"),
        ({"z": torch.randn(8)}, "fixed latent batch"),
    ]:
        with pytest.raises(ValueError, match=message):
            LivePlot(**kwargs)

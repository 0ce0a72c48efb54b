"""The reference model zoo: loading, integrity errors, no pickle, training recipes, sizes, cards."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gancourse import checkpoint, zoo
from gancourse.models.classifier import AttributeClassifier
from gancourse.zoo import cli, registry
from gancourse.zoo.recipes import RECIPES

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_CARD_FIELDS = {
    "name",
    "command",
    "seed",
    "data",
    "steps",
    "wall_time_s",
    "machine",
    "metrics",
    "sha256",
    "architecture",
    "config",
    "size_bytes",
    "dtype",
}


# --------------------------------------------------------------------------------------------------
# a tiny dummy entry in a temporary weights folder, so the machinery is tested without shipped files


def _tiny_model(width: int = 4) -> AttributeClassifier:
    torch.manual_seed(0)
    return AttributeClassifier(
        {"size": 0, "shape": 3}, image_size=16, channels=3, width=width, feature_dim=8
    )


ARCH = "gancourse.models.classifier:AttributeClassifier"


def _save(model, folder: Path, name: str) -> str:
    sha = checkpoint.save_weights(model, folder / f"{name}.safetensors", ARCH)
    zoo.write_card(folder / f"{name}.json", {"name": name, "sha256": sha, "metrics": {"acc": 1.0}})
    return sha


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    """A registry holding one tiny model 'tiny', saved in tmp_path, which stands in for the
    package's weights."""
    model = _tiny_model()
    sha = _save(model, tmp_path, "tiny")
    tiny = zoo.ZooEntry(
        name="tiny",
        architecture=ARCH,
        config=model.config,
        sha256=sha,
        summary="a tiny test classifier",
        kind="classifier",
    )
    monkeypatch.setattr(registry, "REGISTRY", {"tiny": tiny})
    monkeypatch.setattr(registry, "WEIGHTS_DIR", tmp_path)
    return tmp_path, model


def test_tiny_entry_loads_eval_float32_frozen_and_equal(tiny_zoo):
    _, original = tiny_zoo
    loaded = zoo.load("tiny", device="cpu")
    assert isinstance(loaded, AttributeClassifier) and not loaded.training
    assert all(p.dtype == torch.float32 and not p.requires_grad for p in loaded.parameters())
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    original.eval()
    with torch.no_grad():
        a, b = original.features(x), loaded.features(x)
    assert a.shape == (2, 8)
    assert torch.allclose(a, b, atol=2e-2), "float16 storage should change features only slightly"
    assert not torch.equal(
        zoo.load("tiny", device="cpu").features(x), _tiny_model(width=4).train().features(x)
    )


def test_weights_are_stored_as_float16(tiny_zoo):
    from safetensors import safe_open

    folder, _ = tiny_zoo
    with safe_open(str(folder / "tiny.safetensors"), framework="pt") as handle:
        dtypes = {handle.get_tensor(k).dtype for k in handle.keys()}
        assert handle.metadata()["architecture"] == ARCH
    assert torch.float16 in dtypes and torch.float32 not in dtypes


def test_unknown_name_lists_the_known_ones(tiny_zoo):
    with pytest.raises(
        zoo.UnknownModelError,
        match="No zoo model named 'tinny'.*Did you mean 'tiny'.*Known models: tiny",
    ):
        zoo.load("tinny")
    with pytest.raises(KeyError):  # it is also a KeyError, as a dict lookup would be
        zoo.load("nope")


def test_missing_file_says_how_to_reproduce(tiny_zoo):
    folder, _ = tiny_zoo
    (folder / "tiny.safetensors").unlink()
    with pytest.raises(zoo.MissingCheckpointError, match="python -m gancourse.zoo train tiny"):
        zoo.load("tiny")


def test_corrupted_file_is_a_parse_error_not_a_crash(tiny_zoo):
    folder, _ = tiny_zoo
    path = folder / "tiny.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated download
    with pytest.raises(
        zoo.CorruptCheckpointError,
        match="not a readable safetensors file.*restore the shipped file",
    ):
        zoo.load("tiny")
    path.write_bytes(b"\x80\x04\x95 this is a pickle, not safetensors")
    with pytest.raises(zoo.CorruptCheckpointError):
        zoo.load("tiny")


def test_wrong_hash_names_the_fix(tiny_zoo):
    folder, model = tiny_zoo
    with torch.no_grad():
        next(model.parameters()).add_(0.5)  # a valid file, but not the pinned one
    checkpoint.save_weights(model, folder / "tiny.safetensors", ARCH)
    with pytest.raises(
        zoo.HashMismatchError, match="expects.*restore the shipped file.*weights_dir"
    ):
        zoo.load("tiny")


def test_checkpoint_of_another_architecture_is_refused(tiny_zoo, monkeypatch):
    folder, _ = tiny_zoo
    other = _tiny_model(width=6)  # same class, other config: every conv has another shape
    sha = checkpoint.save_weights(other, folder / "tiny.safetensors", ARCH)
    monkeypatch.setitem(
        registry.REGISTRY,
        "tiny",
        registry.REGISTRY["tiny"].__class__(
            **{**registry.REGISTRY["tiny"].__dict__, "sha256": sha}
        ),
    )  # the hash is right, the architecture is not
    with pytest.raises(
        zoo.ArchitectureMismatchError,
        match="another shape.*checkpoint of another model.*zoo train tiny",
    ):
        zoo.load("tiny")
    from gancourse.models.dcgan import Generator

    generator = Generator(z_dim=8, image_size=16, channels=3, width=4)
    sha = checkpoint.save_weights(
        generator, folder / "tiny.safetensors", "gancourse.models.dcgan:Generator"
    )
    monkeypatch.setitem(
        registry.REGISTRY,
        "tiny",
        registry.REGISTRY["tiny"].__class__(
            **{**registry.REGISTRY["tiny"].__dict__, "sha256": sha}
        ),
    )
    with pytest.raises(
        zoo.ArchitectureMismatchError,
        match="missing.*unexpected.*file says it holds gancourse.models.dcgan:Generator",
    ):
        zoo.load("tiny")


def test_own_weights_folder_is_checked_against_its_card(tiny_zoo, tmp_path_factory):
    folder, model = tiny_zoo
    mine = tmp_path_factory.mktemp("mine")
    with torch.no_grad():
        next(model.parameters()).mul_(2)
    _save(model, mine, "tiny")  # a retrained model: another hash, recorded in its own card
    with pytest.raises(zoo.HashMismatchError):
        shutil.copy(mine / "tiny.safetensors", folder / "tiny.safetensors")
        zoo.load("tiny")
    assert isinstance(zoo.load("tiny", device="cpu", weights_dir=mine), AttributeClassifier)
    card = json.loads((mine / "tiny.json").read_text())
    card["sha256"] = "0" * 64
    (mine / "tiny.json").write_text(json.dumps(card))
    with pytest.raises(zoo.HashMismatchError, match="its card"):
        zoo.load("tiny", weights_dir=mine)


def test_loading_never_unpickles(tiny_zoo, monkeypatch):
    import pickle

    def forbidden(*args, **kwargs):
        raise AssertionError("the zoo must not unpickle anything")

    monkeypatch.setattr(torch, "load", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    assert zoo.load("tiny", device="cpu") is not None


def test_zoo_source_uses_no_pickle():
    for path in [ROOT / "gancourse" / "checkpoint.py", *(ROOT / "gancourse" / "zoo").rglob("*.py")]:
        text = path.read_text()
        for banned in ("torch.load", "torch.save", "import pickle", "pickle."):
            assert banned not in text, f"{path.name} uses {banned}"


def test_list_command_prints_names_sizes_and_metrics(tiny_zoo, capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and " MB" in out and "acc=1" in out and "total" in out


def test_device_argument_is_honoured(tiny_zoo, monkeypatch):
    monkeypatch.setenv("GANCOURSE_DEVICE", "cpu")
    assert next(zoo.load("tiny").parameters()).device.type == "cpu"
    with pytest.raises((RuntimeError, ValueError)):
        zoo.load("tiny", device="tpu")


# --------------------------------------------------------------------------------------------------
# the shipped zoo


SHIPPED = zoo.names()


def test_registry_is_not_empty_and_names_are_files():
    assert SHIPPED, "the registry has no models"
    for name in SHIPPED:
        entry = zoo.entry(name)
        assert entry.filename == f"{name}.safetensors"
        assert entry.kind and entry.summary
        assert len(entry.sha256) == 64


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_loads_offline_with_the_right_output_shape(name):
    model = zoo.load(name, device="cpu")
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert all(p.dtype == torch.float32 for p in model.parameters())
    config = model.config
    with torch.no_grad():
        if zoo.entry(name).kind == "generator":
            out = model(torch.randn(3, config["z_dim"]))
            assert out.shape == (3, config["channels"], config["image_size"], config["image_size"])
            assert out.min() >= -1 and out.max() <= 1 and out.std() > 0.05
        elif zoo.entry(name).kind == "conditional_generator":
            labels = model.random_labels(3, generator=torch.Generator().manual_seed(0))
            out = model(torch.randn(3, config["z_dim"]), labels)
            assert out.shape == (3, config["channels"], config["image_size"], config["image_size"])
        elif zoo.entry(name).kind == "classifier":
            x = (
                torch.rand(3, config["channels"], config["image_size"], config["image_size"]) * 2
                - 1
            )
            assert model.features(x).shape == (3, config["feature_dim"])
            assert model.predict(x).shape == (3, len(config["attributes"]))
        elif zoo.entry(name).kind == "judge":
            x = torch.rand(3, 3, config["patch"], config["patch"]) * 2 - 1
            assert model(x).shape == (3, len(config["classes"]))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_card_has_the_required_fields(name):
    card = zoo.card(name)
    missing = REQUIRED_CARD_FIELDS - set(card)
    assert not missing, f"card of {name} lacks {sorted(missing)}"
    entry = zoo.entry(name)
    assert card["sha256"] == entry.sha256 == zoo.sha256_of(zoo.WEIGHTS_DIR / entry.filename)
    assert card["architecture"] == entry.architecture and card["config"] == json.loads(
        json.dumps(entry.config)
    )
    assert (
        card["command"].startswith("python -m gancourse.zoo")
        and f" train {name} " in card["command"] + " "
    )
    assert card["metrics"], f"card of {name} records no metrics"
    assert card["size_bytes"] == (zoo.WEIGHTS_DIR / entry.filename).stat().st_size


def test_shipped_files_are_all_safetensors_and_parse():
    from safetensors import safe_open

    folder = zoo.WEIGHTS_DIR
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    assert "LICENSE" in files, "the weights' licence ships beside them"
    files.remove("LICENSE")
    assert files, "no shipped weights"
    for name in files:
        assert name.endswith((".safetensors", ".json")), (
            f"{name}: the zoo ships only safetensors, json and its LICENSE"
        )
        if name.endswith(".safetensors"):
            with safe_open(str(folder / name), framework="pt") as handle:
                assert handle.metadata()["format"] == checkpoint.WEIGHTS_FORMAT
    registered = {zoo.entry(n).filename for n in SHIPPED} | {
        zoo.entry(n).card_filename for n in SHIPPED
    }
    assert set(files) == registered, (
        "every shipped file belongs to a registry entry, and vice versa"
    )


def test_total_zoo_size_is_within_budget():
    total = sum(p.stat().st_size for p in zoo.WEIGHTS_DIR.glob("*.safetensors"))
    assert total <= 40e6, f"zoo checkpoints total {total / 1e6:.1f} MB > 40 MB"


def test_list_command_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "gancourse.zoo", "list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for name in SHIPPED:
        assert name in result.stdout
    assert "missing" not in result.stdout


# --------------------------------------------------------------------------------------------------
# training recipes, tiny


TINY = {
    name: ("2", "8")
    if name in ("faces_stylegan", "adain_decoder") or name.startswith(("pix2pix", "cyclegan"))
    else ("4", "32")
    for name in RECIPES
}
TINY["style_judge"] = ("4", "1")  # its eval samples are paint seeds per test photo and style
TINY["painter"] = ("2", "1")  # its eval sample is one paint seed per test photo
TINY["painter_woodblock"] = ("2", "1")
# the one-style painters share one recipe function and settings (checked below): one is trained
TINY_RUNS = sorted(set(RECIPES) - {"painter_brush", "painter_pointillism"})


def test_every_registered_model_has_a_recipe_and_a_measure():
    from gancourse.zoo.evaluate import MEASURES

    assert set(RECIPES) == set(zoo.names())
    assert {zoo.entry(n).kind for n in zoo.names()} <= set(MEASURES) == set(registry.KINDS)


def test_importing_the_zoo_loads_no_training_code():
    code = (
        "import sys; from gancourse import zoo; zoo.load('digits_dcgan', device='cpu'); "
        "print(sorted(m for m in sys.modules if m.startswith('gancourse')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = result.stdout
    for heavy in (
        "gancourse.train",
        "gancourse.zoo.recipes",
        "gancourse.zoo.evaluate",
        "gancourse.metrics",
        "gancourse.style",
    ):
        assert f"'{heavy}" not in loaded, f"zoo.load imported {heavy}"


@pytest.mark.parametrize("name", TINY_RUNS)
def test_train_recipe_runs_tiny_and_writes_a_loadable_checkpoint(name, tmp_path):
    """``python -m gancourse.zoo train NAME --steps 2 --out DIR``: a checkpoint and card that load;
    the card's training section starts with the recipe's settings."""
    batch, eval_samples = TINY[name]
    args = [
        "train",
        name,
        "--steps",
        "2",
        "--out",
        str(tmp_path),
        "--batch-size",
        batch,
        "--eval-samples",
        eval_samples,
    ]
    assert cli.main(args) == 0
    card = json.loads((tmp_path / f"{name}.json").read_text())
    assert REQUIRED_CARD_FIELDS <= set(card)
    assert card["steps"] == 2 and card["sha256"] == zoo.sha256_of(tmp_path / f"{name}.safetensors")
    assert card["command"].startswith(f"python -m gancourse.zoo train {name} --steps 2")
    assert card["metrics"]
    settings = json.loads(json.dumps(RECIPES[name].settings))
    assert {k: card["training"][k] for k in settings} == settings
    model = zoo.load(name, device="cpu", weights_dir=tmp_path)
    assert type(model).__name__ == zoo.entry(name).architecture.split(":")[1]


@pytest.mark.parametrize("name", TINY_RUNS)
def test_sigusr1_stops_every_recipe_cleanly_with_its_checkpoint(name, tmp_path, monkeypatch):
    """``kill -USR1 PID`` during training: the recipe stops after that step and the weights and
    card are still written, with the steps actually done."""
    import os
    import signal

    from gancourse import train

    fit = train.fit

    def fit_that_gets_a_signal(*args, callbacks=(), **kwargs):
        def signal_at_2(state):
            if state.step == 2:
                os.kill(os.getpid(), signal.SIGUSR1)

        return fit(*args, callbacks=[*callbacks, signal_at_2], **kwargs)

    monkeypatch.setattr(train, "fit", fit_that_gets_a_signal)
    batch, _ = TINY[name]
    assert (
        cli.main(
            [
                "train",
                name,
                "--steps",
                "50",
                "--out",
                str(tmp_path),
                "--batch-size",
                batch,
                "--eval-samples",
                "32",
            ]
        )
        == 0
    )
    card = json.loads((tmp_path / f"{name}.json").read_text())
    assert card["steps"] == 2 and card["steps_requested"] == 50
    assert "SIGUSR1" in card["training"]["stopped_early"]
    assert zoo.load(name, device="cpu", weights_dir=tmp_path) is not None


def test_sigusr1_from_another_process_stops_a_training_command(tmp_path):
    import signal
    import time

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gancourse.zoo",
            "train",
            "digits_dcgan",
            "--steps",
            "100000",
            "--batch-size",
            "8",
            "--eval-samples",
            "32",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in proc.stdout:  # wait until training has started
        lines.append(line)
        if "step 1/" in line:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGUSR1)
    output = "".join(lines) + proc.communicate(timeout=240)[0]
    assert proc.returncode == 0, output
    card = json.loads((tmp_path / "digits_dcgan.json").read_text())
    assert 1 <= card["steps"] < 100000 and "stopping after" in output


def test_training_into_the_shipped_folder_is_refused(tmp_path):
    from gancourse.zoo.recipes import train

    with pytest.raises(ValueError, match="overwrite a shipped file"):
        train("digits_dcgan", zoo.WEIGHTS_DIR, steps=1)
    with pytest.raises(SystemExit):
        cli.main(["train", "digits_dcgan", "--steps", "1"])  # --out is required


# --------------------------------------------------------------------------------------------------
# faces_stylegan: snapshot selection


def _params(model) -> dict:
    return {k: v.detach().clone() for k, v in model.named_parameters()}


def test_faces_stylegan_keeps_the_snapshot_with_the_best_selection_rate():
    """Checks from half-way on; the returned generator is the best-scoring snapshot, not the last
    one."""
    import dataclasses

    from gancourse.zoo.recipes import style
    from gancourse.zoo.recipes.common import Run

    base = zoo.entry("faces_stylegan")
    entry = dataclasses.replace(base, config={**base.config, "channels": [8, 8, 8, 8]})
    recipe = RECIPES["faces_stylegan"]
    recipe = dataclasses.replace(recipe, settings={**recipe.settings, "snapshot_every": 1})
    scripted, seen = iter([0.2, 0.6, 0.4, 0.5]), []

    def fake_rate(G, classifier):
        seen.append(_params(G))
        return next(scripted)

    run = Run(
        entry,
        recipe,
        steps=6,
        batch_size=2,
        seed=0,
        device=torch.device("cpu"),
        log=lambda message: None,
    )
    G, notes = style.train_faces_stylegan(run, rate=fake_rate)
    selection = notes["snapshot_selection"]
    assert selection["checked"] == [[3, 0.2], [4, 0.6], [5, 0.4], [6, 0.5]]
    assert selection["chosen_step"] == 4
    kept = _params(G)
    assert all(torch.equal(kept[k], seen[1][k]) for k in kept)  # step 4's snapshot ...
    assert not all(torch.equal(kept[k], seen[3][k]) for k in kept)  # ... not the last one


def test_one_malformed_card_does_not_break_the_list(tiny_zoo, capsys):
    folder, _ = tiny_zoo
    (folder / "tiny.json").write_text('{"name": "tiny", "metrics": ')  # cut off mid-write
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "unreadable" in out
    with pytest.raises(zoo.CorruptCheckpointError, match="not valid JSON.*zoo train tiny"):
        zoo.card("tiny")


def test_the_one_style_painters_differ_only_in_their_style():
    from gancourse.zoo.recipes.painter import WOODBLOCK_CHANGES

    one_style = ["painter_brush", "painter_pointillism", "painter_woodblock"]
    recipes = [RECIPES[name] for name in one_style]
    shared = {**recipes[0].settings, **WOODBLOCK_CHANGES}  # woodblock's documented changes
    assert recipes[1].settings == recipes[0].settings and recipes[2].settings == shared
    assert set(WOODBLOCK_CHANGES) <= set(recipes[0].settings)  # a change, not a new setting
    assert all(r.fn is recipes[0].fn for r in recipes)
    assert all(r.steps == recipes[0].steps and r.seed == recipes[0].seed for r in recipes)
    configs = [dict(zoo.entry(name).config) for name in one_style]
    assert [c.pop("styles") for c in configs] == [["brush"], ["pointillism"], ["woodblock"]]
    assert configs[0] == configs[1] == configs[2]


def test_painter_critic_phase_trains_the_critic_and_resumes_with_it(tmp_path):
    """From ``adv_from`` on, the PatchGAN critic learns and G hears it; its weights are in the
    checkpoint, so a resumed run goes on with the same critic."""
    import dataclasses

    from safetensors.torch import load_file

    from gancourse.zoo.recipes.common import Run

    recipe = RECIPES["painter_woodblock"]
    recipe = dataclasses.replace(recipe, settings={**recipe.settings, "adv_from": 2, "images": 4})

    def run(steps):
        r = Run(zoo.entry("painter_woodblock"), recipe, steps, 2, 3, torch.device("cpu"), print)
        r.out = tmp_path
        return recipe.fn(r)

    run(2)  # the first phase only: the critic is watched, not trained
    ckpt = tmp_path / "painter_checkpoint.safetensors"
    before = {k: v for k, v in load_file(ckpt).items() if k.startswith("D/")}
    assert before, "the checkpoint holds the critic"
    _, notes = run(4)  # resumed: two steps of the second phase
    after = load_file(ckpt)
    assert notes["steps_done"] == 4 and notes["discriminator"]["conditional"]
    assert any(not torch.equal(before[k], after[k]) for k in before), "the critic did not learn"


def test_each_style_has_one_painter_and_a_one_style_painter_wins_over_the_joint_one():
    for name in ("stained_glass", "hatching"):
        assert zoo.painter_for(name) == "painter"  # no one-style painter: the five-style one
    for name in ("brush", "pointillism", "woodblock"):
        assert zoo.painter_for(name) == f"painter_{name}"
        assert zoo.entry(f"painter_{name}").config["styles"] == [name]
    with pytest.raises(ValueError, match="style must be one of"):
        zoo.painter_for("cubism")
    painters = zoo.load_painters(device="cpu")
    assert list(painters) == list(zoo.entry("painter").config["styles"])
    assert painters["stained_glass"] is painters["hatching"]  # loaded once
    assert all(style in model.styles for style, model in painters.items())


def test_cyclegan_recipe_checkpoints_both_critics_and_resumes(tmp_path):
    """The CycleGAN recipe writes its generators and both critics; the same run again goes on."""
    from safetensors.torch import load_file

    from gancourse.zoo.recipes.common import Run

    recipe = RECIPES["cyclegan_woodblock"]

    def run(steps):
        r = Run(zoo.entry("cyclegan_woodblock"), recipe, steps, 2, 8, torch.device("cpu"), print)
        r.out = tmp_path
        return recipe.fn(r)

    run(2)
    ckpt = tmp_path / "cyclegan_checkpoint.safetensors"
    before = {k: v for k, v in load_file(ckpt).items() if k.startswith("D/")}
    assert any(k.startswith("D/0.") for k in before) and any(k.startswith("D/1.") for k in before)
    _, notes = run(4)
    after = load_file(ckpt)
    assert notes["steps_done"] == 4
    assert any(not torch.equal(before[k], after[k]) for k in before), "the critics did not learn"

"""The one table of reference models: what each is, how to build it, the sha256 of its file.

Used from lesson 00 on (``zoo.load``). A newcomer adding a model adds one :class:`ZooEntry` here
and one recipe in :mod:`gancourse.zoo.recipes`; a test checks that every entry has a recipe.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from gancourse import checkpoint
from gancourse.data.faces import FACE_ATTRIBUTES, FACE_CLASSES
from gancourse.data.styles import STYLE_NAMES
from gancourse.models.judge import JUDGE_CLASSES

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "zoo_weights"
KINDS = (
    "classifier",
    "generator",
    "conditional_generator",
    "style_generator",
    "stylizer",
    "translator",
    "judge",
    "painter",
)


class UnknownModelError(checkpoint.CheckpointError, KeyError):
    """The name is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.args[0]


@dataclass(frozen=True)
class ZooEntry:
    """One reference model: what to build, from which file, and the sha256 that file must have."""

    name: str
    architecture: str  # "gancourse.models.module:ClassName"
    config: dict  # constructor kwargs: build with Class(**config)
    sha256: str  # of the shipped NAME.safetensors
    summary: str
    kind: str  # one of KINDS: chooses how gancourse.zoo.evaluate measures it
    dataset: str = "faces"  # what it was trained on: the real images its measures compare with

    @property
    def filename(self) -> str:
        return f"{self.name}.safetensors"

    @property
    def card_filename(self) -> str:
        return f"{self.name}.json"

    def build(self) -> nn.Module:
        """A freshly initialised model of this entry's architecture and config."""
        return checkpoint.build(self.architecture, self.config)


def _pix2pix_woodblock(name: str, sha256: str, loss: str) -> ZooEntry:
    """One of lesson 09's three pix2pix models: the same U-Net, trained with another loss."""
    return ZooEntry(
        name=name,
        architecture="gancourse.models.pix2pix:UNetGenerator",
        config={"width": 32, "depth": 4},
        sha256=sha256,
        summary=f"pix2pix U-Net: photo -> 'woodblock' print ({loss})",
        kind="translator",
        dataset="paintings",
    )


def _one_style_painter(style: str, sha256: str) -> ZooEntry:
    """A painter for one style: the network of ``painter``, all its capacity on that style."""
    return ZooEntry(
        name=f"painter_{style}",
        architecture="gancourse.models.painter:Painter",
        config={"styles": [style], "width": 16, "blocks": 5, "canvas": 8, "fine_canvas": 4},
        sha256=sha256,
        summary=f"feed-forward painter for {style} alone: the same network as `painter`, all its "
        "capacity on one style, sharpened by a PatchGAN critic (lesson 08)",
        kind="painter",
        dataset="paintings",
    )


# After retraining a model on purpose, put the new sha256 (printed by
# `python -m gancourse.zoo train NAME`) here: the hash is pinned in code, so a swapped or damaged
# file is caught even when its card was edited along with it.
REGISTRY: dict[str, ZooEntry] = {
    e.name: e
    for e in [
        ZooEntry(
            name="face_classifier",
            architecture="gancourse.models.classifier:AttributeClassifier",
            config={
                "attributes": FACE_ATTRIBUTES,
                "image_size": 64,
                "channels": 3,
                "width": 24,
                "feature_dim": 128,
            },
            sha256="7c0628efa34a68206616407d3a8456430ab2f7ecf301e7a9c61df4cecb7af490",
            summary="attribute classifier for 64x64 synthetic faces; "
            "its features(x) is the course's metric embedding",
            kind="classifier",
        ),
        ZooEntry(
            name="faces_dcgan64",
            architecture="gancourse.models.dcgan:Generator",
            config={"z_dim": 64, "image_size": 64, "channels": 3, "width": 32},
            sha256="726842d202157aa6442f0beaefe5969b19dcd23081bf23ef1e4b0dfb46756157",
            summary="DCGAN generator (EMA weights) on 64x64 synthetic faces",
            kind="generator",
        ),
        ZooEntry(
            name="faces_cgan64",
            architecture="gancourse.models.conditional:ConditionalGenerator",
            config={
                "z_dim": 64,
                "image_size": 64,
                "channels": 3,
                "width": 32,
                "classes": FACE_CLASSES,
                "embed_dim": 16,
            },
            sha256="5f1fdfdb08b7884bde72e0932daa1743070f6808859483dbfc1c0c19491b0c3e",
            summary="conditional DCGAN (projection discriminator) on 64x64 faces, "
            "conditioned on the categorical attributes",
            kind="conditional_generator",
        ),
        ZooEntry(
            name="digits_dcgan",
            architecture="gancourse.models.dcgan:Generator",
            config={"z_dim": 32, "image_size": 32, "channels": 1, "width": 32},
            sha256="c0690fc970e7168d6438588e0a5121a48a63cf64f788712eb8cb5f890731c929",
            summary="small DCGAN generator (EMA weights) on scikit-learn's 8x8 digits upsampled "
            "to 32x32",
            kind="generator",
            dataset="digits",
        ),
        ZooEntry(
            name="faces_stylegan",
            architecture="gancourse.models.stylegan:StyleGenerator",
            config={
                "z_dim": 64,
                "w_dim": 64,
                "image_size": 32,
                "channels": [64, 64, 32, 32],
                "mapping_depth": 4,
                "noise": True,
            },
            sha256="8e50e22c3b1a7fc8d356ef076f929509d97d575ec87bca4b61e9a6e48d5e6f34",
            summary="style-based generator (mapping net, modulated convs, style mixing) on 32x32 "
            "synthetic faces",
            kind="style_generator",
        ),
        ZooEntry(
            name="adain_decoder",
            architecture="gancourse.models.adain:AdaINStylizer",
            config={"width": 32, "seed": 0},
            sha256="97c2d346a22e7ae3548d2231bf62787d4d9b2a023e8281b056dbfaf035647601",
            summary="AdaIN stylizer: fixed random multi-scale encoder (no download) + "
            "decoder trained by the project",
            kind="stylizer",
            dataset="photos and styles",
        ),
        _pix2pix_woodblock(
            "pix2pix_woodblock",
            "4762ba468a36599b75bf677d42db647ac25d2699751133c6eb610f921d9a42a6",
            "paired, adversarial + L1",
        ),
        _pix2pix_woodblock(
            "pix2pix_woodblock_l1",
            "142462fe203cada2ffe5d9e66269899fcf58cf5922f1873885a8ef957c43d80b",
            "ablation: L1 only",
        ),
        _pix2pix_woodblock(
            "pix2pix_woodblock_adv",
            "a30cf88a9176da6f9db132e79834c2a9dc0a41c5d1ca19fab34783b6dfc98141",
            "ablation: adversarial only",
        ),
        ZooEntry(
            name="cyclegan_woodblock",
            architecture="gancourse.models.cyclegan:CycleGAN",
            config={"width": 32, "depth": 3, "upsample": "resize"},
            sha256="8ccf32b3b2e405a9b5190aefc433a22f0e110a26c8ed0634e374efc3d2824292",
            summary="CycleGAN photo <-> 'woodblock' print (unpaired, cycle loss through noise) on "
            "64x64 crops",
            kind="translator",
            dataset="paintings",
        ),
        ZooEntry(
            name="style_judge",
            architecture="gancourse.models.judge:StyleJudge",
            config={"classes": list(JUDGE_CLASSES), "patch": 64, "width": 24},
            sha256="9c5b9128872dd0eb9946d97f0cca2ba81f071426a7009386a996dd33d05261ad",
            summary="patch classifier: 'photo' or one of the five paint-filter styles (64x64 "
            "patches); measures style transfer in lessons 08-09",
            kind="judge",
            dataset="paintings",
        ),
        ZooEntry(
            name="painter",
            architecture="gancourse.models.painter:Painter",
            config={
                "styles": list(STYLE_NAMES),
                "width": 16,
                "blocks": 5,
                "canvas": 8,
                "fine_canvas": 4,
            },
            sha256="4bfab8acad1557ba401afcbcb299eaf229a6a4c5ff908090571c264e46a43d8c",
            summary="feed-forward painter: a photo in any of the five styles in one pass, with a "
            "style-strength alpha (lesson 08)",
            kind="painter",
            dataset="paintings",
        ),
        _one_style_painter(
            "brush", "7fd63c8106f71b6ab3c07828a4f5f5ff19896f2bdf6638ac65e3ca48c26bb14f"
        ),
        _one_style_painter(
            "pointillism", "5423caf812c678aa8f86c42d5e22f63f5efebb6d9f6d6a2fadeefe6dcfe4cf53"
        ),
        _one_style_painter(
            "woodblock", "bb342aa74505810fb8032b36628c889ab638cb6c7d33991422885aa7a699a936"
        ),
    ]
}


def names() -> list[str]:
    """The registered model names, sorted."""
    return sorted(REGISTRY)


def entry(name: str) -> ZooEntry:
    """The registry entry of ``name``; an unknown name is an error that lists the known ones."""
    if not isinstance(name, str):
        raise TypeError(f"a zoo model name is a string, got {type(name).__name__}: {name!r}")
    if name not in REGISTRY:
        close = difflib.get_close_matches(name, list(REGISTRY), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownModelError(
            f"No zoo model named {name!r}.{hint} Known models: {', '.join(names()) or '(none)'}. "
            "List them with details: python -m gancourse.zoo list"
        )
    return REGISTRY[name]

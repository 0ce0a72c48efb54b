"""Models of the course. Every model keeps ``model.config`` (its constructor arguments), so
``type(model)(**model.config)`` rebuilds the architecture and checkpoints can record it.

- :mod:`gancourse.models.mlp`:   ``MLPGenerator``, ``MLPDiscriminator`` for 2-D toy data
  (lessons 01, 03)
- :mod:`gancourse.models.dcgan`: ``Generator``, ``Discriminator`` DCGAN for images (lesson 04)
"""

from .dcgan import Discriminator, Generator, dcgan_init
from .mlp import MLPDiscriminator, MLPGenerator

DCGANGenerator = Generator
DCGANDiscriminator = Discriminator

__all__ = [
    "DCGANDiscriminator",
    "DCGANGenerator",
    "Discriminator",
    "Generator",
    "MLPDiscriminator",
    "MLPGenerator",
    "dcgan_init",
]

"""Latent-space editing: interpolation, truncation, edit directions, inversion, masked and measured
edits.

Derived in lessons 06 (latent space) and 07 (fine-grained editing); lessons 05 and 10 use it too.

Everything here works on a generator ``G: z (B, d) -> images (B, C, S, S)`` in [-1, 1] (the course's
DCGAN, or a conditional generator with its labels fixed) and, for supervised directions and for
measuring, on the attribute classifier (``zoo.load("face_classifier")``).

Modules, one topic each (every public name is re-exported here, e.g. ``editing.slerp``):

- :mod:`~gancourse.editing.latents`: lerp, slerp, truncation, ``z + α n``, sampling and rendering
  latents, :class:`FeatureSpace` (a feature layer as the latent space);
- :mod:`~gancourse.editing.directions`: SeFa, GANSpace, InterFaceGAN, orthogonalised (conditional)
  directions, how linear an attribute is;
- :mod:`~gancourse.editing.measure`: reading attributes with the classifier, measuring an edit
  (target change vs leakage), gradient edits, calibrating the strength;
- :mod:`~gancourse.editing.masks`: local edits blended through a soft mask;
- :mod:`~gancourse.editing.inversion`: GAN inversion of a given image (encoder + optimisation).

PSNR, which inversion reports, is :func:`gancourse.metrics.psnr`.
"""

from . import directions, inversion, latents, masks, measure
from .directions import (
    attribute_directions,
    conditional_direction,
    first_layer_weight,
    ganspace,
    interfacegan_direction,
    interfacegan_from_scores,
    linear_r2,
    orthogonalize,
    sefa,
)
from .inversion import Encoder, best_of_k, check_image, invert, train_encoder
from .latents import (
    FeatureSpace,
    check_direction,  # noqa: F401  (the four private checks: for gancourse.widgets)
    check_latents,  # noqa: F401
    device_of,  # noqa: F401
    edit,
    generate,
    layer_features,
    lerp,
    mean_latent,
    normalize,
    sample_latents,
    slerp,
    truncate,
    z_dim_of,
)
from .masks import check_mask, masked_blend, soften_mask
from .measure import (
    attribute_scores,
    attribute_target,
    calibrate_alpha,
    check_attribute,
    gradient_edit,
    label_latents,
    measure_edit,
    score_edit,
)

__all__ = [
    "directions",
    "inversion",
    "latents",
    "masks",
    "measure",
    "attribute_directions",
    "conditional_direction",
    "first_layer_weight",
    "ganspace",
    "interfacegan_direction",
    "interfacegan_from_scores",
    "linear_r2",
    "orthogonalize",
    "sefa",
    "Encoder",
    "best_of_k",
    "check_image",
    "invert",
    "train_encoder",
    "FeatureSpace",
    "edit",
    "generate",
    "layer_features",
    "lerp",
    "mean_latent",
    "normalize",
    "sample_latents",
    "slerp",
    "truncate",
    "check_direction",
    "check_latents",
    "z_dim_of",
    "check_mask",
    "masked_blend",
    "soften_mask",
    "attribute_scores",
    "attribute_target",
    "calibrate_alpha",
    "check_attribute",
    "gradient_edit",
    "label_latents",
    "measure_edit",
    "score_edit",
]
# The private input checks (check_latents, check_direction, z_dim_of, device_of) are imported above
# for gancourse.widgets, which validates its arguments with them; they are not in __all__.

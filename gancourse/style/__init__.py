"""Style: feature statistics, texture synthesis, style transfer, style mixing, background restyling.

Derived in lessons 08 (statistics, texture, transfer, mixing) and 09 (background). One topic per
module; every public name is re-exported here, so ``style.gram_matrix``, ``style.adain`` and
``style.prepare_photo`` work after ``from gancourse import style``:

- :mod:`gancourse.style.statistics`  Gram matrix, channel mean/std, AdaIN (the operation is defined
  with its layer in :mod:`gancourse.models.adain`), style / content / structure distances;
- :mod:`gancourse.style.texture`     random multi-scale features; texture synthesis and style
  transfer, both by optimising pixels;
- :mod:`gancourse.style.transfer`    ``prepare_photo`` for any photo, the alpha sweep and its check;
- :mod:`gancourse.style.mixing`      measuring style mixing in the style-based generator;
- :mod:`gancourse.style.background`  foreground masks, feathering, restyling only the background;
- :mod:`gancourse.style.judge`       does it look painted (the style judge's verdicts), and is it
  still the same picture (the structure score).

The live explorers of these lessons are in :mod:`gancourse.widgets.style`.
"""

from . import background, judge, mixing, statistics, texture, transfer
from .background import (
    OUTLINES,
    blend_background,
    feather,
    foreground_mask,
    outline_mask,
    photo_mask,
)
from .judge import (
    image_verdicts,
    patch_grid,
    patch_log_probs,
    patch_verdicts,
    structure_score,
    style_share,
    translation_scores,
)
from .mixing import (
    COARSE_ATTRIBUTES,
    COLOUR_ATTRIBUTES,
    REPORT_SEED,
    SELECTION_SEED,
    attribute_from,
    default_crossover,
    mixing_images,
    mixing_images_at,
    mixing_rate,
    mixing_report,
    read_attributes,
    score_mixes,
    selection_rates,
)
from .statistics import (
    EPS,
    adain,
    check_features,
    content_distance,
    gram_distance,
    gram_matrix,
    mean_std,
    structure_distance,
    style_distance,
)
from .texture import (
    RandomMultiScaleFeatures,
    synthesize_texture,
    texture_distance,
    transfer_by_optimisation,
)
from .transfer import MAX_SIZE, alpha_sweep, is_monotonic, prepare_photo

__all__ = [
    "background",
    "judge",
    "mixing",
    "statistics",
    "texture",
    "transfer",
    # background
    "OUTLINES",
    "blend_background",
    "feather",
    "foreground_mask",
    "outline_mask",
    "photo_mask",
    # judge
    "image_verdicts",
    "patch_grid",
    "patch_log_probs",
    "patch_verdicts",
    "structure_score",
    "style_share",
    "translation_scores",
    # mixing
    "COARSE_ATTRIBUTES",
    "COLOUR_ATTRIBUTES",
    "REPORT_SEED",
    "SELECTION_SEED",
    "attribute_from",
    "default_crossover",
    "mixing_images",
    "mixing_images_at",
    "mixing_rate",
    "mixing_report",
    "read_attributes",
    "score_mixes",
    "selection_rates",
    # statistics
    "EPS",
    "adain",
    "check_features",
    "content_distance",
    "gram_distance",
    "gram_matrix",
    "mean_std",
    "structure_distance",
    "style_distance",
    # texture
    "RandomMultiScaleFeatures",
    "synthesize_texture",
    "texture_distance",
    "transfer_by_optimisation",
    # transfer
    "MAX_SIZE",
    "alpha_sweep",
    "is_monotonic",
    "prepare_photo",
]

"""Offline datasets: synthetic faces with ground truth, shapes, real images from installed packages,
painting styles, and the preprocessing pipeline. Nothing here downloads anything.

Modules: ``faces``, ``shapes``, ``toy2d``, ``images``, ``styles``, ``transforms``.
"""

from . import faces, images, shapes, styles, transforms
from .faces import (
    ATTRIBUTE_NAMES,
    ATTRIBUTES,
    FaceDataset,
    face_batch,
    render_face,
    render_faces,
    sample_attributes,
    with_attributes,
)
from .shapes import SHAPE_NAMES, ShapesDataset, shape_batch
from .styles import STYLE_NAMES, paint_filter, scene, style_image
from .transforms import (
    DiffAugment,
    ImageFolderDataset,
    denormalize,
    diff_augment,
    image_folder,
    make_transform,
    normalize,
)

__all__ = [
    "faces", "images", "shapes", "styles", "transforms",
    "ATTRIBUTE_NAMES", "ATTRIBUTES", "FaceDataset", "face_batch", "render_face", "render_faces",
    "sample_attributes", "with_attributes",
    "SHAPE_NAMES", "ShapesDataset", "shape_batch",
    "STYLE_NAMES", "paint_filter", "scene", "style_image",
    "DiffAugment", "ImageFolderDataset", "denormalize", "diff_augment", "image_folder",
    "make_transform", "normalize",
]

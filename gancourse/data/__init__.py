"""Offline datasets: synthetic faces with ground truth, shapes, real images from installed packages,
painting styles, and the preprocessing pipeline. Nothing here downloads anything.

Modules: ``faces``, ``shapes``, ``toy2d``, ``images``, ``styles`` (with its drawing operations in
``brushwork``), ``transforms``, ``folders`` (your own pictures, public datasets' files), ``pools``
(image pools and crops for the style models, lessons 08-09). Lesson 02 walks through them.
"""

from . import faces, folders, images, pools, shapes, styles, transforms
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
from .folders import ImageFolderDataset, image_folder
from .shapes import SHAPE_NAMES, ShapesDataset, shape_batch
from .styles import STYLE_NAMES, paint_filter, scene, style_image
from .transforms import (
    DiffAugment,
    denormalize,
    diff_augment,
    make_transform,
    normalize,
)

__all__ = [
    "faces",
    "folders",
    "images",
    "pools",
    "shapes",
    "styles",
    "transforms",
    "ATTRIBUTE_NAMES",
    "ATTRIBUTES",
    "FaceDataset",
    "face_batch",
    "render_face",
    "render_faces",
    "sample_attributes",
    "with_attributes",
    "SHAPE_NAMES",
    "ShapesDataset",
    "shape_batch",
    "STYLE_NAMES",
    "paint_filter",
    "scene",
    "style_image",
    "DiffAugment",
    "ImageFolderDataset",
    "denormalize",
    "diff_augment",
    "image_folder",
    "make_transform",
    "normalize",
]

"""Offline datasets: synthetic faces with ground truth, shapes, real images from installed packages,
painting styles, and the preprocessing pipeline. Nothing here downloads anything."""

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

__all__ = [
    "ATTRIBUTE_NAMES",
    "ATTRIBUTES",
    "FaceDataset",
    "face_batch",
    "render_face",
    "render_faces",
    "sample_attributes",
    "with_attributes",
]

"""Telling generated images apart, and marking them: spectra, detectors, robustness, watermark,
provenance.

Derived in lesson 10 (responsible use), which asks three honest questions about the course's own
fakes: can they be told apart from the real (rendered) faces, does a detector trained on one
generator catch another, and does it survive the blur, JPEG and resizing that every image on the
web goes through? Then it marks them on purpose: a watermark, a provenance record.

Modules, one topic each:

- :mod:`~gancourse.forensics.spectra`: power spectra, their azimuthal average, the high-pass
  residual (where upsampling artefacts show);
- :mod:`~gancourse.forensics.perturb`: blur, JPEG, rescale, crop, and the standard set of them;
- :mod:`~gancourse.forensics.detectors`: a logistic-regression and a CNN detector, their metrics;
- :mod:`~gancourse.forensics.watermark`: a keyed spread-spectrum watermark
  (``from gancourse.forensics.watermark import Watermark``);
- :mod:`~gancourse.forensics.provenance`: signed provenance records in PNG text chunks or sidecars.

The spectra, perturbation and detector functions are re-exported here (``forensics.jpeg``,
``forensics.spectrum_profile``, ``forensics.FeatureDetector``, ...).
"""

from . import detectors, perturb, provenance, spectra, watermark
from ._checks import check_images
from .detectors import (
    FEATURE_KINDS,
    CNNDetector,
    FeatureDetector,
    detection_metrics,
    detector_features,
    evaluate_detector,
    train_cnn_detector,
)
from .perturb import crop, gaussian_blur, jpeg, perturbations, rescale
from .spectra import (
    EPS,
    LUMA,
    azimuthal_average,
    highpass,
    mean_log_spectrum,
    power_spectrum,
    radius_map,
    spectrum_profile,
    to_gray,
)

__all__ = [
    "detectors",
    "perturb",
    "provenance",
    "spectra",
    "watermark",
    "check_images",
    "FEATURE_KINDS",
    "CNNDetector",
    "FeatureDetector",
    "detection_metrics",
    "detector_features",
    "evaluate_detector",
    "train_cnn_detector",
    "crop",
    "gaussian_blur",
    "jpeg",
    "perturbations",
    "rescale",
    "EPS",
    "LUMA",
    "azimuthal_average",
    "highpass",
    "mean_log_spectrum",
    "power_spectrum",
    "radius_map",
    "spectrum_profile",
    "to_gray",
]

"""Provenance records: say where a generated image came from, and notice when its pixels changed.

Derived in lesson 10.

A record is a small JSON object::

    {"schema": "gancourse-provenance-1", "generator": "faces_dcgan64", "seed": 7,
     "software": "gancourse", "width": 64, "height": 64, "channels": 3,
     "sha256": "<hash of the uint8 pixels>", ...extra fields..., "hmac": "<optional signature>"}

- ``sha256`` is taken over the 8-bit pixels (``round((x + 1) · 127.5)``, layout (H, W, C)) together
  with their shape, so it identifies the *picture*, not a particular file encoding: a PNG saved
  twice hashes the same, a single changed pixel does not.
- ``hmac`` (optional) is ``HMAC-SHA256(key, canonical JSON of the other fields)``: whoever holds the
  key can show the record was not edited. (C2PA does the same with public-key certificates, so
  anyone can verify without the secret.)
- The record travels inside the PNG as a text chunk (key ``gancourse:provenance``) or as a JSON
  *sidecar* file next to the image.

Honest limits: metadata is stripped by most re-encodings (JPEG, screenshots, many upload
pipelines), and a hash breaks on any change at all, including harmless resizing. A record proves
"this file is what the generator made"; its absence proves nothing. Watermarks
(:mod:`gancourse.forensics.watermark`) are the complementary tool: they survive some edits but carry
only a bit or two.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from gancourse.data._checks import check_image_values
from gancourse.data.transforms import from_uint8, to_uint8

SCHEMA = "gancourse-provenance-1"
PNG_KEY = "gancourse:provenance"
_RESERVED = {
    "schema",
    "generator",
    "seed",
    "software",
    "width",
    "height",
    "channels",
    "sha256",
    "hmac",
}


def _to_pixels(image: torch.Tensor) -> np.ndarray:
    """One image (C, H, W) in [-1, 1] -> uint8 array (H, W, C)."""
    if not isinstance(image, torch.Tensor):
        raise TypeError(
            f"image must be a torch.Tensor (C, H, W) in [-1, 1], got {type(image).__name__}"
        )
    if image.dim() == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise ValueError(
            "image must be one image of shape (C, H, W) with C = 1 or 3, "
            f"got {tuple(image.shape)}; "
            "records are made per image: loop over a batch"
        )
    if image.dtype == torch.uint8:
        return image.permute(1, 2, 0).cpu().numpy()
    if not image.is_floating_point():
        raise TypeError(f"image must be float in [-1, 1] or uint8, got {image.dtype}")
    check_image_values(image, "image", slack=0.5)  # overshoot is clamped; 0..255 floats are not
    return to_uint8(image.float().cpu()).permute(1, 2, 0).numpy()


def pixel_sha256(image: torch.Tensor) -> str:
    """sha256 (hex) of the image's shape and 8-bit pixels (H, W, C)."""
    pixels = np.ascontiguousarray(_to_pixels(image))
    digest = hashlib.sha256(f"{pixels.shape}".encode())
    digest.update(pixels.tobytes())
    return digest.hexdigest()


def _canonical(record: dict) -> bytes:
    return json.dumps(
        {k: v for k, v in record.items() if k != "hmac"}, sort_keys=True, separators=(",", ":")
    ).encode()


def _key_bytes(key) -> bytes:
    if isinstance(key, bytes):
        return key
    if isinstance(key, str):
        return key.encode()
    raise TypeError(f"key must be str or bytes, got {type(key).__name__}")


def make_record(
    image: torch.Tensor, generator: str, seed: int | None = None, key=None, **extra
) -> dict:
    """A provenance record for one image (C, H, W); signed with HMAC-SHA256 when a ``key`` is given.

    ``extra`` fields (e.g. ``watermark_key_id="course"``, ``edit="smile +2"``) must be
    JSON-serialisable.
    """
    if not isinstance(generator, str) or not generator:
        raise ValueError("generator must be a non-empty name, e.g. 'faces_dcgan64'")
    clash = _RESERVED & set(extra)
    if clash:
        raise ValueError(f"extra fields may not overwrite {sorted(clash)}")
    pixels = _to_pixels(image)
    record = {
        "schema": SCHEMA,
        "generator": generator,
        "seed": seed,
        "software": "gancourse",
        "height": int(pixels.shape[0]),
        "width": int(pixels.shape[1]),
        "channels": int(pixels.shape[2]),
        "sha256": pixel_sha256(image),
        **extra,
    }
    try:
        json.dumps(record)
    except TypeError as error:
        raise ValueError(f"every extra field must be JSON-serialisable: {error}") from None
    if key is not None:
        record["hmac"] = hmac.new(_key_bytes(key), _canonical(record), hashlib.sha256).hexdigest()
    return record


def verify(image: torch.Tensor, record: dict | None, key=None) -> dict:
    """Check ``record`` against ``image``: ``{"has_record", "pixels_match", "signature_ok"}``.

    ``signature_ok`` is None when no key is given or the record is unsigned.
    """
    if record is None:
        return {"has_record": False, "pixels_match": False, "signature_ok": None}
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise ValueError(f"not a gancourse provenance record (schema {SCHEMA!r} expected)")
    signature_ok = None
    if key is not None and "hmac" in record:
        expected = hmac.new(_key_bytes(key), _canonical(record), hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(expected, str(record["hmac"]))
    return {
        "has_record": True,
        "pixels_match": pixel_sha256(image) == record.get("sha256"),
        "signature_ok": signature_ok,
    }


def save_png(image: torch.Tensor, path, record: dict | None = None) -> Path:
    """Write one image (C, H, W) in [-1, 1] as PNG, with ``record`` in a text chunk."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"save_png writes PNG files; the path must end in .png, got {path.name!r}")
    pixels = _to_pixels(image)
    pil = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    info = PngInfo()
    if record is not None:
        info.add_text(PNG_KEY, json.dumps(record, sort_keys=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    pil.save(path, format="PNG", pnginfo=info)
    return path


def load_image(path) -> tuple[torch.Tensor, dict | None]:
    """Read an image file -> (image (C, H, W) in [-1, 1], its provenance record or None)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no image at {path}")
    with Image.open(path) as pil:
        text = getattr(pil, "text", {}) or {}
        mode = "L" if pil.mode in ("L", "I", "I;16") else "RGB"
        array = np.asarray(pil.convert(mode))
    record = json.loads(text[PNG_KEY]) if PNG_KEY in text else None
    tensor = torch.from_numpy(array.copy())
    tensor = tensor[None] if tensor.dim() == 2 else tensor.permute(2, 0, 1)
    return from_uint8(tensor), record


def write_sidecar(record: dict, image_path) -> Path:
    """Write ``record`` as ``IMAGE.json`` next to the image (for formats without text chunks)."""
    path = Path(image_path).with_suffix(Path(image_path).suffix + ".json")
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def read_sidecar(image_path) -> dict | None:
    """The sidecar record of ``image_path``, or None when there is none."""
    path = Path(image_path).with_suffix(Path(image_path).suffix + ".json")
    return json.loads(path.read_text()) if path.exists() else None

"""Automatic style-reference retrieval: rank colour candidates by how much their grayscale looks like the input.

The paper picks "a colour image having semantic similarity" by hand. Here the similarity is measured on what the
grayscale input can show — every candidate is grayscaled (color.to_gray) before its features are taken, so a
candidate is not preferred or penalised for its colours, only for its content and texture.

Descriptor (choice and why): for each of VGG-19's relu3_1 and relu4_1, the per-channel mean and standard
deviation of the activations over all positions (the statistics AdaIN transfers, Huang & Belongie 2017), with
the candidates at `size` px (128 by default) on the longer side.
- Channel statistics are position-free, so two prints of the same kind of scene match even when composed
  differently; a flattened feature map would compare layouts instead.
- They are a compact stand-in for the Gram matrices of Gatys' style loss (the same second-order information on
  the diagonal): 2·(256 + 512) numbers instead of 256² + 512², and cheap enough to cache for a whole folder.
- relu3_1 sees textures and motifs (waves, foliage, roofs), relu4_1 object parts; conv5 layers at 128 px are
  a 8x8 map or smaller and noisy; lower layers mostly encode edges and contrast that all prints share.
- Each layer's vector is square-rooted (tames a few very large channels) and L2-normalised; the score is the
  mean cosine similarity over the layers. A candidate's score does not depend on the other candidates.
Measured honestly (45 prints, each ranked against the other 44, 128 px): the top pick was a neighbouring
station 6/45 times (chance ≈ 2/45), and the global mean-a*b* baseline coloured with it had ΔE2000 8.45 against
8.68 for a random pick and 6.99 for the best possible pick. Gram matrices, relu2_1..relu5_1 alone or together,
and centring on the candidate mean gave 8.19 to 8.80: no variant is clearly better, and grayscale features carry
little information about which print's colours fit. The evaluation notebook reports the same question on the
pairs of the kit's pairs.csv.
"""
from __future__ import annotations

import math
import os

import numpy as np
import torch

from colorlib import color, images
from colorlib.errors import ColorkitError
from colorlib.file_input import read_bytes
from colorlib.hardware import resolve_device
from colorlib.hashes import sha256_bytes
from colorlib.paper.vgg import extractor, last_layer, min_size

LAYERS = ("relu3_1", "relu4_1")
SIZE = 128
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
_CACHE: dict = {}  # (sha256 of the file's bytes, size, layers, weights) -> raw descriptor (per-layer vectors)
# A candidate is the content's own colour original when the detail of their L* at SCENE_SIDE x SCENE_SIDE px
# (L* minus its Gaussian blur of DETAIL_SIGMA px) correlates at least OWN_ORIGINAL: structure, not pixels, so a gray
# made by another formula (Pillow's convert("L") differs from the kit's by up to 30/255), a JPEG round trip or a
# resize still match, while two pictures that share only a smooth layout (a sky above, a shore below) do not.
# Measured on the 45 prints (/tmp script, each gray variant against its own original and the best of the 44
# others; variants: the kit's gray, Pillow's, Pillow's + JPEG, resized, the mean of R, G and B, Pillow's of a 64
# px copy): own 0.88-1.00 (0.88 only for the 64 px copy, 0.98 and up from 96 px), best other 0.43-0.46.
SCENE_SIDE = 64
DETAIL_SIGMA = 2.0
OWN_ORIGINAL = 0.75


def _detail(image) -> np.ndarray:
    """L* at SCENE_SIDE² px minus its Gaussian blur: the picture's own detail, without its smooth layout."""
    from scipy import ndimage

    lightness = color.lightness(images.resize_to(images.as_array(image), SCENE_SIDE, SCENE_SIDE)).astype(np.float64)
    return (lightness - ndimage.gaussian_filter(lightness, DETAIL_SIGMA)).ravel()


def scene_correlation(a, b) -> float:
    """Pearson correlation of the detail of two images' CIELAB L* (paths or arrays, at SCENE_SIDE² px): about 1
    for the same picture however it was grayscaled, compressed or resized; under 0.5 for two different prints."""
    da, db = _detail(a), _detail(b)
    da, db = da - da.mean(), db - db.mean()
    denominator = float(np.linalg.norm(da) * np.linalg.norm(db))
    return float(da @ db / denominator) if denominator > 0 else 0.0


def same_aspect(a_shape, b_shape) -> bool:
    """Whether two image shapes have one aspect ratio, up to 2 % and a pixel of rounding on either side (what a
    resize keeps)."""
    (ha, wa), (hb, wb) = a_shape[:2], b_shape[:2]
    tolerance = 0.02 + 1 / min(ha, wa) + 1 / min(hb, wb)
    return abs(math.log((ha / wa) / (hb / wb))) <= tolerance


def own_original_score(content, candidate) -> float | None:
    """scene_correlation of `candidate` with `content` when the two have the same aspect ratio (same_aspect),
    else None: a picture of another shape is not the content's original."""
    content, candidate = images.as_array(content), images.as_array(candidate)
    return scene_correlation(content, candidate) if same_aspect(content.shape, candidate.shape) else None


def is_own_original(content, candidate) -> bool:
    """Whether `candidate` is `content`'s own colour original (or the content itself): the same aspect ratio and
    a scene_correlation of at least OWN_ORIGINAL."""
    score = own_original_score(content, candidate)
    return score is not None and score >= OWN_ORIGINAL


def describe(image, *, size: int = SIZE, layers: tuple = LAYERS, weights: str = "caffe", device="cpu") -> list:
    """Raw descriptor of an image (grayscaled first): per layer, sqrt of channel means and stds concatenated.

    Parameters
    ----------
    image : str, path-like, PIL.Image or ndarray
        Any image; it is resized to `size` px on its longer side and grayscaled.
    size : int
        Longer side in px at which features are taken.
    layers : tuple of str
        VGG-19 layers (default relu3_1, relu4_1).
    weights : str
        'caffe' or a torchvision vgg19 state-dict file.
    device : str
        'cpu', 'cuda', 'auto', ...

    Returns
    -------
    list of ndarray
        One vector per layer: sqrt of the channel means, then of the channel standard deviations.

    Raises
    ------
    ColorkitError
        The image cannot be read, or at `size` it is too thin for the deepest layer.
    """
    dev = str(resolve_device(device))
    gray = color.to_gray(images.resize(images.as_array(image), size))
    need = min_size(last_layer(layers))
    if min(gray.shape[:2]) < need:
        raise ColorkitError(f"image of {gray.shape[1]}x{gray.shape[0]} px at {size} px is too thin to describe "
                            f"(needs {need} px a side for {last_layer(layers)})")
    net = extractor(tuple(layers), weights, device=dev)
    with torch.no_grad():
        feats = net(net.to_input(gray))
    out = []
    for name in layers:
        f = feats[name][0].flatten(1).double()
        out.append(torch.cat([f.mean(1), f.std(1)]).clamp_min(0).sqrt().cpu().numpy())
    return out


def candidate_descriptor(path, **kw) -> list:
    """`describe` of an image file, cached in memory by the sha256 of the file's bytes (read anew each time:
    never by path or modification time) and the settings.

    Parameters
    ----------
    path : str or path-like
        An image file.
    **kw
        `describe`'s keywords.

    Returns
    -------
    list of ndarray

    Raises
    ------
    ColorkitError
        The file is missing or cannot be described; the message names it.
    """
    path = os.path.abspath(os.fspath(path))
    if not os.path.exists(path):
        raise ColorkitError(f"{path}: candidate file not found")
    try:
        data = read_bytes(path)
        key = (sha256_bytes(data), kw.get("size", SIZE), tuple(kw.get("layers", LAYERS)), kw.get("weights", "caffe"))
        if key not in _CACHE:
            _CACHE[key] = describe(images.decode(data, path), **kw)
    except ColorkitError as exc:  # a candidate that cannot be ranked is named, in one line
        raise ColorkitError(f"{path}: {exc}") if not str(exc).startswith(path) else exc from None
    return _CACHE[key]


def list_candidates(folder) -> list[str]:
    """Image files in `folder` (not recursive, hidden files skipped), sorted by name.

    Parameters
    ----------
    folder : str or path-like
        The folder of colour candidates.

    Returns
    -------
    list of str
        Paths with one of IMAGE_EXTENSIONS.

    Raises
    ------
    ColorkitError
        `folder` is not a folder, or holds no image.
    """
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise ColorkitError(f"{folder}: style folder not found")
    found = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                   if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith("."))
    if not found:
        raise ColorkitError(f"{folder}: no candidate images ({', '.join(IMAGE_EXTENSIONS)})")
    return found


def rank(gray_image, candidate_paths, *, size: int = SIZE, layers: tuple = LAYERS, weights: str = "caffe",
         device="cpu") -> list[tuple[str, float]]:
    """Rank colour candidates by how much their grayscale looks like `gray_image`.

    The score is the mean over `layers` of the cosine similarity of the L2-normalised descriptors (`describe`);
    it does not depend on the other candidates.

    Parameters
    ----------
    gray_image : str, path-like, PIL.Image or ndarray
        The input to colorize (grayscaled if in colour).
    candidate_paths : sequence of str or path-like
        Colour images to rank; leave out the input's own original.
    size : int
        Candidates' (and the input's) longer side in px.
    layers : tuple of str
        VGG-19 layers of the descriptor.
    weights, device : str
        As for `describe`.

    Returns
    -------
    list of (str, float)
        (path, score) for every candidate, best (most similar) first; ties keep the given order.

    Raises
    ------
    ColorkitError
        No candidates, or one cannot be read or described (the message names it).
    """
    paths = [os.fspath(p) for p in candidate_paths]
    if not paths:
        raise ColorkitError("no style candidates to rank")
    kw = dict(size=size, layers=tuple(layers), weights=weights, device=device)
    query = describe(gray_image, **kw)
    cands = [candidate_descriptor(p, **kw) for p in paths]
    scores = np.zeros(len(paths))
    for li in range(len(layers)):
        C = np.stack([c[li] for c in cands])
        q = query[li]
        C = C / np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-12)
        q = q / max(np.linalg.norm(q), 1e-12)
        scores += C @ q / len(layers)
    order = sorted(range(len(paths)), key=lambda i: (-scores[i], i))
    return [(paths[i], float(scores[i])) for i in order]

"""Classical baselines with the call shape of colorlib.evaluation.registry: no colour, Reinhard 2001, Welsh 2002.

All work in CIELAB (the space CIEDE2000 measures) and keep the input's L* exactly, so they differ from each
other only in the chroma (a*, b*) they add. Each takes ``(content, style, *, size, iterations, seed, device)``
(paths, PIL images or (H, W, 3) arrays in [0, 1]; `iterations` and `device` unused) and returns an (H, W, 3)
float RGB array in [0, 1], the content resized to `size` px on its longer side; a bad image raises
ColorkitError.

References
----------
.. [1] E. Reinhard, M. Ashikhmin, B. Gooch, P. Shirley, "Color Transfer between Images", IEEE Computer Graphics
       and Applications 21(5), 2001.
.. [2] T. Welsh, M. Ashikhmin, K. Mueller, "Transferring Color to Greyscale Images", ACM Transactions on
       Graphics 21(3) (SIGGRAPH), 2002.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter

from colorlib import color, images


def _inputs(content, style, size):
    """(gray content resized to `size`, style resized to `size`) as float32 arrays."""
    gray = color.to_gray(images.resize(images.as_array(content, "content"), size))
    ref = images.resize(images.as_array(style, "style"), size)
    return gray, ref


def gray(content, style, *, size=256, iterations=0, seed=0, device="cpu", **kw):
    """The input as is (grayscale): the ΔE any colorization has to beat.

    Parameters
    ----------
    content, style, size
        The registry's call shape (module docstring); `style` is read only to check it.
    iterations, seed, device, **kw
        Unused.

    Returns
    -------
    ndarray, shape (H, W, 3)
        The content resized to `size` and grayscaled (a* = b* = 0).
    """
    return _inputs(content, style, size)[0]


def reinhard(content, style, *, size=256, iterations=0, seed=0, device="cpu", references=(), **kw):
    """Reinhard et al.'s global colour transfer [1]_, as colorization: the input's L*, the reference's mean a*b*.

    Reinhard matches each channel's mean and standard deviation, scaling by σ_ref/σ_input. A grayscale input has
    a* = b* = 0 everywhere, so σ_input = 0 and the scaling is undefined: the only chroma statistic that can be
    transferred is the mean. The result is one uniform tint (the reference's mean a*b*, in CIELAB rather than
    Reinhard's lαβ) on the input's lightness; the lightness channel itself is not transferred but kept.

    Parameters
    ----------
    content, style, size
        The registry's call shape (module docstring); every reference is resized to `size` too.
    references : sequence of image, optional
        More references, pooled with `style`, every pixel weighing alike ('reinhard-pooled').
    iterations, seed, device, **kw
        Unused.

    Returns
    -------
    ndarray, shape (H, W, 3)
        RGB in [0, 1].
    """
    g, ref = _inputs(content, style, size)
    refs = [ref, *(images.resize(images.as_array(r, "reference"), size) for r in references)]
    ab = np.concatenate([color.rgb_to_lab(r)[..., 1:].reshape(-1, 2) for r in refs]).mean(axis=0)
    L = color.lightness(g)
    return color.combine_lightness_chroma(L, np.broadcast_to(ab, L.shape + (2,)))


def local_std(L: np.ndarray, window: int = 5) -> np.ndarray:
    """Standard deviation of L over a window × window neighbourhood of each pixel (edges reflected).

    Parameters
    ----------
    L : ndarray, shape (H, W)
        A lightness channel.
    window : int
        Side of the square neighbourhood in px.

    Returns
    -------
    ndarray, shape (H, W)
    """
    mean = uniform_filter(L, window, mode="reflect")
    sq = uniform_filter(L * L, window, mode="reflect")
    return np.sqrt(np.maximum(sq - mean * mean, 0.0))


def jittered_samples(shape, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """About n pixel positions: the image split into a grid of ~n cells, one uniformly random pixel per cell.

    Parameters
    ----------
    shape : tuple of int
        (height, width).
    n : int
        Samples wanted; the grid has about n cells, as square as the image allows.
    rng : numpy.random.Generator
        Draws the pixel within each cell.

    Returns
    -------
    ys, xs : ndarray of int
        Row and column of each sample.
    """
    h, w = shape
    rows = max(1, min(h, round(np.sqrt(n * h / w))))
    cols = max(1, min(w, round(n / rows)))
    r_edges = np.linspace(0, h, rows + 1).astype(int)
    c_edges = np.linspace(0, w, cols + 1).astype(int)
    r0, c0 = np.meshgrid(r_edges[:-1], c_edges[:-1], indexing="ij")
    r1, c1 = np.meshgrid(r_edges[1:], c_edges[1:], indexing="ij")
    ys = r0 + (rng.random(r0.shape) * np.maximum(r1 - r0, 1)).astype(int)
    xs = c0 + (rng.random(c0.shape) * np.maximum(c1 - c0, 1)).astype(int)
    return np.minimum(ys, h - 1).ravel(), np.minimum(xs, w - 1).ravel()


def welsh(content, style, *, size=256, iterations=0, seed=0, device="cpu", samples=200, window=5,
          weight=0.5, chunk=65536, **kw):
    """Welsh, Ashikhmin & Mueller's global matching [2]_.

    1. Luminance remapping: the reference's L* is shifted and scaled to the input's L* mean and std.
    2. Jittered sampling: ~`samples` reference pixels, one random pixel per cell of a grid (seeded by `seed`).
    3. Each input pixel takes the a*b* of the sample minimising
       weight·(ΔL*)² + (1 − weight)·(Δσ)², σ = L* std over a window × window neighbourhood (the paper's
       50/50 weighting of luminance and neighbourhood statistics, 5×5 window).
    4. The input's L* is kept. CIELAB stands in for the paper's lαβ. Vectorised: one distance matrix per chunk.

    Parameters
    ----------
    content, style, size
        The registry's call shape (module docstring).
    seed : int
        Seeds the jittered sampling.
    samples, window : int
        Reference samples (~200 in [2]_) and the neighbourhood's side (5).
    weight : float
        Weight of the luminance term against the neighbourhood's standard deviation (0.5).
    chunk : int
        Input pixels per distance matrix (bounds the memory).
    iterations, device, **kw
        Unused.

    Returns
    -------
    ndarray, shape (H, W, 3)
        RGB in [0, 1].
    """
    g, ref = _inputs(content, style, size)
    L = color.lightness(g)
    lab = color.rgb_to_lab(ref)
    Lr = lab[..., 0]
    Lr = (Lr - Lr.mean()) * (L.std() / max(Lr.std(), 1e-6)) + L.mean()
    ys, xs = jittered_samples(Lr.shape, samples, np.random.default_rng(seed))
    s_L, s_std, s_ab = Lr[ys, xs], local_std(Lr, window)[ys, xs], lab[ys, xs, 1:]
    t_L, t_std = L.ravel(), local_std(L, window).ravel()
    best = np.empty(t_L.shape, dtype=np.int64)
    for start in range(0, t_L.size, chunk):
        sl = slice(start, start + chunk)
        d = weight * (t_L[sl, None] - s_L[None]) ** 2 + (1 - weight) * (t_std[sl, None] - s_std[None]) ** 2
        best[sl] = np.argmin(d, axis=1)
    return color.combine_lightness_chroma(L, s_ab[best].reshape(L.shape + (2,)))

"""The 'best' exemplar colorization and its ablations: correspondence prior -> guided filter -> chroma matching
[-> the paper's optimisation], the output always on the input's lightness L*.

Every stage is an option so the ablation (benchmarks/best_ablation.py) can switch it off; each variant is
registered in colorlib.methods.METHODS with the common call shape."""
from __future__ import annotations

import numpy as np

from . import color, images
from .config import Config
from .guided import guided_filter
from .methods import register
from .prior import chroma_prior


def match_chroma(ab: np.ndarray, reference_ab: np.ndarray, strength: float = 1.0, gain: float = 1.0) -> np.ndarray:
    """Rescale chroma magnitude C* = |a*b*| so its distribution matches the reference's (quantile mapping),
    hue unchanged. Averaging many matches makes the prior's colour duller than the reference's; this undoes
    that globally. strength 0 = unchanged, 1 = fully matched; gain multiplies the reference's chroma."""
    c = np.hypot(ab[..., 0], ab[..., 1])
    ref_c = np.sort(np.hypot(reference_ab[..., 0], reference_ab[..., 1]).ravel())
    ranks = np.argsort(np.argsort(c.ravel(), kind="stable"), kind="stable") / max(c.size - 1, 1)
    target = gain * np.interp(ranks, np.linspace(0, 1, ref_c.size), ref_c).reshape(c.shape)
    new_c = (1 - strength) * c + strength * target
    scale = np.where(c > 1e-6, new_c / np.maximum(c, 1e-6), 0.0)
    return ab * scale[..., None]


def prior_ab(gray: np.ndarray, references, config: Config | None = None) -> np.ndarray:
    """a*b* (H, W, 2) for the grayscale `gray` from colour `references` (one image or a list that votes, at the
    scale of gray), with the prior_*, guided_* and chroma_* fields of `config` (default: preset 'best').
    guided_radius 0 switches the guided filter off; chroma_match 0 switches chroma matching off."""
    cfg = config or Config.from_preset("best")
    refs = [references] if isinstance(references, np.ndarray) and references.ndim == 3 else list(references)
    ab, _ = chroma_prior(gray, refs, layers=cfg.prior_layers, tau=cfg.prior_tau, grid=cfg.prior_grid,
                         weights=cfg.weights)
    if cfg.guided_radius > 0:
        ab = guided_filter(color.lightness(gray) / 100.0, ab, radius=cfg.guided_radius, eps=cfg.guided_eps)
    if cfg.chroma_match > 0:
        ref_ab = np.concatenate([color.rgb_to_lab(r)[..., 1:].reshape(-1, 2) for r in refs])
        ab = match_chroma(ab, ref_ab, cfg.chroma_match, cfg.chroma_gain)
    return ab


def prior_from_config(gray: np.ndarray, references, config: Config) -> np.ndarray:
    """The prior as an RGB image on gray's lightness (colorize's init 'prior')."""
    return color.combine_lightness_chroma(color.lightness(gray), prior_ab(gray, references, config))


def best(content, style, *, size=256, iterations=0, seed=0, device="auto", references=(), **overrides) -> np.ndarray:
    """The 'best' preset with Config `overrides`: the prior's a*b* on the input's L*; with iterations > 0, the
    paper's objective refines it from there (init = the prior, lightness kept). references: extra colour images
    that vote with `style` (used only without optimisation)."""
    cfg = Config.from_preset("best", size=size, iterations=iterations, seed=seed, device=device, **overrides)
    if iterations > 0:
        from .colorize import colorize

        return colorize(content, style, cfg).image
    gray = color.to_gray(images.resize(images.as_array(content, "content"), size))
    refs = [images.resize(images.as_array(r, "style"), size) for r in (style, *references)]
    return prior_from_config(gray, refs, cfg)


def _variant(name, **fixed):
    def method(content, style, *, size=256, iterations=0, seed=0, device="auto", **kw):
        return best(content, style, size=size, seed=seed, device=device, **{**fixed, **kw})

    method.__name__ = method.__qualname__ = name.replace("+", "_").replace("-", "_").replace(",", "_")
    method.__doc__ = f"Ablation '{name}' of the best pipeline: preset 'best' with {fixed}"
    return register(name)(method)


# The ablation: each row adds one stage to the one above. `iterations` from the caller (a profile) is ignored
# except where the variant optimises, so a 200-iteration profile does not turn every row into an optimisation.
_variant("prior", guided_radius=0, chroma_match=0.0)
_variant("prior+filter", chroma_match=0.0)
_variant("prior+chroma", guided_radius=0)
_variant("prior-relu3_1+filter+chroma", prior_layers=("relu3_1",))
_variant("prior-relu2_1,3_1+filter+chroma", prior_layers=("relu2_1", "relu3_1"))


@register("prior+filter+chroma+optim")
def prior_filter_chroma_optim(content, style, *, size=256, iterations=30, seed=0, device="auto", **kw):
    """Ablation: 'best' as the initial image, then min(iterations, 30) L-BFGS iterations of the paper's
    objective (β/α 1e4, conv4_2 / conv1_1..conv5_1) on a half-size image (chroma_scale 0.5, to stay within the
    time budget), its chroma put on the input's full-size lightness."""
    kw.setdefault("chroma_scale", 0.5)
    return best(content, style, size=size, iterations=min(iterations, 30), seed=seed, device=device, **kw)


@register("best")
def best_method(content, style, *, size=256, iterations=0, seed=0, device="auto", **kw):
    """The 'best' preset = prior + guided filter + chroma matching, no optimisation (see the ablation)."""
    return best(content, style, size=size, seed=seed, device=device, **kw)

"""Every colorization method under one call shape, in the order tables list them (baselines, the paper, beyond):

    method(content, style, *, size, iterations, seed, device) -> np.ndarray (H, W, 3) RGB in [0, 1]

content is the grayscale input, style a colour reference; both float arrays (H, W, 3) in [0, 1]. The output
has the size of `content` resized to `size` on its longer side. The methods know nothing of this registry."""
from __future__ import annotations

from colorlib import images
from colorlib.evaluation import baselines, retrieval
from colorlib.exemplar.method import ExemplarConfig, colorize_exemplar
from colorlib.exemplar.refine import colorize_from_exemplar
from colorlib.paper.colorize import Result
from colorlib.paper.config import EXEMPLAR_START, Config
from colorlib.speedups.cache import colorize_cached


def _preset_run(name: str):
    def run(content, style, *, size=256, iterations=1000, seed=0, device="auto", **overrides) -> Result:
        cfg = Config.from_preset(name, size=size, iterations=iterations, seed=seed, device=device, **overrides)
        return colorize_cached(content, style, cfg)

    return run


def _image_of(run, doc: str):
    """The registry's call shape (an array) of `run` (a Result)."""
    def method(content, style, **kw):
        return run(content, style, **kw).image

    method.__doc__ = doc
    return method


VOTERS = 4  # retrieved prints that vote beside the designated reference in 'best' (3-4 measured best, 6 worse)


def retrieved(content, candidates, k: int) -> list:
    """The k `candidates` (image paths) that colorlib.evaluation.retrieval ranks closest to the gray `content`, as
    arrays. The caller leaves the content's own print out of `candidates`; a copy of it under another name is left
    out here (retrieval.is_own_original: by structure)."""
    if k <= 0 or not candidates:
        return []
    usable = [path for path in candidates if not retrieval.is_own_original(content, images.load(path))]
    if not usable:
        return []
    return [images.load(path) for path, _ in retrieval.rank(content, usable, device="cpu")[:k]]


_VOTING: set = set()  # the functions _with_voters made: RETRIEVING names the methods among them


def _with_voters(fn, voters: int, doc: str):
    """`fn` with the `voters` candidates that retrieval ranks closest added to its references (the runner passes
    `candidates`: registry.RETRIEVING)."""
    def method(content, style, *, references=(), candidates=(), **kw):
        return fn(content, style, references=(*references, *retrieved(content, candidates, voters)), **kw)

    method.__doc__ = doc
    _VOTING.add(method)
    return method


def _exemplar(doc: str, voters: int = VOTERS, **changes):
    params = ExemplarConfig().replace(**changes)

    def method(content, style, *, size=256, iterations=0, seed=0, device="auto", references=()):
        return colorize_exemplar(content, style, size, references, params)

    method.__doc__ = doc
    return _with_voters(method, voters, doc) if voters else method


def exemplar_then_paper_run(content, style, *, size=256, iterations=30, seed=0, device="auto", **overrides) -> Result:
    """'best-1ref' as the initial image, then min(iterations, 30) L-BFGS iterations of the paper's objective on the
    input's lightness: does the paper's optimisation improve on the exemplar result?"""
    cfg = Config.from_preset("paper", size=size, iterations=min(iterations, 30), seed=seed, device=device,
                             init="image", init_image=EXEMPLAR_START, keep_luminance=True, **overrides)
    return colorize_from_exemplar(content, style, cfg, run=colorize_cached)


# The optimising methods as Results: the run cache keeps each run's own seconds, which the evaluation reports (a run
# read back from the cache, or shared with Figure 1's ablation, still costs what it cost).
RUNS: dict = {
    "paper": _preset_run("paper"),
    "neural-style": _preset_run("neural-style"),
    "paper-preReLU": _preset_run("paper-preReLU"),
    "best+paper": exemplar_then_paper_run,
}
exemplar_then_paper = _image_of(exemplar_then_paper_run, exemplar_then_paper_run.__doc__ or "")


METHODS: dict = {
    "gray": baselines.gray,
    "reinhard": baselines.reinhard,
    "reinhard-pooled": _with_voters(baselines.reinhard, VOTERS, f"Reinhard's mean a*b* pooled over the designated "
                                    f"reference and the {VOTERS} retrieved prints 'best' votes with (like with like)."),
    "welsh": baselines.welsh,
    "paper": _image_of(RUNS["paper"], "The paper's equations on its (rectified) layers, β/α size-normalised."),
    "neural-style": _image_of(RUNS["neural-style"],
                              "jcjohnson/neural-style's losses and defaults + the paper's decay."),
    "paper-preReLU": _image_of(RUNS["paper-preReLU"], "The paper's equations on pre-ReLU conv outputs (ablation)."),
    "best": _exemplar(f"The exemplar method with voters: the designated reference and the {VOTERS} candidates "
                      "(the collection without the content's own print) that retrieval ranks closest vote; VGG + "
                      "luminance matching, local linear fit, partial chroma matching."),
    "best-1ref": _exemplar("The exemplar method (preset 'best') with the designated reference alone.", voters=0),
    "best-no-luminance": _exemplar("'best' without the luminance term of the matching (lum_weight=0).", lum_weight=0.0),
    "best-no-chroma-match": _exemplar("'best' without chroma matching (chroma_match=0).", chroma_match=0.0),
    "best-no-local-linear": _exemplar("'best' without the local linear fit: the matched a*b* bilinearly upsampled.",
                                      local_linear=False),
    "best+paper": exemplar_then_paper,
}
OPTIMISING = tuple(RUNS)  # methods whose cost grows with iterations
RETRIEVING = tuple(n for n, m in METHODS.items() if m in _VOTING)  # take candidates=: runner supplies


def names() -> list[str]:
    return list(METHODS)

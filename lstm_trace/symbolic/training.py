"""What training minimises and how it steps, written once like a cell: the loss E_t and each
optimizer's update equations. The deriver differentiates the loss; the updates read the gradients."""

from __future__ import annotations

import sympy as sp

from .cells.base import logsumexp, q
from .model import Equation

LOSSES = ("l2", "cross_entropy", "upstream")


def loss_expr(loss: str, outputs: tuple[str, ...] = ()) -> sp.Expr:
    """E_t for one unit, summed over the units: l2 is ½(out_t − label_t)²;
    cross_entropy is label_t ⊙ (logsumexp(s_t) − s_t) with label_t one-hot, i.e. −log y_t[label];
    upstream is upstream_t ⊙ out_t, for a given ∂L/∂out_t (CS231n's dout): its Δ_t is upstream_t,
    and its E the sum ⟨dout, out⟩ whose gradients are the exercise's.
    outputs: a bidirectional network's two outputs (suffixes _l0, _l0r), each compared with its half of the
    label (or given its half of ∂L/∂out_t): the sum of the loss over both."""
    if outputs and loss != "cross_entropy":
        one = loss_expr(loss)
        names = ("out", "label", "upstream")
        return sp.Add(*(one.xreplace({q(n): q(n + o) for n in names}) for o in outputs))
    if loss == "l2":
        return (q("out") - q("label")) ** 2 / 2
    if loss == "cross_entropy":
        return q("label") * (logsumexp(q("s")) - q("s"))
    if loss == "upstream":
        return q("upstream") * q("out")
    raise ValueError(f"unknown loss {loss!r}")


OPTIMIZERS = ("sgd", "adagrad")


def updates(param: str, optimizer: str) -> list[Equation]:
    """sgd:      p_new = p − λ·δp
    adagrad:  cache_p_new = cache_p + δp²;  p_new = p − λ·δp / √(cache_p_new + ε)
    """
    p, g, lr = q(param, None), q(f"d{param}", None), q("lr", None)
    if optimizer == "sgd":
        return [Equation(f"{param}_new", p - lr * g, "elementwise")]
    if optimizer == "adagrad":
        cache = f"cache_{param}"
        return [
            Equation(f"{cache}_new", q(cache, None) + g**2, "elementwise"),
            Equation(f"{param}_new", p - lr * g / sp.sqrt(q(f"{cache}_new", None) + q("eps", None)), "elementwise"),
        ]
    raise ValueError(f"unknown optimizer {optimizer!r}")

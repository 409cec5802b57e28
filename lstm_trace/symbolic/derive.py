"""Backward equations derived from a cell's forward ones.

Reverse-mode differentiation over the *template* of one time step: the
adjoint of a quantity v_t is the sum, over every equation c that reads v at
shift s (c_{t-s} reads v_t), of δc_{t-s} · ∂c/∂v.  Elementwise equations are
differentiated with sympy.diff on one unit; linear ones with sympy's matrix
calculus on the scalar tr(δcᵀ · c), which yields Wᵀ·δc and δc ⊗ x by itself.
Nothing here depends on H, D or T: the result is built once per model.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from .cells.base import Cell, D, H, m, q, ref_of, shifted, unitsum
from .cells.heads import Head, no_head
from .model import Equation, Model
from .stacking import stack, stack_sum
from .training import loss_expr, updates

# Adjoints the seed gives names to; others (the gate activations) are inlined. A cell adds its own
# (its gates' pre-activations: δa, δi, δf, δo; the GRU's δr, δz, δn, δhn): adjoint_names().


def adjoint_names(cell: Cell) -> dict[str, str]:
    """Every named adjoint of a cell's model, in the order the backward pass computes them."""
    return {"out": "dout", "state": "dstate", "x": "dx", **cell.adjoints, "s": "ds"}


def _diff(e: sp.Expr, sym: sp.Basic, adjoint: sp.Expr) -> sp.Expr:
    """δ · ∂e/∂v for one unit, where e may hold reductions over the units (logsumexp):
    ∂/∂v_k Σ_j δ_j c_j R(v) = (Σ_j δ_j c_j) · R'(v)_k, the sum over units written unitsum."""
    reductions = [f for f in e.atoms(sp.Function) if getattr(f, "reduction", False)]
    if not reductions:
        return adjoint * sp.diff(e, sym)
    held = {r: sp.Dummy(f"R{k}") for k, r in enumerate(reductions)}
    e0 = e.xreplace(held)
    term = adjoint * sp.diff(e0, sym)
    for r, d in held.items():
        term += unitsum(adjoint * sp.diff(e0, d)) * sp.diff(r, sym)
    return term.xreplace({d: r for r, d in held.items()})


def _gate_call(e: sp.Basic) -> str | None:
    """For a gate's activation f(z_g + …), with z_g entering with weight 1: z_g's name; else None."""
    if not (isinstance(e, sp.Function) and len(e.args) == 1):
        return None
    for s in e.args[0].free_symbols:
        r = ref_of(s)
        if r.base.startswith("z") and r.shift == 0 and sp.diff(e.args[0], s) == 1:
            return r.base
    return None


class _Deriver:
    def __init__(self, cell: Cell, loss: str, head: Head) -> None:
        self.cell, self.loss = cell, loss
        self.names = adjoint_names(cell)
        # a quantity a matrix multiplies (the GRU's r_t ⊙ out_{t-1} under U_n) has its adjoint Uᵀ·δ named: a
        # matrix product cannot be inlined into an elementwise equation
        for e in cell.linear.values():
            for s in e.atoms(sp.MatrixSymbol):
                r = ref_of(s)
                if r.shift is not None and r.base in cell.elementwise and r.base not in self.names:
                    self.names[r.base] = f"d{r.base}"
        self.params = {**cell.params, **head.params}
        self.eqs: dict[str, tuple[str, sp.Basic]] = {z: ("linear", e) for z, e in cell.linear.items()}
        self.eqs.update({v: ("link" if v in cell.links else "elementwise", e) for v, e in cell.elementwise.items()})
        self.eqs.update({s: ("head", e) for s, e in head.linear.items()})  # the loss side: Δ_t = Vᵀ·δs_t
        self.eqs.update({v: ("elementwise", e) for v, e in head.elementwise.items()})
        self.eqs["E"] = ("loss", loss_expr(loss, cell.outputs))
        # tanh(za_t) -> a_t, σ(zi_t + P_i·state_{t-1}) -> i_t: derivatives read in forward quantities
        calls = {**cell.elementwise, **head.elementwise}
        self.activations = {
            shifted(e, k): q(v, k)
            for v, e in calls.items()
            if isinstance(e, sp.Function) and len(e.args) == 1
            for k in range(-2, 3)
        }
        # the gate whose pre-activation z_g sits in an equation's argument: i -> zi
        self.gate_of = {v: _gate_call(e) for v, e in cell.elementwise.items() if _gate_call(e)}

    def contributions(self, v: str) -> list[tuple[str, sp.Basic]]:
        """(consumer kind, δc_{t-s} · ∂c/∂v) for every equation c reading v_{t+s}."""
        out = []
        for c, (kind, e) in self.eqs.items():
            for sym in e.atoms(sp.Symbol, sp.MatrixSymbol):
                r = ref_of(sym)
                if r.base != v:
                    continue
                if kind in ("linear", "head"):
                    adj = m(self.names[c], 0, *e.shape)
                    term = sp.Trace(adj.T * e).diff(sym)
                elif c in self.gate_of and sym != q(self.gate_of[c]):
                    # through the gate argument z_g + P_g ⊙ state: δg_t · ∂(argument)/∂v, as worked solutions write it
                    term = q(self.names[self.gate_of[c]]) * sp.diff(e.args[0], sym)
                else:
                    term = _diff(e, sym, self.adjoint(c))
                    if self.loss == "cross_entropy":  # a one-hot label sums to one
                        term = term.xreplace({unitsum(q("label")): sp.S.One})
                out.append((kind, shifted(term, -(r.shift or 0))))
        return out

    @cache  # noqa: B019 - one deriver per model, itself cached
    def adjoint(self, v: str) -> sp.Basic:
        """δv_t: a named symbol, or for an inlined quantity the sum of its contributions."""
        if v == "E":
            return sp.S.One
        if v in self.names:
            return q(self.names[v])
        return sp.Add(*(t for _, t in self.contributions(v)))

    def recurrence(self, v: str) -> int:
        """The shift at which the cell's linear equations read v: -1 (out_{t-1}), or a reverse direction's +1."""
        found = {
            ref_of(s).shift for e in self.cell.linear.values() for s in e.atoms(sp.MatrixSymbol) if ref_of(s).base == v
        }
        return 1 if 1 in found else -1

    def owner(self, adjoint: str) -> str:
        """The forward quantity a backward equation is the gradient of (δout_l0, Δ_l0 and Δout_l0: out_l0)."""
        for v, name in self.names.items():
            if adjoint == name or adjoint in self.cell.splits.get(v, ()):
                return v
        return adjoint

    def in_forward_terms(self, expr: sp.Basic) -> sp.Basic:
        """Replace tanh(za_s) by a_s, σ(zi_s) by i_s, ... wherever they occur."""
        subs = {call: self.activations[call] for call in expr.atoms(sp.Function) if call in self.activations}
        return expr.xreplace(subs)

    def backward(self) -> list[Equation]:
        eqs, late = [], []
        gates = self.cell.gates
        for v, name in self.names.items():
            parts = self.contributions(v)
            if not parts:
                continue  # a quantity this model does not have (δs without an output layer)
            lin = [t for k, t in parts if k == "linear"]
            ew = [self.in_forward_terms(t) for k, t in parts if k != "linear"]
            if v in self.cell.splits:
                loss_name, rec_name = self.cell.splits[v]
                from_loss = [self.in_forward_terms(t) for k, t in parts if k in ("loss", "link")]
                from_head = [t for k, t in parts if k == "head"]
                ew = [self.in_forward_terms(t) for k, t in parts if k == "elementwise"]
                if from_head:  # Δ_t = Vᵀ·δs_t through the output layer
                    eqs.append(Equation(loss_name, sp.MatAdd(*from_head), "linear"))
                else:  # from the loss, or the layer above: its δx_t
                    eqs.append(Equation(loss_name, sp.Add(*from_loss), "elementwise"))
                # Δout_{t-1} = Uᵀ·δgates_t: computed at the step whose gates it reads (none: the next step
                # reads out_{t-1} through no matrix); a reverse direction's Δout_{t+1}, from the step before
                if lin:
                    k = self.recurrence(v)
                    late.append(Equation(rec_name, stack_sum(shifted(sp.MatAdd(*lin), k), gates), "linear", shift=k))
                eqs.append(Equation(name, q(loss_name) + (q(rec_name) if lin else 0) + sp.Add(*ew), "elementwise"))
            elif lin:
                eqs.append(Equation(name, stack_sum(sp.MatAdd(*lin), gates), "linear"))
            else:
                eqs.append(Equation(name, sp.Add(*ew), "elementwise"))
        return eqs + late

    def gradients(self) -> list[Equation]:
        eqs = []
        for p in self.params:
            terms = [t for _, t in self.contributions(p)]
            expr = sp.MatAdd(*terms) if terms and isinstance(terms[0], sp.MatrixExpr) else sp.Add(*terms)
            eqs.append(Equation(f"d{p}", self.in_forward_terms(expr), "sum"))
        return eqs


def _reads(e: Equation, gates: tuple[str, ...]) -> set[str]:
    """The quantities of the current step an equation reads (δgates stands for its gates')."""
    bases = {ref_of(s).base for s in e.expr.atoms(sp.Symbol, sp.MatrixSymbol) if ref_of(s).shift == 0}
    if "dgates" in bases:
        bases |= {f"d{g}" for g in gates}
    return bases


def _order(eqs: list[Equation], gates: tuple[str, ...]) -> tuple[Equation, ...]:
    """Topological order within a step, otherwise keeping the given order."""
    done: list[Equation] = []
    pending = list(eqs)
    names = {e.name for e in eqs if e.shift == 0}  # what this step produces
    while pending:
        for e in pending:
            if not (_reads(e, gates) & names) - {d.name for d in done} - {e.name}:
                done.append(e)
                pending.remove(e)
                break
        else:  # pragma: no cover - a cycle would be a bug in a cell
            raise RuntimeError(f"cyclic equations: {[e.name for e in pending]}")
    return tuple(done)


_MODELS: dict[tuple, Model] = {}


def derive(cell: Cell, loss: str = "l2", optimizer: str = "sgd", head: Head | None = None) -> Model:
    """The whole symbolic model: forward, output layer, loss, derived backward, gradients and update."""
    head = head or no_head()
    key = (cell.name, tuple(cell.params), loss, optimizer, head.name)
    if key not in _MODELS:
        _MODELS[key] = _derive(cell, loss, optimizer, head)
    return _MODELS[key]


def _derive(cell: Cell, loss: str, optimizer: str, head: Head) -> Model:
    dv = _Deriver(cell, loss, head)
    gates = cell.gates
    stacked_z = stack({g: cell.linear[f"z{g}"] for g in gates}) if gates else None
    step = [Equation(z, e, "linear", stacked=stacked_z) for z, e in cell.linear.items()]
    step += [Equation(v, e, "elementwise") for v, e in cell.elementwise.items()]
    if cell.sequence:
        step.sort(key=lambda e: cell.sequence.index(e.name))
    # a cell whose pre-activations share one form computes them first, all gates at once; another (the GRU
    # reset before: U_n reads r_t ⊙ out_{t-1}) interleaves them with what they read
    ordered = step if stacked_z is not None else list(_order(step, gates))
    linear = tuple(e for e in ordered if e.kind == "linear" and stacked_z is not None)
    forward = tuple(e for e in ordered if e not in linear)
    outputs = tuple(Equation(s, e, "linear") for s, e in head.linear.items())
    outputs += tuple(Equation(v, e, "elementwise") for v, e in head.elementwise.items())
    grads = dv.gradients()
    stacked_grads = {}
    for kind in ("W", "U", "b"):
        per_gate = {g: e.expr for e in grads for g in gates if e.name == f"d{kind}_{g}"}
        if gates and len(per_gate) == len(gates):
            stacked_grads[kind] = stack(per_gate)
    per_gate_names = {f"d{kind}_{g}": kind for kind in stacked_grads for g in gates}
    grads = [Equation(e.name, e.expr, e.kind, stacked=stacked_grads.get(per_gate_names.get(e.name, ""))) for e in grads]
    update = tuple(eq for p in dv.params for eq in updates(p, optimizer))
    backward = _order(dv.backward(), gates)
    return Model(
        cell=cell,
        loss=loss,
        linear=linear,
        forward=forward,
        loss_eq=Equation("E", loss_expr(loss, cell.outputs), "elementwise"),
        backward=backward,
        gradients=tuple(grads),
        update=update,
        activation_adjoints=tuple(
            (v, dv.in_forward_terms(dv.adjoint(v))) for v in cell.elementwise if v not in dv.names
        ),
        head=outputs,
        **_sweeps(dv, forward, outputs, backward),
    )


def _sweeps(dv: _Deriver, forward: tuple, head: tuple, backward: tuple) -> dict:
    """A bidirectional network's sweeps (cells/layers.py): each layer's direction's forward equations, with the
    output layer's last; the backward pass's the other way round, each the gradients of a forward sweep's
    quantities (δx_t, the network input's, with the first layer's forward direction, which comes last)."""
    if not dv.cell.sweeps:
        return {}
    sweeps = [*dv.cell.sweeps, (tuple(e.name for e in head), 1)]
    where = {n: k for k, (names, _) in enumerate(sweeps) for n in names} | {"x": 0}
    back = tuple(tuple(e.name for e in backward if where[dv.owner(e.name)] == k) for k in reversed(range(len(sweeps))))
    assert sum(map(len, back)) == len(backward), "every backward equation belongs to a sweep"
    order = {e.name: k for k, e in enumerate(forward)}
    ordered = tuple(
        (tuple(sorted(names, key=order.__getitem__)) if k < len(sweeps) - 1 else names, d)
        for k, (names, d) in enumerate(sweeps)
    )
    return {"sweeps": ordered, "back_sweeps": back, "outputs": dv.cell.outputs}


__all__ = ["Equation", "Model", "derive", "D", "H"]

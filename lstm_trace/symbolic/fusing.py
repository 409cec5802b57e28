"""A fused step's source made cheaper at the same bits (codegen.fuse): the same numpy functions of the
same arrays, fewer calls. Each pass takes and returns the fused function's statements (ast).

- a call on names that several equations make (tanh(state_t) in δstate_t and δo_t) is made once;
- consecutive v = sigmoid(name) statements (a step's gates) are one sigmoids(…) call over them stacked;
- -a + b is b - a (IEEE defines b - a as b + (-a): the same bits, one negation fewer).

grouped, not one of them, is applied to each backward equation's own source as it is generated
(codegen.generate), so that every evaluation of the equation, alone or fused, runs the same products.
"""

from __future__ import annotations

import ast


def cheaper(body: list[ast.stmt]) -> list[ast.stmt]:
    """All the passes, in order."""
    return _sigmoids(_shared_calls([_Subtract().visit(st) for st in body]))


def grouped(body: list[ast.stmt], moving: frozenset[str]) -> list[ast.stmt]:
    """In each product a ⊙ b ⊙ c … (a left-leaning chain) that reads a moving name (one the backward pass makes:
    δstate_t, Δout_t), the factors that read none (two or more) grouped as its last factor, each side's in their
    order: dout ⊙ o ⊙ (1 - tanh²) is dout ⊙ (o ⊙ (1 - tanh²)), whose second factor reads only the forward pass
    and so is made for a window of steps at once, ahead of the backward loop's (numeric/factors.py). The product
    reassociated may differ from the left-to-right one in the last bit. A local is moving when what it is
    assigned reads one."""
    names = set(moving)
    out = []
    for st in body:
        if isinstance(st, ast.Assign | ast.Return) and st.value is not None:
            st = _Group(names).visit(st)
            if names_read(st.value) & names:  # type: ignore[attr-defined]
                names |= set().union(*map(names_read, getattr(st, "targets", ())))
        out.append(st)
    return out


def names_read(node: ast.AST) -> set[str]:
    """The names a piece of generated code reads (or assigns): arguments, locals, functions."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class _Group(ast.NodeTransformer):
    def __init__(self, moving: set[str]) -> None:
        self.moving = moving

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802 - ast's name
        if not isinstance(node.op, ast.Mult):
            return self.generic_visit(node)
        factors: list[ast.expr] = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            factors.insert(0, node.right)
            node = node.left  # type: ignore[assignment]
        factors = [self.visit(f) for f in (node, *factors)]
        still = [f for f in factors if not names_read(f) & self.moving]
        if len(still) < 2 or len(still) == len(factors):
            return _product(factors)
        return ast.BinOp(_product([f for f in factors if names_read(f) & self.moving]), ast.Mult(), _product(still))


def _product(factors: list[ast.expr]) -> ast.expr:
    out = factors[0]
    for f in factors[1:]:
        out = ast.BinOp(out, ast.Mult(), f)
    return out


class _Subtract(ast.NodeTransformer):
    """-a + b as b - a, and a + -b as a - b."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802 - ast's name
        node = self.generic_visit(node)  # type: ignore[assignment]
        if isinstance(node.op, ast.Add):
            if _negated(node.left) is not None:
                return ast.BinOp(node.right, ast.Sub(), _negated(node.left))
            if _negated(node.right) is not None:
                return ast.BinOp(node.left, ast.Sub(), _negated(node.right))
        return node


def _negated(node: ast.expr) -> ast.expr | None:
    return node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else None


def _sigmoids(body: list) -> list:
    """Consecutive v = sigmoid(name) statements (a step's gates) as one v1, v2, … = sigmoids(name1, name2, …)
    where none reads another's result: one pass of numpy calls over the gates stacked, not one per gate."""

    def single(st: ast.stmt) -> tuple[str, str] | None:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            v = st.value
            if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "sigmoid" and not v.keywords:
                if len(v.args) == 1 and isinstance(v.args[0], ast.Name):
                    return st.targets[0].id, v.args[0].id
        return None

    out: list[ast.stmt] = []
    run: list[tuple[str, str, ast.stmt]] = []
    for st in (*body, None):
        one = single(st) if st is not None else None
        if st is not None and one is not None and one[1] not in {target for target, _, _ in run}:
            run.append((*one, st))
            continue
        if len(run) > 1:
            targets = ast.Tuple([ast.Name(t, ast.Store()) for t, _, _ in run], ast.Store())
            call = ast.Call(ast.Name("sigmoids", ast.Load()), [ast.Name(a, ast.Load()) for _, a, _ in run], [])
            out.append(ast.Assign([targets], call, lineno=0))
        else:
            out += [st for _, _, st in run]
        run = [(*one, st)] if st is not None and one is not None else []
        if st is not None and one is None:
            out.append(st)
    return out


def _shared_calls(body: list) -> list:
    """A call on names (tanh(state_t)) that several parts make, made once: the same function of the same
    arrays, so the same bits, one numpy call fewer. Only where no name it reads is assigned in between."""
    where: dict[str, list[int]] = {}  # a call's dump -> the statements it is made in
    calls: dict[str, ast.Call] = {}
    for k, st in enumerate(body):
        for node in ast.walk(st):
            if isinstance(node, ast.Call) and not node.keywords and all(isinstance(a, ast.Name) for a in node.args):
                calls.setdefault(ast.dump(node), node)
                where.setdefault(ast.dump(node), []).append(k)
    names: dict[str, str] = {}
    hoisted: dict[int, list[ast.stmt]] = {}
    for dump, ks in where.items():
        reads = {a.id for a in calls[dump].args if isinstance(a, ast.Name)}
        written = {t.id for st in body[ks[0] : ks[-1]] for t in getattr(st, "targets", ()) if isinstance(t, ast.Name)}
        if len(ks) > 1 and not reads & written:
            names[dump] = f"_shared_{len(names)}"
            made = ast.Assign([ast.Name(names[dump], ast.Store())], calls[dump], lineno=0)
            hoisted.setdefault(ks[0], []).append(made)

    class Shared(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802 - ast's name
            name = names.get(ast.dump(node))
            return ast.Name(name, ast.Load()) if name else self.generic_visit(node)

    body = [Shared().visit(st) for st in body]
    return [s for k, st in enumerate(body) for s in (*hoisted.get(k, ()), st)]

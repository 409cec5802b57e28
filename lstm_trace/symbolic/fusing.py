"""A fused step's source made cheaper at the same bits (codegen.fuse): the same numpy functions of the
same arrays, fewer calls. Each pass takes and returns the fused function's statements (ast).

- a call on names that several equations make (tanh(state_t) in δstate_t and δo_t) is made once;
- consecutive v = sigmoid(name) statements (a step's gates) are one sigmoids(…) call over them stacked;
- -a + b is b - a (IEEE defines b - a as b + (-a): the same bits, one negation fewer).
"""

from __future__ import annotations

import ast


def cheaper(body: list[ast.stmt]) -> list[ast.stmt]:
    """All the passes, in order."""
    return _sigmoids(_shared_calls([_Subtract().visit(st) for st in body]))


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

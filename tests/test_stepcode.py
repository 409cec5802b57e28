"""A step's generated function (numeric/stepcode.py) computes what the step's calls compute one by one
(models.at on the trace's values): every value of every bundled example, bit for bit, in the same order,
and the same rows; also the forms no example has (loss: none, upstream gradients, a final dstate)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml

from lstm_trace import load_scenario, trace
from lstm_trace.numeric import engine, products, stepcode
from lstm_trace.numeric.models import at, lookup
from lstm_trace.refs import Ref
from lstm_trace.scenario.examples import names

from .conftest import random_scenario


def _walking(calls, shape):  # noqa: ANN001, ANN202
    """The pass step by step, call by call, each argument through models.at: the form the generated loop
    replaces (a call in shape.later: its rows only, its values made after the loop)."""

    def walk(values, sc, steps, rows, gates, inputs):  # noqa: ANN001, ANN202, PLR0913
        for t in steps:
            if shape.project is not None:  # z_t = (W·x_t + b, all steps') + U·out_{t-1}, and its gates' blocks
                z = at(shape.project.linear, values, sc, t)
                if inputs and "z" in inputs:
                    z = inputs["z"][t].__iadd__(z)
                values[f"z_{t}"] = z
                for name, start, stop in shape.project.blocks:
                    values[f"{name}_{t}"] = z[start:stop]
            hoisted = dict(shape.hoisted)  # call k: row t of its terms made before the loop, plus its own
            fns = products.in_loop(calls, shape.later, shape.hoisted)
            rewritten, groups = products.grouped(fns)  # the products of one vector, stacked
            for k, (c, eqs) in enumerate(calls):
                out = None if k in shape.later else at(c, values, sc, t)
                if k in rewritten:
                    out = _blocks(fns, k, rewritten[k], groups, values, sc, t)
                if k in hoisted:
                    own = None if hoisted[k] is None else out if k in rewritten else at(hoisted[k], values, sc, t)
                    out = inputs[k][t] if own is None else inputs[k][t].__iadd__(own)
                for j, eq in enumerate(eqs):
                    name = f"{eq.name}_{t + eq.shift}"
                    if out is not None:
                        values[name] = out[j] if c.kind == "fused" else out
                    if rows is not None:
                        rows.append(shape.row(shape.section, t, name, eq, sweep=shape.sweep))
                if gates is not None and eqs[-1].name in shape.stacked:
                    gates.stack(values, t)
            if gates is not None:
                gates.stack(values, t)

    return walk


def _blocks(fns, k, rewritten, groups, values, sc, t):  # noqa: ANN001, ANN202, PLR0913
    """Call k's rewritten function (products.py) evaluated plainly: each group's matrices stacked, times its vector."""
    args = []
    for p in rewritten.params:
        if p[0] == "arg":
            b, s, column = fns[k].plan[p[1]]
            v = lookup(values, sc, Ref(b, s), t)
            args.append(v.reshape(-1, 1) if column and v.ndim == 1 else v)
            continue
        group = groups[p[1]]
        mats = tuple(values[fns[c].plan[j][0]] for c, j in group.matrices)
        vectors = [lookup(values, sc, Ref(*v), t).reshape(-1, 1) for v in group.vectors]
        if p[0] == "sum":  # M_1ᵀ·v_1 + M_2ᵀ·v_2 + … as [M_1; M_2; …]ᵀ·[v_1; v_2; …], the transpose copied to rows
            args.append(np.ascontiguousarray(np.vstack(mats).T) @ np.concatenate(vectors))
            continue
        edges = products.offsets(mats)
        args.append((np.vstack(mats) @ vectors[0])[edges[p[2]] : edges[p[2] + 1]])
    return np.asarray(rewritten.fn(*args)).ravel()


def _walked(sc, monkeypatch: pytest.MonkeyPatch, build=_walking):  # noqa: ANN001, ANN202
    """The trace with each pass built by build (the step-by-step, call-by-call walk)."""
    with monkeypatch.context() as m:
        m.setattr(engine, "_FUSED", {})  # steps built afresh, by build
        m.setattr(stepcode, "build", build)
        return trace(sc)


def _same(doc, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    sc = load_scenario(doc)
    compiled, walked = trace(sc), _walked(sc, monkeypatch)
    assert list(compiled.values) == list(walked.values)  # the same quantities, computed in the same order
    for name, v in walked.values.items():
        mine = np.asarray(compiled.values[name])
        assert mine.dtype == np.asarray(v).dtype and mine.shape == np.shape(v), name
        assert mine.tobytes() == np.asarray(v).tobytes(), name  # bit for bit
    assert compiled.rows == walked.rows
    assert all(type(r) is engine.Row for r in compiled.rows)
    assert compiled.losses == walked.losses


@pytest.mark.parametrize("name", names())
def test_every_value_of_every_example_is_the_call_by_call_walks(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _same(name, monkeypatch)


def _upstream(doc: dict, final: bool) -> dict:
    rng = np.random.default_rng(7)
    for step in doc["sequence"]:
        step["dout"] = rng.normal(size=len(step.pop("label"))).tolist()
    doc.pop("loss", None)
    if final:
        doc["final"] = {"dstate": rng.normal(size=len(doc["sequence"][0]["dout"])).tolist()}
    return doc


@pytest.mark.parametrize("form", ["l2", "none", "upstream", "final", "peephole", "nobias", "softmax", "iterations"])
def test_the_forms_no_example_has(form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cell = "peephole" if form == "peephole" else "lstm"
    doc = random_scenario(4, D=3, H=5, T=6, bias=form != "nobias", cell=cell, K=3 if form == "softmax" else 0)
    if form == "none":
        doc["loss"] = "none"
    if form in ("upstream", "final"):
        doc = _upstream(doc, form == "final")
    if form == "iterations":
        doc["iterations"] = 3
    _same(doc, monkeypatch)


def test_the_walk_replaced_is_the_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison is not void: a step that computed something else would be seen."""
    sc = load_scenario("gomez")

    def off(calls, shape):  # noqa: ANN001, ANN202
        walk = _walking(calls, shape)

        def loop(values, sc, steps, rows, gates, inputs):  # noqa: ANN001, ANN202, PLR0913
            for t in steps:
                walk(values, sc, (t,), rows, gates, inputs)
                if shape.section == "forward":
                    values[f"state_{t}"] = values[f"state_{t}"] + 2.0**-40

        return loop

    assert trace(sc)["out_1"].tobytes() != _walked(sc, monkeypatch, off)["out_1"].tobytes()


def test_sigmoid_is_the_written_out_form_and_exact_to_its_last_bits() -> None:
    """σ (codegen.np_sigmoid) is 1/(1 + e^{-x}) with e^{-x} at most e^{709}, in its every bit: over many
    magnitudes, at 0, -0, ±inf, the subnormals and where exp would overflow, which it never does; within
    1.2 ulp of σ in extended precision wherever σ(x) is a normal float64; a scalar a scalar."""
    from lstm_trace.symbolic.codegen import np_sigmoid

    def written_out(x):  # noqa: ANN001, ANN202
        return 1.0 / (1.0 + np.exp(np.minimum(-np.asarray(x), 709.0)))

    rng = np.random.default_rng(0)
    edges = [0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, 36.7, -36.7, 709.8, -709.8, 745.2, -745.2, 800.0, -800.0]
    x = np.concatenate([rng.standard_normal(20_000) * s for s in (1e-300, 1e-8, 1e-3, 1, 10, 100, 1000)] + [edges])
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        assert np_sigmoid(x).tobytes() == written_out(x).tobytes()
        assert np_sigmoid(x[:, None]).tobytes() == written_out(x[:, None]).tobytes()  # a column, as Σ_t passes it
        for v in (0.3, -2.0, np.float64(-0.0), -800.0):
            assert np.asarray(np_sigmoid(v)).tobytes() == np.asarray(written_out(v)).tobytes()
    assert np_sigmoid(-np.inf) == np_sigmoid(-709.0) < 1.3e-308 and np_sigmoid(np.inf) == 1.0
    assert np.isnan(np_sigmoid(np.array([np.nan]))).all()
    normal = np.concatenate([np.linspace(-708.0, 40.0, 200_001), rng.standard_normal(50_000) * 5])
    exact = 1 / (1 + np.exp(-normal.astype(np.longdouble)))
    ulps = np.abs((np_sigmoid(normal) - exact) / exact).astype(np.float64) / np.finfo(np.float64).eps
    assert ulps.max() <= 1.2


def test_a_call_two_equations_make_is_made_once() -> None:
    """The backward step's tanh(state_t), in δstate_t and δo_t, is one numpy call (codegen.fuse)."""
    from lstm_trace.numeric.models import model_for

    tr = trace("gomez")
    (fused, _), *_ = engine._runs(model_for(tr.scenario).backward)
    assert fused.source.count("tanh(state__0)") == 1 and "_shared_0" in fused.source


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 13, 64, 127, 128, 300])
def test_sigmoids_of_gates_stacked_are_each_gates_own(n: int) -> None:
    """One σ over the gates stacked (codegen.np_sigmoids) gives each entry the bits σ gives its gate alone,
    whatever the lengths and where the SIMD loops' tails fall; a column (Σ_t's form) too."""
    from lstm_trace.symbolic.codegen import np_sigmoid, np_sigmoids

    rng = np.random.default_rng(n)
    parts = [rng.standard_normal(n) * s for s in (0.5, 4.0, 40.0)]
    for xs in (parts, [p[:, None] * [1.0, -3.0] for p in parts]):
        together = np_sigmoids(*xs)
        assert all(a.tobytes() == np_sigmoid(x).tobytes() for a, x in zip(together, xs, strict=True))
    mixed = np_sigmoids(parts[0], parts[1][:1])  # shapes that do not stack: each alone
    assert mixed[1].tobytes() == np_sigmoid(parts[1][:1]).tobytes()


@pytest.mark.parametrize("name", names())
def test_every_step_value_of_every_example_is_its_own_equation_alone(name: str) -> None:
    """The fused steps, made cheaper (symbolic/fusing.py: shared calls, σ of the gates together, b - a for
    -a + b), keep every value bit for bit its own equation's, evaluated alone from the trace's values."""
    from lstm_trace.numeric.models import apply, fetcher

    tr = trace(name)
    sc = tr.scenario
    if sc.batch:  # a batch's sequences are traced one by one: the first one's, alone
        sc = sc.sequence(0)
        tr = engine.finite(engine._iterate, sc, {}, 1)
    fetch, checked = fetcher(tr.values, sc), 0
    for row in tr.rows:
        if row.step is None or row.equation is None or row.equation.kind != "elementwise":
            continue
        alone = apply(row.equation, fetch, row.step, sc.T)
        assert np.asarray(tr.values[row.name]).tobytes() == np.asarray(alone, dtype=np.float64).tobytes(), row.name
        checked += 1
    assert checked >= sc.T


def test_a_loop_carries_what_the_step_before_made_and_reads_the_parameters_once() -> None:
    """The generated loop (stepcode.build) holds in locals what the next step reads of this one's: going
    forward state_{t-1} and out_{t-1} (in z_t's product), going back Δout_t and δstate_{t+1}; U is read
    once, before the loop; what no step makes (f_{t+1}, the forward pass's) is read from the values."""
    from lstm_trace.numeric.allsteps import GateRows, later

    tr = trace("gomez")
    model, sc = tr.model, tr.scenario
    forward = engine._runs((*model.forward, *model.head))
    backward = engine._runs(model.backward)
    linear = engine.compiled(model.linear[0], True)
    project = stepcode.Project(linear, (("za", 0, 1), ("zi", 1, 2), ("zf", 2, 3), ("zo", 3, 4)))
    ahead = stepcode.Shape("forward", engine.Row, (), project=project)
    back = stepcode.Shape(
        "backward", engine.Row, GateRows(2, ("a", "i", "f", "o")).names, "", later(backward.calls), -1
    )
    assert stepcode._carried(forward.calls, ahead) == {("state", -1): ("state", 0), ("out", -1): ("out", 0)}
    assert stepcode._carried(backward.calls, back) == {("Dout", 0): ("Dout", -1), ("dstate", 1): ("dstate", 0)}
    source = _source_of(backward.calls, back)
    before, body = source.split("    for t in steps:")
    assert "get('U')" in before and "'U'" not in body and "'W'" not in source  # δx_t's W·: after the loop
    dstate, f = _names_of(before, "dstate", 1), _names_of(before, "f", 1)  # δstate_{t+1}'s and f_{t+1}'s names
    assert re.search(rf"(a0_\d+) = c_\d+\n +if \1 is None:\n +\1 = get\({dstate}\[t\]\)", body)  # the first step's only
    assert f"get({f}[t])" in body and sc.T == 2


def _names_of(before: str, base: str, shift: int) -> str:
    """The local a generated loop reads a quantity's names at every step from (stepnames.step_names)."""
    (local,) = re.findall(rf"(NM\d+) = names\('{base}', {shift}, T\)", before)
    return local


def test_a_loops_names_are_those_of_the_steps_it_runs() -> None:
    """A loop reads each step's names from tuples made for steps 0 … T-1 (stepnames.step_names): one asked
    to run a step outside them is a bug, and stops, where a name from the tuple's other end would be wrong."""
    from lstm_trace.numeric import stepnames

    assert stepnames.step_names("out", -1, 3) == ("out_-1", "out_0", "out_1")
    assert stepnames.step_names("out", -1, 3) is stepnames.step_names("out", -1, 3)  # made once, kept
    kept = stepnames.step_names("a", 0, 4)
    with pytest.MonkeyPatch.context() as mp:  # what is kept is bounded: past the bound it is made again
        mp.setattr(stepnames, "MAX_NAMES", 6)
        assert stepnames.step_names("b", 0, 7) == tuple(f"b_{t}" for t in range(7))  # over the bound: not kept
        assert ("b", 0, 7) not in stepnames._KEPT and stepnames._count <= 6
        assert stepnames.step_names("a", 0, 4) == kept
    tr = trace("gomez")
    model, sc = tr.model, tr.scenario
    forward = engine._runs((*model.forward, *model.head))
    loop = engine._loop(forward, "forward")
    values = dict(tr.values)
    with pytest.raises(IndexError):
        loop(values, sc, range(-1, sc.T), None, None, None)
    with pytest.raises(IndexError):
        loop(values, sc, range(sc.T, -1, -1), None, None, None)


@pytest.mark.parametrize("loss", ["l2", "upstream", "cross_entropy", "bidirectional"])
def test_each_steps_loss_is_its_equation_alone_summed(loss: str) -> None:
    """E_t, made for all steps after the loop (allsteps.losses: the steps as rows for a loss that reads each
    unit alone, as columns for cross-entropy's logsumexp), is bit for bit its equation evaluated at the step
    alone and summed over the units; E their sum."""
    from lstm_trace.numeric.models import apply, fetcher
    from lstm_trace.symbolic.codegen import unitwise

    if loss == "bidirectional":
        tr = trace("bidirectional")
    else:
        doc = random_scenario(5, D=3, H=6, T=5, K=4 if loss == "cross_entropy" else 0)
        tr = trace(load_scenario(_upstream(doc, False) if loss == "upstream" else doc))
    assert unitwise(engine.compiled(tr.model.loss_eq)) is (loss != "cross_entropy")
    fetch = fetcher(tr.values, tr.scenario)
    for t in range(tr.scenario.T):
        alone = np.add.reduce(np.asarray(apply(tr.model.loss_eq, fetch, t, tr.scenario.T), dtype=np.float64), axis=None)
        assert tr.values[f"E_{t}"].tobytes() == np.array([alone]).tobytes(), t
    assert tr.E == sum(float(tr.values[f"E_{t}"][0]) for t in range(tr.scenario.T))


def test_the_products_of_one_vector_are_one_product_of_the_matrices_stacked() -> None:
    """A 2-layer LSTM's gates each read U_g·out_{t-1} (and layer 1's W_g·x_l1_t): the loop makes one product
    of [U_a; U_i; U_f; U_o] per vector (products.grouped), each gate's pre-activation reading its block; going
    back, Δout_l0 = Σ_g U_g_l0ᵀ·δg_l0 is one product [U_a_l0; U_f_l0; …]ᵀ·[δa_l0; δf_l0; …]."""
    from lstm_trace.numeric import allsteps
    from lstm_trace.numeric.generate import Spec, scenario_text

    tr = trace(load_scenario(yaml.safe_load(scenario_text(Spec(D=3, H=2, T=3, seed=4, layers=2)))))
    forward = engine._runs((*tr.model.forward, *tr.model.head))
    made = frozenset(eq.name for _, eqs in forward for eq in eqs)
    hoisted = allsteps.hoisted(forward.calls, made)
    shape = stepcode.Shape("forward", engine.Row, (), hoisted=tuple((k, rec) for k, rec, _ in hoisted))
    fns = products.in_loop(forward.calls, shape.later, shape.hoisted)
    rewritten, groups = products.grouped(fns)
    named = {g.vectors[0]: [fns[k].plan[j][0] for k, j in g.matrices] for g in groups if not g.transposed}
    assert named == {
        ("out_l0", -1): ["U_a_l0", "U_i_l0", "U_f_l0", "U_o_l0"],
        ("out_l1", -1): ["U_a_l1", "U_i_l1", "U_f_l1", "U_o_l1"],
        ("x_l1", 0): ["W_a_l1", "W_i_l1", "W_f_l1", "W_o_l1"],
    }
    assert len(rewritten) == 8
    backward = engine._runs(tr.model.backward)
    back = stepcode.Shape("backward", engine.Row, (), "", allsteps.later(backward.calls), -1)
    fns = products.in_loop(backward.calls, back.later, back.hoisted)
    rewritten, groups = products.grouped(fns)
    assert all(g.transposed for g in groups)
    made = sorted(v[0] for g in groups for v in g.vectors[:1])
    assert made == ["da_l0", "da_l1", "da_l1"] and all(len(g.matrices) == 4 for g in groups)  # Δout_l0, Δout_l1, δx_l1


@pytest.mark.parametrize("layout", [{"layers": 2}, {"bidirectional": True}])
def test_the_gates_terms_made_before_the_loop_and_their_blocks_are_one_addition(layout: dict) -> None:
    """A stacked or bidirectional LSTM's z_g = (W_g·x_t + b_g, made before the loop) + U_g·out_{t-1}: the loop
    adds the four gates' blocks of [U_a; U_i; U_f; U_o]·out_{t-1} to row t of their terms side by side in one
    addition (stepsource.Source.joined), each z_g its slice, where it made four additions and four calls."""
    from lstm_trace.numeric import allsteps, sweeps
    from lstm_trace.numeric.generate import Spec, scenario_text

    sc = load_scenario(yaml.safe_load(scenario_text(Spec(D=3, H=2, T=3, seed=4, **layout))))
    model = engine.model_for(sc)
    first = sweeps.by_layer((*model.forward, *model.head), sc, links_down=True) or [
        tuple(e for e in model.forward if e.name in model.sweeps[0][0])
    ]
    calls = engine._runs(first[0])
    hoisted = allsteps.hoisted(calls.calls, frozenset(e.name for e in first[0]))
    shape = stepcode.Shape("forward", engine.Row, (), hoisted=tuple((k, rec) for k, rec, _ in hoisted))
    before, body = _source_of(calls.calls, shape).split("    for t in steps:")
    assert "IJ0_0 = concatenate((inputs[0], inputs[1], inputs[2], inputs[3],), axis=1)" in before
    assert body.count("+=") == 1 and "zj0_0 += y0[SJ0_0].ravel()" in body and "G0(" not in body
    assert [line.strip() for line in body.splitlines() if "= zj0_0[" in line] == [
        f"r{k} = zj0_0[S0_{k}]" for k in range(4)
    ]


def _source_of(calls, shape) -> str:  # noqa: ANN001
    """The source of the loop stepcode.build generates for calls and shape."""
    sources = []

    def keep(lines, env, name):  # noqa: ANN001, ANN202
        sources.append("\n".join(lines))
        return real(lines, env, name)

    real = stepcode._load
    stepcode._load = keep
    try:
        stepcode.build(calls, shape)
    finally:
        stepcode._load = real
    return sources[0]


def test_a_traces_rows_are_made_when_first_read_and_behave_as_a_tuple() -> None:
    """A loop leaves one steprows.Loop, not a row per quantity and step: a trace whose rows nobody reads never
    makes them; read, they are made once, in order, and behave as the tuple they were."""
    from lstm_trace.numeric import steprows

    tr = trace("gomez")
    rows = tr.rows
    assert isinstance(rows, steprows.Rows) and rows._rows is None  # nothing read yet: not made
    assert sum(type(p) is steprows.Loop for p in rows._parts) == 2  # the forward loop's and the backward's
    streamed = list(rows.streamed())  # read once, in order (run's tables and JSON): made one by one, not kept
    assert rows._rows is None and len(rows._parts) > 2
    whole = tuple(rows)
    assert streamed == list(whole) and all(type(r) is engine.Row for r in streamed)
    assert next(rows.streamed()) is whole[0]  # once kept, streamed reads the kept rows
    kept = rows._rows
    assert kept == whole and rows._parts == () and tuple(rows)[5] is kept[5]  # made once, and kept
    assert len(rows) == len(whole) and rows[0] is whole[0] and rows[-3:] == whole[-3:] and list(rows) == list(whole)
    assert rows == whole and rows == steprows.Rows(whole) and rows != whole[:-1] and (rows == [1]) is False
    first = whole[0]
    assert (first.section, first.step, first.name, first.equation.name) == ("forward", 0, "a_0", "a")
    assert [r.step for r in whole if r.name.startswith("Delta_")] == [1, 0]  # the backward loop's, the last step first
    assert tr.row("dstate_0") is next(r for r in whole if r.name == "dstate_0")

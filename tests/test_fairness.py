"""Grading v2: fair to every careful student, and still catching the slips.

A simulated student works the trace by hand (forward and backward step by step, with numpy),
rounding every sub-result and every answer to d decimals and feeding their own rounded numbers
forward; every answer they write must grade correct.  Planted slips must still be caught.
"""

from __future__ import annotations

import numpy as np
import pytest

import lstm_trace
from lstm_trace import load_scenario, trace
from lstm_trace.grading.graph import Graph
from lstm_trace.grading.tolerance import Rule
from lstm_trace.numeric.generate import Spec, homework_parts, scenario_text
from lstm_trace.scenario.answers import Answer, Answers, from_document
from lstm_trace.scenario.load import from_document as from_scenario_text
from lstm_trace.scenario.yamlio import parse

from .conftest import GATES, GOMEZ, random_scenario


class HandWork:
    """A careful student's trace, every sub-result rounded to d decimals (round half to even)."""

    def __init__(self, sc, d: int) -> None:  # noqa: ANN001
        self.sc, self.d, self.out = sc, d, {}

    def r(self, x):  # noqa: ANN001, ANN201
        return np.round(np.asarray(x, dtype=np.float64), self.d)

    def dot(self, m: np.ndarray, v: np.ndarray) -> np.ndarray:
        """m·v, each product rounded (their sum is then exact to d decimals)."""
        return self.r(self.r(m * v[None, :]).sum(axis=1))

    def mul(self, *factors: np.ndarray) -> np.ndarray:
        """A product taken left to right, each partial product rounded."""
        acc = factors[0]
        for f in factors[1:]:
            acc = self.r(acc * f)
        return acc

    def forward(self) -> None:
        sc, r, P = self.sc, self.r, self.sc.params
        out, state = sc.init_out, sc.init_state
        for t, x in enumerate(sc.x):
            z = {g: r(self.dot(P[f"W_{g}"], x) + self.dot(P[f"U_{g}"], out) + P[f"b_{g}"]) for g in GATES}
            a = r(np.tanh(z["a"]))
            i, f, o = (r(1 / (1 + np.exp(-z[g]))) for g in "ifo")
            state = r(self.mul(a, i) + self.mul(f, state))
            out = self.mul(o, r(np.tanh(state)))
            self.out.update({f"a_{t}": a, f"i_{t}": i, f"f_{t}": f, f"o_{t}": o, f"state_{t}": state, f"out_{t}": out})

    def backward(self) -> None:
        sc, r, v = self.sc, self.r, self.out
        T, H = sc.T, sc.H
        W = np.vstack([sc.params[f"W_{g}"] for g in GATES])
        U = np.vstack([sc.params[f"U_{g}"] for g in GATES])
        Dout, dstate_next, f_next = np.zeros(H), np.zeros(H), np.zeros(H)
        for t in reversed(range(T)):
            prev = v[f"state_{t - 1}"] if t else sc.init_state
            delta = r(v[f"out_{t}"] - sc.label[t])
            dout = r(delta + Dout)
            th = r(np.tanh(v[f"state_{t}"]))
            dstate = r(self.mul(dout, v[f"o_{t}"], r(1 - r(th * th))) + self.mul(dstate_next, f_next))
            a, i, f, o = (v[f"{g}_{t}"] for g in GATES)
            da = self.mul(dstate, i, r(1 - r(a * a)))
            di = self.mul(dstate, a, i, r(1 - i))
            df = self.mul(dstate, prev, f, r(1 - f))
            do = self.mul(dout, th, o, r(1 - o))
            gates = np.concatenate([da, di, df, do])
            v.update({f"Delta_{t}": delta, f"Dout_{t}": Dout, f"dout_{t}": dout, f"dstate_{t}": dstate})
            v.update({f"da_{t}": da, f"di_{t}": di, f"df_{t}": df, f"do_{t}": do, f"dgates_{t}": gates})
            v[f"dx_{t}"] = self.dot(W.T, gates)
            Dout = v[f"Dout_{t - 1}"] = self.dot(U.T, gates)
            dstate_next, f_next = dstate, f

    def gradients(self) -> None:
        sc, r, v = self.sc, self.r, self.out
        outs = [v[f"out_{t - 1}"] if t else sc.init_out for t in range(sc.T)]
        gates = [v[f"dgates_{t}"] for t in range(sc.T)]
        v["dW"] = sum(r(np.outer(g, x)) for g, x in zip(gates, sc.x, strict=True))
        v["dU"] = sum(r(np.outer(g, h)) for g, h in zip(gates, outs, strict=True))
        v["db"] = sum(gates)
        H = sc.H
        for k, g in enumerate(GATES):
            for p in "WUb":
                rows = slice(k * H, (k + 1) * H)
                v[f"{p}_{g}_new"] = r(sc.params[f"{p}_{g}"] - r(sc.lr * v[f"d{p}"][rows]))

    def answers(self) -> dict[str, np.ndarray]:
        """Every quantity worked, by canonical name (δgates_t left to its parts)."""
        self.forward()
        self.backward()
        self.gradients()
        return {n: x for n, x in self.out.items() if not n.startswith("dgates")}


def written(v: np.ndarray, d: int) -> str:
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 0 or v.size == 1:
        return f"{v.ravel()[0]:.{d}f}"
    if v.ndim == 1:
        return "[" + ", ".join(f"{x:.{d}f}" for x in v) + "]"
    return "[" + ", ".join(written(row, d) for row in v) + "]"


def sheet(values: dict[str, np.ndarray], d: int, **changes: str) -> str:
    return "".join(f"{n}: {changes.get(n, written(x, d))}\n" for n, x in values.items())


def grade_text(tr, text: str):  # noqa: ANN001, ANN201
    return lstm_trace.grade(tr, from_document(parse(text, "answers.yaml")))


SCENARIOS = {
    "gomez": lambda: load_scenario(GOMEZ),
    "random H=1": lambda: load_scenario(random_scenario(11, 2, 1, 3)),
    "random H=3": lambda: load_scenario(random_scenario(12, 3, 3, 3)),
    "random H=3 T=4": lambda: load_scenario(random_scenario(13, 2, 3, 4)),
}


@pytest.fixture(scope="module", params=list(SCENARIOS))
def tr(request):  # noqa: ANN001, ANN201
    return trace(SCENARIOS[request.param]())


@pytest.mark.parametrize("d", [5, 4, 3, 2])
def test_a_careful_student_rounding_every_sub_result_is_correct_everywhere(tr, d):  # noqa: ANN001
    work = HandWork(tr.scenario, d).answers()
    names = [n for n in tr.values if n in work]
    report = grade_text(tr, sheet({n: work[n] for n in names}, d))
    bad = [(v.name, v.verdict, v.text, v.expected) for v in report.verdicts if v.verdict != "correct"]
    assert not bad
    assert len(report.verdicts) == len(names) and report.score == report.max_score


@pytest.mark.parametrize("d", [5, 4, 3, 2])
def test_writing_only_some_answers_the_rest_worked_to_the_same_digits(tr, d):  # noqa: ANN001
    """What is not written down is taken as worked to the digits the student writes (here d)."""
    work = HandWork(tr.scenario, d).answers()
    names = [n for n in tr.values if n in work and (n.endswith("_0") or n in ("dW", "dU", "db", "b_o_new"))]
    report = grade_text(tr, sheet({n: work[n] for n in names}, d))
    assert {v.verdict for v in report.verdicts} == {"correct"}


def _slips(hw: HandWork, work: dict[str, np.ndarray]) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    """Planted slips: (the quantity, the slipped answer, how far the slip moves it)."""
    dropped = hw.r(work["dstate_0"] - hw.r(work["dstate_1"] * work["f_1"]))
    return {
        "sign of δstate_0": ("dstate_0", -work["dstate_0"], 2 * work["dstate_0"]),
        "point of out_0": ("out_0", 10 * work["out_0"], 9 * work["out_0"]),
        "point of δo_1": ("do_1", work["do_1"] / 10, 0.9 * work["do_1"]),
        "δstate_1 ⊙ f_1 dropped": ("dstate_0", dropped, work["dstate_1"] * work["f_1"]),
        "sign of δW": ("dW", -work["dW"], 2 * work["dW"]),
    }


@pytest.mark.parametrize("d", [5, 4, 3, 2])
def test_planted_slips_are_still_caught(tr, d):  # noqa: ANN001
    """A sign, the decimal point, a dropped term: wrong, wherever the slip is more than a few units
    of the last digit written (a slip smaller than the rounding cannot be told from it)."""
    hw = HandWork(tr.scenario, d)
    work = hw.answers()
    answers = {n: work[n] for n in tr.values if n in work}
    checked = []
    for slip, (name, value, moved) in _slips(hw, work).items():
        if np.max(np.abs(moved)) < 5 * 10.0**-d:
            continue
        report = grade_text(tr, sheet(answers, d, **{name: written(value, d)}))
        verdict = next(v for v in report.verdicts if v.name == name)
        assert verdict.verdict == "wrong", (slip, verdict.text, verdict.expected)
        checked.append(slip)
    assert len(checked) >= 3


def test_the_homework_sheets_misprint_is_still_the_only_one():
    hw = trace(load_scenario("gomez-homework"))
    report = lstm_trace.grade(hw, hw.scenario.expected)
    assert [v.given_name for v in report.verdicts if v.verdict != "correct"] == ["db"]


# --- long sequences -------------------------------------------------------------------------


def _long(D: int, H: int, T: int, seed: int = 9):  # noqa: N803, ANN202
    """A scenario of lstm-trace new, traced, and the names of its sheet's parts (a)-(d)."""
    tr = trace(from_scenario_text(parse(scenario_text(Spec(D=D, H=H, T=T, seed=seed)), "long.yaml")))
    parts = homework_parts([(r.section, r.step, r.name) for r in tr.rows if r.equation is not None])
    return tr, [n for _, _, names in parts for n in names]


def _key(tr, names: list[str], **changes: np.ndarray) -> Answers:  # noqa: ANN001
    """The answer key lstm-trace new --answers writes (values rounded to 5 decimals, trailing zeros left
    off), as read from its file, with some answers changed."""
    items = []
    for n in names:
        v = np.round(np.asarray(changes.get(n, tr.values[n]), dtype=np.float64), 5) + 0.0
        texts = {idx: np.format_float_positional(x, trim="-") for idx, x in np.ndenumerate(v)}
        items.append(Answer(n, v.tolist(), texts))
    return Answers("key.yaml", tuple(items))


@pytest.mark.parametrize("D, H, T", [(64, 128, 512), (4, 32, 2048)])
def test_an_answer_key_of_a_long_sequence_grades_correct(D, H, T):  # noqa: N803
    """The carried-rounding bound compounded through the recurrence (1e171 by δstate_511 at T = 512, NaN
    by δstate_100) and the exact key graded 16/30; it is capped at each quantity's own scale."""
    tr, names = _long(D, H, T)
    report = lstm_trace.grade(tr, _key(tr, names))
    assert {v.verdict for v in report.verdicts} == {"correct"}
    assert len(report.verdicts) == 30 and report.score == report.max_score


def test_slips_in_a_long_sequence_are_still_caught():
    tr, names = _long(4, 8, 512)
    dropped = tr["dstate_0"] - tr["dstate_1"] * tr["f_1"]
    for name, value in (("dstate_0", dropped), ("dW", -tr["dW"]), ("dout_0", 10 * tr["dout_0"])):
        report = lstm_trace.grade(tr, _key(tr, names, **{name: value}))
        assert {v.name: v.verdict for v in report.verdicts}[name] == "wrong", name


def test_a_careful_student_of_a_long_sequence_is_correct():
    """Every step worked by hand to two decimals over 512 steps; the t = 0 answers and the gradients written."""
    tr, names = _long(4, 8, 512)
    work = HandWork(tr.scenario, 2).answers()
    report = lstm_trace.grade(tr, from_document(parse(sheet({n: work[n] for n in names}, 2), "a.yaml")))
    assert {v.verdict for v in report.verdicts} == {"correct"}


def test_the_cap_keeps_the_bound_finite_and_at_the_quantitys_scale():
    rule = Rule(half=5e-6, work=5e-6)
    err = np.array([1e171, np.inf, np.nan, 1e-6, 1e-3])
    value = np.array([0.3, 0.3, 0.0, 0.3, 0.001])
    capped = rule.cap(err, value, 5e-6)
    assert np.isfinite(capped).all()
    assert capped.tolist() == pytest.approx([0.015, 0.015, 1e-4, 1e-6, 1e-4])


# --- Σ_t, term by term ------------------------------------------------------------------------


def test_the_terms_of_a_sum_over_steps_are_each_steps_own():
    tr = trace(load_scenario(random_scenario(3, 2, 3, 5)))
    graph = Graph(tr)
    for name in ("dW", "dU", "db", "dW_f", "db_o"):
        terms = list(graph.step_terms(graph[name], tr.values))
        assert [t for t, _ in terms] == list(range(5))
        assert np.allclose(sum(x for _, x in terms), tr[name])
    gates = [tr[f"dgates_{t}"] for t in range(5)]
    x = tr.scenario.x
    assert all(
        np.allclose(x_t, np.outer(g, x[t]))
        for (t, x_t), g in zip(graph.step_terms(graph["dW"], tr.values), gates, strict=True)
    )
    assert list(graph.step_terms(graph["dstate_0"], tr.values)) == []


@pytest.mark.parametrize("cell", ["lstm", "peephole", "peephole-previous"])
@pytest.mark.parametrize("K, optimizer", [(0, "sgd"), (3, "adagrad")])
def test_every_variant_its_values_rounded_are_correct(cell, K, optimizer):  # noqa: N803
    """Each variant's bounds (their sub-results too) in turn: models switching in one process included."""
    data = random_scenario(21, 2, 2, 3, bias=K == 0, cell=cell, K=K)
    data["optimizer"] = {"name": optimizer, "lr": 0.1}
    tr = trace(load_scenario(data))
    names = [r.name for r in tr.rows if r.equation is not None]
    for d in (5, 3):
        report = grade_text(tr, "".join(f"{n}: {written(np.round(tr.values[n], d), d)}\n" for n in names))
        assert {v.verdict for v in report.verdicts} == {"correct"}
        flipped = report.verdicts[-1].name
        changed = grade_text(tr, f"{flipped}: {written(-np.round(tr.values[flipped], d) - 0.5, d)}\n")
        assert changed.verdicts[0].verdict == "wrong"

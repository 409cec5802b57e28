"""Checking costs what was answered: the walk visits the answers and what they are computed from only."""

from __future__ import annotations

import numpy as np

from lstm_trace import trace
from lstm_trace.grading import grade as grading
from lstm_trace.numeric.generate import Spec, scenario_text
from lstm_trace.scenario.answers import Answer, Answers
from lstm_trace.scenario.load import from_document
from lstm_trace.scenario.yamlio import parse


def _sheet(tr, name: str) -> Answers:  # noqa: ANN001
    v = np.round(tr.values[name], 6) + 0.0
    return Answers("a.yaml", (Answer(name, v.tolist(), {i: repr(float(x)) for i, x in np.ndenumerate(v)}),))


def test_an_answer_walks_only_what_it_is_computed_from(monkeypatch) -> None:  # noqa: ANN001
    tr = trace(from_document(parse(scenario_text(Spec(D=2, H=2, T=60, seed=5)), "long.yaml")))
    seen: list[str] = []
    visit = grading._Walk.visit

    def counted(self, node):  # noqa: ANN001, ANN202
        seen.append(node.name)
        return visit(self, node)

    monkeypatch.setattr(grading._Walk, "visit", counted)
    report = grading.grade(tr, _sheet(tr, "o_0"))
    assert [v.verdict for v in report.verdicts if v.name == "o_0"] == ["correct"]
    assert "o_0" in seen and all(name.endswith("_0") for name in seen), seen  # not the 59 steps after
    seen.clear()
    report = grading.grade(tr, _sheet(tr, "dstate_58"))
    assert [v.verdict for v in report.verdicts if v.name == "dstate_58"] == ["correct"]
    assert "dstate_58" in seen and "state_59" in seen and "dstate_0" not in seen and "dW" not in seen

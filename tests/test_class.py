"""A whole class in one run: every submission graded, a gradebook row each, the most common first mistakes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lstm_trace import trace
from lstm_trace.cli import cli
from lstm_trace.grading.classbook import grade_class, submission_files

HOMEWORK = "gomez-homework"


def _fmt(v: np.ndarray) -> str:
    v = np.asarray(v, dtype=np.float64)
    if v.size == 1:
        return f"{v.item():.5f}"
    if v.ndim == 1 or 1 in v.shape:
        return "[" + ", ".join(f"{x:.5f}" for x in v.ravel()) + "]"
    return "[" + ", ".join("[" + ", ".join(f"{x:.5f}" for x in row) + "]" for row in v) + "]"


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """20 sheets: 6 drop δstate_1 ⊙ f_1 from δstate_0, 4 flip a_0's sign, 10 are right; plus one broken file."""
    tr = trace(HOMEWORK)
    names = [n for p in tr.scenario.parts for n in p.quantities]
    where = tmp_path_factory.mktemp("class")
    planted = {}
    for k in range(20):
        values = {n: tr[n] for n in names}
        if k < 6:
            values["dstate_0"] = tr["dstate_0"] - tr["dstate_1"] * tr["f_1"]
            planted[f"s{k:02d}.yaml"] = "dstate_0"
        elif k < 10:
            values["a_0"] = -tr["a_0"]
            planted[f"s{k:02d}.yaml"] = "a_0"
        (where / f"s{k:02d}.yaml").write_text("".join(f"{n}: {_fmt(v)}\n" for n, v in values.items()))
    (where / "broken.yaml").write_text("a_0: [\n")
    (where / "notes.txt").write_text("not a submission")
    return where, planted


def test_the_gradebook_has_a_row_per_file_with_the_planted_mistakes(klass: tuple[Path, dict[str, str]]) -> None:
    where, planted = klass
    book = where / "grades.csv"
    r = CliRunner().invoke(cli, ["check", HOMEWORK, str(where), "--gradebook", str(book)])
    assert r.exit_code == 1, r.output
    rows = list(csv.DictReader(io.StringIO(book.read_text())))
    assert [Path(row["file"]).name for row in rows] == ["broken.yaml", *(f"s{k:02d}.yaml" for k in range(20))]
    assert rows[0]["problem"].startswith(str(where / "broken.yaml")) and rows[0]["total"] == ""
    for row in rows[1:]:
        name = Path(row["file"]).name
        assert row["first_mistake"] == planted.get(name, ""), name
        assert float(row["total"]) == (33 if name in planted else 34), row
        assert float(row["part a"]) + float(row["part b"]) + float(row["part c"]) + float(row["part d"]) == float(
            row["total"]
        )
    assert "δstate_0: the term δstate_1 ⊙ f_1 is missing — 6 of 20" in r.output
    assert "a_0: the sign is flipped — 4 of 20" in r.output
    assert r.output.index("δstate_0: the term") < r.output.index("a_0: the sign")  # most common first


def test_the_class_as_json(klass: tuple[Path, dict[str, str]]) -> None:
    where, _ = klass
    files = sorted(str(p) for p in where.glob("s*.yaml"))
    r = CliRunner().invoke(cli, ["check", HOMEWORK, *files, "--format", "json"])
    doc = json.loads(r.output)
    assert len(doc["submissions"]) == 20 and doc["max_score"] == 34
    assert [(m["name"], m["count"]) for m in doc["first_mistakes"]] == [("dstate_0", 6), ("a_0", 4)]
    assert doc["first_mistakes"][0]["cause"] == "missing-term"


def test_an_all_correct_class_exits_0(klass: tuple[Path, dict[str, str]]) -> None:
    where, planted = klass
    right = [str(where / f"s{k:02d}.yaml") for k in range(20) if f"s{k:02d}.yaml" not in planted]
    r = CliRunner().invoke(cli, ["check", HOMEWORK, *right])
    assert r.exit_code == 0, r.output
    assert "Most common first mistakes" not in r.output


def test_class_options_are_checked(klass: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    where, _ = klass
    r = CliRunner().invoke(cli, ["check", HOMEWORK, str(where), "--gradescope", str(tmp_path / "r.json")])
    assert r.exit_code == 2 and "--gradescope grades one submission" in r.output
    r = CliRunner().invoke(cli, ["check", HOMEWORK, str(where / "s00.yaml"), "--gradebook", str(tmp_path / "g.csv")])
    assert r.exit_code == 2 and "--gradebook is for a class" in r.output
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(cli, ["check", HOMEWORK, str(tmp_path / "empty")])
    assert r.exit_code == 2 and "no answers files" in r.output


def test_submission_files_expand_directories_in_order(klass: tuple[Path, dict[str, str]]) -> None:
    where, _ = klass
    files = submission_files([where / "s03.yaml", where])
    assert files[0] == str(where / "s03.yaml") and len(files) == 22 and not any(f.endswith(".txt") for f in files)
    cr = grade_class(trace(HOMEWORK), files[:3])  # s03, broken, s00
    assert len(cr.submissions) == 3 and len(cr.graded) == 2 and cr.max_score == 34
    assert cr.submissions[1].report is None and "invalid YAML" in cr.submissions[1].problem


def test_a_class_on_two_processes_is_graded_as_on_one(klass: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    where, _ = klass
    books = []
    for jobs in ("1", "2"):
        book = tmp_path / f"grades-{jobs}.csv"
        r = CliRunner().invoke(cli, ["check", HOMEWORK, str(where), "-j", jobs, "--gradebook", str(book)])
        assert r.exit_code == 1, r.output
        books.append((book.read_text(), r.output))
    assert books[0] == books[1]
    files = submission_files([where])
    one, two = grade_class(trace(HOMEWORK), files, jobs=1), grade_class(trace(HOMEWORK), files, jobs=2)
    assert [s.problem for s in one.submissions] == [s.problem for s in two.submissions]
    for a, b in zip(one.graded, two.graded, strict=True):
        assert [(v.name, v.verdict, v.cause, v.carried_from) for v in a.verdicts] == [
            (v.name, v.verdict, v.cause, v.carried_from) for v in b.verdicts
        ]
        assert a.score == b.score
    assert one.graded[0].graph is one.graded[-1].graph and two.graded[0].graph is two.graded[-1].graph  # one each


def test_a_bug_in_a_worker_is_a_bug_not_a_verdict(klass: tuple[Path, dict[str, str]], monkeypatch) -> None:  # noqa: ANN001
    import lstm_trace.grading.classbook as classbook

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(classbook, "grade", broken)
    where, _ = klass
    r = CliRunner().invoke(cli, ["check", HOMEWORK, str(where), "-j", "2"])
    assert r.exit_code == 3, r.output


def test_the_distribution_has_a_bar_per_score_when_few_are_held(klass: tuple[Path, dict[str, str]]) -> None:
    from types import SimpleNamespace

    from lstm_trace.render.classbook import distribution

    where, _ = klass
    lines = distribution(grade_class(trace(HOMEWORK), submission_files([where]), jobs=1))
    assert [line.split()[:2] for line in lines[1:]] == [["33/34", "10"], ["34/34", "10"]]
    many = SimpleNamespace(scores=lambda: [float(s) for s in range(2, 34, 2)], max_score=34.0)  # 16 scores
    lines = distribution(many)
    counts = [int(line.split(")" if ")" in line else "]")[1].split()[0]) for line in lines[1:]]
    assert counts == [1, 2, 2, 1, 2, 2, 1, 2, 2, 1]  # a bar per tenth of 34
    assert lines[1].startswith("  [    0,   3.4)    1") and lines[-1].startswith("  [ 30.6,    34]    1")
    assert all(line == line.rstrip() for line in lines)

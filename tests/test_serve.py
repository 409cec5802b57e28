"""lstm-trace serve: the practice app's API (the framework's test client) and the command's life."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lstm_trace import trace
from lstm_trace.cli import cli

starlette = pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from lstm_trace.scenario.answers import load_answers  # noqa: E402
from lstm_trace.serve.app import MAX_BODY, make_app  # noqa: E402
from lstm_trace.serve.run import asked  # noqa: E402
from lstm_trace.serve.sheet import Sheet  # noqa: E402

HOMEWORK = "gomez-homework"


@pytest.fixture(scope="module")
def tr():  # noqa: ANN201
    return trace(HOMEWORK)


def client(tr, path: Path, instructor: bool = False) -> TestClient:  # noqa: ANN001
    return TestClient(make_app(tr, Sheet(path, asked(tr), HOMEWORK), instructor))


def slip(tr) -> tuple[str, str]:  # noqa: ANN001
    """δstate_0 without its δstate_1 ⊙ f_1 term, and δa_0 worked right from it (5 decimals)."""
    dstate = tr["dstate_0"] - tr["dstate_1"] * tr["f_1"]
    da = dstate * tr["i_0"] * (1 - tr["a_0"] ** 2)
    return f"{dstate.item():.5f}", f"{da.item():.5f}"


def test_a_wrong_answer_and_one_carried_from_it_are_graded_saved_and_restored(tr, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "mine.yaml"
    c = client(tr, path)
    dstate, da = slip(tr)
    assert c.put("/api/answers/dstate_0", json={"text": dstate}).status_code == 200
    state = c.put("/api/answers/da_0", json={"text": da}).json()
    assert state["verdicts"]["dstate_0"]["verdict"] == "wrong"
    assert "expected" not in state["verdicts"]["dstate_0"] and "term" not in state["verdicts"]["dstate_0"]["message"]
    assert state["verdicts"]["da_0"]["verdict"] == "carried"
    assert [c["name"] for c in state["verdicts"]["da_0"]["carried_from"]] == ["dstate_0"]
    assert 0 < state["score"] < state["max_score"]
    # a new app on the same file (the page reloaded, the server restarted) has both answers back
    again = client(tr, path).get("/api/sheet").json()
    assert again["answers"] == {"dstate_0": dstate, "da_0": da}
    assert again["verdicts"] == state["verdicts"]
    page = client(tr, path).get("/").text
    assert f'name="dstate_0" aria-label="answer for δstate_0" value="{dstate}"' in page
    # check grades the saved file to the same verdicts
    r = CliRunner().invoke(cli, ["check", HOMEWORK, str(path), "--format", "json"])
    verdicts = {a["name"]: a["verdict"] for a in json.loads(r.output)["answers"] if a["verdict"] != "missing"}
    assert verdicts == {"dstate_0": "wrong", "da_0": "carried"}


def test_the_hint_gives_the_equation_with_the_right_numbers_and_the_cause(tr, tmp_path: Path) -> None:  # noqa: ANN001
    c = client(tr, tmp_path / "a.yaml")
    c.put("/api/answers/dstate_0", json={"text": slip(tr)[0]})
    h = c.get("/api/hint/dstate_0").json()
    assert h["equation"].startswith("<math") and h["numbers"].startswith("<math") and h["value"] == ""
    assert "δstate_1 ⊙ f_1" in h["cause"] or "missing" in h["cause"]
    shown = client(tr, tmp_path / "a.yaml", instructor=True).get("/api/hint/dstate_0").json()
    assert shown["value"].startswith("<math")


def test_the_student_page_keeps_the_values_to_itself(tr, tmp_path: Path) -> None:  # noqa: ANN001
    student = client(tr, tmp_path / "a.yaml").get("/").text
    teacher = client(tr, tmp_path / "a.yaml", instructor=True).get("/").text
    value = f"{tr['dstate_0'].item():.5f}".replace("-", "&#x02212;")  # a true minus, as MathML writes it
    assert value not in student and value in teacher
    assert student.count('<div class="answer">') == len(asked(tr))
    assert "http://" not in student.replace('xmlns="http://www.w3.org/1998/Math/MathML"', "").replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


@pytest.mark.parametrize(
    "text",
    ["import os", "0.5\nb: 1", "0.5 # x", "&a 1", "!!python/object:os.system 1", "{a: 1}", "[1, [2", "nul", "1" * 5000],
)
def test_anything_but_a_number_is_refused_and_never_written(tr, tmp_path: Path, text: str) -> None:  # noqa: ANN001
    path = tmp_path / "a.yaml"
    c = client(tr, path)
    c.put("/api/answers/a_0", json={"text": "0.5"})
    before = path.read_text()
    r = c.put("/api/answers/a_0", json={"text": text})
    assert r.status_code in (413, 422) and "error" in r.json()
    assert path.read_text() == before


def test_requests_outside_the_exercise_are_refused(tr, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "a.yaml"
    c = client(tr, path)
    assert c.put("/api/answers/W_a", json={"text": "1"}).status_code == 404  # given, not asked
    assert c.put("/api/answers/..%2f..%2fetc%2fpasswd", json={"text": "1"}).status_code == 404
    assert c.get("/../../etc/passwd").status_code == 404
    assert c.get("/api/hint/nothing").status_code == 404
    assert (
        c.put("/api/answers/a_0", content=b'{"text": "1"}', headers={"content-type": "text/plain"}).status_code == 415
    )
    assert c.put("/api/answers/a_0", json={"text": 1}).status_code == 400
    big = json.dumps({"text": "1" * MAX_BODY})
    r = c.put("/api/answers/a_0", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert c.get("/", headers={"host": "evil.example"}).status_code == 400  # another name for this machine
    assert not path.exists()  # nothing was kept
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_answer_takes_it_back(tr, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "a.yaml"
    c = client(tr, path)
    c.put("/api/answers/a_0", json={"text": f"{tr['a_0'].item():.5f}"})
    assert c.get("/api/sheet").json()["verdicts"]["a_0"]["verdict"] == "correct"
    state = c.put("/api/answers/a_0", json={"text": "  "}).json()
    assert state["answers"] == {} and "a_0:" not in path.read_text()


def test_hostile_names_reach_the_page_escaped(tmp_path: Path) -> None:
    src = (Path(__file__).parent.parent / "lstm_trace" / "examples" / "gomez-homework.yaml").read_text()
    hostile = src.replace('name: "', 'name: "<script>alert(1)</script> ', 1)
    (tmp_path / "h.yaml").write_text(hostile)
    t = trace(str(tmp_path / "h.yaml"))
    page = TestClient(make_app(t, Sheet(tmp_path / "a.yaml", asked(t), "h.yaml"))).get("/").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serving:
    """lstm-trace serve ARGS --port PORT --no-browser in a process of its own, up once it answers; stopped
    with Ctrl-C (SIGINT) on leaving. After: returncode, out and err (bytes)."""

    def __init__(self, *args: str, port: int | None = None, cwd: Path | None = None) -> None:
        self.port = _free_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}/"
        cmd = [sys.executable, "-m", "lstm_trace", "serve", *args, "--port", str(self.port), "--no-browser"]
        self.p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def __enter__(self) -> Serving:
        for _ in range(300):
            try:
                urllib.request.urlopen(self.url + "api/sheet", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        self.p.send_signal(signal.SIGINT)
        self.out, self.err = self.p.communicate(timeout=20)
        self.returncode = self.p.returncode


def test_serve_answers_saves_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    with Serving(HOMEWORK, "--answers", str(path)) as server:
        req = urllib.request.Request(
            server.url + "api/answers/a_0",
            data=b'{"text": "0.5"}',
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        assert json.loads(urllib.request.urlopen(req, timeout=5).read())["answers"] == {"a_0": "0.5"}
        # the port is taken now: a second server says so, exit 2
        args = ["serve", HOMEWORK, "--answers", str(tmp_path / "b.yaml"), "--port", str(server.port)]
        taken = CliRunner().invoke(cli, args)
        assert taken.exit_code == 2 and "the port is taken" in taken.output
    out, err = server.out.decode(), server.err.decode()
    assert server.returncode == 0, err
    assert "Traceback" not in err and f"127.0.0.1:{server.port}" in out and "Stopped." in out
    assert path.read_text().endswith("a_0: 0.5\n")


def test_serve_options_are_checked(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["serve", str(tmp_path / "nope.yaml"), "--no-browser"])
    assert r.exit_code == 2 and "nope.yaml" in r.output
    r = CliRunner().invoke(cli, ["serve", HOMEWORK, "--answers", str(tmp_path / "no" / "a.yaml"), "--no-browser"])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_without_the_serve_extra_the_command_says_what_to_install(monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001
    for name in [m for m in sys.modules if m.startswith(("starlette", "uvicorn", "lstm_trace.serve"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "starlette", None)  # as if not installed
    r = CliRunner().invoke(cli, ["serve", HOMEWORK, "--answers", str(tmp_path / "a.yaml"), "--no-browser"])
    assert r.exit_code == 2 and "pip install 'lstm-trace[serve]'" in r.output, r.output


def test_what_the_readme_shows_serve_print_is_what_it_prints(tmp_path: Path) -> None:
    """README's serve block, run as shown (the port free, the answers file beside a bundled example: here)."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("```text\n$ lstm-trace serve ", 1)[1].split("```", 1)[0]
    command, *shown = block.splitlines()
    with Serving(*command.split()[:-2], cwd=tmp_path) as server:  # the block's --port 8765: here a free one
        pass
    expected = [line.replace("8765", str(server.port)) for line in shown if line != "^C"]
    assert server.out.decode().splitlines() == expected and server.returncode == 0


def test_what_the_file_holds_beyond_the_boxes_is_kept(tr, tmp_path: Path) -> None:  # noqa: ANN001
    """A sheet begun by hand (other parts' answers, a name with a colon, a comment) loses nothing to serve."""
    path = tmp_path / "mine.yaml"
    path.write_text('dW_a: [0.1, 0.2]  # by hand\n"odd: name": 3\nda_0: -0.01702\nnote_0: "see # below"\n')
    c = TestClient(make_app(tr, Sheet(path, ["a_0", "da_0"], HOMEWORK)))
    assert c.get("/api/sheet").json()["answers"] == {"da_0": "-0.01702"}
    c.put("/api/answers/a_0", json={"text": "0.81775"})
    again = load_answers(path)
    assert {a.given_name: a.written for a in again.items} == {
        "a_0": "0.81775",
        "da_0": "-0.01702",
        "dW_a": "[0.1, 0.2]",
        "odd: name": "3",
        "note_0": "see # below",
    }


def test_a_hint_is_for_an_answer_given_and_not_right(tr, tmp_path: Path) -> None:  # noqa: ANN001
    """Before any answer, a hint would print the key's numbers (state_0's gives a_0, i_0 and f_0)."""
    c = client(tr, tmp_path / "a.yaml")
    assert c.get("/api/hint/state_0").status_code == 409
    c.put("/api/answers/state_0", json={"text": f"{tr['state_0'].item():.5f}"})
    assert c.get("/api/hint/state_0").status_code == 409  # right: nothing to hint
    c.put("/api/answers/state_0", json={"text": "0.1"})
    assert c.get("/api/hint/state_0").status_code == 200
    assert client(tr, tmp_path / "b.yaml", instructor=True).get("/api/hint/o_0").status_code == 200


def test_a_sheet_begun_by_hand_fills_its_boxes_under_any_spelling(tr, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "mine.yaml"
    path.write_text('δstate_0: -0.05349\ndW[0][1]: 0.1\ni_0: "x: y"\n')
    c = client(tr, path)
    assert c.get("/").status_code == 200
    state = c.get("/api/sheet").json()
    assert state["answers"] == {"dstate_0": "-0.05349"} and state["verdicts"]["dstate_0"]["verdict"] == "correct"
    c.put("/api/answers/a_0", json={"text": "0.81775"})
    kept = {a.given_name: a.written for a in load_answers(path).items}
    assert kept == {"a_0": "0.81775", "dstate_0": "-0.05349", "dW[0][1]": "0.1", "i_0": "x: y"}


def test_taking_every_answer_back_leaves_a_file_serve_and_check_read(tr, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "a.yaml"
    c = client(tr, path)
    c.put("/api/answers/a_0", json={"text": "0.5"})
    c.put("/api/answers/a_0", json={"text": ""})
    assert client(tr, path).get("/api/sheet").json()["answers"] == {}
    r = CliRunner().invoke(cli, ["check", HOMEWORK, str(path)])
    assert r.exit_code in (0, 1), r.output  # read (no answer is no mistake), not refused (2)
    empty = tmp_path / "touched.yaml"
    empty.write_text("# nothing yet\n")
    assert client(tr, empty).get("/api/sheet").json()["answers"] == {}


def test_a_quantity_a_part_asks_for_has_a_box_under_any_name(tmp_path: Path) -> None:
    src = (Path(__file__).parent.parent / "lstm_trace" / "examples" / "pytorch.yaml").read_text()
    parts = "parts:\n  - {id: a, title: odd, quantities: [a_0, za_0, dgates_0, dweight_hh_l0, dW_a], points: 5}\n"
    (tmp_path / "p.yaml").write_text(src + parts)
    t = trace(str(tmp_path / "p.yaml"))
    names = asked(t)
    assert sorted(names) == sorted(["a_0", "za_0", "dgates_0", "dweight_hh_l0", "dW_a"])
    c = TestClient(make_app(t, Sheet(tmp_path / "a.yaml", names, "p.yaml")))
    page = c.get("/").text
    assert all(f'name="{n}"' in page for n in names)
    state = c.put("/api/answers/dweight_hh_l0", json={"text": str(np.round(t["dweight_hh_l0"], 8).tolist())}).json()
    assert state["verdicts"]["dweight_hh_l0"]["verdict"] == "correct" and state["score"] == 1


def test_a_failed_save_changes_nothing_and_says_why(tr, tmp_path: Path) -> None:  # noqa: ANN001
    where = tmp_path / "gone"
    where.mkdir()
    c = client(tr, where / "a.yaml")
    c.put("/api/answers/a_0", json={"text": "0.5"})
    (where / "a.yaml").unlink()
    where.rmdir()
    r = c.put("/api/answers/i_0", json={"text": "0.9"})
    assert r.status_code == 503 and "cannot save" in r.json()["error"]
    assert c.get("/api/sheet").json()["answers"] == {"a_0": "0.5"}


@pytest.mark.parametrize("host", ["", "0.0.0.0", "192.0.2.1", "example.com"])
def test_serve_listens_on_this_machine_only(host: str, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["serve", HOMEWORK, "--answers", str(tmp_path / "a.yaml"), "--host", host])
    assert r.exit_code == 2 and "this machine only" in r.output


def test_serve_refuses_what_it_cannot_grade_before_it_listens(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["serve", "cs231n", "--answers", str(tmp_path / "a.yaml"), "--no-browser"])
    assert r.exit_code == 2 and "batch" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("a_0: [\n")
    r = CliRunner().invoke(cli, ["serve", HOMEWORK, "--answers", str(bad), "--no-browser"])
    assert r.exit_code == 2 and "bad.yaml" in r.output and "Practising" not in r.output


def test_a_hostile_scenario_name_reaches_the_terminal_escaped(tmp_path: Path) -> None:
    src = (Path(__file__).parent.parent / "lstm_trace" / "examples" / "gomez-homework.yaml").read_text()
    (tmp_path / "h.yaml").write_text(src.replace('name: "', 'name: "\\e]0;PWNED\\a ', 1))
    with Serving(str(tmp_path / "h.yaml")) as server:
        pass
    assert b"\x1b" not in server.out and b"\x07" not in server.out and b"PWNED" in server.out


def test_a_path_with_a_line_break_stays_inside_the_header_comment(tr, tmp_path: Path) -> None:  # noqa: ANN001
    where = tmp_path / "odd\nb_a: 9"
    where.mkdir()
    c = TestClient(make_app(tr, Sheet(where / "a.yaml", asked(tr), "x\na_0: 1")))
    c.put("/api/answers/i_0", json={"text": "0.9"})
    assert {a.given_name for a in load_answers(where / "a.yaml").items} == {"i_0"}

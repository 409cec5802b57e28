"""Nothing a user wrote reaches a terminal or a page unescaped.

A scenario's name, source and part titles, and an answers file's keys and numbers, are the
author's or the student's text. Written with YAML escapes ("\\e[2J", "\\u202e", "\\n") they
would clear the teacher's screen, retitle the terminal, reverse a line, break a Markdown table
or a YAML comment; in brackets ([bold]) they would be rich markup. Each output shows them escaped.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rich.console import Console

from lstm_trace.cli import cli
from lstm_trace.render.markdown import md_text
from lstm_trace.render.table import plain
from lstm_trace.render.text import safe_text, tex_text

from .conftest import SCENARIOS, assert_balanced_latex

HOMEWORK = SCENARIOS / "gomez-homework.yaml"

# YAML double-quoted escapes: ESC (as \e and \x1b), an OSC title, BEL, CSI as the C1 control
# U+009B, CR, LF, TAB, DEL, NUL, NEL, the line and paragraph separators, a right-to-left override
# and a bidi isolate; then rich markup, HTML, a code span, maths, a link, a table's | and a backslash.
HOSTILE = (
    r"\e[2J\e]0;pwned\a\x1b[5mblink\u009b31m\r\n\t\x7f\0\N\L\P\u202eevil\u2066"
    r" [bold]B[/bold] | <script>alert(1)</script> `code` & $x$ [link](http://evil.example) end\\"
)
# what must never come out: every C0 control but the newline that ends a line, DEL, C1, the
# separators, the bidi controls, lone surrogates (the terminal's own SGR colours are checked apart)
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def invoke(*args: object, **kw: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def assert_clean(text: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(text)})
    assert not bad, f"control characters in the output: {bad}"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The homework sheet with a hostile name, source and part title."""
    text = HOMEWORK.read_text(encoding="utf-8")
    for line in ('name: "LSTM', 'source: "homework', 'title: "Forward @ t=0"'):
        key = line.split(":")[0]
        old = next(t for t in text.splitlines() if t.strip().startswith(line))
        text = text.replace(old, old[: old.index(key)] + f'{key}: "{HOSTILE}"')
    f = tmp_path / "hostile.yaml"
    f.write_text(text, encoding="utf-8")
    return f


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    """An answers file whose keys (unknown quantities, echoed) and a number's text are hostile."""
    f = tmp_path / "answers.yaml"
    f.write_text(f'a_0: 0.81775\ni_0: "0.9\\e[2J[bold]x[/bold]"\n"{HOSTILE}": 1\n"x\\u009bq": 2\n', encoding="utf-8")
    return f


# -- the one function, and the escapers built on it


def test_safe_text_escapes_every_control_and_bidi_character_visibly():
    assert safe_text("\x1b[2J\x07\x9b\x7f\x00") == r"\x1b[2J\x07\x9b\x7f\x00"
    assert safe_text("a\nb\tc\rd") == r"a\nb\tc\rd"
    assert safe_text("\u202eevil\u2066\u2069\u200e\u200f\u061c") == r"\u202eevil\u2066\u2069\u200e\u200f\u061c"
    assert safe_text("\x85\u2028\u2029\ud800") == r"\x85\u2028\u2029\ud800"
    assert_clean(safe_text("".join(map(chr, range(0x00, 0xA0))) + "\u202a\u202b\u202c\u202d\u202e\u2066\u2067"))


@pytest.mark.parametrize(
    "ordinary",
    [
        "LSTM backpropagation homework (a)-(d)",
        "seed 001: LSTM forward and backward pass, no bias, Θ = [W U]",
        "δstate_{t+1} = δout_t ⊙ o_t; a\\b; café, 中文, العربية, 😀 ‍👩‍💻",
    ],
)
def test_ordinary_text_is_unchanged_and_escaping_twice_changes_nothing(ordinary):
    assert safe_text(ordinary) == ordinary
    assert safe_text(safe_text(HOSTILE)) == safe_text(HOSTILE)


def test_tex_text_writes_controls_as_text_and_escapes_latex():
    tex = tex_text("a\x1b[2J\nb\u202e | <x>")
    assert (
        tex == r"a\textbackslash{}x1b[2J\textbackslash{}nb\textbackslash{}u202e \textbar{} \textless{}x\textgreater{}"
    )
    assert_clean(tex)


def test_md_text_neutralises_markdown_and_html():
    md = md_text("a | b\nc <script>x</script> & `y` $z$ [l](u) \\| \x1b")
    assert md == (r"a \| b\\nc &lt;script&gt;x&lt;/script&gt; &amp; \`y\` \$z\$ [l]\(u) \\\| \\x1b")
    assert "\n" not in md and "<" not in md and re.search(r"(?<!\\)(\\\\)*\|", md.replace(r"\|", "")) is None


def test_rich_text_of_user_text_has_no_markup_emoji_or_controls():
    out = Console(width=200, color_system=None, record=True, file=io.StringIO())
    out.print(plain("[bold]B[/bold] :smile: \x1b[2J"))
    assert out.export_text() == "[bold]B[/bold] :smile: \\x1b[2J\n"


# -- through the command line, every output format


def test_run_tables_show_the_name_and_source_escaped(hostile):
    out = invoke("run", hostile, "--steps", "0", env={"COLUMNS": "250"}).output  # the name on one line
    assert_clean(out)
    assert "\x1b" not in out
    assert r"\x1b[2J\x1b]0;pwned\x07\x1b[5mblink\x9b31m\r\n\t\x7f\x00\x85\u2028\u2029\u202eevil\u2066" in out
    assert "[bold]B[/bold]" in out  # markup printed as written


def test_on_a_colour_terminal_only_the_tables_own_colours_are_sent(hostile, answers):
    for args in (("run", hostile, "--steps", "0"), ("check", hostile, answers)):
        out = invoke(*args, env={"FORCE_COLOR": "1", "TERM": "xterm-256color"}).output
        assert "\x1b[" in out  # coloured indeed
        sgr = re.sub(r"\x1b\[[0-9;]*m", "", out)  # rich's own Select Graphic Rendition
        assert_clean(sgr)
        assert "\x1b" not in sgr and "\x1b[5m" not in out and "\x1b[2J" not in out


@pytest.mark.parametrize("fmt", ["html", "svg"])
def test_recordings_hold_no_controls_and_no_live_html(hostile, fmt):
    out = invoke("run", hostile, "--steps", "0", "--format", fmt).output
    assert_clean(out)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert r"\x1b[2J" in out and r"\u202eevil" in out


def test_markdown_heading_and_source_are_escaped(hostile):
    md = invoke("run", hostile, "--steps", "0", "--format", "markdown").output
    assert_clean(md)
    head = md.splitlines()[0]
    assert head.startswith(r"# \\x1b[2J\\x1b]0;pwned\\x07")
    assert "<script>" not in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in head
    assert r"\`code\`" in head and r"\$x\$" in head and "](" not in head and r"&amp;" in head
    assert re.search(r"(?<!\\)\|", head) is None  # no bare | to start a table
    assert head.endswith("end\\\\")  # the trailing backslash escapes nothing after it
    source = next(line for line in md.splitlines() if line.startswith("Source: "))
    assert source == head.replace("# ", "Source: ", 1)
    # the document is still its tables: each row of a table has its five |s
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", r.replace(r"\vert", ""))) == 5 for r in rows)


def test_latex_document_is_balanced_and_holds_no_controls(hostile):
    tex = invoke("run", hostile, "--steps", "0", "--format", "latex").output
    assert_clean(tex)
    assert_balanced_latex(tex)
    section = next(line for line in tex.splitlines() if line.startswith(r"\section*{"))
    assert section.startswith(r"\section*{\textbackslash{}x1b[2J\textbackslash{}x1b]0;pwned")
    assert r"\textless{}script\textgreater{}" in section and section.endswith(r"end\textbackslash{}}")


def test_run_json_keeps_the_text_as_written(hostile):
    out = invoke("run", hostile, "--format", "json").output
    assert not re.search("[\x00-\x09\x0b-\x1f]", out)  # json.dumps escapes C0 itself
    assert json.loads(out)["scenario"]["name"] == yaml.safe_load(f'"{HOSTILE}"')


def test_check_report_shows_titles_keys_and_answers_escaped(hostile, answers):
    r = invoke("check", hostile, answers, env={"COLUMNS": "400"})
    assert r.exit_code == 1
    out = r.output
    assert_clean(out)
    assert "\x1b" not in out
    assert r"(a) \x1b[2J\x1b]0;pwned" in out  # the part's title
    assert r"0.9\x1b[2J[bold]x[/bold]" in out  # the answer as written, markup kept literally
    assert r"unknown quantity '\x1b[2J\x1b]0;pwned\x07\x1b[5mblink\x9b31m" in out  # the key the student typed
    assert "x\\x9bq" in out and "[bold]B[/bold]" in out


def test_check_json_and_gradescope_escape_c1_and_bidi_losslessly(hostile, answers, tmp_path):
    grades = tmp_path / "results.json"
    out = invoke("check", hostile, answers, "--format", "json", "--gradescope", grades).output
    for text in (out, grades.read_text(encoding="utf-8")):
        assert_clean(text.replace("\n", " "))
    keys = {a["given_name"] for a in json.loads(out)["answers"]}
    assert {yaml.safe_load(f'"{HOSTILE}"'), "x\x9bq"} <= keys  # the text as written, for machines
    graded = grades.read_text(encoding="utf-8")
    assert "\\u202eevil" in graded and any("\u202eevil" in t["name"] for t in json.loads(graded)["tests"])


def test_template_comments_cannot_be_broken_out_of(hostile):
    out = invoke("template", hostile).output
    assert_clean(out)
    assert "\x1b" not in out
    assert out.splitlines()[0].startswith(r"# Answers for \x1b[2J\x1b]0;pwned\x07")
    assert all(line == "" or line.startswith("#") or re.match(r"[\w-]+:\s+#", line) for line in out.splitlines())
    written = yaml.safe_load(out)
    assert set(written.values()) == {None} and "a_0" in written

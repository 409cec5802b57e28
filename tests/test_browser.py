"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright (never its own download).

One browser for the module; each page is written once. The page must load offline with no request
leaving file://, lay its MathML out, navigate by anchors, light a quantity's inputs on hover, fit a
390-pixel phone, follow the reader's dark mode and print without its controls, log no console error,
and show a hostile name as text. Screenshots at 390 and 1280 px are written to $LSTM_TRACE_ARTIFACTS
(default: a temporary directory). Skipped, with the reason, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lstm_trace.cli import cli

from .conftest import GOMEZ, SCENARIOS

CHROMIUM = os.environ.get("LSTM_TRACE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
pytestmark = pytest.mark.browser  # the fast path: pytest -m "not browser"

if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The run page of Gomez's example, a graded sheet, an explain page, a hostile run page and a bidirectional
    network's run page (two sweeps a layer, the picture's reverse arrows)."""
    from .test_escaping import HOSTILE

    where = tmp_path_factory.mktemp("pages")
    hostile = where / "hostile.yaml"
    text = GOMEZ.read_text(encoding="utf-8")
    old = next(t for t in text.splitlines() if t.startswith("name:"))
    hostile.write_text(text.replace(old, f'name: "{HOSTILE}"'), encoding="utf-8")
    answers = where / "answers.yaml"
    answers.write_text("a_0: 0.81775\ndstate_0: 0.05348\nda_0: 0.01702\n", encoding="utf-8")
    commands = {
        "run": ("run", GOMEZ),
        "check": ("check", SCENARIOS / "gomez-homework.yaml", answers),
        "explain": ("explain", GOMEZ, "dstate_0"),
        "hostile": ("run", hostile, "--steps", "0"),
        "bidirectional": ("run", SCENARIOS / "bidirectional.yaml"),
    }
    out = {}
    for name, args in commands.items():
        out[name] = where / f"{name}.html"
        r = CliRunner().invoke(cli, [*map(str, args), "--format", "html", "-o", str(out[name])])
        assert r.exit_code in (0, 1), r.output
    return out


@pytest.fixture(scope="module")  # not the session's: Playwright's sync API runs one at a time, and
def browser(tmp_path_factory: pytest.TempPathFactory):  # other modules (serve's tests) start their own
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30_000)
        yield b
        b.close()


class Visit:
    """A page opened in a fresh context: what it logged and what it asked the network for."""

    def __init__(self, browser, url: str, width: int = 1280, scheme: str = "light") -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url, wait_until="load")

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser):
    opened: list[Visit] = []

    def open_page(path: Path, fragment: str = "", **kw) -> Visit:
        opened.append(Visit(browser, path.as_uri() + fragment, **kw))
        return opened[-1]

    yield open_page
    for v in opened:
        v.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = Path(os.environ.get("LSTM_TRACE_ARTIFACTS") or tmp_path_factory.mktemp("screenshots"))
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.mark.parametrize("name", ["run", "check", "explain", "hostile", "bidirectional"])
def test_loads_offline_without_errors_and_lays_out_its_maths(visit, pages, name):
    v = visit(pages[name])
    assert v.requests == [] and v.errors == []
    box = v.page.locator("math").first.bounding_box()
    assert box is not None and box["width"] > 10 and box["height"] > 5
    assert v.page.evaluate("document.querySelectorAll('math').length") > 5


def test_anchors_navigate(visit, pages):
    v = visit(pages["run"], "#dstate_0")
    top = v.page.locator("#dstate_0").bounding_box()["y"]
    assert 0 <= top < 60  # scrolled to the quantity
    v.page.click('nav.toc a[href="#update"]')
    assert v.page.evaluate("location.hash") == "#update"
    assert 0 <= v.page.locator("#update").bounding_box()["y"] < 60


def test_hovering_a_quantity_lights_its_inputs_and_dependants(visit, pages):
    v = visit(pages["run"])
    v.page.hover("#dstate_0 .lhs")
    lit = v.page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.hl-self, .hl-in, .hl-out')].map(e => [e.id, e.className]))"
    )
    assert "hl-self" in lit["dstate_0"]
    assert all("hl-in" in lit[k] for k in ("dout_0", "o_0", "state_0", "dstate_1", "f_1"))
    assert all("hl-out" in lit[k] for k in ("da_0", "di_0", "df_0"))
    assert "a_1" not in lit  # neither an input nor a dependant
    v.page.click("#dstate_0 .lhs")  # pinned: moving away keeps it lit
    v.page.hover("#W_a")
    assert "hl-in" in v.page.get_attribute("#dout_0", "class")


def test_why_opens_the_tree_back_to_the_given_values(visit, pages):
    v = visit(pages["run"])
    v.page.click("#dstate_0 button.why")
    tree = v.page.locator("#dstate_0 .tree")
    assert tree.locator('a[href="#dout_0"]').count() == 1
    assert tree.locator('a[href="#out_0"]').count() == 1  # δout_0 ← Δ_0 ← out_0, three levels down
    assert "see above" in tree.inner_text() and tree.locator("math").count() > 10
    tree.locator('a[href="#out_0"]').click()
    assert v.page.evaluate("location.hash") == "#out_0"
    v.page.click("#dstate_0 button.why")
    assert v.page.locator("#dstate_0 .tree").count() == 0


@pytest.mark.parametrize("name", ["run", "check", "explain", "bidirectional"])
def test_fits_a_phone_and_a_desktop(visit, pages, artifacts, name):
    for width in (390, 1280):
        v = visit(pages[name], width=width)
        assert v.page.evaluate("document.documentElement.scrollWidth") <= width
        v.page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=width == 390 and name != "run")
    assert (artifacts / f"{name}-390.png").stat().st_size > 1000


def test_dark_mode_and_print(visit, pages, artifacts):
    dark = visit(pages["run"], scheme="dark")
    background = dark.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 24, 29)"
    dark.page.screenshot(path=str(artifacts / "run-dark-1280.png"))
    light = visit(pages["run"])
    assert light.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    light.page.emulate_media(media="print")
    assert light.page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    assert light.page.evaluate("getComputedStyle(document.querySelector('button.why')).display") == "none"


def test_a_hostile_name_is_text(visit, pages):
    v = visit(pages["hostile"])
    heading = v.page.inner_text("h1")
    assert "<script>alert(1)</script>" in heading and heading.startswith(r"\x1b[2J")
    assert v.page.evaluate("document.querySelectorAll('script').length") == 2  # the page's own two
    assert v.page.evaluate("typeof window.alert") == "function" and v.errors == []

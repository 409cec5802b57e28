"""lstm-trace serve end to end in a real browser (Debian's Chromium, headless, driven by Playwright):
type a wrong δstate_0 and a δa_0 worked right from it, see wrong and carried, reload and find both
answers back, and check the saved file to the same verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lstm_trace import trace
from lstm_trace.cli import cli

from .test_browser import ARGS, CHROMIUM, TIMEOUT_MS, sync_api
from .test_serve import HOMEWORK, Serving, slip

pytestmark = pytest.mark.browser
pytest.importorskip("starlette")


@pytest.fixture
def server(tmp_path: Path):  # noqa: ANN201
    path = tmp_path / "mine.yaml"
    with Serving(HOMEWORK, "--answers", str(path)) as running:
        yield running.url, path


def test_wrong_then_carried_survives_a_reload_and_checks_the_same(server) -> None:  # noqa: ANN001
    url, path = server
    dstate, da = slip(trace(HOMEWORK))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30_000)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(url)
            page.fill('input[name="dstate_0"]', dstate)
            page.press('input[name="dstate_0"]', "Tab")
            page.wait_for_selector("#dstate_0 .verdict.v-wrong")
            page.fill('input[name="da_0"]', da)
            page.press('input[name="da_0"]', "Tab")
            page.wait_for_selector("#da_0 .verdict.v-carried")
            assert page.locator('#da_0 .verdict a[href="#dstate_0"]').count() == 1
            assert "Total:" in page.locator(".score").inner_text()
            page.click("#dstate_0 button.hint")
            page.wait_for_selector("#dstate_0 .hint-body math")
            page.reload()
            assert page.input_value('input[name="dstate_0"]') == dstate
            assert page.input_value('input[name="da_0"]') == da
            page.wait_for_selector("#da_0 .verdict.v-carried")
            # a refused answer stays refused on screen when another answer repaints the sheet
            page.fill('input[name="a_0"]', "0.8177x")
            page.press('input[name="a_0"]', "Tab")
            page.wait_for_selector("#a_0 .verdict.v-invalid")
            page.fill('input[name="o_0"]', "0.5")  # o_0 feeds nothing answered but δstate_0, wrong already
            page.press('input[name="o_0"]', "Tab")
            page.wait_for_selector("#o_0 .verdict.v-wrong")
            assert "not saved" in page.inner_text("#a_0 .verdict")
            page.set_viewport_size({"width": 390, "height": 900})  # a phone: no sideways scrolling
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            assert [e for e in errors if "status of 422" not in e] == []  # the refused answer's reply only
        finally:
            browser.close()
    r = CliRunner().invoke(cli, ["check", HOMEWORK, str(path), "--format", "json"])
    verdicts = {a["name"]: a["verdict"] for a in json.loads(r.output)["answers"] if a["verdict"] != "missing"}
    assert verdicts == {"dstate_0": "wrong", "da_0": "carried", "o_0": "wrong"}  # a_0's refused text unsaved

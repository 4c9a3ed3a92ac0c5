"""Take the Studio screenshots of docs/studio/ (1280 x 800) with headless Chromium.

Run by hand (not by the tests), from the repository root::

    python tools/studio_screenshots.py [--out docs/studio] [--chromium /usr/bin/chromium]

It starts a real StudioServer on a free port, trains the quick presets and a playground net,
and saves one PNG per view. Needs the [studio] extra, playwright (the Python package only: the
browser is Debian's chromium) and, for the Chinese screenshot, a CJK font
(``apt-get install fonts-wqy-microhei`` or ``fonts-noto-cjk``).
"""

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HEADER = 60  # the sticky top bar


def _scroll_to(page, selector):
    page.evaluate("([s, h]) => { const e = document.querySelector(s);"
                  " window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - h); }",
                  [selector, HEADER])
    page.wait_for_timeout(250)


def _shot(page, out, name, selector=None):
    if selector:
        _scroll_to(page, selector)
    else:
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(250)
    path = out / f"{name}.png"
    page.screenshot(path=str(path))
    print("wrote", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def _preset(page, name, timeout=180_000):
    page.click("#tab-training")
    page.select_option("#preset-select", name)
    page.set_checked("#preset-quick", True)
    page.click("#preset-start")
    page.wait_for_function(
        "name => { const s = window.glassnetStudio.store; const r = s.runs[s.currentRun];"
        " return r && r.params && r.params.preset === name && r.status === 'finished'; }",
        arg=name, timeout=timeout)
    page.wait_for_timeout(800)


def _select_kind(page, kind):
    page.click(f"#graph g.node[data-kind='{kind}']")
    page.wait_for_selector("#layer-panel:not([data-step=''])")
    page.wait_for_timeout(500)


def take(out, chromium):
    from playwright.sync_api import sync_playwright

    from glassnet.studio import StudioServer

    out.mkdir(parents=True, exist_ok=True)
    server = StudioServer(port=0).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(server.url + "&lang=en")
            page.wait_for_selector("body[data-ready='1']")

            _preset(page, "seed_mlp")
            _shot(page, out, "training")
            _shot(page, out, "layer_panel", "#layer-panel")
            page.click("#misclassified li.chip")
            page.wait_for_timeout(800)
            _shot(page, out, "sample_inspector", "#sample-inspector")

            _preset(page, "deep_sigmoid")
            _shot(page, out, "gradient_flow", "#gradient-flow")

            _preset(page, "seed001_net")
            _select_kind(page, "dense")
            _shot(page, out, "neurons", "#layer-panel .neurons")

            _preset(page, "lenet")
            _select_kind(page, "conv")
            _shot(page, out, "conv", "#layer-panel .conv")

            _preset(page, "lstm")
            _select_kind(page, "recurrent")
            _shot(page, out, "lstm", "#layer-panel .recurrent")

            page.click("#tab-stepper")
            page.select_option("#stepper-select", "seed002_chain")
            page.wait_for_selector("#stepper-table td[data-row='x']")
            for _ in range(24):
                page.click("#stepper-next")
            _shot(page, out, "stepper")

            page.click("#tab-playground")
            page.select_option("#pg-dataset", "spirals")
            page.fill("#pg-hidden", "8,8,8")
            page.fill("#pg-epochs", "300")
            page.fill("#pg-lr", "0.03")
            page.click("#pg-start")
            page.wait_for_selector("#pg-status[data-status='finished']", timeout=300_000)
            page.wait_for_timeout(600)
            _shot(page, out, "playground")
            page.click("#pg-export")
            page.wait_for_selector("#pg-export-card:not([hidden])")
            _shot(page, out, "playground_export", "#pg-export-card")

            page.click("#lang-toggle")
            page.click("#tab-training")
            first_run = page.eval_on_selector("#run-select", "s => s.options[0].value")
            page.select_option("#run-select", first_run)  # the seed MLP
            page.select_option("#preset-select", "seed_mlp")
            page.wait_for_timeout(1200)
            _shot(page, out, "training.zh-CN")
            page.click("#tab-stepper")
            page.wait_for_timeout(400)
            _shot(page, out, "stepper.zh-CN")
            browser.close()
    finally:
        server.jobs.stop_current(timeout=60)
        server.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "studio")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    take(args.out, args.chromium)


if __name__ == "__main__":
    main()

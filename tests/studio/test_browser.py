"""End to end: the Studio page in a real headless Chromium against a real StudioServer.

Every value asserted is read off the page (the DOM, or the uPlot instance behind a chart) and
compared with numbers that come from outside the code under test: seed 002's printed table 2-2
and its z = 162, dz/dw = 18, dz/db = 63, or a property that must hold (the curve grows, the
loss falls, the first sigmoid layer's gradient is orders of magnitude below the last's).
"""

import re
import urllib.error
import urllib.request

import pytest

from tests.studio.conftest import require_browser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Seed 002, table 2-2 (iterations 1 and 2), as the seed prints them.
TABLE_2_2 = {
    ("x", 1): "2.000", ("a", 1): "4.000", ("b", 1): "1.386", ("c", 1): "1.177",
    ("delta_c", 1): "-0.953", ("delta_b", 1): "-2.243", ("delta_a", 1): "-8.973",
    ("delta_x", 1): "-2.243",
    ("x", 2): "4.243", ("a", 2): "18.005", ("b", 2): "2.891", ("c", 2): "1.700",
    ("delta_c", 2): "-0.430", ("delta_b", 2): "-1.462", ("delta_x", 2): "-3.101",
}

BATCH_POINTS = ("() => { const c = window.glassnetStudio.training.view.charts.batch;"
                " return c.plot ? c.plot.data[0].length : 0; }")
LAST_LEARNING_RATE = ("() => { const c = window.glassnetStudio.training.view.charts.batch;"
                      " const d = c.plot.data; return d[d.length - 1][d[0].length - 1]; }")


@pytest.fixture(autouse=True)
def _browser_available():
    require_browser()


def _step(page):
    text = page.inner_text("#status-step")
    return int(text) if text.strip().isdigit() else None


def _start_preset(page, name, quick=True):
    page.select_option("#preset-select", name)
    page.set_checked("#preset-quick", quick)
    page.click("#preset-start")
    page.wait_for_function(
        "name => { const s = window.glassnetStudio.store; const r = s.runs[s.currentRun];"
        " return r && r.params && r.params.preset === name && r.graph; }", arg=name)


def _wait_finished(page, timeout=60_000):
    page.wait_for_selector("#run-status[data-status='finished']", timeout=timeout)


def test_the_page_needs_its_token(studio_server, page):
    base = f"http://127.0.0.1:{studio_server.port}"
    for url in (base + "/", base + "/?token=wrong", base + "/static/app.js",
                base + "/api/state?token=nope"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url, timeout=10)
        assert caught.value.code == 403
    response = page.goto(base + "/")
    assert response.status == 403
    assert "token" in page.inner_text("body")
    response = page.goto(studio_server.url)
    assert response.status == 200
    page.wait_for_selector("body[data-ready='1']")
    # The token was injected into the page and every asset came with it.
    assert page.get_attribute("meta[name='glassnet-token']", "content") == studio_server.token
    assert page.evaluate("typeof window.uPlot") == "function"
    assert page.inner_text("#connection") in ("live", "connecting…")


WATCH = """() => { window.seen = {points: [], steps: []};
    const watch = (selector, attribute, into) => new MutationObserver(() => {
        const value = document.querySelector(selector).getAttribute(attribute);
        if (value !== '' && into[into.length - 1] !== value) into.push(value);
    }).observe(document.querySelector(selector), {attributes: true,
                                                  attributeFilter: [attribute]});
    watch('#curve-batch', 'data-points', window.seen.points);
    watch('#layer-panel', 'data-step', window.seen.steps); }"""


def test_seed_mlp_curves_grow_and_the_layer_panel_updates(open_studio, browser_context):
    page = open_studio()
    options = page.eval_on_selector_all("#preset-select option", "os => os.map(o => o.value)")
    assert {"seed_mlp", "lenet", "lstm", "deep_sigmoid", "seed001_net"} <= set(options)
    page.evaluate(WATCH)  # every value the chart and the panel show, as they change
    _start_preset(page, "seed_mlp")
    page.wait_for_function(f"({BATCH_POINTS})() >= 2")
    _wait_finished(page)
    page.wait_for_timeout(400)
    points = [int(value) for value in page.evaluate("window.seen.points")]
    assert points[-1] == page.evaluate(BATCH_POINTS) == 60  # 3,000 images / 100, 2 epochs
    assert len(points) >= 3 and points == sorted(points)  # the curve grew while we watched
    steps = [int(value) for value in page.evaluate("window.seen.steps")]
    assert len(steps) >= 2 and steps == sorted(steps), steps  # refreshed on "layers" events
    # The graph is the seed's 784-784-784-10 chain.
    layers = page.eval_on_selector_all("#graph g.node", "gs => gs.map(g => g.dataset.layer)")
    assert len(layers) == 3
    assert "(None, 784)" in page.text_content(f"#graph g.node[data-layer='{layers[0]}']")
    assert "7850" in page.text_content(f"#graph g.node[data-layer='{layers[2]}']")  # 784*10 + 10
    # The layer panel shows the first Dense layer's histograms.
    assert page.get_attribute("#layer-panel", "data-layer") == layers[0]
    assert page.locator("#layer-panel canvas[data-hist]").count() >= 7
    # Click the last layer: the panel follows.
    page.click(f"#graph g.node[data-layer='{layers[2]}']")
    page.wait_for_selector(f"#layer-panel[data-layer='{layers[2]}']:not([data-step=''])")
    # Per epoch: training and validation curves, two epochs.
    epochs = page.evaluate("window.glassnetStudio.training.view.charts.epoch.plot.data")
    assert epochs[0] == [0, 1] or epochs[0] == [1, 2]
    labels = page.eval_on_selector_all("#curve-epoch .u-series .u-label",
                                       "ls => ls.map(l => l.textContent)")
    assert "loss" in labels and "val_loss" in labels
    # A new tab renders the whole run from /api/state.
    other = browser_context.new_page()
    try:
        other.goto(page.url)
        other.wait_for_selector("body[data-ready='1']")
        other.wait_for_function(f"({BATCH_POINTS})() > 0")
        assert other.evaluate(BATCH_POINTS) == page.evaluate(BATCH_POINTS)
        assert other.locator("#graph g.node").count() == 3
    finally:
        other.close()


def test_pause_step_resume_and_a_new_learning_rate(open_studio):
    page = open_studio()
    page.select_option("#preset-select", "seed_mlp")
    page.set_checked("#preset-quick", True)
    page.click("#preset-start")
    # Pause at once (the run pauses after the batch it is in), long before its 60 batches end.
    page.wait_for_function(
        "() => { const s = window.glassnetStudio.store; const r = s.runs[s.currentRun];"
        " return r && r.params && r.params.preset === 'seed_mlp' && r.status === 'running'; }")
    page.click("#btn-pause")
    page.wait_for_selector("#run-status[data-status='paused']")
    page.wait_for_timeout(400)  # the chart redraws at most every 150 ms
    paused_at = _step(page)
    points = page.evaluate(BATCH_POINTS)
    page.wait_for_timeout(1200)
    assert _step(page) == paused_at  # paused: no batch ran
    assert page.evaluate(BATCH_POINTS) == points == paused_at + 1  # steps count from 0
    page.click("#btn-step")
    page.wait_for_function(f"document.querySelector('#status-step').textContent === "
                           f"'{paused_at + 1}'")
    page.wait_for_selector("#run-status[data-status='paused']")
    page.wait_for_timeout(800)
    assert _step(page) == paused_at + 1  # exactly one batch
    # A new learning rate, applied while paused, is used by the next batch.
    page.fill("#lr-input", "0.0123")
    page.click("#lr-apply")
    page.wait_for_function("document.querySelector('#status-lr').textContent === '0.0123'")
    page.click("#btn-step")
    page.wait_for_function(f"document.querySelector('#status-step').textContent === "
                           f"'{paused_at + 2}'")
    page.wait_for_function(f"({BATCH_POINTS})() === {paused_at + 3}")
    assert page.evaluate(LAST_LEARNING_RATE) == pytest.approx(0.0123, rel=1e-5)
    page.click("#btn-resume")
    page.wait_for_function(f"Number(document.querySelector('#status-step').textContent) > "
                           f"{paused_at + 3}")
    _wait_finished(page)
    assert page.evaluate(LAST_LEARNING_RATE) == pytest.approx(0.0123, rel=1e-5)


def test_deep_sigmoid_shows_the_first_layer_gradient_vanish(open_studio):
    page = open_studio()
    _start_preset(page, "deep_sigmoid")
    page.wait_for_selector("#grad-table tr[data-layer]")
    _wait_finished(page)
    page.wait_for_timeout(400)
    rows = page.eval_on_selector_all(
        "#grad-table tr[data-layer]",
        "rs => rs.map(r => [r.dataset.layer,"
        " Number(r.querySelector('[data-field=mean_abs_grad]').dataset.value)])")
    dense = [(name, value) for name, value in rows if value > 0]
    assert len(dense) >= 10  # seed 004: ten Dense(64) sigmoid layers (+ the output layer)
    first, last = dense[0][1], dense[-1][1]
    assert last / first > 100, rows  # two orders of magnitude or more
    # The log-scale chart of every layer's mean |grad| has one series per layer.
    series = page.evaluate("window.glassnetStudio.training.view.charts.grad.plot.series.length")
    assert series - 1 == len(dense)


def _cell(page, row, column):
    return page.inner_text(f"#stepper-table td[data-row='{row}'][data-column='{column}']")


def test_stepper_fills_table_2_2_cell_by_cell(open_studio):
    page = open_studio(hash="stepper")
    page.wait_for_selector("#stepper-select option[value='seed002_chain']", state="attached")
    page.select_option("#stepper-select", "seed002_chain")
    page.wait_for_selector("#stepper-table[data-layout='table_2_2'] td[data-row='x']")
    filled = "() => document.querySelectorAll('#stepper-table td.filled').length"
    assert page.evaluate(filled) == 0
    page.click("#stepper-next")
    assert page.evaluate(filled) == 1
    assert _cell(page, "x", 1) == "2.000"
    assert page.get_attribute("#stepper-graph g.node.current", "data-node") == "x"
    page.click("#stepper-next")
    assert page.get_attribute("#stepper-graph g.node.current", "data-node") == "a"
    page.click("#stepper-back")
    assert page.evaluate(filled) == 1 and _cell(page, "a", 1) == ""
    for _ in range(40):
        if _cell(page, "delta_x", 2):
            break
        page.click("#stepper-next")
    for (row, column), value in TABLE_2_2.items():
        assert _cell(page, row, column) == value, (row, column)
    assert page.inner_text("#stepper-phase") in ("backward", "update", "forward")


def test_stepper_linear_example_reaches_z_162_and_its_gradients(open_studio):
    page = open_studio(hash="stepper")
    page.wait_for_selector("#stepper-select option[value='seed002_linear']", state="attached")
    page.select_option("#stepper-select", "seed002_linear")
    page.wait_for_selector("#stepper-table td[data-row='z']")
    for _ in range(60):
        if _cell(page, "z", "value"):
            break
        page.click("#stepper-next")
    assert float(_cell(page, "z", "value")) == 162.0  # (2*3 + 3*4) * (2*4 + 1)
    assert _cell(page, "w", "grad") == ""  # backward has not started
    page.click("#stepper-end")
    assert float(_cell(page, "w", "grad")) == 18.0  # dz/dw = 2y
    assert float(_cell(page, "b", "grad")) == 63.0  # dz/db = 3y + 2x
    update = page.inner_text("#stepper-update")
    assert "18" in update and "63" in update


def test_playground_trains_on_xor_and_exports_its_script(open_studio):
    page = open_studio(hash="playground")
    page.select_option("#pg-dataset", "xor")
    page.fill("#pg-epochs", "60")
    page.fill("#pg-hidden", "4,4")
    page.click("#pg-start")
    page.wait_for_function("document.querySelector('#pg-loss').dataset.value !== ''")
    first = float(page.get_attribute("#pg-loss", "data-value"))
    page.wait_for_selector("#pg-status[data-status='finished']", timeout=60_000)
    page.wait_for_timeout(300)
    last = float(page.get_attribute("#pg-loss", "data-value"))
    assert last < first * 0.7, (first, last)
    assert re.fullmatch(r"[0-9.e+-]+", page.inner_text("#pg-loss"))
    assert int(page.get_attribute("#pg-canvas", "data-drawn")) >= 2
    # The boundary is painted in both class colours (orange and blue), not left blank.
    colours = page.evaluate("""() => {
        const c = document.querySelector('#pg-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let orange = 0, blue = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i] > d[i + 2] + 40) orange++; else if (d[i + 2] > d[i] + 40) blue++;
        }
        return [orange, blue, d.length / 4]; }""")
    assert colours[0] > colours[2] * 0.1 and colours[1] > colours[2] * 0.1
    neurons = page.locator("#pg-neurons canvas.neuron-map").count()
    assert neurons == 8  # every neuron of the two hidden layers of 4
    page.click("#pg-export")
    page.wait_for_selector("#pg-export-card:not([hidden])")
    script = page.inner_text("#pg-script")
    assert "from glassnet import keras" in script
    assert "'xor'" in script or '"xor"' in script


def test_language_switch_relabels_everything(open_studio):
    page = open_studio()
    assert page.inner_text("#tab-training") == "Training"
    assert page.inner_text("#btn-pause") == "Pause"
    english_preset = page.inner_text("#preset-select option[value='seed_mlp']")
    page.click("#lang-toggle")
    assert page.inner_text("#tab-training") == "训练"
    assert page.inner_text("#tab-stepper") == "反向传播单步"
    assert page.inner_text("#btn-pause") == "暂停"
    assert page.get_attribute("html", "lang") == "zh-CN"
    chinese_preset = page.inner_text("#preset-select option[value='seed_mlp']")
    assert chinese_preset != english_preset and "种子" in chinese_preset  # the server's zh text
    page.click("#tab-stepper")
    page.wait_for_selector("#stepper-table th")
    assert page.inner_text("#stepper-next") == "下一步"
    page.click("#lang-toggle")
    assert page.inner_text("#tab-training") == "Training"
    assert page.inner_text("#stepper-next") == "Next"
    assert page.inner_text("#preset-select option[value='seed_mlp']") == english_preset


def test_playground_upload_accepts_numeric_csv_and_explains_a_bad_one(open_studio):
    page = open_studio(hash="playground")
    rows = "\n".join(f"{x / 10:.1f},{(x * 7 % 10) / 10:.1f},{x % 2}" for x in range(60))
    page.set_input_files("#pg-upload", files=[{"name": "points.csv", "mimeType": "text/csv",
                                               "buffer": rows.encode()}])
    page.wait_for_selector("#pg-upload-status[data-ok='1']")
    assert page.eval_on_selector("#pg-dataset", "s => s.value").startswith("upload:")
    assert "60" in page.inner_text("#pg-upload-status")
    page.set_input_files("#pg-upload", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                               "buffer": b"1,2,0\n3,oops,1\n" * 20}])
    page.wait_for_selector("#pg-upload-status[data-ok='0']")
    message = page.inner_text("#pg-upload-status")
    assert "oops" in message or "row" in message.lower(), message
    page.click("#lang-toggle")  # the server's reason is bilingual; the page shows it picked
    page.set_input_files("#pg-upload", files=[{"name": "bad2.csv", "mimeType": "text/csv",
                                               "buffer": b"1,2,0\n3,oops,1\n" * 20}])
    page.wait_for_function("document.querySelector('#pg-upload-status').textContent !== "
                           f"{message!r}")
    assert re.search(r"[\u4e00-\u9fff]", page.inner_text("#pg-upload-status"))

"""glassnet.backend: the array module, and retain_freed_memory() (speed only, never results)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn

ROOT = Path(__file__).resolve().parents[1]

# trains a small conv net for a few steps and prints its final weights' checksum and the
# allocator call's result; run in fresh interpreters because mallopt is process-wide
_SCRIPT = """
import json, sys
import numpy as np
import glassnet as gn
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
gn.config.retain_memory = sys.argv[1] == "retain"   # fit applies it (or not)
gn.manual_seed(0)
rng = np.random.default_rng(0)
x = rng.random((64, 12, 12, 1), dtype=np.float32)
y = rng.integers(0, 3, 64)
model = gn.Sequential([Conv2D(4, 3, activation="relu", input_shape=(12, 12, 1)),
                       MaxPooling2D(2), Flatten(), Dense(3)])
model.compile(optimizer="adam", loss=gn.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x, y, batch_size=16, epochs=2, verbose=0)
weights = [w.tolist() for w in model.get_weights()]
print(json.dumps({"retained": gn.config.retain_memory, "weights": weights}))
"""


def _run(mode):
    out = subprocess.run([sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_xp_is_numpy():
    assert gn.backend.xp is np


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_retain_freed_memory_changes_speed_not_results():
    plain, retained = _run("plain"), _run("retain")
    assert retained["retained"] is True and plain["retained"] is False
    for a, b in zip(plain["weights"], retained["weights"], strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_glibc_accepts_both_settings():
    assert gn.backend.retain_freed_memory() is True


@pytest.mark.parametrize("enabled", [True, False])
def test_fit_applies_it_only_while_config_says_so(monkeypatch, enabled):
    calls = []
    monkeypatch.setattr(gn.backend, "retain_freed_memory", lambda: calls.append(1) or True)
    monkeypatch.setattr(gn.config, "retain_memory", enabled)
    model = gn.Sequential([gn.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32), verbose=0)
    assert calls == ([1] if enabled else [])


def test_retain_freed_memory_is_a_no_op_off_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert gn.backend.retain_freed_memory() is False

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
retained = gn.backend.retain_freed_memory() if sys.argv[1] == "retain" else None
gn.manual_seed(0)
rng = np.random.default_rng(0)
x = rng.random((64, 12, 12, 1), dtype=np.float32)
y = rng.integers(0, 3, 64)
model = gn.Sequential([Conv2D(4, 3, activation="relu", input_shape=(12, 12, 1)),
                       MaxPooling2D(2), Flatten(), Dense(3)])
model.compile(optimizer="adam", loss=gn.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x, y, batch_size=16, epochs=2, verbose=0)
weights = [w.tolist() for w in model.get_weights()]
print(json.dumps({"retained": retained, "weights": weights}))
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
    assert retained["retained"] is True  # glibc accepted both settings
    assert plain["retained"] is None
    for a, b in zip(plain["weights"], retained["weights"], strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_retain_freed_memory_is_a_no_op_off_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert gn.backend.retain_freed_memory() is False

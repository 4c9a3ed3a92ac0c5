import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import AdamW
from tests.optimizers.helpers import assert_close, run_optimizer, run_reference
from tests.optimizers.test_adam import reference


def test_defaults_are_keras():
    opt = AdamW()
    assert (opt.learning_rate, opt.weight_decay, opt.beta_1, opt.beta_2, opt.epsilon) == (
        0.001, 0.004, 0.9, 0.999, 1e-7)


def test_decay_only_step_by_hand():
    w = gn.tensor(np.array([2.0]))
    AdamW(learning_rate=0.1, weight_decay=0.5).apply_gradients([(np.array([0.0]), w)])
    assert_close(w.data, [2.0 * (1 - 0.1 * 0.5)])


@pytest.mark.parametrize("amsgrad", [False, True])
def test_matches_formula(amsgrad):
    got = run_optimizer(AdamW(0.1, weight_decay=0.2, amsgrad=amsgrad), steps=6)
    assert_close(got, run_reference(reference(0.1, amsgrad=amsgrad, wd=0.2), steps=6))


def test_weight_decay_is_required_and_decoupled():
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="weight_decay_mode"):
        AdamW(weight_decay_mode="coupled")
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=-0.1)


def test_float32_stays_float32():
    w = gn.tensor(np.ones(2, dtype=np.float32))
    AdamW(0.1).apply_gradients([(np.ones(2), w)])
    assert w.dtype == np.float32

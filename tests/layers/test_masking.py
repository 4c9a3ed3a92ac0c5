"""Keras masks: Embedding(mask_zero=True) makes a mask, layers that keep the
timesteps pass it on, recurrent layers use it (and keep it only with return_sequences).

The checks compare a padded batch with the same sequences unpadded: if the mask did not reach
the recurrent layers, the padding steps would change their states and the outputs would differ.
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import GRU, LSTM, Bidirectional, Conv1D, Dense, Dropout, Embedding, Input

PADDED = np.array([[3, 5, 2, 0, 0], [4, 1, 0, 0, 0]])
UNPADDED = [np.array([[3, 5, 2]]), np.array([[4, 1]])]


def _same_as_unpadded(model):
    out = model(PADDED).data
    for row, tokens in enumerate(UNPADDED):
        np.testing.assert_allclose(out[row], model(tokens).data[0], rtol=1e-5, atol=1e-6)


def test_sequential_embedding_mask_reaches_stacked_recurrent_layers():
    gn.manual_seed(0)
    _same_as_unpadded(gn.Sequential([Embedding(10, 4, mask_zero=True),
                                     LSTM(6, return_sequences=True), Dropout(0.2),
                                     Bidirectional(GRU(3)), Dense(2)]))


def test_functional_model_propagates_the_mask():
    gn.manual_seed(1)
    tokens = Input(shape=(None,), dtype="int64")
    h = Dense(5, activation="tanh")(Embedding(10, 4, mask_zero=True)(tokens))
    _same_as_unpadded(gn.Model(tokens, Dense(2)(LSTM(6)(h))))


def test_which_outputs_carry_a_mask():
    gn.manual_seed(2)
    embedded = Embedding(10, 4, mask_zero=True)(PADDED)
    np.testing.assert_array_equal(embedded._keras_mask, PADDED != 0)
    sequence = LSTM(3, return_sequences=True)(embedded)
    np.testing.assert_array_equal(sequence._keras_mask, PADDED != 0)
    assert getattr(LSTM(3)(embedded), "_keras_mask", None) is None  # last step only
    assert getattr(Conv1D(2, 1)(embedded), "_keras_mask", None) is None  # no masking support
    assert getattr(Embedding(10, 4)(PADDED), "_keras_mask", None) is None  # mask_zero off


def test_an_explicit_mask_wins():
    gn.manual_seed(3)
    embedded = Embedding(10, 4, mask_zero=True)(PADDED)
    lstm = LSTM(3)
    everything = np.ones_like(PADDED, dtype=bool)
    unmasked = lstm(embedded, mask=everything).data
    masked = lstm(embedded).data
    assert not np.allclose(unmasked, masked)  # the padding steps count when told to


def test_the_loss_of_a_masked_sequence_output_ignores_padding_steps():
    """Keras: padded steps weigh 0 and the mean is over the unmasked steps only."""
    gn.manual_seed(4)
    model = gn.Sequential([Embedding(10, 4, mask_zero=True), LSTM(5, return_sequences=True),
                           Dense(3)])
    targets = np.array([[1, 2, 0, 0, 0], [2, 0, 0, 0, 0]])
    logits = model(PADDED)
    np.testing.assert_array_equal(logits._keras_mask, PADDED != 0)
    loss = gn.losses.SparseCategoricalCrossentropy(from_logits=True)
    z = logits.data.astype(np.float64)
    log_p = z - z.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    per_step = -np.take_along_axis(log_p, targets[..., None], -1)[..., 0]
    valid = PADDED != 0
    assert loss(targets, logits).item() == pytest.approx(per_step[valid].mean(), rel=1e-5)
    summed = gn.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    assert summed(targets, logits).item() == pytest.approx(per_step[valid].sum(), rel=1e-5)
    weights = np.array([2.0, 1.0])
    expected = (per_step * weights[:, None])[valid].sum() / valid.sum()
    assert loss(targets, logits, sample_weight=weights).item() == pytest.approx(expected,
                                                                                rel=1e-5)
    # through compile/evaluate too: what the padded steps' targets say never counts
    model.compile(optimizer="adam", loss=loss)
    other = np.where(valid, targets, 2)
    assert model.evaluate(PADDED, targets, verbose=0) == pytest.approx(
        model.evaluate(PADDED, other, verbose=0), rel=1e-6)
    assert model.evaluate(PADDED, targets, verbose=0) == pytest.approx(
        per_step[valid].mean(), rel=1e-5)


def test_metrics_of_a_masked_sequence_output_count_unmasked_steps_only():
    gn.manual_seed(5)
    model = gn.Sequential([Embedding(10, 4, mask_zero=True), LSTM(5, return_sequences=True),
                           Dense(3)])
    model.compile(optimizer="adam",
                  loss=gn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    valid = PADDED != 0
    predicted = model.predict(PADDED, verbose=0).argmax(-1)
    targets = np.where(valid, predicted, 0)  # every unmasked step right
    targets[0, 0] = (predicted[0, 0] + 1) % 3  # ... but one
    wrong_padding = np.where(valid, targets, (predicted + 1) % 3)  # padded steps all wrong
    for y in (targets, wrong_padding):
        _, accuracy = model.evaluate(PADDED, y, verbose=0)
        assert accuracy == pytest.approx((valid.sum() - 1) / valid.sum())

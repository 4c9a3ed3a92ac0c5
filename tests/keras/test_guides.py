"""The Keras 3 developer guides, run statement by statement against ``glassnet.keras``.

``tests/keras/guide_runner.py`` runs each guide of ``<repo>/../shared/keras_guides`` (see its
docstring: the guides stay there, third-party code that is read, never copied) with ``keras``
resolving to ``glassnet.keras`` through a shim folder, epochs capped at 2 and MNIST cut to
6,000 / 1,000 samples, exactly as the guides' README describes the Keras 3 reference run. Every
statement that Keras 3 itself completes (``keras3_reference.json``) must complete in glassnet.
The statements Keras 3 does not complete (``tf.data``, ``tf.nn``, downloads, pydot) are out of
scope, as the README says.

A few statements of the training guide import PyTorch (the guide feeds a ``torch.utils.data.
DataLoader`` to ``fit``; the Keras 3 reference run had torch, its backend). PyTorch is not a
glassnet dependency, so without it those statements are checked to fail only for the missing
``torch`` and :func:`test_the_pytorch_statements_complete` is skipped; with it (``pip install
glassnet[bench]``) they must complete like the rest.
"""

import pytest

from tests.keras import guide_runner

#: Statements Keras 3 completes per guide (the README's table); glassnet must complete them all.
KERAS_3_COMPLETES = {
    "functional_api.py": 156,
    "making_new_layers_and_models_via_subclassing.py": 70,
    "sequential_model.py": 61,
    "serialization_and_saving.py": 118,
    "training_with_built_in_methods.py": 143,
    "understanding_masking_and_padding.py": 50,
    "writing_your_own_callbacks.py": 27,
}

#: Statements (first lines) that import or use PyTorch.
NEEDS_TORCH = {"training_with_built_in_methods.py": {15, 686, 698, 699, 706, 709, 718, 721}}

GUIDES = guide_runner.guides_dir()
pytestmark = pytest.mark.skipif(
    GUIDES is None, reason="the Keras guides folder <repo>/../shared/keras_guides is absent"
)


@pytest.fixture(scope="module")
def results():
    return guide_runner.run_all(sorted(KERAS_3_COMPLETES))


def test_the_reference_counts_are_the_readmes():
    reference = guide_runner.load_reference(GUIDES)
    assert sorted(reference) == sorted(KERAS_3_COMPLETES)
    for name, count in KERAS_3_COMPLETES.items():
        assert len(reference[name]["statements_completed_by_keras_3_first_lines"]) == count


@pytest.mark.parametrize("guide", sorted(KERAS_3_COMPLETES))
def test_every_statement_keras_completes_completes(guide, results, capsys):
    result = results[guide]
    with capsys.disabled():
        print(f"\n{guide}: glassnet completes {len(result.passing)} of the "
              f"{len(result.keras_completed)} statements Keras 3 completes "
              f"({result.seconds:.1f} s)")
    assert result.crash is None, f"{guide}: the runner crashed: {result.crash}"
    assert not result.timed_out, f"{guide}: over the time limit"
    assert len(result.keras_completed) == KERAS_3_COMPLETES[guide]
    failing = dict(result.failing)
    if not _has_torch():  # those statements can only fail for the missing torch
        torch_lines = NEEDS_TORCH.get(guide, set())
        for line in torch_lines:
            error = failing.pop(line, "")
            assert "torch" in error or "Torch" in error or "dataloader" in error, (line, error)
    assert not failing, f"{guide}: statements that fail: {failing}"


def _has_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_pytorch_statements_complete(results):
    pytest.importorskip("torch")
    for guide, lines in NEEDS_TORCH.items():
        assert lines <= set(results[guide].keras_completed)
        assert not {line: results[guide].failing[line] for line in lines
                    if line in results[guide].failing}

"""Every ``>>>`` example in glassnet's docstrings runs and prints what it says.

The examples are the first code a reader tries, so they are executed here, module by module,
with :mod:`doctest` (NumPy's array printing as NumPy prints it, glassnet seeded as in every
test). Examples marked ``# doctest: +SKIP`` are the few that need the network (dataset
downloads) or an optional renderer (Graphviz); the test below counts them so that skipping
cannot spread unnoticed.
"""

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import glassnet as gn

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(gn.__path__, prefix="glassnet.")
    if not info.name.endswith("__main__")
    # the kernel modules import numba (the optional [fast] extra) at their top
    and (importlib.util.find_spec("numba") is not None
         or not info.name.startswith("glassnet.kernels."))
)
#: Examples that cannot run here: downloads (no network in tests) and Graphviz rendering.
MAX_SKIPPED_EXAMPLES = 6


def _examples(module):
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [test for test in finder.find(module) if test.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in _examples(module):
        gn.manual_seed(0)
        runner.run(test, out=lambda text: None)
    failed, attempted = runner.summarize(verbose=False)
    if failed:  # run again to show the failing examples in the report
        report = []
        for test in _examples(module):
            gn.manual_seed(0)
            doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
            ).run(test, out=report.append)
        pytest.fail(f"{failed} of {attempted} docstring examples failed in {name}:\n"
                    + "".join(report))


def test_the_examples_are_many_and_few_are_skipped():
    total = skipped = 0
    for name in MODULES:
        for test in _examples(importlib.import_module(name)):
            total += len(test.examples)
            skipped += sum(bool(e.options.get(doctest.SKIP)) for e in test.examples)
    assert total >= 400, f"only {total} docstring examples found: did the finder break?"
    assert skipped <= MAX_SKIPPED_EXAMPLES, f"{skipped} examples are marked +SKIP"

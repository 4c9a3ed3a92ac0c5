import importlib.util
import pathlib

import numpy as np

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "optimizers_compared.py"


def test_example_runs_and_writes_its_table(tmp_path):
    spec = importlib.util.spec_from_file_location("optimizers_compared", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--quick", "--steps", "30", "--out", str(tmp_path)])
    assert len(results) == 2 * 9
    assert (tmp_path / "optimizers_compared.md").read_text().count("\n") == 2 + 18
    assert (tmp_path / "optimizers_compared.csv").exists()
    for r in results:
        assert len(r["path"]) == 31 and np.all(np.isfinite(r["path"]))
        # every optimizer makes progress on both surfaces from the common start
        assert r["final_loss"] < r["losses"][0] or r["optimizer"] == "Adadelta"

"""The guide runner's own pieces: rewrites, statement splitting, finding the guides."""

import pytest

from tests.keras import guide_runner


def test_rewrites_keep_line_numbers_and_change_only_the_named_text():
    source = (
        "(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\n"
        "x_train = x_train.reshape(60000, 784)\n"
        "model.fit(x, y, epochs=3, batch_size=64)\n"
        "epochs = 30\n"
    )
    out = guide_runner.apply_rewrites(source, [
        "line 1: mnist.load_data() -> __kc_mnist__(...)",
        "line 2: 60000 -> 6000",
        "line 3: epochs=3 -> 2",
    ])
    assert out.splitlines() == [
        "(x_train, y_train), (x_test, y_test) = __kc_mnist__()",
        "x_train = x_train.reshape(6000, 784)",
        "model.fit(x, y, epochs=2, batch_size=64)",
        "epochs = 30",
    ]
    with pytest.raises(ValueError, match="not on line 4"):
        guide_runner.apply_rewrites(source, ["line 4: epochs=3 -> 2"])
    with pytest.raises(ValueError, match="expected 'line N: A -> B'"):
        guide_runner.apply_rewrites(source, ["epochs capped"])


def test_statements_start_at_their_def_line_as_in_the_reference():
    source = "import os\n\n@decorate(1)\nclass A:\n    pass\nx = (1,\n     2)\n"
    assert [line for line, _ in guide_runner.split_statements(source, "g.py")] == [1, 4, 6]


def test_worktree_guides_are_found_beside_the_main_checkout(tmp_path):
    main = tmp_path / "main"
    (main / ".git" / "worktrees" / "w").mkdir(parents=True)
    worktree = tmp_path / "wt" / "w"
    worktree.mkdir(parents=True)
    (worktree / ".git").write_text(f"gitdir: {main / '.git' / 'worktrees' / 'w'}\n")
    assert guide_runner.main_checkout_root(worktree) == main
    assert guide_runner.guides_dir(worktree) is None
    guides = tmp_path / "shared" / "keras_guides"
    guides.mkdir(parents=True)
    (guides / guide_runner.REFERENCE_NAME).write_text("{}")
    assert guide_runner.guides_dir(worktree) == guides
    assert guide_runner.guides_dir(main) == guides


def test_result_counts_only_keras_completed_statements():
    result = guide_runner.GuideResult("g.py", [1, 4, 9], errors={4: "E: x", 5: "E: y"},
                                      completed=[1, 2])
    assert result.passing == [1]
    assert result.failing == {4: "E: x", 9: "not reached (time limit)"}
    assert "g.py" in guide_runner.table({"g.py": result})

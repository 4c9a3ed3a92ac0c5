"""Seed 003: learning-rate schedules, MindSpore-style lists and Keras schedule objects.

Reproduces seed 003's optimizer section on dynamic step sizes (动态调整步长): MindSpore's list
functions, with the seed's worked example ::

    exponential_decay_lr(0.1, 0.9, total_step=6, step_per_epoch=2, decay_epoch=1)
    >>> [0.1, 0.1, 0.09000000000000001, 0.09000000000000001, 0.08100000000000002, ...]

(lr[i] = learning_rate * decay_rate ** (current_epoch / decay_epoch), current_epoch =
floor(i / step_per_epoch)), and the TensorFlow 2 counterparts in
``tf.keras.optimizers.schedules``. glassnet has both: ``glassnet.schedules.exponential_decay_lr``
and friends return the per-step list (which any glassnet optimizer accepts as its
``learning_rate``), and ``ExponentialDecay``, ``InverseTimeDecay``, ``PolynomialDecay``,
``PiecewiseConstantDecay`` and ``CosineDecay`` are Keras's schedule objects (callables of the
step). The script prints the seed's list, then writes every schedule's first steps as
``schedules.md``/``schedules.csv``.

All schedules here share one setting: initial rate 0.1, 10 steps per epoch, 100 steps.

Figures (PNG, via ``glassnet.viz.plot_schedules``; skipped when matplotlib is missing):

* ``seed_example.png``: the seed's six-step list as a staircase: 0.1 for steps 0-1, 0.09 for
  2-3, 0.081 for 4-5 (each epoch of two steps keeps one rate).
* ``mindspore_lists.png``: the MindSpore-style lists over 100 steps: exponential (0.9 per
  epoch, smooth steps every epoch) and its ``is_stair`` variant (drops every 3 epochs),
  natural_exp, inverse-time, cosine (from 0.1 towards 0.01 over decay_epoch = 10 epochs, a
  half cosine made of per-epoch steps; 0.0122 in the tenth epoch), polynomial (power 2,
  towards 0.01), piecewise constant (0.1 / 0.05 / 0.01 from steps 30 and 70) and linear
  warmup (0 in the first epoch, rising to 0.1 at epoch 3, then flat). The legend sits right of
  the axes.
* ``keras_schedules.png``: Keras's schedule objects evaluated at every step: the same shapes
  but continuous in the step (ExponentialDecay with decay_steps 10 is the smooth curve under
  which the MindSpore staircase sits; the staircase=True variant matches ``is_stair``).
  PiecewiseConstantDecay switches one step later than ``piecewise_constant_lr`` (Keras keeps
  ``values[0]`` while step <= boundary, MindSpore's milestone is the first step of the next
  rate).

Run:
    python examples/seed003_schedules.py [--quick] [--out DIR]
"""

import argparse
import csv
from pathlib import Path

from glassnet import schedules as S

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
TOTAL, PER_EPOCH, LR = 100, 10, 0.1


def seed_example():
    """The seed's call: exponential_decay_lr(0.1, 0.9, 6, 2, 1)."""
    return S.exponential_decay_lr(learning_rate=0.1, decay_rate=0.9, total_step=6,
                                  step_per_epoch=2, decay_epoch=1)


def mindspore_lists():
    return {
        "exponential_decay_lr(0.9)": S.exponential_decay_lr(LR, 0.9, TOTAL, PER_EPOCH, 1),
        "exponential_decay_lr(0.7, stair 3)": S.exponential_decay_lr(LR, 0.7, TOTAL, PER_EPOCH,
                                                                     3, is_stair=True),
        "natural_exp_decay_lr(0.2)": S.natural_exp_decay_lr(LR, 0.2, TOTAL, PER_EPOCH, 1),
        "inverse_decay_lr(0.5)": S.inverse_decay_lr(LR, 0.5, TOTAL, PER_EPOCH, 1),
        "cosine_decay_lr(0.01, 0.1)": S.cosine_decay_lr(0.01, LR, TOTAL, PER_EPOCH, 10),
        "polynomial_decay_lr(power 2)": S.polynomial_decay_lr(LR, 0.01, TOTAL, PER_EPOCH, 10,
                                                              2.0),
        "piecewise_constant_lr": S.piecewise_constant_lr([30, 70, TOTAL], [LR, 0.05, 0.01]),
        "warmup_lr(3 epochs)": S.warmup_lr(LR, TOTAL, PER_EPOCH, 3),
    }


def keras_schedules():
    return {
        "ExponentialDecay(10, 0.9)": S.ExponentialDecay(LR, decay_steps=PER_EPOCH,
                                                        decay_rate=0.9),
        "ExponentialDecay(30, 0.7, staircase)": S.ExponentialDecay(LR, 3 * PER_EPOCH, 0.7,
                                                                   staircase=True),
        "InverseTimeDecay(10, 0.5)": S.InverseTimeDecay(LR, PER_EPOCH, 0.5),
        "CosineDecay(100, alpha 0.1)": S.CosineDecay(LR, TOTAL, alpha=0.1),
        "PolynomialDecay(100, 0.01, 2)": S.PolynomialDecay(LR, TOTAL, 0.01, power=2.0),
        "PiecewiseConstantDecay([30, 70])": S.PiecewiseConstantDecay([30, 70],
                                                                     [LR, 0.05, 0.01]),
    }


def write_table(out, lists, objects, shown=(0, 1, 9, 10, 29, 30, 50, 70, 99)):
    header = ["schedule", *(f"step {s}" for s in shown)]
    rows = [[name, *(f"{values[s]:.5f}" for s in shown)] for name, values in lists.items()]
    rows += [[name, *(f"{fn(s):.5f}" for s in shown)] for name, fn in objects.items()]
    with open(out / "schedules.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    lines = ["# Seed 003: learning-rate schedules (initial rate 0.1, 10 steps per epoch)", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    (out / "schedules.md").write_text(text, encoding="utf-8")
    return text


def draw(viz, schedules, path, title, steps=TOTAL):
    """plot_schedules with the legend moved to the right of the axes."""
    fig = viz.plot_schedules(schedules, steps=steps)
    ax = fig.axes[0]
    ax.set_title(title)
    fig.set_size_inches(10.0, 4.0)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
    viz.save_figure(fig, path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="same as the default (instant)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    example = seed_example()
    print("exponential_decay_lr(0.1, 0.9, 6, 2, 1) =", example)
    lists, objects = mindspore_lists(), keras_schedules()
    print(write_table(out, lists, objects))

    figures = []
    try:
        from glassnet import viz

        viz.plot_schedules({"exponential_decay_lr(0.1, 0.9, 6, 2, 1)": example},
                           path=out / "seed_example.png")
        figures = [out / "seed_example.png",
                   draw(viz, lists, out / "mindspore_lists.png", "MindSpore-style lists"),
                   draw(viz, objects, out / "keras_schedules.png", "Keras schedule objects")]
        for path in figures:
            print(f"figure: {path}")
    except ImportError as error:
        print(f"skipped the figures: {error}")
    return {"seed_example": example, "lists": lists, "objects": objects, "figures": figures,
            "out": out}


if __name__ == "__main__":
    main()

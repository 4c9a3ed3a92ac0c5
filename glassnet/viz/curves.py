"""Curves over time: learning curves, fit over time, learning-rate schedules, gradient norms."""

from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.viz._base import (
    integer_ticks,
    label_of,
    line_style,
    new_figure,
    plain_log_labels,
    save_figure,
    to_numpy,
)


def _history_dict(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise GlassnetTypeError(
            "history: expected a History object (with a .history dict) or a dict of lists, "
            f"received {type(history).__name__}"
        )
    return {key: [float(to_numpy(v)) for v in values] for key, values in logs.items()}


def plot_history(history, metrics=None, path=None):
    """Learning curves: one panel per metric, with its ``val_`` counterpart when present.

    The training value is drawn as a solid line with circles, the validation value
    (``val_<metric>``) as a dashed line with squares, against the epoch number (1-based, whole
    numbers only on the x axis); the y axis is labelled with the metric's name.

    Args:
        history: what ``model.fit`` returns (anything with a ``.history`` dict), or a dict
            metric name -> list of per-epoch values, e.g. ``{'loss': [...], 'val_loss': [...]}``.
        metrics: names to plot (default: every key that does not start with ``val_``, in order).
        path: optional file name (``.png``/``.svg``) to save the figure to.

    Returns:
        The matplotlib Figure (one axes per metric, a line per train/validation series).

    Example:
        >>> fig = plot_history({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.5]})
        >>> len(fig.axes), len(fig.axes[0].lines)
        (1, 2)
    """
    logs = _history_dict(history)
    if metrics is None:
        metrics = [k for k in logs if not k.startswith("val_")]
        metrics += [k for k in logs if k.startswith("val_") and k[4:] not in logs]
    elif isinstance(metrics, str):
        metrics = [metrics]
    missing = [m for m in metrics if m not in logs]
    if missing or not metrics:
        raise GlassnetValueError(
            f"metrics: expected names from {sorted(logs)}, received {list(metrics) or 'none'}"
        )
    fig, axes = new_figure(len(metrics), columns=min(len(metrics), 2))
    for ax, name in zip(axes, metrics, strict=True):
        values = logs[name]
        ax.plot(xp.arange(1, len(values) + 1), values, "o-", markersize=3, label="train")
        validation = logs.get("val_" + name)
        if validation is not None and not name.startswith("val_"):
            ax.plot(xp.arange(1, len(validation) + 1), validation, "s--", markersize=3,
                    label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        integer_ticks(ax)
        ax.grid(True, alpha=0.3)
        ax.legend()
    return save_figure(fig, path)


def coinciding(series, rtol=1e-3, atol=1e-6):
    """For each series, the name of an earlier series it coincides with (or None).

    Two series coincide when they have the same length and every value agrees within
    ``|a - b| <= atol + rtol * |b|``: drawn on one axes, the later line hides the earlier one.

    Args:
        series: dict name -> sequence of values.
        rtol, atol: the tolerance.

    Returns:
        dict name -> the first earlier name it coincides with, or None.

    Example:
        >>> coinciding({"Adam": [1.0, 0.5], "AdamW": [1.0, 0.5000001], "SGD": [1.0, 0.9]})
        {'Adam': None, 'AdamW': 'Adam', 'SGD': None}
    """
    arrays = {name: to_numpy(v, xp.float64).reshape(-1) for name, v in series.items()}
    found = {}
    for i, (name, values) in enumerate(arrays.items()):
        found[name] = next((earlier for earlier, other in list(arrays.items())[:i]
                            if other.shape == values.shape
                            and bool(xp.allclose(values, other, rtol=rtol, atol=atol))), None)
    return found


def plot_curves(series, xlabel="epoch", ylabel="value", title=None, log_scale=False, ax=None,
                path=None):
    """Several runs' curves on one axes, each with its own colour, dash pattern and marker.

    A curve that coincides with an earlier one (see :func:`coinciding`) would hide it, so its
    legend entry says so ("AdamW (coincides with Adam)") and it is drawn underneath, thick and
    translucent with large hollow markers, so both stay visible.
    The x values are 1, 2, ... (epochs or steps; integer ticks).

    Args:
        series: dict name -> sequence of per-epoch (or per-step) values.
        xlabel, ylabel: axis labels.
        title: optional axes title.
        log_scale: log y axis.
        ax: draw into this Axes (of an existing figure) instead of a new figure.
        path: optional file name (``.png``/``.svg``), used when ``ax`` is None.

    Returns:
        The Figure (``ax``'s figure when given).

    Example:
        >>> fig = plot_curves({"Adam": [0.9, 0.5], "AdamW": [0.9, 0.5]}, ylabel="loss")
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['Adam', 'AdamW (coincides with Adam)']
    """
    if not isinstance(series, dict) or not series:
        raise GlassnetTypeError(
            f"series: expected a non-empty dict name -> values, received {series!r:.80}")
    if ax is None:
        fig, (ax,) = new_figure(1, panel_size=(6.0, 3.8))
    else:
        fig = ax.figure
    same = coinciding(series)
    for i, (name, values) in enumerate(series.items()):
        values = to_numpy(values, xp.float64).reshape(-1)
        label = str(name) if same[name] is None else f"{name} (coincides with {same[name]})"
        style = line_style(i)
        if same[name] is None:
            ax.plot(xp.arange(1, values.size + 1), values, label=label, markersize=4,
                    markevery=max(1, values.size // 15), linewidth=1.5, zorder=2, **style)
        else:  # thick, translucent, hollow large markers: the line on top stays readable
            ax.plot(xp.arange(1, values.size + 1), values, label=label, markersize=10,
                    markevery=max(1, values.size // 15), linewidth=4, alpha=0.6,
                    markerfacecolor="none", markeredgewidth=1.5, zorder=1, **style)
    if log_scale:
        ax.set_yscale("log")
        plain_log_labels(ax)
    if title:
        ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    integer_ticks(ax)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return save_figure(fig, path) if path is not None else fig


def plot_fit_over_time(x, target, predictions_by_step, separate=False, title=None, path=None):
    """The target curve and the model's curve at several training checkpoints (seed 000).

    Args:
        x: 1-D inputs, shape (n,) or (n, 1).
        target: the true curve at ``x`` (e.g. ``sin(x)``), same length.
        predictions_by_step: dict checkpoint -> predictions at ``x`` (shape (n,) or (n, 1)),
            e.g. ``{1000: y1, 5000: y2}``; integer keys are labelled "after 1,000 steps".
        separate: False draws every checkpoint on one axes; True gives one panel per checkpoint
            (the seed's layout: the standard curve plus one dashed fit per picture).
        title: optional figure title.
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: the target as a solid line, each checkpoint as a dashed line.

    Example:
        >>> import numpy as np
        >>> x = np.linspace(0, 2 * np.pi, 50)
        >>> fig = plot_fit_over_time(x, np.sin(x), {10: 0 * x, 100: 0.9 * np.sin(x)})
        >>> len(fig.axes[0].lines)
        3
    """
    x = to_numpy(x, xp.float64).reshape(-1)
    target = to_numpy(target, xp.float64).reshape(-1)
    if target.shape != x.shape:
        raise GlassnetValueError(
            f"target: expected {x.size} values (one per x), received shape {target.shape}"
        )
    steps = list(predictions_by_step)
    fig, axes = new_figure(len(steps) if separate and steps else 1, panel_size=(5.0, 3.5))
    for i, step in enumerate(steps):
        prediction = to_numpy(predictions_by_step[step], xp.float64).reshape(-1)
        if prediction.shape != x.shape:
            raise GlassnetValueError(
                f"predictions_by_step[{step!r}]: expected {x.size} values (one per x), "
                f"received shape {prediction.shape}"
            )
        ax = axes[i] if separate else axes[0]
        label = f"after {step:,} steps" if isinstance(step, int) else str(step)
        if separate or i == 0:
            ax.plot(x, target, "-", linewidth=2, color="black", label="target")
        ax.plot(x, prediction, "--", label=label)
        if separate:
            ax.set_title(label)
    for ax in axes:
        if not steps:
            ax.plot(x, target, "-", linewidth=2, color="black", label="target")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def _schedule_values(schedule, steps):
    if callable(schedule):
        return steps, [float(to_numpy(schedule(int(s)))) for s in steps]
    values = to_numpy(schedule, xp.float64).reshape(-1)
    return xp.arange(values.size), values


def plot_schedules(schedules, steps=100, log_scale=False, path=None):
    """Learning-rate schedules on one axes: lists of per-step rates or callables on the step.

    Args:
        schedules: dict label -> schedule. A schedule is a sequence (value i is step i's rate,
            as ``gn.schedules.exponential_decay_lr`` returns) or a callable ``step -> rate``
            (a Keras ``LearningRateSchedule`` or any function). A single schedule is accepted too.
        steps: for callables, the number of steps (evaluated at 0..steps-1) or the steps to
            evaluate at.
        log_scale: plot the rate on a log axis.
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: one axes, one staircase line per schedule: the rate of step i is drawn
        over [i, i + 1), so the line's data are the steps plus one final point.

    Example:
        >>> fig = plot_schedules({"exp": [0.1, 0.1, 0.09, 0.09], "1/t": lambda s: 0.1 / (1 + s)},
        ...                      steps=4)
        >>> len(fig.axes[0].lines)
        2
    """
    if not isinstance(schedules, dict):
        schedules = {label_of(schedules): schedules}
    steps = xp.arange(int(steps)) if xp.ndim(steps) == 0 else to_numpy(steps).reshape(-1)
    fig, (ax,) = new_figure(1, panel_size=(6.0, 3.8))
    for name, schedule in schedules.items():
        x, values = _schedule_values(schedule, steps)
        if len(x):  # step i's rate holds on [x_i, x_i + 1): a staircase ending at x_last + 1
            x, values = xp.append(x, x[-1] + 1), xp.append(values, values[-1])
        ax.plot(x, values, drawstyle="steps-post", label=str(name))
    if log_scale:
        ax.set_yscale("log")
    ax.set_title("learning-rate schedules")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def plot_gradient_norms(norms_by_layer, log_scale=True, path=None):
    """Per-layer gradient norms: vanishing or exploding gradients at a glance (seed 004).

    Args:
        norms_by_layer: dict layer name -> a norm (one bar per layer, input side first), or
            layer name -> a sequence of norms over training steps (one line per layer).
        log_scale: use a log y axis (norms often span several orders of magnitude).
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure (one axes: bars, or one line per layer).

    Example:
        >>> fig = plot_gradient_norms({"dense": 1e-4, "dense_1": 1e-2, "dense_2": 0.5})
        >>> len(fig.axes[0].patches)
        3
    """
    if not isinstance(norms_by_layer, dict) or not norms_by_layer:
        raise GlassnetTypeError(
            "norms_by_layer: expected a non-empty dict layer name -> norm (or list of norms), "
            f"received {norms_by_layer!r:.80}"
        )
    series = {name: to_numpy(v, xp.float64) for name, v in norms_by_layer.items()}
    fig, (ax,) = new_figure(1, panel_size=(6.0, 3.8))
    if all(v.ndim == 0 for v in series.values()):
        names = [str(n) for n in series]
        ax.bar(xp.arange(len(names)), [float(v) for v in series.values()], color="tab:blue")
        ax.set_xticks(xp.arange(len(names)), names, rotation=30, ha="right")
        ax.set_xlabel("layer (input → output)")
    else:
        for name, values in series.items():
            values = values.reshape(-1)
            ax.plot(xp.arange(values.size), values, label=str(name))
        ax.set_xlabel("step")
        integer_ticks(ax)
        ax.legend()
    if log_scale:
        ax.set_yscale("log")
    ax.set_title("gradient norm per layer")
    ax.set_ylabel("‖∂L/∂W‖")
    ax.grid(True, alpha=0.3)
    return save_figure(fig, path)

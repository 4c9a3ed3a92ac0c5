"""``keras.optimizers.schedules``: re-exports :mod:`glassnet.schedules`."""

from glassnet.schedules import (  # noqa: F401
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
    deserialize,
    serialize,
)

"""Every differentiable primitive of glassnet, one module per family.

math (arithmetic, elementary functions, matmul), reduce, shape, nn (activations, dropout,
fused losses), dense, embedding, conv, pooling, normalization, recurrent (which imports gru);
plus the array helpers they share: activation_arrays (activations on plain arrays) and windows
(convolution and pooling geometry). Importing this package imports them all, which registers
every op class by name with :mod:`glassnet.tensor` (Tensor's operators find their ops there).
"""

from glassnet.ops import (  # noqa: F401 - imported for their op registrations
    activation_arrays,
    conv,
    dense,
    embedding,
    math,
    nn,
    normalization,
    pooling,
    recurrent,
    reduce,
    shape,
    sync_normalization,
    windows,
)

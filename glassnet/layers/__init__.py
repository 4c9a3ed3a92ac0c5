"""Layers: the building blocks of models (one module per family).

``base`` holds :class:`Layer`; ``input_spec``, ``symbolic``, ``recording`` and
``serialization`` the machinery every layer shares (shapes, the functional API's symbolic
calls, the glass box, the layer registry); each family module
(core, conv, pooling, normalization, recurrent, embedding, merge, tree) registers its classes by
name when imported here.
"""

# ruff: noqa: F401  (re-exports)

from glassnet.layers.base import Layer, clear_session
from glassnet.layers.input_spec import InputSpec
from glassnet.layers.recording import recording
from glassnet.layers.serialization import (
    LAYERS,
    deserialize,
    get_layer_class,
    register_layer,
    serialize,
)
from glassnet.layers.symbolic import KerasTensor
from glassnet.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Reshape,
)

# isort: split
# the other families: conv, embedding, merge, normalization, pooling, recurrent, tree
from glassnet.layers.attention import Attention, MultiHeadAttention
from glassnet.layers.conv import Conv1D, Conv2D, Convolution1D, Convolution2D
from glassnet.layers.conv_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
    SeparableConvolution2D,
)
from glassnet.layers.embedding import Embedding
from glassnet.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from glassnet.layers.normalization import BatchNormalization, LayerNormalization
from glassnet.layers.sync_normalization import SyncBatchNormalization
from glassnet.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from glassnet.layers.recurrent import (
    GRU,
    LSTM,
    Bidirectional,
    SimpleRNN,
    TimeDistributed,
)
from glassnet.layers.tree import RecursiveNetwork, TreeBatch
from glassnet.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from glassnet.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from glassnet.layers.regularization import (
    ActivityRegularization,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from glassnet.layers.preprocessing import CategoryEncoding, Normalization, Rescaling
from glassnet.layers.core import Identity, Lambda, Masking

"""Studio presets: the seeds' networks, ready to train and watch.

``PRESETS`` maps a name to a :class:`Preset` (bilingual title and description, and a
``build(quick)`` function); :func:`build` returns the compiled model, its data and the ``fit``
arguments::

    {"model": compiled model, "x": x_train, "y": y_train, "validation_data": (x_val, y_val),
     "fit": {"epochs": int, "batch_size": int}}

* ``seed_mlp``: seed 003's Keras MLP (784-784-784-10, sigmoid, N(0, 0.05) weights,
  categorical cross-entropy, Adam), ``glassnet.cli.build_mlp`` and ``prepare_data``.
* ``lenet``: LeNet-5 (``examples/lenet_mnist.py``), Adam 1e-3, logits + sparse cross-entropy.
* ``lstm``: ``glassnet.cli.build_lstm``: an LSTM(128) reading each image row by row.
* ``deep_sigmoid`` / ``deep_relu``: seed 004's vanishing-gradient experiment
  (``examples/seed004_vanishing_gradients.py``): 10 hidden Dense(64) layers, sigmoid with
  glorot-uniform or relu with he-normal weights, a Dense(10) logits output, SGD 0.05, 1,000
  MNIST images in batches of 100; in the sigmoid net the first layers' gradients are orders of
  magnitude below the last's.
* ``seed001_net``: the 2-3-2 sigmoid network of seed 001 (``examples/seed001_deltas.py``)
  with its fixed weights, one sample, squared error, SGD 0.5.

MNIST comes from :func:`glassnet.datasets.mnist.load_data` (the bundled copy, or the
``data_path`` given, e.g. ``../shared/data/mnist.npz``); nothing is downloaded.

Example:
    >>> from glassnet.studio import presets
    >>> sorted(presets.PRESETS)
    ['deep_relu', 'deep_sigmoid', 'lenet', 'lstm', 'seed001_net', 'seed_mlp']
    >>> run = presets.build("seed001_net", quick=True)
    >>> run["x"].shape, run["fit"]
    ((1, 2), {'epochs': 50, 'batch_size': 1})
"""

from collections import namedtuple

import numpy as np

from glassnet.errors import GlassnetValueError

Preset = namedtuple("Preset", ["title", "description", "build"])

_MNIST_CACHE = {}


def _text(en, zh):
    return {"en": en, "zh": zh}


def _mnist(data_path=None):
    """MNIST as uint8 arrays, loaded once per path."""
    if data_path not in _MNIST_CACHE:
        from glassnet.datasets import mnist

        _MNIST_CACHE[data_path] = mnist.load_data(data_path)
    return _MNIST_CACHE[data_path]


def _images(shape, n_train, n_val, data_path=None):
    (x_train, y_train), (x_val, y_val) = _mnist(data_path)
    x_train, y_train = x_train[:n_train], y_train[:n_train]
    x_val, y_val = x_val[:n_val], y_val[:n_val]
    x_train = x_train.reshape((len(x_train), *shape)).astype(np.float32) / 255
    x_val = x_val.reshape((len(x_val), *shape)).astype(np.float32) / 255
    return x_train, y_train.astype(np.int64), x_val, y_val.astype(np.int64)


def _result(model, x, y, validation_data, epochs, batch_size):
    return {"model": model, "x": x, "y": y, "validation_data": validation_data,
            "fit": {"epochs": epochs, "batch_size": batch_size}}


# ============================================================================ the presets
def _seed_mlp(quick, data_path=None):
    from glassnet import cli, optimizers

    if quick:
        (x, y), validation, _ = cli.prepare_data("mlp", True, data_path, train_samples=3000,
                                                 val_samples=500)
    else:
        (x, y), validation, _ = cli.prepare_data("mlp", False, data_path)
    model = cli.build_mlp()
    model.compile(loss="categorical_crossentropy", optimizer=optimizers.Adam(),
                  metrics=["accuracy"])
    return _result(model, x, y, validation, 2 if quick else 20, 100 if quick else 200)


def _lenet(quick, data_path=None):
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from glassnet.losses import SparseCategoricalCrossentropy
    from glassnet.models import Sequential
    from glassnet.optimizers import Adam

    x, y, xv, yv = _images((28, 28, 1), 1000 if quick else 60000, 200 if quick else 10000,
                           data_path)
    model = Sequential([
        Conv2D(6, (5, 5), padding="same", activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(16, (5, 5), activation="relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(120, activation="relu"),
        Dense(84, activation="relu"),
        Dense(10),
    ], name="lenet5")
    model.compile(optimizer=Adam(learning_rate=1e-3),
                  loss=SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return _result(model, x, y, (xv, yv), 1 if quick else 10, 64 if quick else 128)


def _lstm(quick, data_path=None):
    from glassnet import cli, optimizers

    x, y, xv, yv = _images((28, 28), 1000 if quick else 60000, 200 if quick else 10000,
                           data_path)
    model = cli.build_lstm()
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizers.Adam(),
                  metrics=["accuracy"])
    return _result(model, x, y, (xv, yv), 1 if quick else 5, 64 if quick else 128)


DEEP_DEPTH, DEEP_WIDTH = 10, 64


def _deep(activation, initializer, quick, data_path=None):
    from glassnet.layers import Dense
    from glassnet.losses import CategoricalCrossentropy
    from glassnet.models import Sequential
    from glassnet.optimizers import SGD
    from glassnet.utils import to_categorical

    x, y, xv, yv = _images((784,), 1000, 200, data_path)
    layers = [Dense(DEEP_WIDTH, activation=activation, kernel_initializer=initializer,
                    **({"input_shape": (784,)} if i == 0 else {})) for i in range(DEEP_DEPTH)]
    model = Sequential([*layers, Dense(10, kernel_initializer=initializer)],
                       name=f"deep_{activation}")
    model.compile(optimizer=SGD(learning_rate=0.05),
                  loss=CategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return _result(model, x, to_categorical(y, 10), (xv, to_categorical(yv, 10)),
                   3 if quick else 30, 100)


def _seed001_net(quick, data_path=None):
    from glassnet.layers import Dense
    from glassnet.models import Sequential
    from glassnet.optimizers import SGD
    from glassnet.studio import stepper

    model = Sequential([Dense(3, activation="sigmoid", input_shape=(2,), dtype="float64"),
                        Dense(2, activation="sigmoid", dtype="float64")], name="seed001_net")
    model.set_weights([stepper.W1, stepper.B1, stepper.W2, stepper.B2])
    # for two outputs, Keras's mean squared error is the seed's L = 1/2 sum (t - y)^2
    model.compile(optimizer=SGD(learning_rate=stepper.NET_LEARNING_RATE),
                  loss="mean_squared_error")
    x, t = stepper.X.copy(), stepper.T.copy()
    return _result(model, x, t, (x.copy(), t.copy()), 50 if quick else 500, 1)


PRESETS = {
    "seed_mlp": Preset(
        _text("Seed 003: the MNIST MLP (784-784-784-10, sigmoid)",
              "种子 003:MNIST 多层感知机(784-784-784-10,sigmoid)"),
        _text("Seed 003's Keras network: three sigmoid Dense layers with N(0, 0.05) initial "
              "weights, categorical cross-entropy, Adam. Quick: 3,000 training and 500 "
              "validation images, 2 epochs of batches of 100.",
              "种子 003 的 Keras 网络:三个 sigmoid 全连接层,权重按 N(0, 0.05) 初始化,"
              "分类交叉熵损失,Adam 优化器。快速模式:3,000 张训练图、500 张验证图,"
              "2 个 epoch,每批 100 张。"),
        _seed_mlp),
    "lenet": Preset(
        _text("LeNet-5 on MNIST (convolutions)", "LeNet-5 识别 MNIST(卷积网络)"),
        _text("Two 5×5 convolutions with ReLU and 2×2 max pooling, then Dense 120-84-10 "
              "(logits); Adam 1e-3. Watch the feature maps and kernels. Quick: 1,000 images, "
              "1 epoch.",
              "两个 5×5 卷积层(ReLU)各接 2×2 最大池化,然后是 120-84-10 的全连接层"
              "(输出 logits);Adam 1e-3。可以观察特征图和卷积核。快速模式:1,000 张图,"
              "1 个 epoch。"),
        _lenet),
    "lstm": Preset(
        _text("LSTM reading MNIST row by row", "LSTM 逐行读取 MNIST 图像"),
        _text("An LSTM(128) reads each image as 28 time steps of 28 pixels, then a softmax "
              "layer; watch the gates i, f, c, o over the time steps. Quick: 1,000 images, "
              "1 epoch.",
              "LSTM(128) 把每张图看成 28 个时间步、每步 28 个像素,后接 softmax 层;"
              "可以观察各时间步的门 i、f、c、o。快速模式:1,000 张图,1 个 epoch。"),
        _lstm),
    "deep_sigmoid": Preset(
        _text("Seed 004: vanishing gradients (10 sigmoid layers)",
              "种子 004:梯度消失(10 个 sigmoid 层)"),
        _text("Ten hidden Dense(64) sigmoid layers, SGD 0.05, 1,000 MNIST images, batches of "
              "100. Each layer multiplies the backward signal by σ' ≤ 0.25: compare mean "
              "|grad| of the first and the last layers — the first layers hardly learn.",
              "10 个 Dense(64) sigmoid 隐藏层,SGD 0.05,1,000 张 MNIST 图,每批 100 张。"
              "每经过一层,反向信号就乘以 σ' ≤ 0.25:比较第一层和最后几层的平均 |梯度|,"
              "前面的层几乎学不动。"),
        lambda quick, data_path=None: _deep("sigmoid", "glorot_uniform", quick, data_path)),
    "deep_relu": Preset(
        _text("Seed 004: the same deep net with ReLU", "种子 004:同样的深层网络,改用 ReLU"),
        _text("The deep_sigmoid network with ReLU and He-normal weights: the gradients keep "
              "their size from the last layer to the first, and the loss goes down.",
              "把 deep_sigmoid 网络换成 ReLU 和 He 正态初始化:梯度从最后一层到第一层"
              "大小基本不变,损失随之下降。"),
        lambda quick, data_path=None: _deep("relu", "he_normal", quick, data_path)),
    "seed001_net": Preset(
        _text("Seed 001: the 2-3-2 sigmoid network", "种子 001:2-3-2 sigmoid 网络"),
        _text("The network of the backprop stepper, trained on its one sample x = (0.05, "
              "0.10), t = (0.01, 0.99) with squared error and SGD 0.5: watch every neuron's "
              "z, activation and delta.",
              "反向传播分步演示里的网络,用唯一的样本 x = (0.05, 0.10)、t = (0.01, 0.99)、"
              "平方误差和 SGD 0.5 训练:可以看到每个神经元的 z、激活值和误差项。"),
        _seed001_net),
}


def catalog():
    """``[{"name", "title", "description"}]`` of every preset (``GET /api/presets``)."""
    return [{"name": name, "title": p.title, "description": p.description}
            for name, p in PRESETS.items()]


def build(name, quick=True, data_path=None, seed=0):
    """Build a preset: its compiled model, data and fit arguments.

    Args:
        name: one of :data:`PRESETS`.
        quick: a small run (a few thousand images at most, an epoch of seconds).
        data_path: passed to ``glassnet.datasets.mnist.load_data`` (None: the bundled copy).
        seed: ``gn.manual_seed(seed)`` first, so a preset builds the same way every time.

    Returns:
        ``{"model", "x", "y", "validation_data", "fit": {"epochs", "batch_size"}}``.

    Raises:
        GlassnetValueError: for an unknown name (the message lists the known ones).
    """
    import glassnet as gn

    if name not in PRESETS:
        raise GlassnetValueError(f"preset: expected one of {sorted(PRESETS)}, received "
                                 f"{name!r}")
    gn.manual_seed(seed)
    return PRESETS[name].build(bool(quick), data_path)

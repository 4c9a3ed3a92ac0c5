# ruff: noqa: E501  (the seed's own long lines are kept verbatim)
"""Seed 003's Keras MNIST MLP, run with glassnet.

The script below is the seed's, unchanged except for
  * the import line (``import tensorflow.keras as ka`` -> ``import glassnet.keras as ka``),
  * the data path (the seed's ``"D:\\datasets\\MNIST_Data\\mnist.npz"`` -> ``"mnist.npz"``,
    which means glassnet's bundled copy), and
  * the lines marked ``# glassnet:`` that add ``--quick`` (a small subset and fewer epochs, for
    tests) and ``--epochs``; without options it is the seed's full 20-epoch run.

Keras 3 on the full script: best validation accuracy 0.982, final 0.979.

Run:  python examples/seed003_mnist_mlp.py            (full run, a few minutes)
      python examples/seed003_mnist_mlp.py --quick    (seconds)
"""

import argparse  # glassnet: command-line options for tests
import datetime

import numpy as np

import glassnet.keras as ka

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])  # glassnet:
parser.add_argument("--quick", action="store_true", help="1000/300-image subset, 1 epoch")  # glassnet:
parser.add_argument("--epochs", type=int, default=None)  # glassnet:
options = parser.parse_args()  # glassnet:

np.random.seed(0)
(X_train, y_train), (X_val, y_val) = ka.datasets.mnist.load_data("mnist.npz")  # 加载数据集,并分成训练集和验证集
if options.quick:  # glassnet: a small subset for tests
    X_train, y_train, X_val, y_val = X_train[:1000], y_train[:1000], X_val[:300], y_val[:300]  # glassnet:
num_pixels = X_train.shape[1] * X_train.shape[2]  # 每幅图片的像素数为784
# 将二维的数组拉成一维的向量
X_train = X_train.reshape(X_train.shape[0], num_pixels).astype('float32')
X_val = X_val.reshape(X_val.shape[0], num_pixels).astype('float32')
# 归一化
X_train = X_train / 255
X_val = X_val / 255
y_train = ka.utils.to_categorical(y_train)  # 转化为独热编码
y_val = ka.utils.to_categorical(y_val)
num_classes = y_val.shape[1]  # 10
# 多层全连接神经网络模型
model = ka.Sequential([
    ka.layers.Dense(num_pixels, input_shape=(num_pixels,), kernel_initializer='normal', activation='sigmoid'),
    ka.layers.Dense(784, kernel_initializer='normal', activation='sigmoid'),
    ka.layers.Dense(num_classes, kernel_initializer='normal', activation='sigmoid')
])
model.summary()
#model.compile(loss='mse', optimizer='sgd', metrics=['accuracy'])
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
startdate = datetime.datetime.now()  # 获取当前时间
epochs = options.epochs or (1 if options.quick else 20)  # glassnet: the seed uses epochs=20
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=epochs, batch_size=200, verbose=2)  # glassnet: epochs=epochs
enddate = datetime.datetime.now()
print("训练用时:" + str(enddate - startdate))
val_accuracy = model.history.history["val_accuracy"]  # glassnet: report the numbers the issue checks
print(f"best val_accuracy {max(val_accuracy):.4f}, final val_accuracy {val_accuracy[-1]:.4f}")  # glassnet:

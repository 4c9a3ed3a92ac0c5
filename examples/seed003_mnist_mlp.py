# ruff: noqa: E501  (the seed's own long lines are kept verbatim)
"""Seed 003's Keras MNIST MLP, run with glassnet.

The script below is the seed's, unchanged except for
  * the import line (``import tensorflow.keras as ka`` -> ``import glassnet.keras as ka``),
  * the data path (the seed's ``"D:\\datasets\\MNIST_Data\\mnist.npz"`` -> ``"mnist.npz"``,
    which means glassnet's bundled copy), and
  * the lines marked ``# glassnet:`` that add ``--quick`` (a 5,000 / 1,000-image subset and 3
    epochs: seconds, and already about 86% validation accuracy), ``--epochs`` and ``--out``, and
    write what the run shows; without options it is the seed's full 20-epoch run.

Keras 3 on the full script: best validation accuracy 0.982, final 0.979.

Writes into ``--out`` (default ``examples/output/seed003_mnist_mlp``): ``results.json`` (the
history and the best/final validation accuracy) and, when matplotlib is installed,
``learning_curves.png`` (loss and accuracy per epoch, training and validation),
``confusion_matrix.png``, ``predictions.png`` (16 validation digits with their predictions) and
``misclassified.png``.

Run:  python examples/seed003_mnist_mlp.py            (full run, a few minutes)
      python examples/seed003_mnist_mlp.py --quick    (seconds)
"""

import argparse  # glassnet: command-line options for tests
import datetime
import json  # glassnet:
import os  # glassnet:

import numpy as np

import glassnet.keras as ka

parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))  # glassnet:
parser.add_argument("--quick", action="store_true", help="5000/1000-image subset, 3 epochs")  # glassnet:
parser.add_argument("--epochs", type=int, default=None, help="default 20 (quick: 3)")  # glassnet:
parser.add_argument("--out", default=os.path.join("examples", "output", "seed003_mnist_mlp"))  # glassnet:
options = parser.parse_args()  # glassnet:

np.random.seed(0)
(X_train, y_train), (X_val, y_val) = ka.datasets.mnist.load_data("mnist.npz")  # 加载数据集,并分成训练集和验证集
if options.quick:  # glassnet: a small subset for tests
    X_train, y_train, X_val, y_val = X_train[:5000], y_train[:5000], X_val[:1000], y_val[:1000]  # glassnet:
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
epochs = options.epochs or (3 if options.quick else 20)  # glassnet: the seed uses epochs=20
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=epochs, batch_size=200, verbose=2)  # glassnet: epochs=epochs
enddate = datetime.datetime.now()
print("训练用时:" + str(enddate - startdate))
val_accuracy = model.history.history["val_accuracy"]  # glassnet: report the numbers the issue checks
print(f"best val_accuracy {max(val_accuracy):.4f}, final val_accuracy {val_accuracy[-1]:.4f}")  # glassnet:
results = {"best_val_accuracy": max(val_accuracy), "final_val_accuracy": val_accuracy[-1],  # glassnet: write
           "epochs": epochs, "train_size": len(X_train), "val_size": len(X_val),  # glassnet: the tables
           "seconds": (enddate - startdate).total_seconds(),  # glassnet: and figures
           "history": {k: [float(v) for v in vs] for k, vs in model.history.history.items()}}  # glassnet:
os.makedirs(options.out, exist_ok=True)  # glassnet:
with open(os.path.join(options.out, "results.json"), "w", encoding="utf-8") as f:  # glassnet:
    json.dump(results, f, indent=2)  # glassnet:
try:  # glassnet: figures need matplotlib (pip install "glassnet[viz]")
    from glassnet import viz  # glassnet:
    figures = viz.classifier_figures(options.out, model.history, y_val, model.predict(X_val, verbose=0),  # glassnet:
                                     images=X_val)  # glassnet:
except ImportError as error:  # glassnet:
    figures = []  # glassnet:
    print(f"figures skipped: {error}")  # glassnet:
print(f"results.json{''.join(', ' + os.path.basename(p) for p in figures)} written to {options.out}")  # glassnet:

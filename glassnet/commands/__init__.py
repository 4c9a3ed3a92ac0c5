"""The ``glassnet`` command's subcommands, one module each; :mod:`glassnet.cli` parses and
dispatches.

* :mod:`~glassnet.commands.train`: ``glassnet train`` (seed 003's MLP, a CNN or an LSTM on MNIST)
* :mod:`~glassnet.commands.studio`: ``glassnet studio`` (the browser glass box)
* :mod:`~glassnet.commands.evaluate`: ``glassnet evaluate MODEL|RUN_DIR``
* :mod:`~glassnet.commands.predict`: ``glassnet predict MODEL INPUT`` (image, .npy, .csv)
* :mod:`~glassnet.commands.inspect_model`: ``glassnet inspect MODEL``
* :mod:`~glassnet.commands.export`: ``glassnet export`` (ONNX, safetensors) and ``convert``
* :mod:`~glassnet.commands.common`: opening models and run folders, fitting data to a model
"""

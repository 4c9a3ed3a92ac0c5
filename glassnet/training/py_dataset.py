"""``keras.utils.PyDataset``: a batch-indexed dataset to subclass, as in Keras 3.

A subclass implements ``__getitem__(index)`` (the batch number ``index``: ``(x, y)``,
``(x, y, sample_weight)`` or ``x``; each part an array, a list or a dict of arrays) and
``__len__`` (the number of batches), or the ``num_batches`` property (None: an endless
dataset, then ``fit`` needs ``steps_per_epoch``). ``fit``, ``evaluate`` and ``predict`` take it
as ``x`` (no ``y``; ``batch_size`` is ignored: the dataset is already batched):

- each epoch calls ``on_epoch_begin()``, asks for the batches ``0 .. len - 1`` (in a new random
  order at every epoch under ``fit(shuffle=True)``, drawn from ``gn.manual_seed``'s generator;
  in order for ``shuffle=False``, ``evaluate`` and ``predict``), then calls ``on_epoch_end()``;
- with ``steps_per_epoch`` each epoch takes that many batches and the next epoch goes on where
  the last one stopped, starting over once every batch was seen (Keras 3's rule).

``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted and kept as attributes
but ignored: glassnet reads the batches in the calling thread, one at a time, in order.

Example:
    >>> import numpy as np
    >>> class Batches(PyDataset):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return -(-len(self.x) // self.batch_size)
    ...     def __getitem__(self, index):
    ...         part = slice(index * self.batch_size, (index + 1) * self.batch_size)
    ...         return self.x[part], self.y[part]
    >>> data = Batches(np.zeros((10, 2)), np.zeros(10), batch_size=4, workers=4)
    >>> len(data), data.num_batches, data.workers, len(data[2][0])
    (3, 3, 4, 2)
"""

from glassnet.errors import GlassnetTypeError


class PyDataset:
    """Base class of batch-indexed datasets for ``fit``/``evaluate``/``predict`` (Keras 3).

    Args:
        workers: accepted and ignored (batches are read in the calling thread).
        use_multiprocessing: accepted and ignored.
        max_queue_size: accepted and ignored.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch number ``index`` (``(x, y)``, ``(x, y, sample_weight)`` or ``x``)."""
        raise NotImplementedError(
            f"{type(self).__name__}: a PyDataset must implement __getitem__(index), returning "
            f"the batch number index"
        )

    @property
    def num_batches(self):
        """The number of batches: ``len(self)`` if the subclass defines ``__len__``, else None
        (an endless dataset: give ``steps_per_epoch``)."""
        if type(self).__len__ is not PyDataset.__len__:
            return len(self)
        return None

    def __len__(self):
        raise GlassnetTypeError(
            f"{type(self).__name__}: this PyDataset does not define __len__ (or num_batches)"
        )

    def on_epoch_begin(self):
        """Called at the start of every epoch (override to prepare the epoch)."""

    def on_epoch_end(self):
        """Called at the end of every epoch (override to reshuffle, ...)."""

"""Data-parallel ``fit``/``evaluate``/``predict``: what :class:`DataParallel` means in a step.

``Trainer`` asks :func:`session_for` for a :class:`DataParallelSession` when a distribution is
set (``set_distribution(DataParallel())``); without one nothing here runs. One training step
on rank r of N, with a global batch of B rows of which this rank holds n_r::

    x_r, y_r = rows offsets[r]:offsets[r+1] of the global batch     (ShardedData)
    y_pred_r = model(x_r, training=True)     # random layers draw for all B rows, keep n_r
    L_r = compute_loss(y_r, y_pred_r)        # mean over the shard
    g_r = dL_r/dW                             # backward
    buffer = [n_r/B * g_r for every weight] + [n_r/B * L_r] + [0.., y_pred_r, ..0]
    allreduce_sum(buffer)       # one flat buffer per dtype, reused; g = sum_r n_r/B g_r
    optimizer.apply_gradients(g)             # unchanged
    metrics.update(y, y_pred)                # the global batch's rows, on every rank

so the weights follow one process with batch B (up to rounding) and the logs are the same on
every rank. Each rank places its prediction rows in a zeroed slot of the global batch inside
the same buffer, so one allreduce per step also brings every rank all predictions (exact:
the other ranks add zeros); with ``auto_shard_dataset=False`` (rows unknown in advance) they
are gathered with ``allgather_arrays`` instead. ``evaluate`` shards each batch and sums the
weighted loss and the prediction slots the same way (a buffer of its own); ``predict``
gathers every batch's outputs in rank order, which is the original row order.

Limits: a model that overrides ``train_step`` is refused (the average happens inside the
default step); a custom ``test_step``/``predict_step`` runs on each rank's shard as written.
Metrics of an output with a timestep mask (``_keras_mask``) see the gathered rows without
their mask (the loss, computed per rank, honours it). The allreduce runs after the whole
backward pass (not bucketed or overlapped with it).

Glass box: while a layer records (``layer.record``), each step also gathers the per-rank
gradient norms ||g_r|| of its weights (one small allgather); ``layer.inspect()`` shows them as
``'rank_grad_norms'`` beside the averaged ``'grads'``.
"""

from glassnet.backend import xp
from glassnet.config import batch_shard, config, no_grad
from glassnet.errors import GlassnetValueError
from glassnet.tensor import Tensor


def session_for(model, where):
    """A :class:`DataParallelSession` when a distribution is set, else None."""
    strategy = config.distribution
    if strategy is None:
        return None
    if where == "fit" and model.has_custom_step("train_step"):
        raise GlassnetValueError(
            f"fit: {type(model).__name__} overrides train_step, which DataParallel cannot "
            f"split (the gradient average happens inside the default step); use the default "
            f"train_step, or call set_distribution(None)")
    from glassnet.distribution.data_parallel import _current

    comm = _current()
    if strategy.timeout is not None:
        comm.timeout = strategy.timeout
    return DataParallelSession(strategy, comm)


def _arrays_of(value):
    """Tensors / arrays of a (possibly nested) batch structure, as a flat list and a rebuild."""
    if isinstance(value, dict):
        keys = list(value)
        parts = [_arrays_of(value[k]) for k in keys]
        flat = [a for p in parts for a in p[0]]

        def rebuild(arrays):
            out, i = {}, 0
            for key, (items, again) in zip(keys, parts, strict=True):
                out[key] = again(arrays[i:i + len(items)])
                i += len(items)
            return out
        return flat, rebuild
    if isinstance(value, (list, tuple)):
        parts = [_arrays_of(v) for v in value]
        flat = [a for p in parts for a in p[0]]

        def rebuild(arrays):
            out, i = [], 0
            for items, again in parts:
                out.append(again(arrays[i:i + len(items)]))
                i += len(items)
            return out
        return flat, rebuild
    if value is None:
        return [], lambda arrays: None
    return [value.data if isinstance(value, Tensor) else xp.asarray(value)], \
        lambda arrays: arrays[0]


def _slice(value, start, stop):
    if isinstance(value, dict):
        return {key: _slice(item, start, stop) for key, item in value.items()}
    if isinstance(value, list):
        return [_slice(item, start, stop) for item in value]
    if isinstance(value, tuple):
        return tuple(_slice(item, start, stop) for item in value)
    if value is None:
        return None
    return value[start:stop]


def _rows(batch):
    from glassnet.training.data_adapters import batch_size_of, unpack

    return batch_size_of(unpack(batch)[0])


class ShardedData:
    """A data adapter's batches, each cut to this rank's rows (``DataParallel`` sharding).

    With ``auto_shard`` every rank reads the same global batch and keeps rows
    ``offsets[r]:offsets[r+1]``; without it each rank's batch is already its shard and the
    counts are gathered (one tiny allgather per batch). ``session.shard`` is set to each
    yielded batch's ``(start, stop, total)``.
    """

    def __init__(self, data, session):
        self.data, self.session = data, session
        self.comm, self.auto_shard = session.comm, session.strategy.auto_shard_dataset

    def steps(self, steps=None):
        return self.data.steps(steps)

    def peek(self):
        batch = self.data.peek()
        if batch is None or not self.auto_shard:
            return batch
        start, stop, _ = self._bounds(_rows(batch))
        return _slice(batch, start, stop)

    def _bounds(self, n):
        from glassnet.distribution.data_parallel import shard_offsets

        comm = self.comm
        if self.auto_shard:
            offsets = shard_offsets(n, comm.size)
            return offsets[comm.rank], offsets[comm.rank + 1], n
        counts = [int(c) for c in comm.allgather_json(int(n))]
        start = sum(counts[:comm.rank])
        return start, start + n, sum(counts)

    def batches(self, steps=None):
        for batch in self.data.batches(steps):
            start, stop, total = self.session.shard = self._bounds(_rows(batch))
            self.session.full_batch = batch if self.auto_shard else None
            yield _slice(batch, start, stop) if self.auto_shard else batch


class DataParallelSession:
    """One ``fit``/``evaluate``/``predict`` call under :class:`DataParallel` (see the module).

    Args:
        strategy: the :class:`~glassnet.distribution.data_parallel.DataParallel`.
        comm: the :class:`~glassnet.distribution.communicator.Communicator`.
    """

    def __init__(self, strategy, comm):
        self.strategy, self.comm = strategy, comm
        self.shard = None         # (start, stop, total) of the batch being computed
        self.full_batch = None    # the whole global batch (auto_shard_dataset: every rank)
        self._buffers = {}        # 'train'/'test': (sizes, loss dtype, {dtype: flat buffer})
        self._recorded = None     # [(layer, [its trainable weights])]
        self._check_pending = False  # the model is checked after its first forward pass

    def wrap(self, data):
        """A :class:`ShardedData` over ``data`` (the session remembers the training data)."""
        return ShardedData(data, self)

    # ------------------------------------------------------------------ fit start
    def start_fit(self, model, train):
        """Check the model matches on every rank and broadcast rank 0's state.

        A model not built yet is built by its first training step, as in one process (its
        initializers then draw after the epoch's shuffle, from the generator broadcast here,
        so every rank creates the same weights); the check and the broadcast of weights and
        optimizer state follow that first forward pass.

        Returns:
            ``train`` wrapped in a :class:`ShardedData`.
        """
        train = self.wrap(train)
        self._check_pending = not getattr(model, "built", False)
        if self._check_pending:
            self.broadcast_rng()
        else:
            self.check_same_model(model)
            self.broadcast_state(model)
        return train

    def check_same_model(self, model):
        """Compare the weights' shapes and dtypes over the ranks; raise on every rank if not equal.

        Raises:
            GlassnetValueError: on every rank, naming the first rank whose model differs from
                rank 0's and its first differing weight.
        """
        mine = [[w.name, list(w.data.shape), str(w.data.dtype)] for w in model.weights]
        every = self.comm.allgather_json(mine)
        reference = every[0]
        for rank, theirs in enumerate(every[1:], start=1):
            if [w[1:] for w in theirs] == [w[1:] for w in reference]:
                continue
            for i in range(max(len(theirs), len(reference))):
                a = reference[i] if i < len(reference) else None
                b = theirs[i] if i < len(theirs) else None
                if a is None or b is None or a[1:] != b[1:]:
                    raise GlassnetValueError(
                        f"DataParallel: the model differs between ranks 0 and {rank}: weight "
                        f"{i} is {_describe(a)} on rank 0 but {_describe(b)} on rank {rank} "
                        f"({len(reference)} vs {len(theirs)} weights); every rank must build "
                        f"the same model")

    def broadcast_state(self, model):
        """Rank 0's weights, optimizer state (built first) and generator state to every rank."""
        comm = self.comm
        comm.broadcast_arrays([w.data for w in model.weights], root=0)
        optimizer = model.optimizer
        if optimizer is not None:
            optimizer.build(list(model.trainable_weights))
            arrays = [a for a in optimizer.variables() if isinstance(a, xp.ndarray)]
            comm.broadcast_arrays(arrays, root=0)
            optimizer.iterations = int(comm.broadcast_json(int(optimizer.iterations), root=0))
        self.broadcast_rng()

    def broadcast_rng(self):
        """Rank 0's generator state (``config.rng``) to every rank (identical shuffles, masks)."""
        state = self.comm.broadcast_json(_rng_state(config.rng), root=0)
        config.rng.bit_generator.state = state

    # ------------------------------------------------------------------ steps
    def _forward(self, model, x, training):
        start, stop, total = self.shard
        with batch_shard(start, stop, total):
            if stop == start:  # an empty shard: still draw the random layers' masks
                with xp.errstate(all="ignore"):
                    return model(x, training=training)
            return model(x, training=training)

    def train_step(self, model, data):
        """The data-parallel version of ``Trainer.train_step`` (see the module docstring)."""
        from glassnet.training.compile_state import compiled_state
        from glassnet.training.data_adapters import unpack

        state = compiled_state(model, "fit")
        x, y, sample_weight = unpack(data)
        start, stop, total = self.shard
        n_local = stop - start
        y_pred = self._forward(model, x, True)
        if self._check_pending:  # built by this first forward pass (see start_fit)
            self._check_pending = False
            self.check_same_model(model)
            self.broadcast_state(model)
        params = model._fit_weights(state)
        for p in params:
            p.grad = None
        loss_value = 0.0
        if n_local > 0:
            loss = model._step_loss(x, y, y_pred, sample_weight, True)
            if loss.requires_grad:
                loss.backward()
            loss_value = float(loss.data)
        self._record_norms(model, params)
        scale = n_local / total if total else 0.0
        global_loss, pred_all = self.reduce(params, scale, loss_value, y_pred)
        if params:
            model.optimizer.apply_gradients([(p.grad, p) for p in params])
        state.loss_tracker.update_state(global_loss, sample_weight=total)
        y_all, pred_all, weight_all = self.gather(y, y_pred, sample_weight, pred_all)
        return model.compute_metrics(x, y_all, pred_all, weight_all)

    def reduce(self, params, scale, loss_value, y_pred=None):
        """The one allreduce of a step: gradients, loss and (when it can) the predictions.

        Packs ``scale * grad`` of every param, ``scale * loss`` and, with
        ``auto_shard_dataset``, this rank's prediction rows at their place in a zeroed
        global-batch slot, into one reused flat buffer per dtype; sums it in place over the
        ranks; unpacks the gradient sums into ``p.grad``. Adding the other ranks' zeros
        leaves each prediction exact, so the metrics' gather rides on the same collective.

        Returns:
            ``(summed loss, the global batch's predictions or None)``; None when they must be
            gathered separately (own shards, or a prediction dtype no weight has).
        """
        preds, rebuild = _arrays_of(y_pred)
        key = "train" if params else "test"  # (evaluation steps never carry the gradients)
        if key not in self._buffers:
            sizes = {}
            for p in params:
                sizes[p.data.dtype] = sizes.get(p.data.dtype, 0) + p.data.size
            kinds = list(sizes) or [a.dtype for a in preds if a.dtype.kind == "f"]
            float64 = xp.dtype(xp.float64)
            loss_dtype = float64 if float64 in kinds or not kinds else kinds[0]
            sizes[loss_dtype] = sizes.get(loss_dtype, 0) + 1
            self._buffers[key] = (sizes, loss_dtype,
                                  {dtype: xp.empty(n, dtype=dtype) for dtype, n in sizes.items()})
        fixed, loss_dtype, buffers = self._buffers[key]
        used = dict(fixed)
        start, stop, total = self.shard
        placed = []
        if self.full_batch is not None and all(a.dtype in used for a in preds):
            for a in preds:
                row = int(xp.prod(a.shape[1:], dtype=xp.int64))
                placed.append((a, used[a.dtype], row))
                used[a.dtype] += total * row
        else:
            preds = None
        for dtype, size in used.items():
            if buffers[dtype].size < size:
                buffers[dtype] = xp.empty(size, dtype=dtype)
        positions = dict.fromkeys(buffers, 0)
        slots = []
        for p in params:
            at = positions[p.data.dtype]
            part = buffers[p.data.dtype][at:at + p.data.size]
            positions[p.data.dtype] = at + p.data.size
            if p.grad is None:
                part[...] = 0
            else:
                xp.multiply(p.grad.data.reshape(-1), scale, out=part, casting="unsafe")
            slots.append(part)
        loss_at = fixed[loss_dtype] - 1
        buffers[loss_dtype][loss_at] = loss_value * scale
        for a, at, row in placed:
            region = buffers[a.dtype][at:at + total * row]
            region[...] = 0
            region[start * row:stop * row] = a.reshape(-1)
        for dtype, buffer in buffers.items():
            self.comm.allreduce_sum(buffer[:used[dtype]])
        for p, part in zip(params, slots, strict=True):
            p.grad = Tensor(part.reshape(p.data.shape))
        loss = float(buffers[loss_dtype][loss_at])
        if preds is None:
            return loss, None
        return loss, rebuild([buffers[a.dtype][at:at + total * row].reshape(
            (total,) + a.shape[1:]).copy() for a, at, row in placed])

    def gather(self, y, y_pred, sample_weight, pred_all=None):
        """The global batch's targets, predictions and sample weights, gathered in rank order.

        With ``auto_shard_dataset`` every rank holds the global batch's targets and weights
        already: only the predictions travel (unless :meth:`reduce` brought them: ``pred_all``).
        """
        if self.full_batch is not None:
            from glassnet.training.data_adapters import unpack

            _, y_all, weight_all = unpack(self.full_batch)
            if pred_all is None:
                pred_all = self.gather_outputs(y_pred)
            return y_all, pred_all, weight_all
        out = []
        for value in (y, y_pred, sample_weight):
            flat, rebuild = _arrays_of(value)
            out.append(rebuild([xp.concatenate(self.comm.allgather_arrays(
                xp.ascontiguousarray(a))) for a in flat]))
        return out

    def test_step(self, model, data):
        """The data-parallel ``test_step``: shard loss all-reduced, metrics on gathered rows."""
        from glassnet.training.compile_state import compiled_state
        from glassnet.training.data_adapters import unpack

        state = compiled_state(model, "evaluate")
        x, y, sample_weight = unpack(data)
        start, stop, total = self.shard
        with no_grad():
            y_pred = self._forward(model, x, False)
            loss_value = 0.0
            if stop > start:
                loss = model._step_loss(x, y, y_pred, sample_weight, False)
                loss_value = float(loss.data if isinstance(loss, Tensor) else loss)
        scale = (stop - start) / total if total else 0.0
        summed, pred_all = self.reduce([], scale, loss_value, y_pred)
        state.loss_tracker.update_state(summed, sample_weight=total)
        y_all, pred_all, weight_all = self.gather(y, y_pred, sample_weight, pred_all)
        return model.compute_metrics(x, y_all, pred_all, weight_all)

    def gather_outputs(self, outputs):
        """One predict batch's outputs (arrays, lists, dicts) gathered over the ranks in order.

        With ``auto_shard_dataset`` (every rank knows every shard's rows) float outputs travel
        in one allreduce of zeroed global-batch slots (see :meth:`reduce`).
        """
        if self.full_batch is not None:
            _, gathered = self.reduce([], 0.0, 0.0, outputs)
            if gathered is not None:
                return gathered
        flat, rebuild = _arrays_of(outputs)
        return rebuild([xp.concatenate(self.comm.allgather_arrays(xp.ascontiguousarray(a)))
                        for a in flat])

    # ------------------------------------------------------------------ glass box
    def _record_norms(self, model, params):
        if self._recorded is None:
            ids = {id(p) for p in params}
            self._recorded = [(layer, [w for w in layer._own_weights() if id(w) in ids])
                              for layer in model._flatten_layers()]
            self._recorded = [(layer, ws) for layer, ws in self._recorded if ws]
        active = [(layer, ws) for layer, ws in self._recorded if layer.record]
        if not active:
            return
        norms = xp.array([0.0 if w.grad is None else float(xp.linalg.norm(w.grad.data))
                          for _, ws in active for w in ws], dtype=xp.float64)
        every = xp.stack(self.comm.allgather_arrays(norms), axis=1)  # (weights, ranks)
        i = 0
        for layer, ws in active:
            layer._rank_grad_norms = {w.name: every[i + j] for j, w in enumerate(ws)}
            i += len(ws)


def _describe(entry):
    if entry is None:
        return "missing"
    return f"'{entry[0]}' {tuple(entry[1])} {entry[2]}"


def _rng_state(generator):
    """The generator's bit-generator state as JSON values (numpy's dict of ints and strings)."""
    state = generator.bit_generator.state

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (xp.integer,)):
            return int(value)
        if isinstance(value, xp.ndarray):
            return value.tolist()
        return value
    return plain(state)

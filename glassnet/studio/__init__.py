"""glassnet Studio: watch a real network learn, live in the browser.

``python -m glassnet studio`` starts the local server and opens the page; from a script or a
notebook, ``model.fit(..., callbacks=[gn.callbacks.Studio()])`` or ``gn.studio.watch(model)``
streams a training run to it. The server needs the ``studio`` extra
(``pip install "glassnet[studio]"``: Starlette and uvicorn); this package imports them only
when a server starts, so ``import glassnet`` never does.

Example:
    >>> import glassnet as gn
    >>> hub = gn.studio.Hub()
    >>> model = gn.Sequential([gn.layers.Dense(1, input_shape=(2,))])
    >>> callback = gn.studio.watch(model, hub=hub)
    >>> model._studio_callbacks == [callback]
    True
    >>> gn.studio.unwatch(model)
"""

import threading

from glassnet.studio.hub import Control, Hub, Run

__all__ = ["Control", "Hub", "Run", "StudioServer", "serve", "unwatch", "watch"]

_default_server = None
_default_lock = threading.Lock()


def __getattr__(name):
    """``StudioServer`` is imported on first use (it imports Starlette and uvicorn)."""
    if name == "StudioServer":
        from glassnet.studio.server import StudioServer

        return StudioServer
    raise AttributeError(f"module 'glassnet.studio' has no attribute {name!r}")


def serve(host="127.0.0.1", port=8765, open_browser=False, hub=None, quiet=False):
    """The process's Studio server, started on first call (later calls return the same).

    Prints the URL (with its access token) when it starts, unless ``quiet``.

    Args:
        host: the address to listen on (default: this machine only).
        port: the port (0: any free port; when ``port`` is taken another free one is used).
        open_browser: open the page in the default browser.
        hub: the :class:`Hub` to serve (default: a new one).
        quiet: do not print the URL.

    Returns:
        The running :class:`~glassnet.studio.server.StudioServer`.
    """
    global _default_server
    with _default_lock:
        if _default_server is None:
            from glassnet.studio.server import StudioServer

            server = StudioServer(hub=hub, host=host, port=port)
            try:
                server.start()
            except OSError:  # the port is taken: any free one
                server = StudioServer(hub=hub, host=host, port=0)
                server.start()
            _default_server = server
            if not quiet:
                print(f"glassnet Studio: {server.url}", flush=True)
            if open_browser:
                server.open_browser()
        return _default_server


def watch(model, **kwargs):
    """Stream every later ``model.fit`` to Studio (adds a Studio callback to the model).

    Args:
        model: the model to watch.
        **kwargs: the :class:`~glassnet.callbacks.Studio` arguments (``every``, ``hub``,
            ``server``, ``port``, ...).

    Returns:
        The :class:`~glassnet.callbacks.Studio` callback, which ``fit`` adds to its own.
    """
    from glassnet.callbacks.studio import Studio

    callback = Studio(**kwargs)
    model._studio_callbacks = [callback]
    return callback


def unwatch(model):
    """Stop streaming ``model``'s training (undoes :func:`watch`)."""
    model._studio_callbacks = []

"""``glassnet studio``: serve glassnet Studio (:mod:`glassnet.studio`) until interrupted."""

import sys


def run_studio(args):
    """Serve glassnet Studio until interrupted; the URL is the first line on stdout."""
    from glassnet.commands.common import UsageError, check_int_range

    check_int_range(args.port, "--port", 0, 65535)
    if not str(args.host).strip():
        raise UsageError("--host must name an address (e.g. 127.0.0.1), received ''")
    try:
        from glassnet.studio.server import StudioServer
    except ImportError as error:  # the [studio] extra is not installed
        print(f"glassnet: error: {error}", file=sys.stderr)
        return 1
    server = StudioServer(host=args.host, port=args.port)
    try:
        server.start()
    except OSError as error:
        print(f"glassnet: error: cannot listen on {args.host}:{args.port}: {error} "
              f"(try --port 0)", file=sys.stderr)
        return 1
    print(server.url, flush=True)
    print("glassnet Studio is running; press Ctrl+C to stop it. / glassnet Studio 已启动,"
          "按 Ctrl+C 停止。", file=sys.stderr, flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"glassnet: warning: listening on {args.host}: other machines can reach the "
              f"Studio (the token is still required). / 警告:正在监听 {args.host},其他机器"
              f"可以访问工作室(仍需令牌)。", file=sys.stderr, flush=True)
    if not args.no_browser:
        server.open_browser()
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


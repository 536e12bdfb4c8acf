"""An HTTP proxy on 127.0.0.1 in front of a real MLflow server that can be switched to answer 503.

A real network path for outage tests (not a mock of MLflow): every request is forwarded
to the upstream server as it is, until ``failing`` is set; then every request gets
``503 Service Unavailable`` with an MLflow-style JSON body, as a server behind a load
balancer does while it restarts::

    with SwitchableProxy(server.url) as proxy:
        proxy.failing = True     # the outage starts
        ...
        proxy.failing = False    # the server answers again
"""

import http.client
import http.server
import threading
import urllib.parse

from mlflow_server import free_port

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class SwitchableProxy:
    """Forwards to ``upstream_url`` (``http://host:port``); answers 503 while ``failing`` is True.

    Attributes:
        url: the proxy's own ``http://127.0.0.1:PORT``.
        failing: when True, every request is answered with 503 and not forwarded.
        refused: how many requests were answered with 503.
    """

    def __init__(self, upstream_url):
        upstream = urllib.parse.urlsplit(upstream_url)
        self.upstream = (upstream.hostname, upstream.port)
        self.failing = False
        self.refused = 0
        self._lock = threading.Lock()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="switchable-proxy", daemon=True)

    def _handler_class(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # keep the test output clean
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.failing:
                    with proxy._lock:
                        proxy.refused += 1
                    payload = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "switched off by the test"}'
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                    self.send_response(response.status)
                    for key, value in response.getheaders():
                        if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    connection.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        return Handler

    def start(self):
        """Start serving in a daemon thread; return self."""
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

"""moto's S3 for the integration tier, on a port the OS picks (printed as `Running on http://HOST:PORT`).

Requests are served one at a time: moto checks a conditional write (If-None-Match, If-Match) and then
writes, without a lock, so under concurrent requests two claims of one key can both succeed. S3 makes
each conditional write atomic; one request at a time gives moto that guarantee.
"""

import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
moto = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()


def app(environ, start_response):
    with one_at_a_time:
        return list(moto(environ, start_response))


server = make_server(host, 0, app, threaded=True)
print(f"Running on http://{host}:{server.server_port}", flush=True)
server.serve_forever()

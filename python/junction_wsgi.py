"""Junction's WSGI host: runs the WSGI app of a `wsgi` path as Crossbar's router worker runs it.

Junction starts this script with the router worker's Python and writes on its stdin one JSON
object:

    {"pythonpath": ["/abs/dir", ...], "module": "app", "object": "app",
     "minthreads": 0, "maxthreads": 20, "mount": "/app", "socket": "/tmp/junction-wsgi-x/app.sock"}

It puts pythonpath first on sys.path, imports the app, and serves it over HTTP on the Unix socket
(only Junction connects to it) with Twisted Web's WSGIResource and a thread pool of
minthreads..maxthreads, as Crossbar does (webservice/wsgi.py). The app sits at `mount`, so it sees
the same SCRIPT_NAME and PATH_INFO as under Crossbar. Junction forwards each request with
X-Real-IP, X-Forwarded-Proto and X-Forwarded-Port, which become REMOTE_ADDR, wsgi.url_scheme and
SERVER_PORT; the Host header is the client's. It stops on SIGTERM once the responses in progress
are done, and by itself within a second when Junction is gone (its parent process changed),
however far a stop got. Problems are printed on stderr as one line each, and the exit code says
what failed (2: the input, 3: the app, 4: Twisted missing).
"""

import importlib
import json
import os
import sys
import threading
import time


def fail(code, message):
    sys.stderr.write(message.replace('\n', ' ') + '\n')
    sys.exit(code)


def load_app(module_name, object_name):
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the user's module: any error it raises on import
        fail(3, 'WSGI app module "%s" import failed: %s: %s (Python search path: %s)' % (module_name, type(error).__name__, error, sys.path))
    if object_name not in module.__dict__:
        fail(3, 'WSGI app object "%s" not in module "%s"' % (object_name, module_name))
    app = getattr(module, object_name)
    if not callable(app):
        fail(3, 'WSGI app object "%s" in module "%s" is not callable' % (object_name, module_name))
    return app


def forwarded_request_class(server, address):
    """Twisted's request, with the client Junction forwards for instead of the socket's peer."""

    class ForwardedRequest(server.Request):
        def _forwarded(self, name):
            value = self.getHeader(name)
            return value.decode('latin-1').strip() if value else None

        def getClientAddress(self):
            client = self._forwarded(b'x-real-ip') or '0.0.0.0'
            return (address.IPv6Address if ':' in client else address.IPv4Address)('TCP', client, 0)

        def isSecure(self):
            return self._forwarded(b'x-forwarded-proto') == 'https'

        def getHost(self):
            port = self._forwarded(b'x-forwarded-port') or ''
            return address.IPv4Address('TCP', '127.0.0.1', int(port) if port.isdigit() else 80)

    return ForwardedRequest


def mounted(resource_module, app_resource, mount):
    """A resource tree with the app at `mount` ("/" for the whole site), as Crossbar puts it in its web tree."""
    segments = [segment for segment in mount.split('/') if segment]
    if not segments:
        return app_resource
    root = resource_module.Resource()
    node = root
    for segment in segments[:-1]:
        child = resource_module.Resource()
        node.putChild(segment.encode('utf-8'), child)
        node = child
    node.putChild(segments[-1].encode('utf-8'), app_resource)
    return root


def exit_when_orphaned(parent):
    """
    Only Junction reaches the socket: once Junction is gone (even killed outright), so is every
    client, and there is nothing left to finish. A thread of its own, not a reactor timer: it ends
    the process whatever the reactor's thread is stuck in (a stop waiting on the app's threads).
    """
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def main():
    threading.Thread(target=exit_when_orphaned, args=(os.getppid(),), name='junction_wsgi_parent', daemon=True).start()
    try:
        spec = json.load(sys.stdin)
        module_name, object_name, socket_path, mount = spec['module'], spec['object'], spec['socket'], spec['mount']
        minthreads, maxthreads = int(spec['minthreads']), int(spec['maxthreads'])
    except (ValueError, KeyError, TypeError) as error:
        fail(2, 'the WSGI app settings on stdin are not usable: %s: %s' % (type(error).__name__, error))
    for folder in reversed(spec.get('pythonpath', [])):
        sys.path.insert(0, folder)
    try:
        from twisted.internet import address, reactor, threads
        from twisted.python.threadpool import ThreadPool
        from twisted.web import resource, server, wsgi
    except ImportError as error:
        fail(4, 'Twisted is not installed for %s (%s; Debian: apt install python3-twisted)' % (sys.executable, error))
    app = load_app(module_name, object_name)

    pool = ThreadPool(minthreads=minthreads, maxthreads=maxthreads, name='junction_wsgi')
    reactor.callWhenRunning(pool.start)
    # Joined in a thread of its own, the reactor running meanwhile: a worker in the middle of a
    # response waits for the reactor to write each chunk, so joining it in the reactor's thread
    # would wait forever.
    reactor.addSystemEventTrigger('before', 'shutdown', lambda: threads.deferToThread(pool.stop))
    site = server.Site(mounted(resource, wsgi.WSGIResource(reactor, pool, app), mount))
    site.requestFactory = forwarded_request_class(server, address)
    site.displayTracebacks = False
    reactor.listenUNIX(socket_path, site, mode=0o600)
    sys.stdout.write('serving WSGI app %s.%s at %s\n' % (module_name, object_name, mount))
    sys.stdout.flush()
    reactor.run()  # Twisted stops on SIGTERM and SIGINT


if __name__ == '__main__':
    main()

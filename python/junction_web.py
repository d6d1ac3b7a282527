"""Junction's Python web host: runs the app of a `wsgi`, `resource` or `wap` path as Crossbar's router worker does.

Junction starts this script with the router worker's Python and writes on its stdin one JSON
object, with the app as one of:

    {"pythonpath": ["/abs/dir", ...], "mount": "/app", "socket": "/tmp/junction-web-x/app.sock", "app": APP}

    APP: {"kind": "wsgi", "module": "app", "object": "app", "minthreads": 0, "maxthreads": 20}
      or {"kind": "resource", "classname": "mypkg.web.Hello", "extra": {...}}
      or {"kind": "templates", "folder": "/abs/templates", "sandbox": true, "templates": ["page.html", ...],
          "max_output_bytes": 1048576}

It puts pythonpath first on sys.path, imports the app, and serves it over HTTP on the Unix socket
(only Junction connects to it) with Twisted Web. A WSGI app runs in Twisted's WSGIResource with a
thread pool of minthreads..maxthreads, as Crossbar does (webservice/wsgi.py); a resource class is
called with `extra` (an empty dict without one) and the resource it makes is served, as Crossbar's
`resource` service does (webservice/base.py). A wap path's templates are loaded into a Jinja2
environment (sandboxed unless told not to; autoescaped), as Crossbar's wap service does
(webservice/wap.py), and served as one resource: POST {"template": name, "context": {...}} answers
the rendered page, rendered in a thread and cut off past max_output_bytes (500 with the reason
as text). Junction routes the request and makes the WAMP call itself. The app sits at `mount`, so it sees the same
SCRIPT_NAME and PATH_INFO (a resource: the same request path) as under Crossbar. Junction
forwards each request with X-Real-IP, X-Forwarded-Proto and X-Forwarded-Port, which become
REMOTE_ADDR (getClientAddress), wsgi.url_scheme (isSecure) and SERVER_PORT (getHost); the Host
header is the client's. It stops on SIGTERM once the responses in progress
are done, and by itself within a second when Junction is gone (its parent process changed),
however far a stop got. Problems are printed on stderr as one line each, and the exit code says
what failed (2: the input, 3: the app or a template, 4: Twisted (or Jinja2) missing).
"""

import importlib
import json
import sys

from junction_lifeline import end_with_parent


def fail(code, message):
    sys.stderr.write(message.replace('\n', ' ') + '\n')
    sys.exit(code)


def import_module(module_name, what):
    try:
        return importlib.import_module(module_name)
    except Exception as error:  # the user's module: any error it raises on import
        fail(3, '%s module "%s" import failed: %s: %s (Python search path: %s)' % (what, module_name, type(error).__name__, error, sys.path))


def load_wsgi_app(module_name, object_name):
    module = import_module(module_name, 'WSGI app')
    if object_name not in module.__dict__:
        fail(3, 'WSGI app object "%s" not in module "%s"' % (object_name, module_name))
    app = getattr(module, object_name)
    if not callable(app):
        fail(3, 'WSGI app object "%s" in module "%s" is not callable' % (object_name, module_name))
    return app


def make_resource(classname, extra):
    """What Crossbar does with a `resource` path's classname: import its module, call the class with `extra`."""
    module_name, _, class_name = classname.rpartition('.')
    module = import_module(module_name, 'resource class')
    if class_name not in module.__dict__:
        fail(3, 'resource class "%s" not in module "%s"' % (class_name, module_name))
    try:
        return getattr(module, class_name)(extra)
    except Exception as error:  # the user's constructor: any error it raises
        fail(3, 'resource class "%s" failed to make its resource: %s: %s' % (classname, type(error).__name__, error))


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


class OutputTooLarge(Exception):
    pass


def render_bounded(template, context, max_bytes):
    """The page as UTF-8, stopped as soon as it would be over max_bytes."""
    size, parts = 0, []
    for chunk in template.generate(context):
        data = chunk.encode('utf-8')
        size += len(data)
        if size > max_bytes:
            raise OutputTooLarge('the rendered page is over %d bytes (options.max_output_bytes)' % max_bytes)
        parts.append(data)
    return b''.join(parts)


def templates_resource(app_spec, resource_module, server, threads):
    """The wap path's templates, all loaded now (a missing one ends the host, as it fails Crossbar's start)."""
    try:
        from jinja2 import Environment, FileSystemLoader
        from jinja2.sandbox import SandboxedEnvironment
    except ImportError as error:
        fail(4, 'Jinja2 is not installed for %s (%s; Debian: apt install python3-jinja2)' % (sys.executable, error))
    folder, max_bytes = app_spec['folder'], int(app_spec['max_output_bytes'])
    environment = (SandboxedEnvironment if app_spec['sandbox'] else Environment)(loader=FileSystemLoader(folder), autoescape=True)
    templates = {}
    for name in app_spec['templates']:
        try:
            templates[name] = environment.get_template(name)
        except Exception as error:  # not found, or a syntax error in the user's template
            fail(3, 'template "%s" in %s cannot be loaded: %s: %s' % (name, folder, type(error).__name__, error))

    def answer(request, code, body):
        request.setResponseCode(code)
        request.setHeader(b'content-type', b'text/html; charset=utf-8' if code == 200 else b'text/plain; charset=utf-8')
        request.write(body)
        request.finish()

    def failed(failure, request):
        error = failure.value
        answer(request, 500, (str(error) if isinstance(error, OutputTooLarge) else 'render error: %s: %s' % (type(error).__name__, error)).encode('utf-8'))

    class Render(resource_module.Resource):
        isLeaf = True

        def render_POST(self, request):
            spec = json.loads(request.content.read().decode('utf-8'))
            rendering = threads.deferToThread(render_bounded, templates[spec['template']], spec['context'], max_bytes)
            rendering.addCallbacks(lambda body: answer(request, 200, body), failed, errbackArgs=(request,))
            return server.NOT_DONE_YET

    kind = 'sandboxed' if app_spec['sandbox'] else 'unsandboxed'
    return Render(), '%d Jinja2 templates (%s) from %s' % (len(templates), kind, folder)


def wsgi_resource(app_spec, reactor, threads, wsgi):
    """The WSGI app in Twisted's WSGIResource, on a thread pool that starts and stops with the reactor."""
    from twisted.python.threadpool import ThreadPool
    app = load_wsgi_app(app_spec['module'], app_spec['object'])
    pool = ThreadPool(minthreads=int(app_spec['minthreads']), maxthreads=int(app_spec['maxthreads']), name='junction_wsgi')
    reactor.callWhenRunning(pool.start)
    # Joined in a thread of its own, the reactor running meanwhile: a worker in the middle of a
    # response waits for the reactor to write each chunk, so joining it in the reactor's thread
    # would wait forever.
    reactor.addSystemEventTrigger('before', 'shutdown', lambda: threads.deferToThread(pool.stop))
    return wsgi.WSGIResource(reactor, pool, app), 'WSGI app %s.%s' % (app_spec['module'], app_spec['object'])


def main():
    end_with_parent()  # only Junction reaches the socket: once it is gone, so is every client
    try:
        spec = json.load(sys.stdin)
        socket_path, mount, app_spec = spec['socket'], spec['mount'], spec['app']
        kind = app_spec['kind']
        if kind not in ('wsgi', 'resource', 'templates'):
            raise ValueError('unknown app kind %r' % (kind,))
    except (ValueError, KeyError, TypeError) as error:
        fail(2, 'the app settings on stdin are not usable: %s: %s' % (type(error).__name__, error))
    for folder in reversed(spec.get('pythonpath', [])):
        sys.path.insert(0, folder)
    try:
        from twisted.internet import address, reactor, threads
        from twisted.web import resource, server, wsgi
    except ImportError as error:
        fail(4, 'Twisted is not installed for %s (%s; Debian: apt install python3-twisted)' % (sys.executable, error))
    if kind == 'wsgi':
        app_resource, described = wsgi_resource(app_spec, reactor, threads, wsgi)
    elif kind == 'templates':
        app_resource, described = templates_resource(app_spec, resource, server, threads)
    else:
        app_resource, described = make_resource(app_spec['classname'], app_spec.get('extra', {})), 'resource %s' % app_spec['classname']

    site = server.Site(mounted(resource, app_resource, mount))
    site.requestFactory = forwarded_request_class(server, address)
    site.displayTracebacks = False
    reactor.listenUNIX(socket_path, site, mode=0o600)
    sys.stdout.write('serving %s at %s\n' % (described, mount))
    sys.stdout.flush()
    reactor.run()  # Twisted stops on SIGTERM and SIGINT


if __name__ == '__main__':
    main()

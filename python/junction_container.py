"""Junction's stand-in for a Crossbar container worker, and for a router worker's components.

Junction starts this script with the Python interpreter of a container worker (or of a router
worker that has Python components), once the router listens, and writes on its stdin one JSON
object:

    {"pythonpath": ["/abs/dir", ...],
     "components": [{"id": ..., "type": "class", "classname": "backend.Backend", "realm": ..., "extra": ...,
                     "transport": {...Crossbar's connecting transport...}}, ...]}

It puts pythonpath first on sys.path, imports each class (an ApplicationSession subclass) and
runs them all with Autobahn|Python's Component API: with Twisted when the classes derive from
autobahn.twisted.wamp.ApplicationSession, with asyncio when from autobahn.asyncio.wamp's. Each
component reconnects when the router goes away. Problems are printed on stderr as one line
each, and the exit code says what failed (2: the input, 3: a class, 4: Autobahn missing). It
ends within about a second once Junction is gone, whatever its components' threads are doing
(junction_lifeline.py). Every call of its procedures is answered, a Deny or a result Autobahn
cannot write included (junction_results.py).

A router worker's component also has "signIn": {"authid": ..., "ticket": ...}: its session
joins its realm through Junction's private entry with that WAMP-Ticket, whatever realm or
authentication the class's own onConnect asks for (Crossbar attaches such a session to the
router with fixed credentials). A "function" component has Crossbar's "callbacks" instead of a
class: {"join": "module.function", ...}, each called on that event of a plain session (Twisted).
"""

import importlib
import json
import sys

from junction_lifeline import end_with_parent
from junction_results import answer_every_result

# The keys of a connecting transport that Autobahn's Component reads (Crossbar's container
# transports carry these; any other key means nothing to a client and is left out).
TRANSPORT_KEYS = (
    'type', 'url', 'endpoint', 'serializer', 'serializers', 'options',
    'max_retries', 'max_retry_delay', 'initial_retry_delay', 'retry_delay_growth', 'retry_delay_jitter', 'proxy',
)


# Crossbar's names for a connecting transport's options, as its container hands them to Autobahn's
# factory (set_websocket_options, set_rawsocket_options in crossbar/router/protocol.py): name and
# the factor from Crossbar's milliseconds to Autobahn's seconds. Autobahn's Component would read
# max_message_size as "maxMessageSize" and refuse it. Other keys go to Autobahn as they are.
WEBSOCKET_OPTIONS = {
    'max_frame_size': ('maxFramePayloadSize', 1), 'max_message_size': ('maxMessagePayloadSize', 1),
    'auto_fragment_size': ('autoFragmentSize', 1), 'fail_by_drop': ('failByDrop', 1),
    'echo_close_codereason': ('echoCloseCodeReason', 1), 'tcp_nodelay': ('tcpNoDelay', 1),
    'open_handshake_timeout': ('openHandshakeTimeout', 0.001), 'close_handshake_timeout': ('closeHandshakeTimeout', 0.001),
    'auto_ping_interval': ('autoPingInterval', 0.001), 'auto_ping_timeout': ('autoPingTimeout', 0.001),
    'auto_ping_size': ('autoPingSize', 1), 'auto_ping_restart_on_any_traffic': ('autoPingRestartOnAnyTraffic', 1),
    'validate_utf8': ('utf8validateIncoming', 1), 'accept_masked_server_frames': ('acceptMaskedServerFrames', 1),
    'mask_client_frames': ('maskClientFrames', 1), 'apply_mask': ('applyMask', 1),
}
RAWSOCKET_OPTIONS = {'max_message_size': ('maxMessagePayloadSize', 1)}


def autobahn_options(transport_type, options):
    names = WEBSOCKET_OPTIONS if transport_type == 'websocket' else RAWSOCKET_OPTIONS
    result = {}
    for key, value in options.items():
        name, factor = names.get(key, (key, 1))
        result[name] = value * factor if factor != 1 else value
    return result


def fail(code, message):
    sys.stderr.write(message.replace('\n', ' ') + '\n')
    sys.exit(code)


def component_transport(transport):
    result = {key: value for key, value in transport.items() if key in TRANSPORT_KEYS}
    if 'options' in result:
        result['options'] = autobahn_options(transport.get('type', 'websocket'), result['options'])
    result.setdefault('max_retries', -1)  # as Crossbar's container: keep reconnecting to the router
    return result


def load_class(classname):
    module_name, _, class_name = classname.rpartition('.')
    if not module_name:
        fail(3, 'classname "%s" must name a module and a class (module.Class)' % classname)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the user's module: any error it raises on import
        fail(3, 'cannot import module "%s" of class "%s": %s: %s' % (module_name, classname, type(error).__name__, error))
    cls = getattr(module, class_name, None)
    if cls is None:
        fail(3, 'module "%s" has no class "%s"' % (module_name, class_name))
    return cls


def load_function(reference):
    module_name, _, name = reference.rpartition('.')
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the user's module: any error it raises on import
        fail(3, 'cannot import module "%s" of callback "%s": %s: %s' % (module_name, reference, type(error).__name__, error))
    function = getattr(module, name, None)
    if not callable(function):
        fail(3, 'module "%s" has no function "%s"' % (module_name, name))
    return function


def function_session(callbacks):
    """Crossbar's function component: a plain Twisted session with each callback on its event."""
    from autobahn.twisted.wamp import ApplicationSession
    handlers = {event: load_function(reference) for event, reference in callbacks.items()}

    class FunctionSession(ApplicationSession):
        def __init__(self, config=None):
            ApplicationSession.__init__(self, config)
            for event, handler in handlers.items():
                self.on(event, handler)
    return FunctionSession


def privately_joined(cls, realm, sign_in):
    """`cls` joining `realm` with the ticket Junction made for it, whatever its own code asks for."""
    class PrivatelyJoined(cls):
        def join(self, _realm, *_args, **_kwargs):
            return cls.join(self, realm, authmethods=['ticket'], authid=sign_in['authid'])

        def onChallenge(self, challenge):
            if challenge.method != 'ticket':
                raise RuntimeError('the router asked for "%s"; a router component signs in with its ticket' % challenge.method)
            return sign_in['ticket']
    PrivatelyJoined.__name__ = cls.__name__
    PrivatelyJoined.__qualname__ = cls.__qualname__
    return PrivatelyJoined


def session_class(component):
    if component.get('type') == 'function':
        return function_session(component.get('callbacks', {}))
    return load_class(component['classname'])


def framework_of(cls, classname):
    from autobahn.wamp.protocol import ApplicationSession as Base
    try:
        from autobahn.twisted.wamp import ApplicationSession as TwistedSession
        if issubclass(cls, TwistedSession):
            return 'twisted'
    except ImportError:
        pass
    from autobahn.asyncio.wamp import ApplicationSession as AsyncioSession
    if issubclass(cls, AsyncioSession):
        return 'asyncio'
    if isinstance(cls, type) and issubclass(cls, Base):
        return 'twisted'  # a plain autobahn.wamp.protocol session: Crossbar runs it under Twisted
    fail(3, 'class "%s" is not an Autobahn ApplicationSession' % classname)


def name_of(component):
    return component['classname'] if component.get('type', 'class') == 'class' else 'function component'


def main():
    end_with_parent()
    try:
        spec = json.load(sys.stdin)
    except ValueError as error:
        fail(2, 'the components on stdin are not JSON: %s' % error)
    for folder in reversed(spec.get('pythonpath', [])):
        sys.path.insert(0, folder)
    try:
        import autobahn  # noqa: F401
    except ImportError:
        fail(4, 'Autobahn|Python is not installed for %s (Debian: apt install python3-autobahn)' % sys.executable)

    loaded = [(component, session_class(component)) for component in spec['components']]
    frameworks = {framework_of(cls, name_of(component)) for component, cls in loaded}
    if len(frameworks) > 1:
        fail(3, 'the classes of one worker mix Twisted and asyncio sessions; run them in two container workers')
    framework = frameworks.pop()
    if framework == 'twisted':
        from autobahn.twisted.component import Component, run
    else:
        from autobahn.asyncio.component import Component, run
    answer_every_result()  # after the framework is chosen: Autobahn's modules make txaio loggers as they load

    components = []
    for component, cls in loaded:
        print('running %s (%s) on realm "%s" with %s' % (name_of(component), component['id'], component['realm'], framework))
        sign_in = component.get('signIn')
        components.append(Component(
            session_factory=cls if sign_in is None else privately_joined(cls, component['realm'], sign_in),
            transports=[component_transport(component['transport'])],
            realm=component['realm'],
            extra=component.get('extra'),
        ))
    sys.stdout.flush()
    run(components, log_level='info')


if __name__ == '__main__':
    main()

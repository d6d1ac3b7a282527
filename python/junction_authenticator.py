"""Junction's host of a Crossbar function authenticator ("type": "function").

Junction runs this script as a stdio component (docs/stdio.md) with the router's Python. The
environment variable JUNCTION_AUTHENTICATOR holds one JSON object:

    {"create": "module.function", "config": {...}, "procedure": "wamp.junction.private...",
     "pythonpath": ["/abs/dir", ...], "max_line_bytes": 65536}

It puts pythonpath first on sys.path, calls create(config, None) as Crossbar does (no node
controller), registers the authenticator it returns under the procedure, and answers each
invocation (realm, authid, details) with what the authenticator returns: a principal dict or a
role string, directly or through a coroutine or an already fired Deferred. An exception refuses
the sign-in: an ApplicationError keeps its URI and message. Invocations are answered one at a
time, in order (as Crossbar's single reactor thread runs a synchronous authenticator).

stdout carries the protocol only: what the user's code prints goes to stderr, which Junction logs.
Problems at start are one line on stderr and exit code 3 (Junction starts the host again later).
It ends within about a second once Junction is gone, whatever the user's code is doing (junction_lifeline.py).
"""

import asyncio
import importlib
import inspect
import json
import os
import sys

from junction_lifeline import end_with_parent

TASK_VARIABLE = 'JUNCTION_AUTHENTICATOR'
FAILED = 'wamp.error.authentication_failed'


def fail(message):
    sys.stderr.write(message.replace('\n', ' ') + '\n')
    sys.exit(3)


def protocol_channel():
    """The real stdout for protocol lines; fd 1 and sys.stdout then point at stderr."""
    channel = os.fdopen(os.dup(1), 'w', encoding='utf-8', buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


class Pending(Exception):
    pass


def settle(value, loop):
    """The plain value behind a coroutine or a Deferred."""
    if inspect.isawaitable(value):
        return loop.run_until_complete(value)
    if hasattr(value, 'addCallbacks') and hasattr(value, 'called'):  # a Twisted Deferred
        outcome = []
        value.addCallbacks(lambda result: outcome.append((True, result)), lambda failure: outcome.append((False, failure)))
        if not outcome:
            raise Pending('the authenticator returned a Deferred that waits on the Twisted reactor, which Junction does not run; use a coroutine (async def)')
        ok, result = outcome[0]
        if not ok:
            result.raiseException()
        return result
    return value


def load_create(name):
    module_name, _, function_name = name.rpartition('.')
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the user's module: any error it raises on import
        fail('cannot import module "%s" of the function authenticator "%s": %s: %s' % (module_name, name, type(error).__name__, error))
    create = getattr(module, function_name, None)
    if not callable(create):
        fail('module "%s" has no function "%s"' % (module_name, function_name))
    return create


def refusal(error):
    """An ERROR answer: an ApplicationError keeps its URI and message, anything else is authentication_failed."""
    uri = getattr(error, 'error', None)
    if isinstance(uri, str) and uri:
        message = error.args[0] if getattr(error, 'args', None) else uri
        return uri, '%s' % (message,)
    return FAILED, 'the authenticator raised %s: %s' % (type(error).__name__, error)


def line_of(message):
    # NaN and Infinity are refused: Python would write them, but they are not JSON.
    return json.dumps(message, separators=(',', ':'), allow_nan=False)


def answer_to(request, authenticate, args, loop, max_line_bytes):
    """The yield or error line that answers one invocation (Junction could not read an answer that is not JSON, or too long)."""
    try:
        answer = settle(authenticate(*args), loop)
    except Exception as error:  # the user's authenticator: any exception refuses the sign-in
        uri, text = refusal(error)
        return line_of({'type': 'error', 'request': request, 'error': uri, 'args': [text]})
    try:
        line = line_of({'type': 'yield', 'request': request, 'args': [answer]})
    except (TypeError, ValueError) as error:
        return line_of({'type': 'error', 'request': request, 'error': FAILED, 'args': ['the authenticator returned a value that is not JSON: %s' % error]})
    size = len(line.encode('utf-8'))
    if size > max_line_bytes:
        return line_of({'type': 'error', 'request': request, 'error': FAILED,
                        'args': ['the authenticator returned %d bytes of JSON, more than the router reads (%d)' % (size, max_line_bytes)]})
    return line


def main():
    end_with_parent()
    try:
        task = json.loads(os.environ[TASK_VARIABLE])
    except (KeyError, ValueError) as error:
        fail('%s is missing or not JSON: %s' % (TASK_VARIABLE, error))
    channel = protocol_channel()

    def send(line):
        channel.write(line + '\n')

    for folder in reversed(task.get('pythonpath', [])):
        sys.path.insert(0, folder)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    create = load_create(task['create'])
    try:
        authenticate = settle(create(task.get('config', {}), None), loop)
    except Exception as error:
        fail('%s(config) failed: %s: %s' % (task['create'], type(error).__name__, error))
    if not callable(authenticate):
        fail('%s(config) returned %s, not a function' % (task['create'], type(authenticate).__name__))

    send(line_of({'type': 'register', 'id': 'register', 'procedure': task['procedure']}))
    for line in sys.stdin:
        message = json.loads(line)
        kind = message.get('type')
        if kind == 'registered':
            print('function authenticator %s ready' % task['create'])
        elif kind == 'error' and message.get('id') == 'register':
            fail('could not register the authenticator: %s %s' % (message.get('error'), message.get('args')))
        elif kind == 'invocation':
            send(answer_to(message['request'], authenticate, message.get('args', []), loop, task['max_line_bytes']))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""
A backend service written with Autobahn|Python (Debian's python3-autobahn, asyncio or Twisted)
that joins Junction over RawSocket. Driven by autobahn-python.test.ts, which talks to it from
AutobahnJS on WebSocket.

On joining it registers com.python.add and com.python.info, subscribes to com.browser.news and
republishes every event it gets there on com.python.heard, calls the browser's com.browser.greet,
and then prints two lines on stdout:

    greeted <JSON of the greeting>
    ready <session id>

Logs go to stderr. `--list-serializers` prints the serializers this Autobahn|Python can import
(msgpack needs python3-msgpack, cbor needs python3-cbor2) as a JSON list and exits.
"""
import argparse
import asyncio
import json
import sys

import txaio


def say(line):
    # The real stdout: Twisted's logging takes over sys.stdout and would swallow the line.
    sys.__stdout__.write(line + '\n')
    sys.__stdout__.flush()


def available_serializers():
    # Imported only once a framework is chosen: autobahn's modules need txaio set up first.
    from autobahn.wamp import serializer as serializers
    names = ['json']
    if hasattr(serializers, 'MsgPackSerializer'):
        names.append('msgpack')
    if hasattr(serializers, 'CBORSerializer'):
        names.append('cbor')
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--url', help='rs://127.0.0.1:8080 or rs://unix:/path/to/socket')
    parser.add_argument('--serializer', default='json', choices=['json', 'msgpack', 'cbor'])
    parser.add_argument('--realm', default='realm1')
    parser.add_argument('--flavor', default='asyncio', choices=['asyncio', 'twisted'])
    parser.add_argument('--list-serializers', action='store_true')
    options = parser.parse_args()

    if options.list_serializers:
        txaio.use_asyncio()
        print(json.dumps(available_serializers()), flush=True)
        return
    if not options.url:
        parser.error('--url is required')

    if options.flavor == 'asyncio':
        txaio.use_asyncio()
        from autobahn.asyncio.component import Component
        patch_asyncio_rawsocket()
    else:
        txaio.use_twisted()
        from autobahn.twisted.component import Component
    txaio.start_logging(level='warn', out=sys.stderr)
    component = Component(
        transports=[{'type': 'rawsocket', 'url': options.url, 'serializer': options.serializer, 'max_retries': 0}],
        realm=options.realm,
    )

    async def joined(session, details):
        def add(a, b):
            return a + b

        def info():
            return {'serializer': options.serializer, 'session': details.session}

        def heard(*args, **kwargs):
            session.publish('com.python.heard', *args, **kwargs)

        await session.register(add, 'com.python.add')
        await session.register(info, 'com.python.info')
        await session.subscribe(heard, 'com.browser.news')
        greeting = await session.call('com.browser.greet', 'python')
        say('greeted ' + json.dumps(greeting))
        say('ready {}'.format(details.session))

    if options.flavor == 'twisted':
        # Twisted runs a coroutine only when it is wrapped in a Deferred.
        from twisted.internet.defer import ensureDeferred
        component.on_join(lambda session, details: ensureDeferred(joined(session, details)))
    else:
        component.on_join(joined)

    @component.on_disconnect
    def disconnected(session, was_clean):
        print('disconnected clean={}'.format(was_clean), file=sys.stderr, flush=True)

    if options.flavor == 'twisted':
        from autobahn.twisted.component import run
        run([component], log_level=None)
        return

    # Not autobahn.asyncio.component.run(): in Debian's 22.7 it uses @asyncio.coroutine, which
    # Python 3.11 removed. Starting the component on our own loop works on every version.
    async def serve():
        loop = asyncio.get_running_loop()
        txaio.config.loop = loop
        await component.start(loop=loop)

    asyncio.run(serve())


def patch_asyncio_rawsocket():
    """
    Autobahn|Python 22.7 (Debian bookworm's python3-autobahn) cannot open a session over asyncio
    RawSocket with any router: its protocol lacks the `transport_details` property that the session
    reads on WELCOME (crossbario/autobahn-python#1592, fixed upstream by #1593 in a later release).
    Add the same property when it is missing; newer versions are left untouched.
    """
    from autobahn.asyncio import rawsocket
    if not hasattr(rawsocket.PrefixProtocol, 'transport_details'):
        rawsocket.PrefixProtocol.transport_details = property(lambda self: self._transport_details)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""
An Autobahn|Python client (Debian's python3-autobahn, asyncio) that signs in to Junction by its
TLS client certificate, as a Crossbar backend does: HELLO with authmethods ["tls"] over rss:// or
wss://, with an ssl context that holds the certificate. Driven by tls-python.test.ts.

Prints one JSON line on stdout and exits:

    {"joined": {WELCOME details}, "session": {wamp.session.get of itself}}    signed in
    {"left": {"reason": ..., "message": ...}}                               refused
"""
import argparse
import asyncio
import json
import ssl
import sys
from urllib.parse import urlparse

import txaio


def say(value):
    sys.__stdout__.write(json.dumps(value) + '\n')
    sys.__stdout__.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--url', required=True, help='rss://127.0.0.1:port or wss://127.0.0.1:port/path')
    parser.add_argument('--ca', required=True, help='PEM of the authority that signed the server certificate')
    parser.add_argument('--cert', help='PEM client certificate (none: sign in without one)')
    parser.add_argument('--key', help='PEM key of --cert')
    parser.add_argument('--realm', default='realm1')
    options = parser.parse_args()

    txaio.use_asyncio()
    txaio.start_logging(level='warn', out=sys.stderr)
    from autobahn.asyncio.component import Component
    from autobahn.asyncio.wamp import ApplicationSession
    from rawsocket_service import patch_asyncio_rawsocket
    patch_asyncio_rawsocket()

    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=options.ca)
    if options.cert:
        context.load_cert_chain(options.cert, options.key)

    outcome = {}

    class CertificateSession(ApplicationSession):
        def onConnect(self):
            # Autobahn|Python has no "tls" authenticator object: the HELLO names the method itself.
            self.join(self.config.realm, authmethods=['tls'])

        async def onJoin(self, details):
            own = await self.call('wamp.session.get', details.session)
            outcome['joined'] = {
                'authid': details.authid, 'authrole': details.authrole,
                'authmethod': details.authmethod, 'authprovider': details.authprovider,
            }
            outcome['session'] = own
            self.leave()

        def onLeave(self, details):
            if 'joined' not in outcome:
                outcome['left'] = {'reason': details.reason, 'message': details.message}
            self.disconnect()

    url = urlparse(options.url)
    kind = 'rawsocket' if url.scheme == 'rss' else 'websocket'
    component = Component(
        transports=[{
            'type': kind, 'url': options.url, 'max_retries': 0,
            **({'serializer': 'json'} if kind == 'rawsocket' else {'serializers': ['json']}),
            'endpoint': {'type': 'tcp', 'host': url.hostname, 'port': url.port, 'tls': context},
        }],
        realm=options.realm,
        session_factory=CertificateSession,
    )

    # Not autobahn.asyncio.component.run(): in Debian's 22.7 it uses @asyncio.coroutine (gone in 3.11).
    async def serve():
        loop = asyncio.get_running_loop()
        txaio.config.loop = loop
        try:
            await asyncio.wait_for(component.start(loop=loop), 20)
        except Exception as error:  # a refusal ends the component with the ABORT's error
            print('component ended: {}'.format(error), file=sys.stderr, flush=True)

    asyncio.run(serve())
    say(outcome if outcome else {'left': {'reason': 'no answer', 'message': None}})


if __name__ == '__main__':
    main()

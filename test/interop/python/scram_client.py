#!/usr/bin/env python3
"""
Signs in to Junction with Autobahn|Python's WAMP-SCRAM client (autobahn.wamp.auth.AuthScram,
asyncio; Argon2id needs Debian's python3-argon2) and prints one line on stdout:

    joined <JSON of authid, authrole, authmethod, authprovider, authextra, realm>
    refused <JSON of reason, message>

AuthScram checks the router's server signature in WELCOME before the session joins: a join means
the router proved it holds the principal's ServerKey.

--decode-pbkdf2-salt works around Autobahn|Python 22.7's PBKDF2 path, which passes the CHALLENGE's
base64 salt text where its pbkdf2() wants bytes and fails with "Invalid argument types": the salt
is base64-decoded first, as its Argon2id path does. Everything else is Autobahn's own.
"""
import argparse
import asyncio
import base64
import json
import sys

import txaio
from component_loop import run_until


def say(line):
    sys.__stdout__.write(line + '\n')
    sys.__stdout__.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--url', required=True, help='ws://127.0.0.1:8080/ws')
    parser.add_argument('--realm', default='realm1')
    parser.add_argument('--no-realm', action='store_true', help='name no realm (HELLO realm null)')
    parser.add_argument('--authid', required=True)
    parser.add_argument('--password', required=True)
    parser.add_argument('--decode-pbkdf2-salt', action='store_true')
    options = parser.parse_args()

    txaio.use_asyncio()
    txaio.start_logging(level='critical', out=sys.stderr)
    from autobahn.asyncio.component import Component
    from autobahn.wamp import auth

    if options.decode_pbkdf2_salt:
        auth._hash_pbkdf2_secret = lambda password, salt, iterations: auth.pbkdf2(password, base64.b64decode(salt), iterations, keylen=32)

    component = Component(
        transports=[{'type': 'websocket', 'url': options.url, 'max_retries': 0}],
        realm=None if options.no_realm else options.realm,
        authentication={'scram': {'authid': options.authid, 'password': options.password}},
    )
    finished = asyncio.Event()
    outcome = {}

    @component.on_join
    async def joined(session, details):
        outcome['joined'] = {
            'authid': details.authid, 'authrole': details.authrole, 'authmethod': details.authmethod,
            'authprovider': details.authprovider, 'authextra': details.authextra, 'realm': details.realm,
        }
        await session.leave()

    @component.on_leave
    def left(session, details):
        if 'joined' not in outcome:
            outcome['refused'] = {'reason': details.reason, 'message': details.message}
        finished.set()

    @component.on_disconnect
    def disconnected(session, was_clean):
        finished.set()

    run_until(component, finished)
    if 'joined' in outcome:
        say('joined ' + json.dumps(outcome['joined']))
    else:
        say('refused ' + json.dumps(outcome.get('refused', {'reason': None, 'message': 'no WELCOME or ABORT'})))


if __name__ == '__main__':
    main()

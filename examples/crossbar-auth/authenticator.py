"""The example's sign-in and authorization service for browsers.

The container worker in config.json runs this class (Junction starts it with Autobahn|Python, as
Crossbar would). It signs in to the `auth` realm on the `backend` path with the
`authenticator` ticket from AUTHENTICATOR_TICKET, then serves:

- com.example.authenticate: the dynamic ticket authenticator of the `ws` path. Browser users
  and their tickets come from APP_USERS, a JSON object {"ann": "ann's ticket", ...}; a real app
  would look them up in its own user store.
- com.example.authorize: the dynamic authorizer of the `user` role. A user may subscribe to and
  call what is under com.example.user.<their authid>., and nothing else.
"""

import hmac
import json
import os

from autobahn.twisted.wamp import ApplicationSession
from twisted.internet.defer import inlineCallbacks
from autobahn.wamp.exception import ApplicationError

AUTHID = 'authenticator'


def app_users():
    try:
        users = json.loads(os.environ.get('APP_USERS', '{}'))
    except ValueError:
        raise SystemExit('APP_USERS is not a JSON object of authid -> ticket')
    if not isinstance(users, dict):
        raise SystemExit('APP_USERS is not a JSON object of authid -> ticket')
    return users


class AuthenticatorSession(ApplicationSession):

    def onConnect(self):
        self.join(self.config.realm, authmethods=['ticket'], authid=AUTHID)

    def onChallenge(self, challenge):
        if challenge.method != 'ticket':
            raise ApplicationError('com.example.unexpected_challenge', challenge.method)
        return os.environ['AUTHENTICATOR_TICKET']

    @inlineCallbacks
    def onJoin(self, details):
        users = app_users()

        def authenticate(realm, authid, details):
            expected = users.get(authid)
            given = details.get('ticket', '')
            if expected is None or not hmac.compare_digest(expected.encode(), given.encode()):
                raise ApplicationError('com.example.invalid_ticket', 'no such user, or a wrong ticket')
            return {'role': 'user'}

        def authorize(session, uri, action, options=None):
            own = 'com.example.user.%s.' % session['authid']
            return action in ('subscribe', 'call') and uri.startswith(own)

        yield self.register(authenticate, 'com.example.authenticate')
        yield self.register(authorize, 'com.example.authorize')
        self.log.info('authenticator ready for {count} users', count=len(users))

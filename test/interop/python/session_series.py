#!/usr/bin/env python3
"""
A "session series" with Autobahn|Python (Debian's python3-autobahn, Twisted), as its own example
does: one connection, several sessions in a row, each leaving with GOODBYE and the next joining
with a new HELLO on the same transport. The first session also subscribes to "" with match
"prefix" (Crossbar's "everything", as in Autobahn|Python's meta-event example) and publishes once.
Driven by session-series.test.ts.

Prints one JSON line on stdout when done:

    {"sessions": [<session id>, ...], "connections": <how many transports were opened>,
     "everything": [<topics of the events the everything subscription got>]}
"""
import argparse
import json
import sys

import txaio

txaio.use_twisted()

from twisted.internet import reactor  # noqa: E402
from twisted.internet.defer import Deferred, inlineCallbacks  # noqa: E402
from autobahn.twisted.wamp import ApplicationRunner, ApplicationSession  # noqa: E402
from autobahn.wamp.types import PublishOptions, SubscribeOptions  # noqa: E402

outcome = {'sessions': [], 'connections': 0, 'everything': []}


class Series(ApplicationSession):
    def onConnect(self):
        outcome['connections'] += 1
        super().onConnect()

    @inlineCallbacks
    def onJoin(self, details):
        outcome['sessions'].append(details.session)
        if len(outcome['sessions']) == 1:
            got = Deferred()

            def everything(*args, **kwargs):
                topic = kwargs.pop('details').topic
                outcome['everything'].append(topic)
                if topic == 'com.python.series' and not got.called:
                    got.callback(None)

            yield self.subscribe(everything, '', options=SubscribeOptions(match='prefix', details_arg='details'))
            yield self.publish('com.python.series', 1, options=PublishOptions(acknowledge=True, exclude_me=False))
            yield got
        self.leave()

    def onLeave(self, details):
        if len(outcome['sessions']) < self.config.extra['sessions']:
            self.join(self.config.realm)
        else:
            self.disconnect()

    def onDisconnect(self):
        sys.__stdout__.write(json.dumps(outcome) + '\n')
        sys.__stdout__.flush()
        reactor.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--url', required=True, help='ws://127.0.0.1:8080/ws or rs://127.0.0.1:8081')
    parser.add_argument('--sessions', type=int, default=3)
    options = parser.parse_args()
    txaio.start_logging(level='warn', out=sys.stderr)
    reactor.callLater(20, reactor.stop)  # a bound, should the router never answer
    ApplicationRunner(options.url, 'realm1', extra={'sessions': options.sessions}).run(Series, start_reactor=True)


if __name__ == '__main__':
    main()

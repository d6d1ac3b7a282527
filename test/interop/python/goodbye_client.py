"""Joins realm1, leaves, and prints the reason of the router's GOODBYE answer as one JSON line.

Crossbar's example clients (crossbar-examples authentication/*) exit 1 unless that reason is
wamp.close.normal, so the test checks the reason a real Autobahn|Python session sees.
"""
import argparse
import asyncio
import json

from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession


class LeaveAtOnce(ApplicationSession):
    def onJoin(self, details):
        self.leave()

    def onLeave(self, details):
        print('left ' + json.dumps({'reason': details.reason}), flush=True)
        self.disconnect()

    def onDisconnect(self):
        asyncio.get_event_loop().stop()


parser = argparse.ArgumentParser()
parser.add_argument('--url', required=True)
options = parser.parse_args()
ApplicationRunner(options.url, 'realm1').run(LeaveAtOnce)

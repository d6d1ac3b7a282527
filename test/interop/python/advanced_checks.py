#!/usr/bin/env python3
"""
Advanced Profile checks with Autobahn|Python (Debian's python3-autobahn, asyncio) as the client:
what a service written for Crossbar sees from Junction. Driven by advanced-python.test.ts.

Joins over WebSocket, runs every check in one session (it is callee, caller, publisher and
subscriber at once), prints one line `results <JSON>` (check name -> what Autobahn|Python saw),
leaves and exits 0. Logs go to stderr.
"""
import argparse
import asyncio
import json
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio.component import Component  # noqa: E402 (txaio must choose asyncio first)
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import CallOptions, PublishOptions, RegisterOptions, SubscribeOptions  # noqa: E402
from component_loop import run_until  # noqa: E402

DETAILS = RegisterOptions(details_arg='details')


def error_of(exception):
    return {'error': exception.error, 'args': list(exception.args), 'kwargs': exception.kwargs}


async def failure(call):
    """The ApplicationError a call or registration ends with, as a dict (None when it succeeds)."""
    try:
        await call
    except ApplicationError as exception:
        return error_of(exception)
    return None


async def progressive(session, results):
    def count(n, details=None):
        for i in range(n):
            details.progress(i)
        return 'done'

    def fail_late(details=None):
        details.progress('started')
        raise ApplicationError('com.example.late_failure', 'half way', step=1)

    await session.register(count, 'py.count', DETAILS)
    await session.register(fail_late, 'py.fail_late', DETAILS)
    seen = []
    final = await session.call('py.count', 3, options=CallOptions(on_progress=lambda value: seen.append(value)))
    results['progressive'] = {'progress': seen, 'final': final}
    late = []
    error = await failure(session.call('py.fail_late', options=CallOptions(on_progress=lambda value: late.append(value))))
    results['error_after_progress'] = {'progress': late, **error}


async def patterns(session, results):
    def named(kind):
        return lambda details=None: [kind, details.procedure]

    await session.register(named('exact'), 'py.files.readme.read', DETAILS)
    await session.register(named('prefix'), 'py.files', RegisterOptions(match='prefix', details_arg='details'))
    await session.register(named('wildcard'), 'py.files..read', RegisterOptions(match='wildcard', details_arg='details'))
    await session.register(named('wildcard'), 'py.docs..read', RegisterOptions(match='wildcard', details_arg='details'))
    results['pattern_registrations'] = [
        await session.call('py.files.readme.read'),
        await session.call('py.files.other.read'),
        await session.call('py.docs.intro.read'),
    ]

    topics = []
    await session.subscribe(lambda details=None: topics.append(['prefix', details.topic]), 'py.news',
                            SubscribeOptions(match='prefix', details_arg='details'))
    await session.subscribe(lambda details=None: topics.append(['wildcard', details.topic]), 'py..alert',
                            SubscribeOptions(match='wildcard', details_arg='details'))
    await session.publish('py.news.sport', options=PublishOptions(exclude_me=False, acknowledge=True))
    await session.publish('py.fire.alert', options=PublishOptions(exclude_me=False, acknowledge=True))
    await asyncio.sleep(0.2)
    results['pattern_subscriptions'] = sorted(topics)


async def canceling(session, results):
    interrupted = asyncio.Event()

    async def sleepy():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            interrupted.set()
            raise

    await session.register(sleepy, 'py.sleep')
    call = asyncio.ensure_future(session.call('py.sleep'))
    await asyncio.sleep(0.3)
    call.cancel()
    await asyncio.wait_for(interrupted.wait(), 5)
    results['cancel_interrupts_python_callee'] = True
    # No timer of its own in Autobahn|Python: the router times the call out (the timeout is in ms).
    interrupted.clear()
    results['timeout'] = await failure(session.call('py.sleep', options=CallOptions(timeout=200)))
    await asyncio.wait_for(interrupted.wait(), 5)
    results['timeout_interrupts_python_callee'] = True


async def registration_rules(session, results):
    await session.register(lambda: 'old', 'py.single')
    results['register_taken'] = await failure(session.register(lambda: 'other', 'py.single'))
    results['register_shared_on_single'] = await failure(session.register(lambda: 'other', 'py.single', RegisterOptions(invoke='roundrobin')))
    await session.register(lambda: 'first', 'py.shared', RegisterOptions(invoke='first'))
    results['register_other_policy'] = await failure(session.register(lambda: 'other', 'py.shared', RegisterOptions(invoke='last')))
    results['register_reserved'] = await failure(session.register(lambda: None, 'wamp.mine'))
    results['call_unknown'] = await failure(session.call('py.nobody'))
    taken = await session.register(lambda: 'new', 'py.single', RegisterOptions(force_reregister=True))
    results['force_reregister'] = {'answer': await session.call('py.single'), 'new_registration': taken.id}

    release = asyncio.Event()

    async def one_at_a_time():
        await release.wait()
        return 'served'

    await session.register(one_at_a_time, 'py.one_at_a_time', RegisterOptions(concurrency=1))
    first = asyncio.ensure_future(session.call('py.one_at_a_time'))
    results['concurrency_refused'] = await failure(session.call('py.one_at_a_time'))
    release.set()
    results['concurrency_first'] = await first


async def errors(session, results):
    def refuse(*args, **kwargs):
        raise ApplicationError('com.example.refused', *args, **kwargs)

    await session.register(refuse, 'py.refuse')
    results['error_round_trip'] = await failure(session.call('py.refuse', 1, 'two', three=3))


async def publishing(session, results, own_id):
    got = []
    await session.subscribe(lambda label: got.append(label), 'py.lists')

    async def publish(label, **options):
        await session.publish('py.lists', label, options=PublishOptions(acknowledge=True, **options))

    await publish('excluded by default')
    await publish('exclude_me false', exclude_me=False)
    await publish('eligible me', exclude_me=False, eligible=[own_id])
    await publish('eligible other', exclude_me=False, eligible=[own_id + 1])
    await publish('excluded me', exclude_me=False, exclude=[own_id])
    await publish('eligible my authrole', exclude_me=False, eligible_authrole=['anonymous'])
    await publish('excluded my authrole', exclude_me=False, exclude_authrole=['anonymous'])
    await asyncio.sleep(0.2)
    results['blackwhite_listing'] = got

    publication = await session.publish('py.sensor', 21.5, options=PublishOptions(acknowledge=True, retain=True, exclude_me=False))
    retained = asyncio.get_running_loop().create_future()
    await session.subscribe(lambda value, details=None: retained.set_result([value, details.retained]), 'py.sensor',
                            SubscribeOptions(get_retained=True, details_arg='details'))
    results['retained'] = await asyncio.wait_for(retained, 5)
    results['acknowledged_publication_is_id'] = isinstance(publication.id, int) and publication.id > 0

    # The spec: no retained event for a subscriber that would not have received it (here its own
    # publisher, excluded by exclude_me's default). A retained event follows SUBSCRIBED at once, so
    # one call's round trip after the subscription is time enough for it to arrive.
    own = []
    await session.publish('py.sensor.own', 1, options=PublishOptions(acknowledge=True, retain=True))
    await session.subscribe(lambda value: own.append(value), 'py.sensor.own', SubscribeOptions(get_retained=True))
    await session.call('wamp.session.count')
    results['own_retained_event'] = own


async def meta(session, results, own_id):
    me = await session.call('wamp.session.get', own_id)
    results['session_get_keys'] = sorted(me.keys())
    results['session_get_unknown'] = await failure(session.call('wamp.session.get', 1))
    registration = await session.call('wamp.registration.lookup', 'py.count')
    results['registration_get'] = await session.call('wamp.registration.get', registration)
    results['registration_callees'] = await session.call('wamp.registration.list_callees', registration) == [own_id]
    results['registration_match_none'] = await session.call('wamp.registration.match', 'py.nothing.here')


async def session_events(session, results, url, realm):
    """on_join and on_leave as handlers written for Crossbar see them: a visitor joins and leaves."""
    joined = asyncio.get_running_loop().create_future()
    left = asyncio.get_running_loop().create_future()

    def on_join(details):
        if not joined.done():
            joined.set_result(details)

    # As Crossbar's docs write it: one argument (a TypeError, reported by Autobahn, with any more).
    def on_leave(session_id):
        if not left.done():
            left.set_result(session_id)

    await session.subscribe(on_join, 'wamp.session.on_join')
    await session.subscribe(on_leave, 'wamp.session.on_leave')
    visitor = Component(transports=[{'type': 'websocket', 'url': url, 'max_retries': 0}], realm=realm)
    visitor.on_join(lambda visiting, details: visiting.leave())
    visitor.start(loop=asyncio.get_running_loop())
    join_details = await asyncio.wait_for(joined, 10)
    results['on_join_keys'] = sorted(join_details.keys())
    results['on_leave'] = await asyncio.wait_for(left, 10) == join_details['session']


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--url', required=True, help='ws://127.0.0.1:8080/ws')
    parser.add_argument('--realm', default='realm1')
    options = parser.parse_args()

    txaio.start_logging(level='warn', out=sys.stderr)
    component = Component(transports=[{'type': 'websocket', 'url': options.url, 'max_retries': 0}], realm=options.realm)
    finished = asyncio.Event()

    @component.on_join
    async def joined(session, details):
        results = {}
        try:
            await progressive(session, results)
            await patterns(session, results)
            await canceling(session, results)
            await registration_rules(session, results)
            await errors(session, results)
            await publishing(session, results, details.session)
            await meta(session, results, details.session)
            await session_events(session, results, options.url, options.realm)
        except Exception as exception:  # reported to the test, which shows what went wrong
            results['failed'] = repr(exception)
        sys.__stdout__.write('results ' + json.dumps(results) + '\n')
        sys.__stdout__.flush()
        await session.leave()
        finished.set()

    run_until(component, finished)


if __name__ == '__main__':
    main()

"""
Runs an Autobahn|Python asyncio Component until `finished` is set (at most `timeout` seconds).

Not autobahn.asyncio.component.run(): Debian's 22.7 uses @asyncio.coroutine, gone in Python 3.11.
Starting the component on a loop of our own works on every version.
"""
import asyncio

import txaio


def run_until(component, finished, timeout=60):
    async def serve():
        loop = asyncio.get_running_loop()
        txaio.config.loop = loop
        component.start(loop=loop)
        await asyncio.wait_for(finished.wait(), timeout)

    asyncio.run(serve())

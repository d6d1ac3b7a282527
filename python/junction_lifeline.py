"""Ends a Python host that Junction started (container launcher, web host, authenticator host) once Junction is gone.

Junction starts each host through `setpriv --pdeathsig TERM`, so the kernel sends it SIGTERM when
Junction dies, even killed outright, and the host begins its clean stop. That stop can hang: a
Twisted or asyncio shutdown waits on threads, the user's code holds a thread that never ends, and
the process sits in a futex for ever, an orphan. This watchdog, a daemon thread of its own (not a
reactor timer: the reactor's thread may be the one stuck), ends the process with os._exit once
its parent changed, however far the stop got: it runs no more code after that. Without setpriv
(no util-linux) it is the only thing that ends the host.
"""

import os
import threading
import time

# How often the watchdog looks at its parent: the clean stop the parent-death signal began has about that long.
CHECK_SECONDS = 1.0


def watch_parent(parent):
    while os.getppid() == parent:
        time.sleep(CHECK_SECONDS)
    os._exit(0)


def end_with_parent():
    """Starts the watchdog on the process that started this one (call it first thing: before any user code)."""
    threading.Thread(target=watch_parent, args=(os.getppid(),), name='junction_lifeline', daemon=True).start()

"""Where untrusted bytes are read: a runner chosen once, sandboxed by default.

``base`` is the :class:`~.base.Runner` contract (inspect, the checks a gate needs, export
one file, call one of our functions); ``sandboxed`` runs it in a few warm limited worker
processes (``pool``: forkserver on Linux, watchdog; ``worker``: address-space and
processor limits, no inet sockets, the task loop; ``messages``: what they say to each
other), and ``inprocess`` in the caller's own process, for debugging and tests.
"""

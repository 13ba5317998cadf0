"""The sandbox: untrusted files are parsed and written in limited worker processes.

``pool`` keeps a few warm workers (forkserver on Linux), sends them tasks, and kills
one that stalls or overruns; ``worker`` is the child side: address-space and
processor limits, no inet sockets, and the task loop.
"""

"""The export steps for one file: transform, strip, verify, publish.

``pipeline`` writes one planned clean copy (run by the engine's runner, in the sandbox by
default) and holds the naming rule for copies; ``consent`` is the request, the answer and
its channel, and refuses unless a front end answers yes; ``safeio`` writes to a temp file
in the destination folder, verifies it and renames it into place; ``rebuild`` re-encodes
from pixels a file the lossless cleaner refuses, when asked. Deciding which files may be
exported is the engine's verdict (``core.engine``).
"""

"""The export pipeline: plan, consent, transform, strip, verify, publish.

``pipeline`` decides per file whether and where a clean copy may be written and
runs the steps; ``consent`` is the hook that refuses unless a front end answers
yes; ``safeio`` writes to a temp file in the destination folder, verifies it and
renames it into place; ``rebuild`` re-encodes from pixels a file the lossless
cleaner refuses, when asked.
"""

"""The bundled program (PyInstaller runs this file as ``__main__``).

freeze_support() comes first: the sandbox's worker processes start from this same
executable. On Linux the forkserver and multiprocessing's resource tracker are started as
``share-guard -c "from multiprocessing.forkserver import main; ..."`` and on Windows and
macOS each worker as ``share-guard --multiprocessing-fork ...``; PyInstaller's
freeze_support() recognises those command lines, runs the child's code and exits, so they
never reach the argument parser.
"""

import multiprocessing

multiprocessing.freeze_support()

from share_guard.launch import bundle_main  # noqa: E402 - after freeze_support on purpose

raise SystemExit(bundle_main())

from share_guard.cli import main

raise SystemExit(main())

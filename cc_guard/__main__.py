from cc_guard.entry import main

raise SystemExit(main())

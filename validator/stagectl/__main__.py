from stagectl.cli import main

raise SystemExit(main())

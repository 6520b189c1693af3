from smartdd.reports.worked_example import main

raise SystemExit(main())

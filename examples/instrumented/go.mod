module example.com/instrumented

go 1.21

require gctune.dev/reporter v0.0.0

replace gctune.dev/reporter => ../../orchestrator/workloads/reporter

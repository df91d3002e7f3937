module gctune.dev/reporter

go 1.21

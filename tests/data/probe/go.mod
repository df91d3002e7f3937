module gctune/probe

go 1.21

module gctune/service

go 1.21

module gctracecapture

go 1.21

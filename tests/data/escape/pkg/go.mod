module example.com/escpkg

go 1.21

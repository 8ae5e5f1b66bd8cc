module example.invalid/box

go 1.26

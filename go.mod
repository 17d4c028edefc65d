module fedsim

go 1.26.8

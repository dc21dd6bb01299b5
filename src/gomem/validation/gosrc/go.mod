module gomemvalidation

go 1.19

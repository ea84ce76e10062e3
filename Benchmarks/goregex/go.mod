module goregex

go 1.19

module github.com/mountkit/mountkit

go 1.26

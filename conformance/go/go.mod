module sandbox.dev/conformance/go

go 1.24

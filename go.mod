module github.com/mountkit/mountkit

go 1.26

require (
	github.com/go-git/go-billy/v5 v5.9.2
	github.com/hanwen/go-fuse/v2 v2.12.1
	github.com/spf13/afero v1.15.0
	github.com/stretchr/testify v1.12.1
	github.com/ulikunitz/xz v0.5.15
	golang.org/x/term v0.41.0
	pgregory.net/rapid v1.3.0
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.46.0 // indirect
	golang.org/x/text v0.39.0 // indirect
)

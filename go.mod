module github.com/mountkit/mountkit

go 1.26

require (
	github.com/spf13/afero v1.15.0
	github.com/stretchr/testify v1.12.1
	github.com/ulikunitz/xz v0.5.15
	pgregory.net/rapid v1.3.0
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.28.0 // indirect
)

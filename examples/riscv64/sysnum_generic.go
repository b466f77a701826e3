//go:build riscv64 || arm64 || loong64

package main

// sysFinitModule is finit_module's number in the generic table.
const sysFinitModule = 273

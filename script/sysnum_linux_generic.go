//go:build linux && (arm64 || riscv64 || loong64)

package script

// sysSetns is the number of setns(2) in the generic system-call table.
const sysSetns = 268

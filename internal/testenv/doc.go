// Package testenv tells tests about the machine they run on, so that a
// test that cannot run here skips itself with the reason.
package testenv

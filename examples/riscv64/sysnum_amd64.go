package main

// sysFinitModule is finit_module's x86-64 number.
const sysFinitModule = 313

package script

// sysSetns is the number of setns(2), which package syscall lacks here.
const sysSetns = 308

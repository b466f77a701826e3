package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/mountkit/mountkit/fuseexport"
)

func cmdFuse(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fuse", "mountsh fuse [--script FILE | --demo] [--allow-other] [--debug] DIR\n\nServes a library world on the host directory DIR through FUSE, as its\ncurrent process sees it, until interrupted (SIGINT, SIGTERM) or until DIR\nis unmounted. The world is a fresh one, or the one a script leaves\n(--script FILE, or --demo for the built-in demo). Needs root (the mount is\nmade with mount(2)) or fusermount3.", stderr)
	scriptName := fs.String("script", "", "run this script on the library first")
	demo := fs.Bool("demo", false, "run the built-in demo script first")
	debug := fs.Bool("debug", false, "log every FUSE request")
	allowOther := fs.Bool("allow-other", false, "let other users than the mounting one in (each request runs with its caller's credentials)")
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	if fs.NArg() != 1 || (*demo && *scriptName != "") {
		fs.Usage()
		return &exitError{2, errors.New("fuse: want one directory, and at most one of --script and --demo")}
	}
	dir := fs.Arg(0)
	var name string
	switch {
	case *scriptName != "":
		name = *scriptName
	case !*demo:
		name = os.DevNull // an empty script: a fresh world
	}
	in, err := runOnLibrary(name, stdout)
	if err != nil {
		return err
	}
	defer in.Close()
	c, ok := in.Context()
	if !ok {
		return errors.New("fuse: the script's current process has exited")
	}
	srv, err := fuseexport.Mount(dir, c, &fuse.MountOptions{DirectMount: os.Geteuid() == 0, Debug: *debug, AllowOther: *allowOther})
	if err != nil {
		return fmt.Errorf("fuse: %w", err)
	}
	fmt.Fprintf(stderr, "mountsh: serving on %s; interrupt or umount to stop\n", dir)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	done := make(chan struct{})
	go func() { srv.Wait(); close(done) }()
	select {
	case <-sig:
		return srv.Unmount()
	case <-done:
		return nil
	}
}

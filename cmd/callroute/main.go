// Command callroute answers a B2B company's phone: every inbound call reaches
// the person who owns the relationship, and no caller is left unrecorded.
//
// Run `callroute help` for the commands and their configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1 // the command ran and failed
	exitUsage   = 2 // the command line or the configuration is wrong
)

func main() {
	// SIGINT and SIGTERM cancel the context: serve shuts down gracefully,
	// other commands stop at their next blocking call.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills at once (the default
		// action) instead of waiting for the drain.
		<-ctx.Done()
		stop()
	}()
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	code := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// cli is what a command runs with: its standard streams and environment,
// passed in so that tests run commands in-process.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one subcommand ("serve") or sub-subcommand ("user add").
type command struct {
	name    string // as typed: "user add"
	args    string // the synopsis after the flags: "E [--label L]"
	summary string // one line for `callroute help`
	about   string // the paragraph of `callroute <cmd> -h`
	run     func(ctx context.Context, c *cli, cmd *command, args []string) error
}

// commands lists every command, in the order help shows them.
var commands = []*command{
	serveCommand,
	migrateCommand,
	userAddCommand,
	userListCommand,
	userPasswdCommand,
	userSIPCommand,
	userTokenCommand,
	importContactsCommand,
	dialCommand,
}

// groups are commands that take a sub-command.
var groups = map[string]string{
	"user":   "manage users: add, list, passwd, sip, token",
	"import": "import client data: contacts",
}

// usageError is a mistake on the command line or in the configuration
// (exit 2); the message says what to fix.
type usageError struct {
	msg  string
	help string // the command whose -h helps; "" = callroute itself
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// errHelpShown: help was asked for and printed; exit 0.
var errHelpShown = errors.New("help shown")

// run runs the command line args (without the program name) and returns the
// exit code.
func (c *cli) run(ctx context.Context, args []string) int {
	cmd, rest, err := c.find(args)
	if err == nil {
		err = cmd.run(ctx, c, cmd, rest)
	}
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return exitOK
	case errors.As(err, &ue):
		name := "callroute"
		switch {
		case ue.help != "":
			name += " " + ue.help
		case cmd != nil:
			name += " " + cmd.name
		}
		fmt.Fprintf(c.stderr, "callroute: %v\nRun '%s -h' for help.\n", err, name)
		return exitUsage
	case cmd == nil:
		fmt.Fprintf(c.stderr, "callroute: %v\n", err)
		return exitRuntime
	default:
		fmt.Fprintf(c.stderr, "callroute: %s: %v\n", cmd.name, err)
		return exitRuntime
	}
}

// find picks the command named by the first (one or two) arguments.
func (c *cli) find(args []string) (*command, []string, error) {
	if len(args) == 0 {
		c.printHelp(c.stderr)
		return nil, nil, usagef("no command given")
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return c.find(slices.Concat(args[1:], []string{"-h"}))
		}
		c.printHelp(c.stdout)
		return nil, nil, errHelpShown
	}
	if summary, ok := groups[name]; ok {
		if len(args) < 2 || strings.HasPrefix(args[1], "-") {
			w := c.stderr
			if len(args) > 1 && isHelpFlag(args[1]) {
				w = c.stdout
			}
			fmt.Fprintf(w, "callroute %s: %s\n\n", name, summary)
			c.printCommands(w, name+" ")
			if w == c.stdout {
				return nil, nil, errHelpShown
			}
			return nil, nil, &usageError{msg: name + ": which one?", help: name}
		}
		name += " " + args[1]
		args = args[1:]
	}
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd, args[1:], nil
		}
	}
	return nil, nil, usagef("unknown command %q (run 'callroute help')", name)
}

func isHelpFlag(s string) bool {
	switch s {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// printHelp is `callroute help`: the commands and every setting.
func (c *cli) printHelp(w io.Writer) {
	fmt.Fprint(w, `callroute answers a B2B company's phone: every inbound call reaches the person
who owns the relationship, and no caller is left unrecorded.

It takes calls over SIP (trunks, PBXs, desk phones), routes them to the
caller's owner, the inbound desk, the desk queue or voicemail, rings SIP
phones and the browser softphone (with the caller's file on screen), and
keeps the client base with its REST API. Live state over several nodes
(Redis) is not in this version.

Usage: callroute <command> [flags] [arguments]

Commands:
`)
	c.printCommands(w, "")
	fmt.Fprintf(w, `
Run 'callroute <command> -h' for a command's flags.

Settings (each flag can also be given by the environment variable beside it;
a flag on the command line wins over the environment, which wins over the
default):
`)
	printFlags(w, allSettings())
}

func (c *cli) printCommands(w io.Writer, prefix string) {
	for _, cmd := range commands {
		if strings.HasPrefix(cmd.name, prefix) {
			fmt.Fprintf(w, "  %-16s %s\n", cmd.name, cmd.summary)
		}
	}
}

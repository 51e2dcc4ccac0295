package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"callroute/crm"
)

// Config is callroute's configuration, the one place it is read. Every field
// is a flag; a flag not given on the command line is read from the
// environment variable named after it (CALLROUTE_ and the flag name in upper
// case with underscores: --http-addr is CALLROUTE_HTTP_ADDR); else it keeps
// its default. The flag beats the environment, which beats the default.
type Config struct {
	DataDir        string
	DatabaseURL    string // "" = callroute.db in DataDir
	LogLevel       slog.Level
	Region         string // ISO 3166 code numbers are read in by default
	SIPRealm       string
	ManagersSeeAll bool

	HTTPAddr        string
	SIPAddr         string // SIP over UDP (and TCP unless --sip-tcp-addr says otherwise)
	RedisURL        string // for live state over several nodes, not in this version
	ShutdownTimeout time.Duration
	PprofAddr       string // "" = no profiling listener; else a loopback host:port

	HTTP  HTTPConfig
	Calls CallConfig
}

// envPrefix starts the name of every environment variable callroute reads.
const envPrefix = "CALLROUTE_"

// envName is the environment variable of a flag: http-addr is
// CALLROUTE_HTTP_ADDR.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Defaults of the settings that scripts and other issues rely on.
const (
	defaultDataDir         = "./data"
	defaultDatabaseFile    = "callroute.db"
	defaultHTTPAddr        = "127.0.0.1:8080"
	defaultSIPAddr         = "127.0.0.1:5060"
	defaultRegion          = "RO"
	defaultShutdownTimeout = 15 * time.Second
)

// storeFlags are the settings of every command that opens the database.
func (cfg *Config) storeFlags(fs *flag.FlagSet) {
	fs.StringVar(&cfg.DataDir, "data-dir", defaultDataDir,
		"`directory` of callroute's files (the SQLite database); created if missing, mode 0700")
	fs.StringVar(&cfg.DatabaseURL, "database-url", "",
		"the client base: a SQLite file `path`, or postgres://user@host:5432/db for PostgreSQL (default: "+
			defaultDatabaseFile+" in the data directory)")
	cfg.LogLevel = slog.LevelInfo
	fs.Var((*levelFlag)(&cfg.LogLevel), "log-level", "log `level`: debug, info, warn or error (logs go to standard error)")
}

// serviceFlags are the settings of the client base's rules.
func (cfg *Config) serviceFlags(fs *flag.FlagSet) {
	checkedVar(fs, &cfg.Region, "region", defaultRegion,
		"default phone `region` (ISO 3166 code): numbers written in its national format are read as its own",
		func(s string) (string, error) {
			p, err := crm.NewPhoneParser(s)
			if err != nil {
				return "", err
			}
			return p.Region(), nil
		})
	fs.StringVar(&cfg.SIPRealm, "sip-realm", crm.DefaultSIPRealm,
		"digest `realm` SIP passwords are made for (user sip); changing it needs new SIP passwords")
	fs.BoolVar(&cfg.ManagersSeeAll, "managers-see-all", false,
		"let managers see every client's file, not only their own and those delegated to them")
}

// serveFlags are the settings of the running service.
func (cfg *Config) serveFlags(fs *flag.FlagSet) {
	checkedVar(fs, &cfg.HTTPAddr, "http-addr", defaultHTTPAddr,
		"`host:port` the HTTP server (browser UI, REST API, /healthz, /readyz, /metrics) listens on; port 0 picks a free port", checkHostPort)
	checkedVar(fs, &cfg.SIPAddr, "sip-addr", defaultSIPAddr,
		"`host:port` the SIP edge listens on (UDP, and TCP unless --sip-tcp-addr says otherwise); RTP binds to its host", checkHostPort)
	fs.StringVar(&cfg.RedisURL, "redis-url", "",
		"Redis `URL` for live state shared by several nodes; not used yet (this version keeps live state in memory: one node)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", defaultShutdownTimeout,
		"how long a stopping server waits for requests in flight (`duration`)")
	cfg.httpFlags(fs)
	checkedVar(fs, &cfg.PprofAddr, "pprof-addr", "",
		"loopback `host:port` serving Go's runtime profiles (/debug/pprof/) for performance work; off when empty", checkLoopbackHostPort)
}

// allSettings has every setting, for `callroute help`.
func allSettings() *flag.FlagSet {
	var cfg Config
	fs := flag.NewFlagSet("callroute", flag.ContinueOnError)
	cfg.storeFlags(fs)
	cfg.serviceFlags(fs)
	cfg.serveFlags(fs)
	cfg.callFlags(fs)
	cfg.softphoneFlags(fs)
	return fs
}

// databaseURL is the configured database, else the SQLite file in the data
// directory.
func (cfg *Config) databaseURL() string {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL
	}
	return filepath.Join(cfg.DataDir, defaultDatabaseFile)
}

func checkHostPort(s string) (string, error) {
	if _, _, err := net.SplitHostPort(s); err != nil {
		return "", fmt.Errorf("want host:port, such as 127.0.0.1:8080: %v", err)
	}
	return s, nil
}

// checkLoopbackHostPort accepts host:port on a loopback address only:
// profiles show memory contents and stacks, so they are never served to
// the network.
func checkLoopbackHostPort(s string) (string, error) {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("want host:port, such as 127.0.0.1:6060: %v", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("%q is not a loopback address: want 127.0.0.1, ::1 or localhost", host)
	}
	return s, nil
}

// checkedString is a string flag checked (and normalised) when it is set,
// so a bad value is reported with the flag or the variable that gave it.
type checkedString struct {
	p     *string
	check func(string) (string, error)
}

func checkedVar(fs *flag.FlagSet, p *string, name, def, usage string, check func(string) (string, error)) {
	*p = def
	fs.Var(&checkedString{p: p, check: check}, name, usage)
}

func (v *checkedString) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return *v.p
}

func (v *checkedString) Set(s string) error {
	n, err := v.check(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

// levelFlag is a slog.Level as a flag, shown in lower case.
type levelFlag slog.Level

func (l *levelFlag) String() string { return strings.ToLower(slog.Level(*l).String()) }

func (l *levelFlag) Set(s string) error {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(s)); err != nil {
		return errors.New("want debug, info, warn or error")
	}
	*l = levelFlag(lv)
	return nil
}

// parse reads a command's flags from args, then from the environment for
// every flag not on the command line. Flags and arguments may come in any
// order; "--" ends the flags. It returns the arguments, which must number
// nargs.
func (c *cli) parse(cmd *command, fs *flag.FlagSet, args []string, nargs int) ([]string, error) {
	fs.SetOutput(io.Discard) // errors and help are printed by run and usage
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.usage(cmd, fs)
				return nil, errHelpShown
			}
			return nil, usagef("%s: %v", cmd.name, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if err := c.applyEnv(fs); err != nil {
		return nil, &usageError{msg: cmd.name + ": " + err.Error()}
	}
	if len(pos) != nargs {
		return nil, usagef("%s: want %d argument(s), got %d: callroute %s %s", cmd.name, nargs, len(pos), cmd.name, cmd.args)
	}
	return pos, nil
}

// applyEnv sets every flag not given on the command line from its
// environment variable, when that is set and not empty.
func (c *cli) applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		v := c.getenv(name)
		if given[f.Name] || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				err = errors.New("want true or false")
			}
			errs = append(errs, fmt.Errorf("environment variable %s=%q: %v", name, v, err))
		}
	})
	return errors.Join(errs...)
}

// usage prints a command's help on standard output.
func (c *cli) usage(cmd *command, fs *flag.FlagSet) {
	w := c.stdout
	synopsis := "callroute " + cmd.name
	if cmd.args != "" {
		synopsis += " " + cmd.args
	}
	fmt.Fprintf(w, "Usage: %s [flags]\n\n%s\n", synopsis, cmd.about)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintf(w, "\nFlags (a flag not given is read from the environment variable beside it):\n")
		printFlags(w, fs)
	}
}

// printFlags lists flags with their environment variable and default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if arg != "" {
			name += " " + arg
		}
		line := fmt.Sprintf("  %-30s %-32s", name, envName(f.Name))
		if f.DefValue != "" && f.DefValue != "false" {
			line += " default " + f.DefValue
		}
		fmt.Fprintf(w, "%s\n      %s\n", strings.TrimRight(line, " "), usage)
	})
}

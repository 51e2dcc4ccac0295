package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// profiler serves Go's runtime profiles (CPU, heap, goroutines, mutex,
// block, execution trace) on --pprof-addr, a loopback address only, on a
// listener of its own: the API's port never exposes them.
type profiler struct {
	srv  *http.Server
	ln   net.Listener
	log  *slog.Logger
	done chan error
}

// startProfiler listens on addr and serves /debug/pprof/ until stop.
func startProfiler(ctx context.Context, addr string, logger *slog.Logger) (*profiler, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // heap, goroutine, allocs, mutex, block, ...
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	p := &profiler{ln: ln, log: logger, done: make(chan error, 1), srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// No WriteTimeout: a CPU profile or trace streams for as long as
		// its ?seconds= asks.
	}}
	go func() { p.done <- p.srv.Serve(ln) }()
	logger.Info("profiles served", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	return p, nil
}

// stop closes the listener and the profiles being served.
func (p *profiler) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		_ = p.srv.Close()
	}
	if err := <-p.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		p.log.Warn("profiles listener", "err", err)
	}
}

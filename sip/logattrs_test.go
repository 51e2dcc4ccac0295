package sip

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// TestLogWithSameLines checks that logWith writes the lines log.With
// writes, chained as the call layer chains them (request, call, fork, and
// the media session's Logger.With on top), and nothing below the level.
func TestLogWithSameLines(t *testing.T) {
	lines := func(chain func(*slog.Logger) *slog.Logger) string {
		var buf bytes.Buffer
		base := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
			Level:       slog.LevelInfo,
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return dropTime(a) },
		}))
		log := chain(base)
		log.Debug("not written", "k", 1)
		log.Info("first", "k", 2)
		log.Warn("second")
		log.WithGroup("g").Info("grouped", "k", 3)
		return buf.String()
	}
	eager := lines(func(l *slog.Logger) *slog.Logger {
		l = l.With("call_id", "c1", "method", "INVITE")
		l = l.With("caller", "+49")
		return l.With("rtp_port", 10000)
	})
	lazy := lines(func(l *slog.Logger) *slog.Logger {
		l = logWith(l, slog.String("call_id", "c1"), slog.String("method", "INVITE"))
		l = logWith(l, slog.String("caller", "+49"))
		return l.With("rtp_port", 10000)
	})
	if eager != lazy {
		t.Errorf("logWith wrote\n%s\nlog.With wrote\n%s", lazy, eager)
	}
	if strings.Contains(lazy, "not written") || !strings.Contains(lazy, `call_id=c1 method=INVITE caller=+49 rtp_port=10000 k=2`) {
		t.Errorf("unexpected lines:\n%s", lazy)
	}
}

// TestLogWithConcurrentFirstLine writes the first lines of a shared lazy
// logger and of one made from it on several goroutines (run with -race).
func TestLogWithConcurrentFirstLine(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})
	call := logWith(slog.New(slog.NewTextHandler(w, nil)), slog.String("call_id", "c1"))
	fork := logWith(call, slog.String("device", "d"))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { call.Info("call") })
		wg.Go(func() { fork.Info("fork") })
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "call_id=c1"); n != 8 {
		t.Errorf("%d of 8 lines carry the call ID:\n%s", n, buf.String())
	}
	if n := strings.Count(buf.String(), "call_id=c1 device=d"); n != 4 {
		t.Errorf("%d of 4 fork lines carry the device:\n%s", n, buf.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func dropTime(a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// BenchmarkCallLoggers makes the loggers of one call's INVITE as the call
// layer does (request, admission, call, ring, fork) and writes a call's
// usual lines at the default level: a few info lines on the request and
// fork loggers, debug lines on the others. The slog sub-benchmark is the
// same with log.With, for comparison.
func BenchmarkCallLoggers(b *testing.B) {
	base := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.Run("logWith", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			req := logWith(base, slog.String("call_id", "a84b4c76e66710"), slog.String("method", "INVITE"), slog.String("src", "192.0.2.1:5060"))
			req = logWith(req, slog.String("caller_kind", "trunk"), slog.String("caller", "+4930123456"))
			req.Info("sip: invite admitted", "user_id", 0)
			call := logWith(base, slog.String("call_id", "a84b4c76e66710"))
			call.Debug("sip: caller answered")
			ring := logWith(base, slog.String("call_id", "a84b4c76e66710"), slog.Int64("user_id", 7), slog.String("stage", "owner"))
			fork := logWith(ring, slog.String("device", "sip:201@192.0.2.9:5062"))
			fork = logWith(fork, slog.String("agent_call_id", "f81d4fae7dec11d0"))
			fork.Debug("sip: phone ringing", "status", 180)
			fork.Info("sip: phone answered", "codec", "PCMA/8000")
		}
	})
	b.Run("slog", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			req := base.With("call_id", "a84b4c76e66710", "method", "INVITE", "src", "192.0.2.1:5060")
			req = req.With("caller_kind", "trunk", "caller", "+4930123456")
			req.Info("sip: invite admitted", "user_id", 0)
			call := base.With("call_id", "a84b4c76e66710")
			call.Debug("sip: caller answered")
			ring := base.With("call_id", "a84b4c76e66710", "user_id", int64(7), "stage", "owner")
			fork := ring.With("device", "sip:201@192.0.2.9:5062")
			fork = fork.With("agent_call_id", "f81d4fae7dec11d0")
			fork.Debug("sip: phone ringing", "status", 180)
			fork.Info("sip: phone answered", "codec", "PCMA/8000")
		}
	})
}

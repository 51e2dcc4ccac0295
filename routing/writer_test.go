package routing

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"callroute/crm"
)

func TestRecordIsWrittenOnceTheDatabaseIsBack(t *testing.T) {
	e := newEnv(t, envOption{settings: func(s *Settings) { s.QueueTimeout = 10 * time.Millisecond }})
	e.rec.setDown(true)
	e.result(second(e.call("down1", "+4934000")))
	if n := e.r.Pending(); n != 1 {
		t.Fatalf("pending = %d, want 1", n)
	}
	waitFor(t, "a few retries", func() bool {
		e.rec.mu.Lock()
		defer e.rec.mu.Unlock()
		return e.rec.attempts >= 3
	})
	e.rec.setDown(false)
	it := e.written("down1")
	if it.Outcome != crm.OutcomeVoicemail {
		t.Fatalf("interaction = %+v", it)
	}
	waitFor(t, "nothing pending", func() bool { return e.r.Pending() == 0 })
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	if e.rec.writes["down1"] != 1 {
		t.Fatalf("written %d times", e.rec.writes["down1"])
	}
}

func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "calls-*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestSpooledRecordSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	e1 := newEnv(t, envOption{noRun: true, opts: []Option{WithSpoolDir(dir)},
		settings: func(s *Settings) { s.QueueTimeout = 10 * time.Millisecond }})
	e1.rec.setDown(true)
	e1.result(second(e1.call("spooled", "+4934100")))
	if e1.r.Pending() != 1 || len(spoolFiles(t, dir)) != 1 {
		t.Fatalf("pending %d, spool %v", e1.r.Pending(), spoolFiles(t, dir))
	}
	if err := e1.r.Close(); err != nil { // the process stops before the database is back
		t.Fatal(err)
	}
	// A line cut short by a crash is skipped.
	f, err := os.OpenFile(spoolFiles(t, dir)[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, `{"v":1,"interaction":{"call_id":"tor`)
	f.Close()

	e2 := newEnv(t, envOption{opts: []Option{WithSpoolDir(dir)}})
	it := e2.written("spooled")
	if it.CallerE164 != "+4934100" || it.Outcome != crm.OutcomeVoicemail || len(it.Route) == 0 {
		t.Fatalf("replayed interaction = %+v", it)
	}
	waitFor(t, "the spool emptied", func() bool { return e2.r.Pending() == 0 && len(spoolFiles(t, dir)) == 0 })
}

type countingMetrics struct {
	NopMetrics
	lost atomic.Int64
}

func (m *countingMetrics) Lost() { m.lost.Add(1) }

func record(id string) crm.Interaction {
	return crm.Interaction{Kind: crm.KindCall, CallID: id, CallerE164: "+4934200", Outcome: crm.OutcomeMissed}
}

func TestFullRetryQueueLosesOnlyWithoutASpool(t *testing.T) {
	m := &countingMetrics{}
	e := newEnv(t, envOption{noRun: true, opts: []Option{WithMetrics(m), WithRetry(time.Millisecond, time.Millisecond, 1)}})
	e.rec.setDown(true)
	ctx := context.Background()
	e.r.writer.write(ctx, record("a"), quietLogger())
	e.r.writer.write(ctx, record("b"), quietLogger())
	if e.r.Pending() != 1 || m.lost.Load() != 1 {
		t.Fatalf("pending %d, lost %d", e.r.Pending(), m.lost.Load())
	}
}

func TestFullRetryQueueKeepsTheRestInTheSpool(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, envOption{noRun: true, opts: []Option{WithSpoolDir(dir), WithRetry(time.Millisecond, time.Millisecond, 1)}})
	e.rec.setDown(true)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		e.r.writer.write(ctx, record(id), quietLogger())
	}
	if e.r.Pending() != 3 {
		t.Fatalf("pending = %d, want 3 (1 in memory, 2 in the spool)", e.r.Pending())
	}
	e.rec.setDown(false)
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := e.r.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if _, ok := e.rec.get(id); !ok {
			t.Fatalf("%s not written", id)
		}
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Fatalf("spool left: %v", files)
	}
}

func TestFlushGivesUpWhenTheDatabaseStaysDown(t *testing.T) {
	e := newEnv(t, envOption{noRun: true})
	e.rec.setDown(true)
	e.r.writer.write(context.Background(), record("x"), quietLogger())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.r.Flush(ctx); err == nil {
		t.Fatal("Flush reported success with the database down")
	}
}

func TestInvalidRecordIsNotRetried(t *testing.T) {
	e := newEnv(t, envOption{noRun: true})
	e.r.recorder = nil
	e.r.writer.rec = rejecting{}
	e.r.writer.write(context.Background(), record("bad"), quietLogger())
	if e.r.Pending() != 0 {
		t.Fatal("a rejected record was queued for retry")
	}
}

type rejecting struct{}

func (rejecting) RecordCall(context.Context, crm.Interaction) (*crm.Interaction, *crm.Task, error) {
	return nil, nil, &crm.FieldError{Field: "contact_id", Message: "no such contact"}
}

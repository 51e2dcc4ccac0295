package routing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"callroute/crm"
)

// batchRecorder is fakeRecorder taking batches as crm.Service does: one
// transaction, all or none. A record with the Call-ID in refuse fails its
// batch (and alone it is a *crm.FieldError); each batch takes delay.
type batchRecorder struct {
	*fakeRecorder
	delay  time.Duration
	refuse string

	mu      sync.Mutex
	batches []int // the size of each batch tried
}

func (b *batchRecorder) RecordCall(ctx context.Context, it crm.Interaction) (*crm.Interaction, *crm.Task, error) {
	if it.CallID == b.refuse {
		return nil, nil, &crm.FieldError{Field: "contact_id", Message: "no such contact"}
	}
	return b.fakeRecorder.RecordCall(ctx, it)
}

func (b *batchRecorder) RecordCalls(ctx context.Context, its []crm.Interaction) error {
	b.mu.Lock()
	b.batches = append(b.batches, len(its))
	b.mu.Unlock()
	time.Sleep(b.delay)
	b.fakeRecorder.mu.Lock()
	down := b.fakeRecorder.down
	b.fakeRecorder.mu.Unlock()
	if down {
		return errors.New("database is down")
	}
	for _, it := range its {
		if it.CallID == b.refuse {
			return fmt.Errorf("record %d calls: %w", len(its), &crm.FieldError{Field: "contact_id", Message: "no such contact"})
		}
	}
	for _, it := range its {
		if _, _, err := b.fakeRecorder.RecordCall(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

func (b *batchRecorder) sizes() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.batches...)
}

func newBatchWriter(t *testing.T, b *batchRecorder) *Router {
	t.Helper()
	r, err := New(Deps{Lookup: &fakeLookup{}, Recorder: b, Ringer: newRinger()}, fastSettings(),
		WithLogger(quietLogger()), WithRetry(5*time.Millisecond, 50*time.Millisecond, 1000))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writeAll ends n calls at once, each writing its record as Handle does.
func writeAll(r *Router, n int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { r.writer.write(context.Background(), record(fmt.Sprintf("c%d", i)), quietLogger()) })
	}
	wg.Wait()
}

// TestGroupCommitWritesTogether: calls that end while a write is under
// way are written in the next transaction, together; every record once.
func TestGroupCommitWritesTogether(t *testing.T) {
	b := &batchRecorder{fakeRecorder: newRecorder(), delay: 20 * time.Millisecond}
	r := newBatchWriter(t, b)
	writeAll(r, 200)
	if r.Pending() != 0 {
		t.Fatalf("%d records pending with the database up", r.Pending())
	}
	total := 0
	for _, n := range b.sizes() {
		total += n
	}
	if total != 200 || len(b.sizes()) >= 100 {
		t.Fatalf("batches %v: want 200 records in far fewer than 200 writes", b.sizes())
	}
	for i := range 200 {
		if n := b.writes[fmt.Sprintf("c%d", i)]; n != 1 {
			t.Fatalf("c%d written %d times", i, n)
		}
	}
}

// TestGroupCommitOneBadRecord: a record the database refuses fails its
// batch, but only that record is lost (dropped as invalid, logged); the
// others of its batch are written on their own.
func TestGroupCommitOneBadRecord(t *testing.T) {
	b := &batchRecorder{fakeRecorder: newRecorder(), delay: 10 * time.Millisecond, refuse: "c7"}
	r := newBatchWriter(t, b)
	writeAll(r, 50)
	if r.Pending() != 0 {
		t.Fatalf("%d records pending", r.Pending())
	}
	for i := range 50 {
		id := fmt.Sprintf("c%d", i)
		if _, ok := b.get(id); ok == (id == "c7") {
			t.Errorf("%s written: %v", id, ok)
		}
	}
}

// TestGroupCommitDatabaseDown: with the database down every record of a
// failed batch joins the retry queue, and is written once it is back.
func TestGroupCommitDatabaseDown(t *testing.T) {
	b := &batchRecorder{fakeRecorder: newRecorder(), delay: 5 * time.Millisecond}
	b.setDown(true)
	r := newBatchWriter(t, b)
	writeAll(r, 30)
	if r.Pending() != 30 {
		t.Fatalf("pending = %d, want all 30", r.Pending())
	}
	b.setDown(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if n := b.writes[fmt.Sprintf("c%d", i)]; n != 1 {
			t.Fatalf("c%d written %d times", i, n)
		}
	}
}

// TestGroupCommitAfterPanic: a write that panics still hands the next
// write over: later records are not stuck behind it.
func TestGroupCommitAfterPanic(t *testing.T) {
	var calls int
	g := &groupCommit{write: func(context.Context, []crm.Interaction) error {
		calls++
		if calls == 1 {
			panic("broken")
		}
		return nil
	}}
	func() {
		defer func() { _ = recover() }()
		_, _ = g.commit(context.Background(), record("a"))
	}()
	done := make(chan error, 1)
	go func() { _, err := g.commit(context.Background(), record("b")); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write after a panic never happened")
	}
}

// TestGroupCommitWindow: records of calls ending a moment apart share a
// transaction: the first waits the window for the others.
func TestGroupCommitWindow(t *testing.T) {
	b := &batchRecorder{fakeRecorder: newRecorder()}
	r, err := New(Deps{Lookup: &fakeLookup{}, Recorder: b, Ringer: newRinger()}, fastSettings(),
		WithLogger(quietLogger()), WithWriteWindow(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() { r.writer.write(context.Background(), record(fmt.Sprintf("w%d", i)), quietLogger()) })
		time.Sleep(5 * time.Millisecond) // no write is under way: the first waits in its window
	}
	wg.Wait()
	if got := b.sizes(); len(got) != 1 || got[0] != 5 {
		t.Fatalf("batches %v, want the 5 records in one", got)
	}
}

// TestRetryWritesTheBacklogInBatches: once the database is back, the
// records that waited are written a few hundred a transaction, each once;
// a record refused in a batch is dropped alone.
func TestRetryWritesTheBacklogInBatches(t *testing.T) {
	b := &batchRecorder{fakeRecorder: newRecorder()}
	b.setDown(true)
	r, err := New(Deps{Lookup: &fakeLookup{}, Recorder: b, Ringer: newRinger()}, fastSettings(),
		WithLogger(quietLogger()), WithRetry(time.Millisecond, time.Millisecond, 1000), WithWriteWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	writeAll(r, 500)
	if r.Pending() != 500 {
		t.Fatalf("pending = %d, want 500", r.Pending())
	}
	b.refuse = "c123" // found invalid once the database answers
	b.setDown(false)
	before := len(b.sizes())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(b.sizes()) - before; n > 6 {
		t.Errorf("the backlog took %d transactions, want a few (batches of %d)", n, retryBatch)
	}
	for i := range 500 {
		id := fmt.Sprintf("c%d", i)
		if got := b.writes[id]; got != map[bool]int{true: 0, false: 1}[id == "c123"] {
			t.Errorf("%s written %d times", id, got)
		}
	}
}

package routing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"callroute/crm"
)

// writer writes call records with the CallRecorder. A record the database
// does not take (down, slow) is kept, in memory up to limit and in the
// spool directory if there is one, and retried with backoff by run until it
// is written. Writes are idempotent by Call-ID, so a retry after a write
// whose answer was lost does no harm.
type writer struct {
	rec     CallRecorder
	batch   BatchRecorder // rec, when it takes batches
	group   *groupCommit  // group commit over batch
	window  time.Duration // how long a batch waits for more records
	log     *slog.Logger
	metrics Metrics
	timeout func() time.Duration
	first   time.Duration
	longest time.Duration
	limit   int
	dir     string
	spool   *spool
	wake    chan struct{}

	passing sync.Mutex // one pass over the queue at a time (run or flush)

	mu      sync.Mutex
	queue   []*pendingWrite
	queued  map[string]bool // call IDs in queue
	spilled int             // records in the spool only (memory was full)
}

type pendingWrite struct {
	it       crm.Interaction
	attempts int
	next     time.Time
}

// maxFailuresPerPass stops a pass after this many failures in a row: the
// database is down, wait for the backoff rather than try every record.
const maxFailuresPerPass = 3

// open reads back what an earlier run left in the spool.
func (w *writer) open() error {
	w.queued = map[string]bool{}
	if w.limit <= 0 {
		return errors.New("routing: the retry queue needs room for at least one record")
	}
	if w.dir == "" {
		return nil
	}
	sp, left, err := openSpool(w.dir)
	if err != nil {
		return err
	}
	w.spool = sp
	for _, it := range left {
		w.add(it)
	}
	if len(left) > 0 {
		w.log.Info("call records from the spool to write", "count", len(left), "dir", w.dir)
	}
	w.metrics.Pending(len(w.queue) + w.spilled)
	return nil
}

// add queues a record in memory, or counts it as spilled when memory is
// full; the caller holds mu or owns w.
func (w *writer) add(it crm.Interaction) bool {
	if w.queued[it.CallID] {
		return true
	}
	if len(w.queue) >= w.limit {
		w.spilled++
		return false
	}
	w.queue = append(w.queue, &pendingWrite{it: it})
	w.queued[it.CallID] = true
	return true
}

// write writes a finished call's record. When records are already waiting
// (the database is down) it joins them at once rather than wait for a
// timeout.
func (w *writer) write(ctx context.Context, it crm.Interaction, log *slog.Logger) {
	if w.pending() == 0 {
		err := w.writeNow(ctx, it)
		if err == nil {
			return
		}
		if permanent(err) {
			log.Error("call record rejected, not retried", "err", err)
			return
		}
		log.Warn("writing the call record failed, will retry", "err", err)
	}
	w.enqueue(it, log)
}

// writeNow is the first attempt at a record: with the records of the
// calls that end at the same time when the recorder takes batches. A batch
// that failed for another reason than its time running out may have failed
// for one bad record only: this one is then tried alone, as it would have
// been without batching.
func (w *writer) writeNow(ctx context.Context, it crm.Interaction) error {
	if w.group == nil {
		return w.try(ctx, it)
	}
	n, err := w.group.commit(ctx, it)
	if err != nil && n > 1 && !errors.Is(err, context.DeadlineExceeded) {
		return w.try(ctx, it)
	}
	return err
}

// batchRecorder enables group commit when rec takes batches.
func (w *writer) batchRecorder() {
	br, ok := w.rec.(BatchRecorder)
	if !ok {
		return
	}
	w.batch = br
	w.group = &groupCommit{window: w.window, write: func(ctx context.Context, its []crm.Interaction) error {
		wctx, cancel := context.WithTimeout(ctx, w.timeout())
		defer cancel()
		return br.RecordCalls(wctx, its)
	}}
}

func (w *writer) try(ctx context.Context, it crm.Interaction) error {
	wctx, cancel := context.WithTimeout(ctx, w.timeout())
	defer cancel()
	_, _, err := w.rec.RecordCall(wctx, it)
	return err
}

// permanent reports whether retrying cannot help (the record is invalid).
func permanent(err error) bool {
	var fe *crm.FieldError
	return errors.As(err, &fe)
}

func (w *writer) enqueue(it crm.Interaction, log *slog.Logger) {
	w.mu.Lock()
	defer w.mu.Unlock()
	spooled := false
	if w.spool != nil {
		if err := w.spool.append(it); err != nil {
			log.Error("spooling the call record failed", "err", err)
		} else {
			spooled = true
		}
	}
	if !w.add(it) {
		if spooled {
			log.Warn("retry queue full: call record kept in the spool only", "queue", len(w.queue))
		} else {
			w.spilled--
			w.metrics.Lost()
			log.Error("retry queue full: call record lost", "caller", it.CallerE164,
				"outcome", it.Outcome, "at", it.At)
		}
	}
	w.metrics.Pending(len(w.queue) + w.spilled)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *writer) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue) + w.spilled
}

// run retries until ctx is done.
func (w *writer) run(ctx context.Context) error {
	for {
		wait := w.pass(ctx, false)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// flush tries every record now, until ctx is done.
func (w *writer) flush(ctx context.Context) error {
	for ctx.Err() == nil {
		w.pass(ctx, true)
		if n := w.pending(); n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(w.first):
		}
	}
	return fmt.Errorf("%d call records not written: %w", w.pending(), ctx.Err())
}

// pass tries the records that are due (all with force) and returns how
// long to wait for the next.
func (w *writer) pass(ctx context.Context, force bool) time.Duration {
	w.passing.Lock()
	defer w.passing.Unlock()
	w.refill()
	now := time.Now()
	w.mu.Lock()
	due := make([]*pendingWrite, 0, len(w.queue))
	for _, p := range w.queue {
		if force || !p.next.After(now) {
			due = append(due, p)
		}
	}
	w.mu.Unlock()
	failures := 0
	for len(due) > 0 && ctx.Err() == nil && failures < maxFailuresPerPass {
		chunk := due[:min(len(due), retryBatch)]
		due = due[len(chunk):]
		if len(chunk) > 1 && w.batch != nil {
			if err := w.tryBatch(ctx, chunk); err == nil {
				w.remove(chunk...)
				w.log.Info("call records written after retry", "count", len(chunk))
				failures = 0
				continue
			}
			// One record may be the one refused, or the database is down:
			// the chunk's records one by one say which.
			failures++
		}
		for _, p := range chunk {
			if ctx.Err() != nil || failures >= maxFailuresPerPass {
				break
			}
			failures = w.retryOne(ctx, p, failures)
		}
	}
	return w.nextWait()
}

// retryBatch is how many due records a retry pass writes in one
// transaction when the recorder takes batches: a backlog (after a database
// outage, an overload) is written in a few transactions, not one a record.
const retryBatch = 200

func (w *writer) tryBatch(ctx context.Context, ps []*pendingWrite) error {
	its := make([]crm.Interaction, len(ps))
	for i, p := range ps {
		its[i] = p.it
	}
	wctx, cancel := context.WithTimeout(ctx, w.timeout())
	defer cancel()
	return w.batch.RecordCalls(wctx, its)
}

// retryOne tries one record and returns the failures in a row so far.
func (w *writer) retryOne(ctx context.Context, p *pendingWrite, failures int) int {
	err := w.try(ctx, p.it)
	switch {
	case err == nil:
		w.log.Info("call record written after retry", "call_id", p.it.CallID, "attempts", p.attempts+1)
		w.remove(p)
		return 0
	case permanent(err):
		w.log.Error("call record rejected, dropped", "call_id", p.it.CallID, "err", err)
		w.remove(p)
		return failures
	}
	p.attempts++
	p.next = time.Now().Add(w.backoff(p.attempts))
	w.log.Warn("writing the call record failed", "call_id", p.it.CallID, "attempts", p.attempts,
		"retry_in", time.Until(p.next).Round(time.Millisecond), "err", err)
	return failures + 1
}

func (w *writer) backoff(attempts int) time.Duration {
	d := w.first
	for i := 1; i < attempts && d < w.longest; i++ {
		d *= 2
	}
	d = min(d, w.longest)
	return d - time.Duration(rand.Int64N(int64(d)/5+1)) // up to 20% earlier, so nodes spread out
}

func (w *writer) nextWait() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return w.longest
	}
	next := w.queue[0].next
	for _, p := range w.queue[1:] {
		if p.next.Before(next) {
			next = p.next
		}
	}
	return max(time.Until(next), time.Millisecond)
}

// remove drops written (or rejected) records from the queue and the spool.
func (w *writer) remove(ps ...*pendingWrite) {
	w.mu.Lock()
	defer w.mu.Unlock()
	gone := make(map[*pendingWrite]bool, len(ps))
	for _, p := range ps {
		gone[p] = true
	}
	w.queue = slices.DeleteFunc(w.queue, func(q *pendingWrite) bool { return gone[q] })
	for _, p := range ps {
		delete(w.queued, p.it.CallID)
		if w.spool != nil {
			if err := w.spool.done(p.it.CallID); err != nil {
				w.log.Error("removing a written record from the spool failed", "call_id", p.it.CallID, "err", err)
			}
		}
	}
	w.metrics.Pending(len(w.queue) + w.spilled)
}

// refill brings records kept only in the spool back into memory once there
// is room.
func (w *writer) refill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.spilled == 0 || w.spool == nil || len(w.queue) > w.limit/2 {
		return
	}
	left, err := w.spool.unwritten()
	if err != nil {
		w.log.Error("reading the spool failed", "err", err)
		return
	}
	w.spilled = 0
	for _, it := range left {
		w.add(it)
	}
}

func (w *writer) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.spool == nil {
		return nil
	}
	return w.spool.close()
}

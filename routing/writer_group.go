package routing

import (
	"context"
	"errors"
	"sync"
	"time"

	"callroute/crm"
)

// BatchRecorder writes several call records in one transaction, all of
// them or none; writing a Call-ID written before changes nothing.
// *crm.Service implements it. When the Router's CallRecorder is one too,
// the records of calls that end together are written together (group
// commit): one transaction per burst instead of one per call.
type BatchRecorder interface {
	RecordCalls(ctx context.Context, its []crm.Interaction) error
}

var _ BatchRecorder = (*crm.Service)(nil)

// groupCommit batches call records without a goroutine of its own. A
// record that arrives while no write is under way is written at once by
// its own caller. Records that arrive while one is under way wait; when it
// is over, the first of them writes all of them in one transaction and the
// others take its result. So a caller waits at most for the write under
// way and then for its own, each bounded by the write timeout (plus the
// window).
type groupCommit struct {
	write func(ctx context.Context, its []crm.Interaction) error
	// window is how long a writer waits for more records before it
	// writes: a transaction's commit costs more than a record, so at high
	// call rates a few records a commit save CPU; the wait delays only the
	// end of Handle, after both legs have hung up.
	window time.Duration

	mu      sync.Mutex
	busy    bool          // a write is under way (or about to be)
	waiting []*groupEntry // the records of the next write, in arrival order
}

type groupEntry struct {
	it   crm.Interaction
	done chan groupResult // buffered: the writer never waits for the waiter
}

type groupResult struct {
	n    int // records written together
	err  error
	lead bool // the entry's caller writes the next batch
}

// commit writes it, alone or with the records waiting beside it, and
// returns how many were written together and the write's error.
func (g *groupCommit) commit(ctx context.Context, it crm.Interaction) (int, error) {
	e := &groupEntry{it: it, done: make(chan groupResult, 1)}
	g.mu.Lock()
	g.waiting = append(g.waiting, e)
	if g.busy {
		g.mu.Unlock()
		if r := <-e.done; !r.lead {
			return r.n, r.err
		}
	} else {
		g.busy = true
		g.mu.Unlock()
	}
	return g.lead(ctx, e)
}

// lead writes every waiting record (e's is among them: it is the oldest),
// hands each its result, and the next write to the oldest record that came
// meanwhile. A panic in write still hands the write over, so one broken
// record cannot stop every later one.
func (g *groupCommit) lead(ctx context.Context, e *groupEntry) (n int, err error) {
	if g.window > 0 {
		time.Sleep(g.window)
	}
	g.mu.Lock()
	batch := g.waiting
	g.waiting = nil
	g.mu.Unlock()
	err = errGroupPanic
	defer func() {
		for _, b := range batch {
			if b != e {
				b.done <- groupResult{n: len(batch), err: err}
			}
		}
		g.mu.Lock()
		if len(g.waiting) > 0 {
			next := g.waiting[0]
			g.mu.Unlock()
			next.done <- groupResult{lead: true}
		} else {
			g.busy = false
			g.mu.Unlock()
		}
	}()
	its := make([]crm.Interaction, len(batch))
	for i, b := range batch {
		its[i] = b.it
	}
	err = g.write(ctx, its)
	return len(batch), err
}

var errGroupPanic = errors.New("routing: writing the call records panicked")

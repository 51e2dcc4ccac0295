package sip

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// blockingHandler holds each call until released.
type blockingHandler struct {
	started chan struct{}
	release chan struct{}
}

func (b *blockingHandler) HandleInvite(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, caller Caller) {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
	}
}

// recordingTx records the responses a handler sends.
type recordingTx struct {
	sip.ServerTransaction
	responses []*sip.Response
}

func (t *recordingTx) Respond(res *sip.Response) error {
	t.responses = append(t.responses, res)
	return nil
}

func testInvite() *sip.Request {
	req := sip.NewRequest(sip.INVITE, sip.Uri{User: "desk", Host: "127.0.0.1"})
	req.AppendHeader(sip.NewHeader("Call-ID", "drain-test"))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	return req
}

func TestDrainerRefusesNewCallsAndWaitsForLiveOnes(t *testing.T) {
	b := &blockingHandler{started: make(chan struct{}, 1), release: make(chan struct{})}
	d := NewDrainer(b, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	finished := make(chan struct{})
	go func() {
		d.HandleInvite(ctx, testInvite(), &recordingTx{}, Caller{})
		close(finished)
	}()
	<-b.started
	if d.Live() != 1 {
		t.Fatalf("live = %d, want 1", d.Live())
	}

	drained := make(chan error, 1)
	go func() { drained <- d.Drain(ctx) }()
	// A new call while draining: 503 with Retry-After, the inner handler
	// never sees it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		d.mu.Lock()
		draining := d.draining
		d.mu.Unlock()
		if draining || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	tx := &recordingTx{}
	d.HandleInvite(ctx, testInvite(), tx, Caller{})
	if len(tx.responses) != 1 || tx.responses[0].StatusCode != 503 {
		t.Fatalf("responses while draining: %v", tx.responses)
	}
	if h := tx.responses[0].GetHeader("Retry-After"); h == nil || h.Value() != "30" {
		t.Errorf("Retry-After = %v", h)
	}
	select {
	case err := <-drained:
		t.Fatalf("Drain returned %v while a call is live", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(b.release)
	<-finished
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

func TestDrainerGivesUpAtItsDeadline(t *testing.T) {
	b := &blockingHandler{started: make(chan struct{}, 1), release: make(chan struct{})}
	d := NewDrainer(b, time.Second)
	callCtx, endCalls := context.WithCancel(context.Background())
	defer endCalls()
	go d.HandleInvite(callCtx, testInvite(), &recordingTx{}, Caller{})
	<-b.started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := d.Drain(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Drain = %v, want the deadline", err)
	}
	endCalls()
	if err := d.Drain(context.Background()); err != nil {
		t.Fatalf("Drain after the calls ended: %v", err)
	}
}

package routing

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// round is one go at ringing agents for a call: the owner, or one pass over
// the desk. Each ring runs on its own goroutine and hands its result to the
// call's goroutine through the round; once the round is closed, a ring that
// ends later cleans up after itself (hangs up a late answer, frees the
// agent), so the call never waits for a slow cancel.
type round struct {
	cr      *callRun
	stage   Stage
	timeout time.Duration
	ctx     context.Context
	cancel  context.CancelFunc
	notify  chan struct{} // a result is pending

	mu      sync.Mutex
	closed  bool
	pending []ringResult

	// Used by the call's goroutine only.
	rings map[int64]ringStart // rings in flight
	next  []int64             // desk agents still to ring, one at a time
}

type ringStart struct {
	mono time.Time // monotonic, for durations
	at   time.Time // the router's clock, for the record
}

type ringResult struct {
	userID  int64
	leg     AgentLeg
	err     error
	outcome StepOutcome
	start   ringStart
	took    time.Duration
}

func (cr *callRun) newRound(ctx context.Context, stage Stage, timeout time.Duration) *round {
	rctx, cancel := context.WithCancel(ctx)
	return &round{cr: cr, stage: stage, timeout: timeout, ctx: rctx, cancel: cancel,
		notify: make(chan struct{}, 1), rings: map[int64]ringStart{}}
}

func (rd *round) inflight() int { return len(rd.rings) }

// start offers the call to userID and, if the live state lets it, rings
// them. For the owner and delegate a refusal is a step of the route; for
// the desk an agent taken in the meantime is simply skipped.
func (rd *round) start(userID int64) bool {
	cr, r := rd.cr, rd.cr.r
	a, ok, err := r.state.TryOffer(rd.ctx, userID, cr.c.ID)
	if err != nil || !ok {
		outcome := refusal(a)
		if err != nil {
			outcome = OutcomeFailed
			cr.log.Error("offering the call failed", "user_id", userID, "err", err)
		}
		if rd.stage != StageDesk {
			cr.addStep(Step{Stage: rd.stage, UserID: userID, At: r.now(), Outcome: outcome, Error: errString(err)})
			if cr.debugging() {
				cr.log.Debug("not ringing", "stage", rd.stage, "user_id", userID, "outcome", outcome)
			}
		}
		return false
	}
	if !cr.ringing && !cr.answered {
		cr.ringing = true
		r.metrics.FirstRing(time.Since(cr.start))
		if err := cr.c.Leg.Ringing(rd.ctx); err != nil && rd.ctx.Err() == nil {
			cr.log.Warn("sending ringing to the caller failed", "err", err)
		}
	}
	st := ringStart{mono: time.Now(), at: r.now()}
	rd.rings[userID] = st
	req := RingRequest{Call: cr.c, UserID: userID, Timeout: rd.timeout, Stage: rd.stage, Caller: cr.res.Caller}
	r.hub.Publish(Event{Kind: EventRinging, At: st.at, CallID: cr.c.ID, UserID: userID,
		CallerNumber: cr.res.CallerE164, Caller: cr.res.Caller, Stage: rd.stage})
	if cr.debugging() {
		cr.log.Debug("ringing", "stage", rd.stage, "user_id", userID, "for", rd.timeout)
	}
	go rd.ring(req, st)
	return true
}

// startNext rings the next desk agent that can be offered the call.
func (rd *round) startNext() bool {
	for len(rd.next) > 0 {
		id := rd.next[0]
		rd.next = rd.next[1:]
		if rd.start(id) {
			return true
		}
	}
	return false
}

// refusal says why an agent could not be offered a call.
func refusal(a Agent) StepOutcome {
	switch {
	case a.Presence == Offline:
		return OutcomeOffline
	case a.CallID != "", a.WrapUp:
		return OutcomeBusy
	default:
		return OutcomeAway
	}
}

// ring runs on its own goroutine: it rings, ends the offer in the live
// state, and hands the result over.
func (rd *round) ring(req RingRequest, st ringStart) {
	cr, r := rd.cr, rd.cr.r
	rctx, cancel := context.WithTimeout(rd.ctx, rd.timeout)
	leg, err := rd.ringBounded(rctx, req)
	res := ringResult{userID: req.UserID, leg: leg, err: err, start: st, took: time.Since(st.mono)}
	res.outcome = classify(leg, err, rd.ctx, rctx)
	cancel()
	cctx, ccancel := cr.cleanupContext()
	defer ccancel()
	if res.outcome != OutcomeAnswered && leg != nil {
		_ = leg.Hangup(cctx, HangupNormal) // a leg returned with an error
		res.leg = nil
	}
	a, serr := r.state.EndOffer(cctx, OfferEnd{UserID: req.UserID, CallID: cr.c.ID, Outcome: res.outcome,
		MaxRingOuts: cr.s.MaxRingOuts})
	if serr != nil {
		cr.log.Error("ending the offer failed", "user_id", req.UserID, "err", serr)
	} else if res.outcome == OutcomeNoAnswer && a.AutoAway && a.Chosen == Away && a.RingOuts == 0 {
		cr.log.Warn("agent set away: calls rang out", "user_id", req.UserID, "max_ring_outs", cr.s.MaxRingOuts)
		r.hub.Publish(Event{Kind: EventPresence, At: r.now(), UserID: req.UserID, Presence: a.Presence})
	}
	r.metrics.Ring(rd.stage, res.outcome, res.took)
	if res.outcome != OutcomeAnswered {
		r.hub.Publish(Event{Kind: EventRingEnded, At: r.now(), CallID: cr.c.ID, UserID: req.UserID,
			Stage: rd.stage, Outcome: string(res.outcome)})
	}
	rd.mu.Lock()
	if !rd.closed {
		rd.pending = append(rd.pending, res)
		rd.mu.Unlock()
		select {
		case rd.notify <- struct{}{}:
		default:
		}
		return
	}
	rd.mu.Unlock()
	rd.discard(cctx, res)
}

// ringBounded calls the Ringer, but stops waiting for it ringGrace after
// ctx is done: a Ringer that hangs cannot hold the call. What it returns
// later is hung up.
func (rd *round) ringBounded(ctx context.Context, req RingRequest) (AgentLeg, error) {
	done := make(chan ringAnswer, 1)
	go func() {
		leg, err := rd.cr.r.ringer.Ring(ctx, req)
		done <- ringAnswer{leg, err}
	}()
	select {
	case a := <-done:
		return a.leg, a.err
	case <-ctx.Done():
	}
	t := time.NewTimer(rd.cr.r.ringGrace)
	defer t.Stop()
	select {
	case a := <-done:
		return a.leg, a.err
	case <-t.C:
		rd.cr.log.Warn("ringer did not return after its ring ended; going on without it", "user_id", req.UserID)
		go dropLate(done, 1)
		return nil, ctx.Err()
	}
}

// classify turns what a Ringer returned into a step outcome. A ring that
// routing stopped (someone else answered, the caller left) is cancelled,
// not a ring-out.
func classify(leg AgentLeg, err error, round, ring context.Context) StepOutcome {
	switch {
	case err == nil && leg != nil:
		return OutcomeAnswered
	case round.Err() != nil:
		return OutcomeCancelled
	case errors.Is(err, ErrDeclined):
		return OutcomeDeclined
	case errors.Is(err, ErrBusy):
		return OutcomeBusy
	case errors.Is(err, ErrOffline):
		return OutcomeOffline
	case errors.Is(err, ErrNoAnswer), ring.Err() != nil:
		return OutcomeNoAnswer
	}
	return OutcomeFailed
}

// discard hangs up an answer that came too late and frees its agent.
func (rd *round) discard(ctx context.Context, res ringResult) {
	if res.leg == nil {
		return
	}
	rd.cr.log.Info("answered too late, hanging up", "user_id", res.userID)
	_ = res.leg.Hangup(ctx, HangupAnsweredElsewhere)
	if _, err := rd.cr.r.state.EndCall(ctx, res.userID, rd.cr.c.ID, 0); err != nil {
		rd.cr.log.Error("freeing the agent failed", "user_id", res.userID, "err", err)
	}
}

// take returns the results handed over since the last call.
func (rd *round) take() []ringResult {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	p := rd.pending
	rd.pending = nil
	return p
}

// results handles the results handed over and returns the first answer;
// results after it go back to the round, for close to hang them up.
// onMiss sees every ring that ended without an answer.
func (rd *round) results(onMiss func(ringResult)) *answer {
	list := rd.take()
	for i, res := range list {
		if a := rd.handle(res); a != nil {
			rd.mu.Lock()
			rd.pending = append(list[i+1:len(list):len(list)], rd.pending...)
			rd.mu.Unlock()
			return a
		}
		if onMiss != nil {
			onMiss(res)
		}
	}
	return nil
}

// handle records a ring's step and returns the answer if it was one.
func (rd *round) handle(res ringResult) *answer {
	delete(rd.rings, res.userID)
	step := Step{Stage: rd.stage, UserID: res.userID, At: res.start.at, For: res.took, Outcome: res.outcome}
	if res.outcome == OutcomeFailed {
		step.Error = errString(res.err)
	}
	if res.leg != nil {
		step.Device = res.leg.Device()
	}
	rd.cr.addStep(step)
	if rd.cr.debugging() {
		rd.cr.log.Debug("ring ended", "stage", rd.stage, "user_id", res.userID, "outcome", res.outcome,
			"rang", res.took.Round(time.Millisecond))
	}
	if res.outcome != OutcomeAnswered {
		return nil
	}
	return &answer{userID: res.userID, leg: res.leg, stage: rd.stage, at: res.start.mono.Add(res.took)}
}

// close stops every ring still running; their steps say cancelled.
func (rd *round) close() {
	rd.mu.Lock()
	if rd.closed {
		rd.mu.Unlock()
		return
	}
	rd.closed = true
	pending := rd.pending
	rd.pending = nil
	rd.mu.Unlock()
	rd.cancel()
	for _, res := range pending {
		if res.outcome == OutcomeAnswered {
			// Rare (a second answer): the cleanup context is made only then.
			cctx, cancel := rd.cr.cleanupContext()
			rd.discard(cctx, res)
			cancel()
			res.outcome, res.leg = OutcomeCancelled, nil
		}
		rd.handle(res)
	}
	type left struct {
		user int64
		st   ringStart
	}
	var running []left
	for u, st := range rd.rings {
		running = append(running, left{u, st})
	}
	slices.SortFunc(running, func(a, b left) int {
		return cmp.Or(a.st.mono.Compare(b.st.mono), cmp.Compare(a.user, b.user))
	})
	for _, l := range running {
		rd.cr.addStep(Step{Stage: rd.stage, UserID: l.user, At: l.st.at, For: time.Since(l.st.mono),
			Outcome: OutcomeCancelled})
	}
	clear(rd.rings)
}

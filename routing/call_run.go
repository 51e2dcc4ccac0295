package routing

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"callroute/crm"
)

// cleanupTimeout bounds the work done after a call's context has ended:
// hanging legs up, freeing agents, leaving the queue.
const cleanupTimeout = 5 * time.Second

// callRun is one call on its way through the route. Its fields are used by
// the goroutine running Handle only; ring goroutines talk to it through a
// round.
type callRun struct {
	r   *Router
	s   Settings
	c   *Call
	log *slog.Logger
	res Result

	parent   context.Context // Handle's ctx: done on shutdown
	detached context.Context // parent without its cancellation, for cleanups
	start    time.Time       // when the call arrived, on the monotonic clock
	answered bool            // the caller's leg is answered
	ringing  bool            // the caller was told we ring
	tookAt   time.Time       // when voicemail or the closing message took the call
	failed   bool            // something of ours failed: hang up with an error
	// resting holds agents who did not take this call, and until when they
	// are not offered it again.
	resting map[int64]time.Time
}

func newCallRun(r *Router, s Settings, c *Call) *callRun {
	// Durations are measured on the monotonic clock, from the arrival the
	// edge reported (r.now may be a test clock).
	since := min(max(0, r.now().Sub(c.Arrived)), time.Minute)
	return &callRun{r: r, s: s, c: c, log: r.log.With("call_id", c.ID), start: time.Now().Add(-since),
		resting: map[int64]time.Time{}, res: Result{CallID: c.ID, CallerE164: c.From, Arrived: c.Arrived}}
}

// run drives the call: lookup, owner, desk and queue, voicemail. ctx ends
// when the caller hangs up, so every step stops with it.
func (cr *callRun) run(parent context.Context) {
	cr.parent, cr.detached = parent, context.WithoutCancel(parent)
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	go func() {
		select {
		case <-cr.c.Leg.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	defer cr.finish()

	cr.lookup(ctx)
	if ctx.Err() != nil {
		return
	}
	if !cr.s.BusinessHours.Open(cr.r.now()) {
		cr.log.Info("outside business hours")
		cr.voicemail(ctx, StageClosed)
		return
	}
	a := cr.owner(ctx)
	if a == nil && ctx.Err() == nil {
		a = cr.desk(ctx)
	}
	// An agent who transfers the call hands it on to the next answer.
	for a != nil {
		to := cr.connect(ctx, a)
		if to == nil {
			return
		}
		a = cr.transferTo(ctx, a.userID, *to)
	}
	if ctx.Err() != nil {
		return
	}
	cr.voicemail(ctx, StageVoicemail)
}

// lookup finds the caller. A lookup that fails or takes longer than
// LookupTimeout leaves the caller unknown: the call goes on to the desk.
func (cr *callRun) lookup(ctx context.Context) {
	start := time.Now()
	lctx, cancel := context.WithTimeout(ctx, cr.s.LookupTimeout)
	defer cancel()
	type answer struct {
		info *crm.CallerInfo
		err  error
	}
	done := make(chan answer, 1) // a lookup ignoring its ctx cannot hold the call
	go func() {
		info, err := cr.r.lookup.LookupCaller(lctx, cr.c.From)
		done <- answer{info, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-lctx.Done():
		a.err = lctx.Err()
	}
	cr.r.metrics.Lookup(time.Since(start), a.err != nil)
	var fe *crm.FieldError
	switch {
	case a.err == nil && a.info != nil:
		cr.res.Caller, cr.res.CallerE164 = a.info, a.info.E164
		if cr.debugging() {
			cr.log.Debug("caller looked up", "caller", a.info.E164, "known", a.info.Known,
				"target", targetID(a.info), "took", time.Since(start).Round(time.Microsecond))
		}
	case ctx.Err() != nil:
	case errors.As(a.err, &fe):
		cr.log.Info("caller number not usable, routing as unknown", "from", cr.c.From, "err", a.err)
	default:
		cr.res.Degraded = "lookup: " + errString(a.err)
		cr.log.Warn("caller lookup failed, routing as unknown caller to the desk", "from", cr.c.From, "err", a.err)
	}
}

// debugging reports whether the call's debug lines are logged. Their
// arguments are boxed into a slice that escapes even when the handler drops
// the line, so the hot path asks first.
func (cr *callRun) debugging() bool {
	return cr.log.Enabled(context.Background(), slog.LevelDebug)
}

func targetID(info *crm.CallerInfo) int64 {
	if info == nil || info.Target == nil {
		return 0
	}
	return info.Target.ID
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// owner rings the caller's owner (or delegate) and returns their answer,
// or nil to go on to the desk.
func (cr *callRun) owner(ctx context.Context) *answer {
	info := cr.res.Caller
	if info == nil || info.Target == nil {
		return nil
	}
	stage := StageOwner
	if info.Owner != nil && info.Target.ID != info.Owner.ID {
		stage = StageDelegate
	}
	cr.res.UserID = info.Target.ID
	return cr.ringOne(ctx, stage, info.Target.ID, cr.s.OwnerRingTime)
}

// ringOne rings one agent for the stage and returns their answer, or nil
// when they could not be offered the call or did not take it.
func (cr *callRun) ringOne(ctx context.Context, stage Stage, userID int64, timeout time.Duration) *answer {
	cr.r.track(cr.c.ID, func(l *LiveCall) { l.Stage = stage })
	rd := cr.newRound(ctx, stage, timeout)
	defer rd.close()
	if !rd.start(userID) {
		return nil
	}
	for rd.inflight() > 0 {
		select {
		case <-rd.notify:
			if a := rd.results(cr.rest); a != nil {
				return a
			}
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// rest keeps an agent who did not take the call from being offered it
// again (by the desk) for DeskRetryWait.
func (cr *callRun) rest(res ringResult) {
	cr.resting[res.userID] = time.Now().Add(cr.s.DeskRetryWait)
}

// answer is an agent's answered leg.
type answer struct {
	userID int64
	leg    AgentLeg
	stage  Stage
	at     time.Time
}

// answerCaller answers the caller's leg for the queue or voicemail.
func (cr *callRun) answerCaller(ctx context.Context) bool {
	if cr.answered {
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	if err := cr.c.Leg.Answer(ctx); err != nil {
		if ctx.Err() == nil {
			cr.failed = true
			cr.log.Error("answering the caller failed", "err", err)
		}
		return false
	}
	cr.answered = true
	return true
}

// connect answers the caller if needed and bridges them with the agent
// until either side hangs up, or the agent transfers the call: then it
// returns where to.
func (cr *callRun) connect(ctx context.Context, a *answer) *TransferTarget {
	defer func() {
		cctx, cancel := cr.cleanupContext()
		defer cancel()
		_ = a.leg.Hangup(cctx, HangupNormal)
		if _, err := cr.r.state.EndCall(cctx, a.userID, cr.c.ID, cr.s.WrapUpTime); err != nil {
			cr.log.Error("freeing the agent failed", "user_id", a.userID, "err", err)
		}
	}()
	if !cr.answerCaller(ctx) {
		return nil
	}
	if cr.res.AnsweredBy == 0 {
		cr.res.RingTime = a.at.Sub(cr.start)
	}
	cr.res.AnsweredBy, cr.res.UserID = a.userID, a.userID
	cr.r.metrics.Answered(a.stage, a.at.Sub(cr.start))
	cr.r.hub.Publish(Event{Kind: EventAnswered, At: cr.r.now(), CallID: cr.c.ID, UserID: a.userID,
		CallerNumber: cr.res.CallerE164, Caller: cr.res.Caller, Stage: a.stage, Device: a.leg.Device()})
	if cr.debugging() {
		cr.log.Debug("bridging", "user_id", a.userID, "stage", a.stage, "device", a.leg.Device())
	}
	to, err := cr.bridgeUntilTransfer(ctx, a)
	if to != nil {
		return to
	}
	switch {
	case isDone(cr.c.Leg.Done()):
		cr.res.EndedBy = EndedByCaller
	case isDone(a.leg.Done()):
		cr.res.EndedBy = EndedByAgent
	default:
		cr.res.EndedBy = EndedBySystem
		if err != nil && ctx.Err() == nil {
			cr.failed = true
			cr.log.Error("bridge failed", "err", err)
		}
	}
	return nil
}

// finish hangs the caller up and settles the result.
func (cr *callRun) finish() {
	res := &cr.res
	gone := isDone(cr.c.Leg.Done())
	if !gone {
		reason := HangupUnavailable
		switch {
		case cr.answered:
			reason = HangupNormal
		case cr.parent.Err() != nil:
			reason = HangupShutdown
		case cr.failed:
			reason = HangupError
		}
		ctx, cancel := cr.cleanupContext()
		if err := cr.c.Leg.Hangup(ctx, reason); err != nil {
			cr.log.Warn("hanging up the caller failed", "err", err)
		}
		cancel()
	}
	switch {
	case res.AnsweredBy != 0:
		res.Outcome = crm.OutcomeAnswered
	case res.Recording != "":
		res.Outcome = crm.OutcomeVoicemail
	case gone && cr.tookAt.IsZero():
		res.Outcome = crm.OutcomeAbandoned
	default:
		res.Outcome = crm.OutcomeMissed
	}
	if res.EndedBy == "" {
		res.EndedBy = EndedBySystem
		if gone {
			res.EndedBy = EndedByCaller
		}
	}
	if res.AnsweredBy == 0 {
		end := cr.tookAt
		if end.IsZero() {
			end = time.Now()
		}
		res.RingTime = max(0, end.Sub(cr.start))
	}
}

// leftOutcome is the outcome of a step the call's end interrupted: the
// caller hung up, or callroute is shutting down.
func (cr *callRun) leftOutcome() StepOutcome {
	if isDone(cr.c.Leg.Done()) {
		return OutcomeHungUp
	}
	return OutcomeCancelled
}

// addStep appends a step to the result.
func (cr *callRun) addStep(s Step) {
	cr.res.Steps = append(cr.res.Steps, s)
}

// cleanupContext is for work that must happen even though the call's
// context has ended. Every context of a call derives from Handle's without
// values of its own, so the one detached copy serves them all.
func (cr *callRun) cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(cr.detached, cleanupTimeout)
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

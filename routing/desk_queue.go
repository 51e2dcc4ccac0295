package routing

import (
	"context"
	"time"
)

// desk offers the call to the inbound desk until an agent answers (their
// answer is returned), QueueTimeout passes or the caller leaves (nil).
//
// The call joins the desk queue as soon as it reaches the desk, so that
// calls are offered in the order they came: a call rings agents only when
// more desk agents are free than calls wait ahead of it. While no agent can
// be rung the caller's leg is answered into the queue: music, and their
// position every PositionInterval. Agents are offered the call as they
// become free, noticed from the live state's changes (and a poll).
func (cr *callRun) desk(ctx context.Context) *answer {
	r, s := cr.r, cr.s
	cr.r.track(cr.c.ID, func(l *LiveCall) { l.Stage = StageDesk })
	deskStart := time.Now()
	entry := QueueEntry{CallID: cr.c.ID, Caller: cr.res.CallerE164, Since: r.now()}
	spot, err := r.state.QueueJoin(ctx, entry)
	if err != nil {
		cr.log.Error("joining the desk queue failed", "err", err)
	}
	r.hub.Publish(Event{Kind: EventQueue, At: r.now(), CallID: cr.c.ID, QueueLength: spot.Length})
	defer cr.leaveQueue()
	var turn int64
	if s.DeskStrategy == RoundRobin {
		if turn, err = r.state.NextTurn(ctx); err != nil {
			cr.log.Error("round-robin turn failed", "err", err)
		}
	}

	// Changes and the poll tell a call that rings nobody when to look for
	// a free agent again; a call whose first round is answered (most) never
	// needs them, so they start with the first wait.
	var (
		changes     <-chan struct{}
		stopChanges func()
		poll        *time.Ticker
		pollC       <-chan time.Time
	)
	watch := func() {
		changes, stopChanges = r.state.Changes()
		poll = time.NewTicker(s.QueuePollInterval)
		pollC = poll.C
	}
	defer func() {
		if poll != nil {
			stopChanges()
			poll.Stop()
		}
	}()
	timeout := time.NewTimer(s.QueueTimeout)
	defer timeout.Stop()
	var (
		rd       *round
		music    *queueMedia
		position <-chan time.Time
		queuedAt time.Time
		queueAt  time.Time
	)
	closeRound := func() {
		if rd != nil {
			rd.close()
			rd = nil
			_ = r.state.QueueSetOffering(cr.detached, cr.c.ID, false)
		}
	}
	if cr.answered {
		// A transferred call: the caller hears music while the desk rings.
		music = cr.startQueueMedia(ctx)
	}
	queueStep := func(o StepOutcome) {
		closeRound()
		music.stop()
		if !queuedAt.IsZero() {
			cr.addStep(Step{Stage: StageQueue, At: queueAt, For: time.Since(queuedAt), Outcome: o})
		}
	}
	for {
		if ctx.Err() != nil {
			queueStep(cr.leftOutcome())
			return nil
		}
		if rd == nil {
			rd = cr.deskRound(ctx, turn)
			if rd == nil && changes == nil {
				// Look again once watching, so that an agent freed since
				// the first look is not missed.
				watch()
				rd = cr.deskRound(ctx, turn)
			}
		}
		if rd == nil && queuedAt.IsZero() {
			if !cr.answerCaller(ctx) {
				queueStep(cr.leftOutcome())
				return nil
			}
			queuedAt, queueAt = time.Now(), r.now()
			cr.r.track(cr.c.ID, func(l *LiveCall) { l.Stage = StageQueue })
			cr.log.Info("caller waits in the desk queue", "waited", time.Since(deskStart).Round(time.Millisecond))
			if music == nil {
				music = cr.startQueueMedia(ctx)
			}
			music.announce(cr.position(ctx))
			t := time.NewTicker(s.PositionInterval)
			defer t.Stop()
			position = t.C
		}
		var notify <-chan struct{}
		if rd != nil {
			notify = rd.notify
		}
		select {
		case <-ctx.Done():
			queueStep(cr.leftOutcome())
			return nil
		case <-timeout.C:
			cr.log.Info("desk queue timeout", "waited", time.Since(deskStart).Round(time.Millisecond))
			queueStep(OutcomeTimeout)
			return nil
		case <-notify:
			if a := rd.results(cr.rest); a != nil {
				queueStep(OutcomeAnswered)
				return a
			}
			if rd.inflight() == 0 && !rd.startNext() {
				closeRound()
			}
		case <-changes:
		case <-pollC:
		case <-position:
			music.announce(cr.position(ctx))
		}
	}
}

// deskRound starts ringing desk agents if the call's turn has come and
// agents are free; nil when it cannot ring anyone now.
func (cr *callRun) deskRound(ctx context.Context, turn int64) *round {
	r, s := cr.r, cr.s
	ids := cr.deskAgents(ctx)
	if len(ids) == 0 {
		return nil
	}
	agents, err := r.state.Agents(ctx, ids)
	if err != nil {
		cr.log.Error("reading desk agents failed", "err", err)
		return nil
	}
	now := time.Now()
	for i := range agents {
		if until, ok := cr.resting[agents[i].UserID]; ok && now.Before(until) {
			agents[i].Presence = Away // not for this call, for now
		}
	}
	order := deskOrder(s.DeskStrategy, agents, turn)
	spot, err := r.state.QueueSpot(ctx, cr.c.ID)
	if err != nil {
		cr.log.Error("reading the queue failed", "err", err)
	}
	if len(order) <= spot.WaitingAhead {
		return nil // the agents free now are for the calls ahead
	}
	rd := cr.newRound(ctx, StageDesk, s.DeskRingTime)
	if s.DeskStrategy == RingAll {
		for _, id := range order[:len(order)-spot.WaitingAhead] {
			rd.start(id)
		}
	} else {
		rd.next = order
		rd.startNext()
	}
	if rd.inflight() == 0 {
		rd.close()
		return nil
	}
	if err := r.state.QueueSetOffering(ctx, cr.c.ID, true); err != nil {
		cr.log.Error("marking the queued call failed", "err", err)
	}
	return rd
}

// deskAgents returns the desk: the configured list, else the Desk's.
func (cr *callRun) deskAgents(ctx context.Context) []int64 {
	if len(cr.s.DeskAgents) > 0 {
		return cr.s.DeskAgents
	}
	if cr.r.desk == nil {
		return nil
	}
	dctx, cancel := context.WithTimeout(ctx, cr.s.LookupTimeout)
	defer cancel()
	ids, err := cr.r.desk.DeskAgents(dctx)
	if err != nil && ctx.Err() == nil {
		cr.log.Error("reading the desk failed", "err", err)
	}
	return ids
}

func (cr *callRun) position(ctx context.Context) int {
	spot, err := cr.r.state.QueueSpot(ctx, cr.c.ID)
	if err != nil {
		cr.log.Error("reading the queue position failed", "err", err)
	}
	return spot.Position
}

func (cr *callRun) leaveQueue() {
	cctx, cancel := cr.cleanupContext()
	defer cancel()
	if err := cr.r.state.QueueLeave(cctx, cr.c.ID); err != nil {
		cr.log.Error("leaving the desk queue failed", "err", err)
	}
	spot, _ := cr.r.state.QueueSpot(cctx, cr.c.ID)
	cr.r.hub.Publish(Event{Kind: EventQueue, At: cr.r.now(), CallID: cr.c.ID, QueueLength: spot.Length})
}

// queueMedia plays the queue's music to the caller on its own goroutine,
// breaking off for position announcements.
type queueMedia struct {
	positions chan int
	cancel    context.CancelFunc
	done      chan struct{}
}

func (cr *callRun) startQueueMedia(ctx context.Context) *queueMedia {
	mctx, cancel := context.WithCancel(ctx)
	m := &queueMedia{positions: make(chan int, 1), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for mctx.Err() == nil {
			pctx, stop := context.WithCancel(mctx)
			played := make(chan error, 1)
			go func() { played <- cr.c.Leg.Play(pctx, Prompt{Kind: PromptMusic}) }()
			select {
			case pos := <-m.positions:
				stop()
				<-played
				if pos > 0 {
					_ = cr.c.Leg.Play(mctx, Prompt{Kind: PromptPosition, Position: pos})
				}
			case err := <-played:
				stop()
				if err != nil && mctx.Err() == nil {
					cr.log.Warn("queue music failed", "err", err)
					select { // do not spin on a broken leg: wait for the next announcement
					case <-m.positions:
					case <-mctx.Done():
					}
				}
			case <-mctx.Done():
				stop()
				<-played
			}
		}
	}()
	return m
}

// announce asks for the position to be played (dropped if one is pending).
func (m *queueMedia) announce(pos int) {
	if m == nil {
		return
	}
	select {
	case m.positions <- pos:
	default:
	}
}

// stop ends the music and waits for the player to return.
func (m *queueMedia) stop() {
	if m == nil {
		return
	}
	m.cancel()
	<-m.done
}

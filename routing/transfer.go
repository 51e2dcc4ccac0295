package routing

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StageTransfer is a step of a call an agent handed on: the agent it was
// transferred to rings (then the desk, as for any call nobody took).
const StageTransfer Stage = "transfer"

// TransferTarget says where an answered call goes next.
type TransferTarget struct {
	// UserID is the agent or manager to ring; 0 means the inbound desk.
	UserID int64 `json:"user_id,omitempty"`
}

func (t TransferTarget) String() string {
	if t.UserID == 0 {
		return "the desk"
	}
	return fmt.Sprintf("user %d", t.UserID)
}

// Why a transfer was refused.
var (
	// ErrNoSuchCall: the call is not in progress on this node.
	ErrNoSuchCall = errors.New("no such call in progress")
	// ErrNotOnCall: only the agent talking to the caller may transfer.
	ErrNotOnCall = errors.New("not on this call")
	// ErrTransferToSelf: the target is the agent transferring.
	ErrTransferToSelf = errors.New("cannot transfer a call to yourself")
)

// Transfer hands the call callID, answered by the agent by, on to another
// agent or to the desk (a blind transfer): the agent's leg is hung up (they
// go into wrap-up), the caller hears the queue's music while the target
// rings for OwnerRingTime, and a target who does not answer leaves the
// call to the desk, the queue and voicemail like any other. It returns
// once the call has taken the request.
func (r *Router) Transfer(callID string, by int64, to TransferTarget) error {
	if to.UserID == by {
		return ErrTransferToSelf
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls[callID]
	switch {
	case c == nil:
		return ErrNoSuchCall
	case c.AgentID != by || c.transfer == nil:
		return ErrNotOnCall
	}
	c.transfer(to)
	c.transfer = nil // one transfer per answer
	return nil
}

// transferTo rings the transfer's target, then the desk; it returns the
// answer to connect next, or nil when nobody took the call (the caller
// then reaches voicemail) or the caller left.
func (cr *callRun) transferTo(ctx context.Context, from int64, to TransferTarget) *answer {
	cr.log.Info("transferred", "by", from, "to", to.String())
	if to.UserID != 0 {
		music := cr.startQueueMedia(ctx)
		a := cr.ringOne(ctx, StageTransfer, to.UserID, cr.s.OwnerRingTime)
		music.stop()
		if a != nil || ctx.Err() != nil {
			return a
		}
	}
	return cr.desk(ctx)
}

// bridgeUntilTransfer bridges the caller with the agent until either side
// ends, ctx is done or the agent transfers the call; it returns the
// transfer's target when that is why it ended.
func (cr *callRun) bridgeUntilTransfer(ctx context.Context, a *answer) (*TransferTarget, error) {
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	// Transfer calls this under the router's lock, at most once: it leaves
	// the target and ends the bridge.
	transfer := make(chan TransferTarget, 1)
	request := func(t TransferTarget) {
		transfer <- t
		stop()
	}
	cr.r.track(cr.c.ID, func(l *LiveCall) {
		l.AgentID, l.transfer = a.userID, request
		l.Answerers = append(l.Answerers, a.userID)
	})
	defer cr.r.track(cr.c.ID, func(l *LiveCall) { l.AgentID, l.transfer = 0, nil })
	start := time.Now()
	err := cr.c.Leg.Bridge(bctx, a.leg)
	cr.res.TalkTime += time.Since(start)
	select {
	case to := <-transfer:
		if !isDone(cr.c.Leg.Done()) && ctx.Err() == nil {
			return &to, nil
		}
	default:
	}
	return nil, err
}

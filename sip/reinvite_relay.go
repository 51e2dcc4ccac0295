package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/emiago/sipgo/sip"

	"callroute/media"
)

// relayTimeout bounds our own re-INVITE (it runs on the goroutine of the
// peer's re-INVITE, after its ACK).
const relayTimeout = 10 * time.Second

// inDialogSender is what a sipgo dialog (either role) offers for requests
// within it: TransactionRequest for the INVITE, WriteRequest for its ACK
// (both fill From, To, Call-ID, CSeq, Route and the destination, RFC 3261
// 12.2.1.1).
type inDialogSender interface {
	TransactionRequest(ctx context.Context, req *sip.Request) (sip.ClientTransaction, error)
	WriteRequest(req *sip.Request) error
}

// sendReinvite offers dir in a re-INVITE (RFC 3261 14.1) to target, the
// dialog's remote target, and applies the answer; a non-2xx leaves the
// session as it was. Our own re-INVITE pending makes the peer's 491 (RFC
// 3261 14.2); we do not start one while the peer's is in progress.
func sendReinvite(ctx context.Context, dm *dialogMedia, d inDialogSender, target sip.Uri, dir media.Direction, log *slog.Logger) error {
	dm.mu.Lock()
	if dm.outgoing || dm.incoming != nil {
		dm.mu.Unlock()
		return errReinvBusy
	}
	dm.outgoing = true
	dm.local.Bump()
	offer, err := media.BuildOffer(dm.local, dm.caps.Prefer(dm.sess.Codec().Name), dir)
	dm.mu.Unlock()
	defer func() {
		dm.mu.Lock()
		dm.outgoing = false
		dm.mu.Unlock()
	}()
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.INVITE, *target.Clone())
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	tx, err := d.TransactionRequest(ctx, req)
	if err != nil {
		return err
	}
	defer tx.Terminate()
	var res *sip.Response
	for res == nil {
		select {
		case r := <-tx.Responses():
			if r.StatusCode >= 200 {
				res = r
			}
		case <-tx.Done():
			return fmt.Errorf("sip: re-INVITE: %w", errors.Join(errors.New("transaction ended"), tx.Err()))
		case <-ctx.Done():
			return ctx.Err() // the transaction layer's Timer B ends the INVITE
		}
	}
	if !res.IsSuccess() {
		// 491 (glare) and the like: the session stays as it was (RFC
		// 3261 14.1); the peer's own re-INVITE, if any, decides.
		return fmt.Errorf("sip: re-INVITE answered %d %s", res.StatusCode, CleanHeaderValue(res.Reason, 64))
	}
	// RFC 3261 13.2.2.4: ACK the 2xx ourselves, same CSeq number.
	ack := sip.NewRequest(sip.ACK, *target.Clone())
	if err := d.WriteRequest(ack); err != nil {
		return fmt.Errorf("sip: ACK of our re-INVITE: %w", err)
	}
	dm.applyAnswer(res.Body(), dir, log)
	return nil
}

// relayHold passes the phone's hold or resume on to the caller.
func (l *callerLeg) relayHold(dir media.Direction) {
	if l.ended() || !l.confirmed() {
		return
	}
	target := l.dlg.InviteRequest.Contact().Address
	ctx, cancel := context.WithTimeout(context.Background(), relayTimeout)
	defer cancel()
	if err := sendReinvite(ctx, l.dm, l.dlg, target, dir, l.log); err != nil {
		l.log.Info("sip: hold not relayed to the caller", "direction", dir.String(), "err", err)
		return
	}
	l.log.Info("sip: hold relayed to the caller", "direction", dir.String())
}

// relayHold passes the caller's hold or resume on to the phone, so it shows
// the call held and stops sending (its media timeouts then off too).
func (a *agentLeg) relayHold(dir media.Direction) {
	if a.ended() {
		return
	}
	target := a.dlg.InviteRequest.Recipient
	if c := a.dlg.InviteResponse.Contact(); c != nil {
		target = c.Address
	}
	ctx, cancel := context.WithTimeout(context.Background(), relayTimeout)
	defer cancel()
	if err := sendReinvite(ctx, a.dm, a.dlg, target, dir, a.log); err != nil {
		a.log.Info("sip: hold not relayed to the phone", "direction", dir.String(), "err", err)
		return
	}
	a.log.Info("sip: hold relayed to the phone", "direction", dir.String())
}

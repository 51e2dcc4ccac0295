// Package dialer is a small SIP caller for trying callroute and for tests:
// it calls a SIP URI from a caller ID, sends a tone or a WAV file once the
// call is answered, records what it hears, and reports the call's timings,
// codec, packet counts and the dominant frequency it heard.
//
//	rep, err := dialer.Dial(ctx, dialer.Options{From: "+40722000111",
//		To: "sip:callroute@127.0.0.1:5060", Tone: 1000, Duration: 5 * time.Second})
//	fmt.Println(rep.Summary()) // rep is nil only for bad Options
//
// One call per Dial, with its own SIP socket (UDP or TCP, which also takes
// the far side's BYE and re-INVITEs) and its own RTP port. The INVITE offers
// PCMU, PCMA and telephone-event; 1xx responses are timed, and early media
// (an 18x with SDP) is heard and analysed apart from the talk. A 401 or 407
// is answered once with the digest credentials given. After the 200 it ACKs,
// sends the audio for Options.Duration while recording, then sends BYE; a BYE
// from the far side ends the call early, without an error. When ctx ends it
// cancels a ringing call and hangs up an answered one.
//
// Dial returns an error when the call is not answered (ErrNoAnswer after
// RingTimeout, a *StatusError for a rejection), when the dialog fails, or
// when ctx ends; the Report says what happened either way.
package dialer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"callroute/media"
	"callroute/media/audio"
)

// byeTimeout bounds the wait for the answer to our BYE.
const byeTimeout = 5 * time.Second

// Dial places one call as o says and reports on it. The report is nil only
// when no call could be placed: o is wrong (an error wrapping
// ErrBadOptions), the file to play cannot be read, or a socket cannot be
// bound.
func Dial(ctx context.Context, o Options) (*Report, error) {
	opts, err := o.check()
	if err != nil {
		return nil, err
	}
	src, err := opts.source()
	if err != nil {
		return nil, err
	}
	c, err := open(opts)
	if err != nil {
		return nil, err
	}
	defer c.close()
	err = c.run(ctx, src)
	c.close()
	c.fillMediaReport()
	if err == nil && c.recErr != nil {
		err = c.recErr
	}
	return c.rep, err
}

// run places the call: INVITE, ringing, the answer, the talk, the hang-up.
func (c *call) run(ctx context.Context, src audio.Source) error {
	offer, err := c.offer()
	if err != nil {
		return err
	}
	res, err := c.ring(ctx, offer)
	if res == nil || !res.IsSuccess() {
		return err
	}
	answeredAt := time.Now()
	c.ears.talking()
	if aerr := c.answer(res); aerr != nil {
		c.rep.HungUp = HungUpLocal
		if berr := c.bye(res); berr != nil {
			c.log.Warn("hang up after a bad answer", "err", berr)
		}
		return aerr
	}
	c.rep.Answered = true
	if err != nil {
		// ctx ended just as the 200 came (it raced our CANCEL): hang up.
		c.rep.HungUp = HungUpLocal
		if berr := c.bye(res); berr != nil {
			c.log.Warn("hang up", "err", berr)
		}
		return err
	}
	err = c.talk(ctx, src, res)
	c.rep.Talk = time.Since(answeredAt)
	return err
}

// talk sends src until it ends, the far side hangs up or ctx ends, then
// hangs up unless the far side did.
func (c *call) talk(ctx context.Context, src audio.Source, res *sip.Response) error {
	playCtx, stopPlay := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- media.Play(playCtx, c.sess, src) }()
	var err error
	playing := true
	select {
	case perr := <-played:
		playing = false
		if perr != nil && ctx.Err() == nil {
			err = fmt.Errorf("send audio: %w", perr)
		}
		c.rep.HungUp = HungUpLocal
	case <-c.remoteBye:
		c.rep.HungUp = HungUpRemote
	case <-ctx.Done():
		c.rep.HungUp = HungUpLocal
	}
	stopPlay()
	if playing {
		<-played
	}
	if err == nil {
		err = ctx.Err()
	}
	if c.rep.HungUp == HungUpRemote {
		c.log.Info("the far side hung up")
		return err
	}
	if berr := c.bye(res); berr != nil {
		select {
		case <-c.remoteBye: // the BYEs crossed: the call is over all the same
			c.rep.HungUp = HungUpRemote
		default:
			if err == nil {
				err = fmt.Errorf("hang up: %w", berr)
			}
		}
	}
	return err
}

// answer ACKs the 200 and takes its SDP answer (or the early one).
func (c *call) answer(res *sip.Response) error {
	if err := c.ack(res); err != nil {
		return fmt.Errorf("ACK the 200: %w", err)
	}
	switch {
	case len(res.Body()) > 0:
		if err := c.applyAnswer(res.Body()); err != nil {
			return fmt.Errorf("the 200's SDP: %w", err)
		}
	case !c.early:
		return errors.New("the 200 has no SDP answer")
	}
	c.sess.Start()
	return nil
}

// applyAnswer takes the far side's SDP answer to our offer.
func (c *call) applyAnswer(body []byte) error {
	desc, err := media.ParseSDP(body)
	if err != nil {
		return err
	}
	neg, err := media.NegotiateAnswer(desc, media.DefaultCapabilities(), media.SendRecv)
	if err != nil {
		return err
	}
	c.sess.Apply(neg)
	c.rep.Codec = neg.Codec.Name
	return nil
}

// offer is our SDP offer.
func (c *call) offer() ([]byte, error) {
	c.sdpMu.Lock()
	defer c.sdpMu.Unlock()
	return media.BuildOffer(c.local, media.DefaultCapabilities(), media.SendRecv)
}

// fillMediaReport adds the packet counts and what was heard, once the call
// and the receiver have ended.
func (c *call) fillMediaReport() {
	st := c.sess.Stats()
	c.rep.PacketsSent, c.rep.PacketsReceived = st.PacketsSent, st.PacketsReceived
	c.rep.Early, c.rep.Heard = c.ears.early.heard(), c.ears.talk.heard()
	c.rep.RingbackHeard = c.rep.Early.Packets > 0 && c.rep.Early.RMSDBFS >= audible
	if c.ears.path != "" {
		c.rep.Recording, c.rep.Recorded = c.ears.path, c.ears.rec.Duration
	}
}

package sip

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callroute/media"
)

// testCaller is the calling side: a sipgo UAC (a trunk on 127.0.0.1) with
// real RTP sending a 1000 Hz tone.
type testCaller struct {
	t      testing.TB
	peer   *peerUA
	media  *peerMedia
	cancel context.CancelFunc
	done   chan struct{} // WaitAnswer returned

	mu        sync.Mutex
	dlg       *sipgo.DialogClientSession
	codes     []int
	err       error
	final     int
	early     bool // a 183 with SDP arrived
	okAt      time.Time
	byeAt     time.Time
	reinvites []string
}

// dial calls from number with an SDP offer of the default codecs.
func (e *callEnv) dial(from string) *testCaller {
	return e.dialOffer(from, nil)
}

// dialOffer calls with a given offer (nil: ours) and extra headers.
func (e *callEnv) dialOffer(from string, offer []byte, extra ...sip.Header) *testCaller {
	t := e.t
	t.Helper()
	c := &testCaller{t: t, done: make(chan struct{})}
	c.peer = newPeerUA(t, "caller", func(s *sipgo.Server) {
		s.OnBye(c.onBye)
		s.OnInvite(c.onReinvite)
		s.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	})
	c.media = newPeerMedia(t, e.peers)
	if offer == nil {
		var err error
		if offer, err = media.BuildOffer(c.media.local, c.media.caps, media.SendRecv); err != nil {
			t.Fatal(err)
		}
	}
	req := sip.NewRequest(sip.INVITE, e.ts.uri("+4930500500"))
	f := &sip.FromHeader{DisplayName: "Caller", Address: sip.Uri{Scheme: "sip", User: from, Host: "127.0.0.1"}}
	f.Params = sip.NewParams()
	f.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(f)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	for _, h := range extra {
		req.AppendHeader(h)
	}
	req.SetBody(offer)
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	t.Cleanup(cancel)
	dua := sipgo.DialogUA{Client: c.peer.cli, ContactHDR: c.peer.contact("caller")}
	dlg, err := dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	c.dlg = dlg
	go c.waitAnswer(ctx, dlg)
	return c
}

func (c *testCaller) waitAnswer(ctx context.Context, dlg *sipgo.DialogClientSession) {
	defer close(c.done)
	err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		c.mu.Lock()
		c.codes = append(c.codes, res.StatusCode)
		c.mu.Unlock()
		if res.StatusCode == sip.StatusSessionInProgress && len(res.Body()) > 0 {
			// Early media: ringback.
			c.media.applyAnswer(c.t, res.Body(), media.SendRecv)
			c.mu.Lock()
			c.early = true
			c.mu.Unlock()
			c.media.listen()
		}
		return nil
	}})
	c.mu.Lock()
	if dlg.InviteResponse != nil {
		c.final = dlg.InviteResponse.StatusCode
	}
	c.err = err
	c.mu.Unlock()
	if err != nil {
		return
	}
	c.media.applyAnswer(c.t, dlg.InviteResponse.Body(), media.SendRecv)
	c.mu.Lock()
	c.okAt = time.Now()
	c.mu.Unlock()
	if err := dlg.Ack(context.Background()); err != nil {
		c.t.Errorf("caller ACK: %v", err)
	}
	c.media.start(1000)
}

// answered waits for the 200 and fails on anything else.
func (c *testCaller) answered() {
	c.t.Helper()
	c.wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		c.t.Fatalf("call not answered: %v (responses %v)", c.err, c.codes)
	}
}

func (c *testCaller) wait() {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		c.t.Fatal("no final response")
	}
}

func (c *testCaller) finalCode() int {
	c.wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.final
}

func (c *testCaller) callID() string { return c.dlg.InviteRequest.CallID().Value() }

func (c *testCaller) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c.mu.Lock()
	c.byeAt = time.Now()
	c.mu.Unlock()
	if err := c.dlg.ReadBye(req, tx); err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	}
}

func (c *testCaller) gotBye() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.byeAt.IsZero()
}

func (c *testCaller) waitBye() {
	c.t.Helper()
	waitFor(c.t, "BYE to the caller", 10*time.Second, c.gotBye)
}

// onReinvite answers our re-INVITE (the phone's hold passed on).
func (c *testCaller) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	ans, dir := c.media.answerOffer(c.t, req.Body())
	res := sip.NewResponseFromRequest(req, 200, "OK", ans)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ct := c.peer.contact("caller")
	res.AppendHeader(&ct)
	_ = tx.Respond(res)
	c.mu.Lock()
	c.reinvites = append(c.reinvites, dir.String())
	c.mu.Unlock()
}

// hangup sends the caller's BYE.
func (c *testCaller) hangup() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.dlg.Bye(ctx); err != nil {
		c.t.Fatalf("caller BYE: %v", err)
	}
}

// reinvite sends a re-INVITE offering dir (hold: sendonly, resume:
// sendrecv), ACKs the 2xx and returns the direction our answer gave.
func (c *testCaller) reinvite(dir media.Direction) (int, media.Direction) {
	c.t.Helper()
	c.media.local.Bump()
	offer, err := media.BuildOffer(c.media.local, c.media.caps, dir)
	if err != nil {
		c.t.Fatal(err)
	}
	target := c.dlg.InviteResponse.Contact().Address
	req := sip.NewRequest(sip.INVITE, target)
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.dlg.Do(ctx, req)
	if err != nil {
		c.t.Fatalf("re-INVITE: %v", err)
	}
	if !res.IsSuccess() {
		return res.StatusCode, 0
	}
	if err := c.dlg.WriteRequest(sip.NewRequest(sip.ACK, target)); err != nil {
		c.t.Fatalf("ACK of re-INVITE: %v", err)
	}
	return res.StatusCode, c.media.applyAnswer(c.t, res.Body(), dir)
}

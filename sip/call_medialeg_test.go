package sip

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"callroute/crm"
	"callroute/media"
	"callroute/routing"
)

// mediaLeg is an agent leg of another edge that carries its own media (as
// the browser's WebRTC leg does): here an RTP session talking to a peer
// that plays 440 Hz.
type mediaLeg struct {
	sess *media.Session
	peer *peerMedia
	done chan struct{}
	once sync.Once
}

func (l *mediaLeg) Device() string        { return "browser" }
func (l *mediaLeg) Done() <-chan struct{} { return l.done }
func (l *mediaLeg) Media() media.Leg      { return l.sess }
func (l *mediaLeg) end()                  { l.once.Do(func() { close(l.done) }) }
func (l *mediaLeg) Hangup(context.Context, routing.HangupReason) error {
	l.end()
	return nil
}

// mediaRinger answers every ring of the owner at once with a mediaLeg.
type mediaRinger struct {
	t     *testing.T
	ports *media.PortAllocator
	mu    sync.Mutex
	legs  []*mediaLeg
}

func (r *mediaRinger) Ring(ctx context.Context, req routing.RingRequest) (routing.AgentLeg, error) {
	if req.UserID != ownerID {
		return nil, routing.ErrOffline
	}
	peer := newPeerMedia(r.t, r.ports)
	lo := netip.MustParseAddr("127.0.0.1")
	sess, err := media.NewSession(r.ports, media.WithCodec(media.PCMU), media.WithMediaTimeouts(0, 0),
		media.WithRemote(netip.AddrPortFrom(lo, uint16(peer.sess.LocalPort()))), media.WithLogger(quietLogger()))
	if err != nil {
		return nil, err
	}
	peer.sess.Apply(media.Negotiated{Codec: media.PCMU, LocalCodec: media.PCMU,
		Remote: netip.AddrPortFrom(lo, uint16(sess.LocalPort())), Direction: media.SendRecv, RemoteDirection: media.SendRecv})
	sess.Start()
	peer.start(440)
	l := &mediaLeg{sess: sess, peer: peer, done: make(chan struct{})}
	r.t.Cleanup(func() { _ = sess.Close() })
	r.mu.Lock()
	r.legs = append(r.legs, l)
	r.mu.Unlock()
	return l, nil
}

// TestCallerBridgedToAMediaLeg: the owner answers on a leg of another edge
// (a routing.MediaAgentLeg, as the browser softphone's is): the caller is
// answered, tones cross both ways through the bridge, and the agent's
// hang-up ends the caller's call with a BYE.
func TestCallerBridgedToAMediaLeg(t *testing.T) {
	t.Parallel()
	mr := &mediaRinger{t: t}
	e := newCallEnv(t, envOpts{ringer: func(sip routing.Ringer) routing.Ringer { return routing.Fanout{sip, mr} }})
	mr.ports = e.peers
	if _, err := e.router.SetDevices(context.Background(), ownerID, "web", 1); err != nil {
		t.Fatal(err)
	}

	c := e.dial(knownNumber)
	c.answered()
	mr.mu.Lock()
	leg := mr.legs[0]
	mr.mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	heardTone(t, "agent", leg.peer.hearFor(800*time.Millisecond), 1000)
	heardTone(t, "caller", c.media.since(time.Now().Add(-800*time.Millisecond)), 440)

	leg.end() // the agent hangs up
	c.waitBye()
	it := e.written(c.callID())
	if it.Outcome != crm.OutcomeAnswered || it.AnsweredBy != ownerID {
		t.Fatalf("interaction %+v", it)
	}
	e.noDialogsLeft()
}

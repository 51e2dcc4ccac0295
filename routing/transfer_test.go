package routing

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// TestTransferToAnotherAgent: the owner answers and transfers the caller to
// a colleague: the owner's leg is hung up, the caller hears music while the
// colleague rings, then talks to them; the record says both answered, the
// colleague last.
func TestTransferToAnotherAgent(t *testing.T) {
	e := newEnv(t, envOption{})
	e.known("+4930111", 501, 10)
	e.online(10, 11)
	e.ringer.set(10, answerAfter(0))
	e.ringer.set(11, answerAfter(100*time.Millisecond))

	caller, done := e.call("c1", "+4930111")
	waitFor(t, "the bridge to the owner", func() bool { return caller.has("bridge:sip:10@") })
	if err := e.r.Transfer("c1", 11, TransferTarget{UserID: 12}); !errors.Is(err, ErrNotOnCall) {
		t.Fatalf("a transfer by someone not on the call: %v, want ErrNotOnCall", err)
	}
	if err := e.r.Transfer("c1", 10, TransferTarget{UserID: 10}); !errors.Is(err, ErrTransferToSelf) {
		t.Fatalf("a transfer to oneself: %v, want ErrTransferToSelf", err)
	}
	if err := e.r.Transfer("c1", 10, TransferTarget{UserID: 11}); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	waitFor(t, "the bridge to the colleague", func() bool { return caller.has("bridge:sip:11@") })
	if got := e.ringer.leg("c1", 10).hungUpWith(); got != HangupNormal {
		t.Errorf("the owner's leg was hung up with %q, want normal", got)
	}
	if lc, ok := e.r.Call("c1"); !ok || lc.AgentID != 11 || !slices.Equal(lc.Answerers, []int64{10, 11}) {
		t.Errorf("live call = %+v, want agent 11 after 10", lc)
	}
	e.ringer.leg("c1", 11).bye()
	res := e.result(done)
	if res.AnsweredBy != 11 || res.EndedBy != EndedByAgent {
		t.Fatalf("result = %+v, want answered by 11, ended by the agent", res)
	}
	if got := steps(res); !slices.Equal(got, []string{"owner/10/answered", "transfer/11/answered"}) {
		t.Fatalf("steps = %v", got)
	}
	ev := caller.Events()
	i, j := slices.Index(ev, "play:music"), slices.Index(ev, "bridge:sip:11@test")
	if i < 0 || j < i || slices.Contains(ev[:i], "bridge:sip:11@test") {
		t.Errorf("caller saw %v, want music before the colleague's bridge", ev)
	}
	if n := slices.Index(ev, "answer"); n < 0 || slices.Contains(ev[n+1:], "answer") {
		t.Errorf("caller saw %v, want one answer", ev)
	}
}

// TestTransferNobodyTakesItGoesToTheDesk: the colleague does not answer;
// the call goes to the desk, where an agent takes it.
func TestTransferNobodyTakesItGoesToTheDesk(t *testing.T) {
	e := newEnv(t, envOption{})
	e.known("+4930111", 501, 10)
	e.online(10, 11, 20)
	e.ringer.set(10, answerAfter(0))
	e.ringer.set(11, ringOut)
	e.ringer.set(20, answerAfter(0))

	caller, done := e.call("c1", "+4930111")
	waitFor(t, "the bridge to the owner", func() bool { return caller.has("bridge:sip:10@") })
	if err := e.r.Transfer("c1", 10, TransferTarget{UserID: 11}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bridge to the desk", func() bool { return caller.has("bridge:sip:20@") })
	e.ringer.leg("c1", 20).bye()
	res := e.result(done)
	want := []string{"owner/10/answered", "transfer/11/no_answer", "desk/20/answered"}
	if got := steps(res); !slices.Equal(got, want) || res.AnsweredBy != 20 {
		t.Fatalf("steps = %v, answered by %d; want %v by 20", got, res.AnsweredBy, want)
	}
}

// TestTransferToTheDesk and a call no longer live.
func TestTransferToTheDesk(t *testing.T) {
	e := newEnv(t, envOption{})
	e.known("+4930111", 501, 10)
	e.online(10, 21)
	e.ringer.set(10, answerAfter(0))
	e.ringer.set(21, answerAfter(0))

	caller, done := e.call("c1", "+4930111")
	waitFor(t, "the bridge to the owner", func() bool { return caller.has("bridge:sip:10@") })
	if err := e.r.Transfer("c1", 10, TransferTarget{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bridge to the desk", func() bool { return caller.has("bridge:sip:21@") })
	caller.hangUp()
	res := e.result(done)
	if res.AnsweredBy != 21 || res.EndedBy != EndedByCaller {
		t.Fatalf("result = %+v", res)
	}
	if err := e.r.Transfer("c1", 21, TransferTarget{UserID: 10}); !errors.Is(err, ErrNoSuchCall) {
		t.Fatalf("transfer of an ended call: %v, want ErrNoSuchCall", err)
	}
}

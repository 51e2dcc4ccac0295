package sip

import (
	"slices"
	"strings"
	"testing"
	"time"

	"callroute/crm"
	"callroute/media"
	"callroute/media/audio"
)

// A known caller reaches the owner: both of the owner's phones ring (one
// INVITE each, one RTP session offered), one answers, the other gets a
// CANCEL; the caller's 200 comes only after the phone's; media crosses
// both ways; the caller's BYE reaches the phone.
func TestKnownCallerReachesOwnersPhones(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	answers := e.newPhone("201", testPassword, phoneAnswers, func(p *testPhone) { p.answerAfter = 600 * time.Millisecond })
	rings := e.newPhone("201", testPassword, phoneRings)
	desk := e.newPhone("202", "other-pass-202", phoneAnswers)

	c := e.dial(knownNumber)
	c.answered()
	rings.waitEvent("cancel")
	if desk.has("invite") {
		t.Fatal("the desk rang for a call the owner answered")
	}

	// The caller's 200 only after the phone's; 183 with SDP before, and
	// the early media was the European ringback (425 Hz).
	answers.mu.Lock()
	phoneOK := answers.answeredAt
	answers.mu.Unlock()
	c.mu.Lock()
	callerOK, codes, early := c.okAt, c.codes, c.early
	c.mu.Unlock()
	if !callerOK.After(phoneOK) {
		t.Fatalf("caller answered at %v, before the phone at %v", callerOK, phoneOK)
	}
	// (sipgo hands each response to its own goroutine: the order of 100
	// and 183 as seen here is not the order on the wire.)
	if !slices.Contains(codes, 100) || !slices.Contains(codes, 183) || codes[len(codes)-1] != 200 || !early {
		t.Fatalf("caller responses %v (early media %v)", codes, early)
	}
	heardTone(t, "caller (ringback)", c.media.since(time.Time{})[:4000], 425)

	// The INVITE to the phones: the caller's number and the contact's
	// name, cleaned of the CR/LF the client base carried.
	answers.mu.Lock()
	inv := answers.invites[0]
	answers.mu.Unlock()
	from := inv.From()
	if from.Address.User != knownNumber || from.DisplayName != "Ann ClientX-Injected: 1" {
		t.Fatalf("phone saw From %q <%s>", from.DisplayName, from.Address.User)
	}
	rings.mu.Lock()
	other := rings.invites[0]
	rings.mu.Unlock()
	if other.CallID().Value() == inv.CallID().Value() || other.CallID().Value() == c.callID() {
		t.Fatal("forks must have their own Call-IDs")
	}

	// Media both ways: 1000 Hz caller -> phone, 440 Hz phone -> caller.
	time.Sleep(300 * time.Millisecond)
	heardTone(t, "phone", answers.call().media.hearFor(800*time.Millisecond), 1000)
	heardTone(t, "caller", c.media.since(time.Now().Add(-800*time.Millisecond)), 440)

	c.hangup()
	answers.waitEvent("bye")
	it := e.written(c.callID())
	if it.Outcome != crm.OutcomeAnswered || it.AnsweredBy != ownerID {
		t.Fatalf("interaction %+v", it)
	}
	e.noDialogsLeft()
}

// The owner does not answer within the ring time: the desk phone gets the
// call. An unknown caller goes to the desk at once.
func TestOwnerNoAnswerThenDesk(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{call: func(c *CallConfig) { c.ProvisionalInterval = 400 * time.Millisecond }})
	owner := e.newPhone("201", testPassword, phoneRings)
	desk := e.newPhone("202", "other-pass-202", phoneAnswers)

	c := e.dial(knownNumber)
	c.answered()
	owner.waitEvent("cancel")
	desk.waitEvent("answered")
	// While it rang (1.5 s, then the desk) the 183 was re-sent (RFC 3261
	// 13.3.1.1, every ProvisionalInterval here).
	c.mu.Lock()
	n183 := 0
	for _, code := range c.codes {
		if code == 183 {
			n183++
		}
	}
	c.mu.Unlock()
	if n183 < 3 {
		t.Fatalf("%d 183s while ringing, want the provisional re-sent", n183)
	}
	time.Sleep(300 * time.Millisecond)
	heardTone(t, "caller", c.media.hearFor(600*time.Millisecond), 440)
	c.hangup()
	desk.waitEvent("bye")
	it := e.written(c.callID())
	if it.AnsweredBy != deskID || !strings.Contains(string(it.Route), `"stage":"owner","user_id":100`) ||
		!strings.Contains(string(it.Route), `"no_answer"`) {
		t.Fatalf("interaction %+v route %s", it, it.Route)
	}

	u := e.dial(unknownNumber)
	u.answered()
	owner.mu.Lock()
	n := len(owner.invites)
	owner.mu.Unlock()
	if n != 1 {
		t.Fatalf("owner rang %d times, want once (for the known caller only)", n)
	}
	u.hangup()
	e.noDialogsLeft()
}

// Without early media the caller gets 180 Ringing, re-sent while the
// owner's phone rings, and no 183; the desk phone then answers.
func TestRingingWithoutEarlyMedia(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{call: func(c *CallConfig) {
		c.NoEarlyMedia, c.ProvisionalInterval = true, 400*time.Millisecond
	}})
	e.newPhone("201", testPassword, phoneRings)
	desk := e.newPhone("202", "other-pass-202", phoneAnswers)

	c := e.dial(knownNumber)
	c.answered()
	desk.waitEvent("answered")
	c.mu.Lock()
	codes := slices.Clone(c.codes)
	c.mu.Unlock()
	n180 := 0
	for _, code := range codes {
		if code == 180 {
			n180++
		}
	}
	if n180 < 3 || slices.Contains(codes, 183) || codes[len(codes)-1] != 200 {
		t.Fatalf("caller responses %v, want 180 re-sent while ringing, no 183, 200 last", codes)
	}
	c.hangup()
	desk.waitEvent("bye")
	e.noDialogsLeft()
}

// Nobody free: the caller is answered into the queue (hears the hold
// message and music), then voicemail records a WAV file.
func TestQueueThenVoicemail(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	c := e.dial(unknownNumber)
	c.answered()
	queued := c.media.hearFor(time.Second)
	if a := audio.Analyze(queued); a.RMSDBFS < -45 {
		t.Fatalf("caller heard silence in the queue: %.1f dBFS", a.RMSDBFS)
	}
	c.waitBye()
	it := e.written(c.callID())
	files := e.recordings()
	if it.Outcome != crm.OutcomeVoicemail || len(files) != 1 || !strings.HasSuffix(files[0], it.Recording) {
		t.Fatalf("interaction %+v, recordings %v", it, files)
	}
	// The message is what the caller sent: 1000 Hz, about VoicemailMax.
	src, err := media.WAVSource(mustOpen(t, files[0]))
	if err != nil {
		t.Fatal(err)
	}
	pcm := src.PCM()
	if len(pcm) < 6000 {
		t.Fatalf("voicemail has %d samples", len(pcm))
	}
	heardTone(t, "voicemail", pcm[len(pcm)/4:], 1000)
	e.noDialogsLeft()
}

// The caller hangs up while the phone rings: the phone gets CANCEL, the
// caller 487, the call is abandoned.
func TestCallerCancelsWhileRinging(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	owner := e.newPhone("201", testPassword, phoneRings)
	c := e.dial(knownNumber)
	owner.waitEvent("invite")
	time.Sleep(200 * time.Millisecond)
	c.cancel()
	if code := c.finalCode(); code != 487 {
		t.Fatalf("caller's final response %d, want 487", code)
	}
	owner.waitEvent("cancel")
	if it := e.written(c.callID()); it.Outcome != crm.OutcomeAbandoned {
		t.Fatalf("interaction %+v", it)
	}
	e.noDialogsLeft()
}

// The phone hangs up: the caller gets a BYE.
func TestPhoneHangsUp(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	owner := e.newPhone("201", testPassword, phoneAnswers)
	c := e.dial(knownNumber)
	c.answered()
	owner.waitEvent("ack")
	time.Sleep(200 * time.Millisecond)
	owner.hangup()
	c.waitBye()
	if it := e.written(c.callID()); it.Outcome != crm.OutcomeAnswered || !strings.Contains(string(it.Route), `"ended_by":"agent"`) {
		t.Fatalf("interaction %+v route %s", it, it.Route)
	}
	e.noDialogsLeft()
}

// RTP stops: the media timeout ends both legs.
func TestMediaTimeoutEndsBothLegs(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{media: func(m *MediaConfig) {
		m.InitialTimeout, m.Timeout = 800*time.Millisecond, 500*time.Millisecond
	}})
	owner := e.newPhone("201", testPassword, phoneSilent)
	c := e.dial(knownNumber)
	c.answered()
	owner.waitEvent("bye")
	c.waitBye()
	e.noDialogsLeft()
}

// The owner's phone declines (603) or is busy (486): routing notes it and
// goes on to the desk.
func TestPhoneDeclinesOrIsBusy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code    int
		outcome string
	}{{603, "declined"}, {486, "busy"}} {
		e := newCallEnv(t, envOpts{})
		e.newPhone("201", testPassword, phoneRejects, func(p *testPhone) { p.rejectCode = tc.code })
		desk := e.newPhone("202", "other-pass-202", phoneAnswers)
		c := e.dial(knownNumber)
		c.answered()
		desk.waitEvent("ack")
		c.hangup()
		it := e.written(c.callID())
		if it.AnsweredBy != deskID || !strings.Contains(string(it.Route), `"outcome":"`+tc.outcome+`"`) {
			t.Fatalf("%d: interaction %+v route %s", tc.code, it, it.Route)
		}
		e.noDialogsLeft()
	}
}

// Stopping the server ends the live calls properly, while its sockets are
// still open: the answered one with a BYE to both sides, the ringing one
// with 503 (and a CANCEL to the phone).
func TestShutdownHangsUpLiveCalls(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t, envOpts{})
	owner := e.newPhone("201", testPassword, phoneAnswers)
	desk := e.newPhone("202", "other-pass-202", phoneRings)
	talking := e.dial(knownNumber)
	talking.answered()
	ringing := e.dial(unknownNumber)
	desk.waitEvent("invite")

	e.ts.stop()
	talking.waitBye()
	owner.waitEvent("bye")
	if code := ringing.finalCode(); code != 503 {
		t.Fatalf("ringing caller got %d, want 503", code)
	}
	desk.waitEvent("cancel")
}

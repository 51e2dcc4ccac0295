package sip

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callroute/crm"
	"callroute/media"
	"callroute/media/audio"
	"callroute/routing"
)

// The call layer end to end over loopback: a real Server, CallHandler,
// SIPRinger and routing.Router (MemoryState), with a fake caller lookup and
// an in-memory call recorder (the crm wiring is cmd's), real sipgo user
// agents as the caller and as registered phones, and real RTP.

// Users of startServer: "201" is user 100 (the owner, two phones in some
// tests), "202" is user 101 (the desk).
const (
	ownerID = 100
	deskID  = 101

	knownNumber   = "+4930111111"
	unknownNumber = "+4930999999"
)

// fakeLookup knows one caller, owned by user 100.
type fakeLookup struct {
	calls atomic.Int32
	name  string
}

func (f *fakeLookup) LookupCaller(_ context.Context, raw string) (*crm.CallerInfo, error) {
	f.calls.Add(1)
	if raw != knownNumber {
		return &crm.CallerInfo{E164: raw}, nil
	}
	return &crm.CallerInfo{E164: knownNumber, Known: true,
		Contact: &crm.Contact{ID: 7, Name: f.name},
		Owner:   &crm.UserRef{ID: ownerID}, Target: &crm.UserRef{ID: ownerID}}, nil
}

// memRecorder keeps the interactions routing writes.
type memRecorder struct {
	mu  sync.Mutex
	its map[string]crm.Interaction
}

func (m *memRecorder) RecordCall(_ context.Context, it crm.Interaction) (*crm.Interaction, *crm.Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.its[it.CallID] = it
	return &it, nil, nil
}

func (m *memRecorder) get(callID string) (crm.Interaction, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.its[callID]
	return it, ok
}

type callEnv struct {
	t       testing.TB
	ts      *testServer
	router  *routing.Router
	lookup  *fakeLookup
	rec     *memRecorder
	recDir  string
	handler *CallHandler
	peers   *media.PortAllocator // RTP for the test's phones and callers
}

type envOpts struct {
	settings func(*routing.Settings)
	media    func(*MediaConfig)
	config   func(*Config)
	call     func(*CallConfig)
	// ringer, when set, wraps the SIP ringer (another edge's ringer beside
	// it, say).
	ringer func(routing.Ringer) routing.Ringer
}

// portBlock gives each environment its own RTP port range.
var portBlock atomic.Int32

func newCallEnv(t testing.TB, o envOpts) *callEnv {
	t.Helper()
	e := &callEnv{t: t, lookup: &fakeLookup{name: "Ann \"Client\"\r\nX-Injected: 1"},
		rec: &memRecorder{its: map[string]crm.Interaction{}}, recDir: t.TempDir()}
	var router atomic.Pointer[routing.Router]
	// The registrar tells presence; the Router exists only later (it
	// needs the ringer, which needs the server): the cycle is broken by
	// a pointer set after both are made.
	onBindings := func(uid int64, bs []Binding) {
		if r := router.Load(); r != nil {
			_, _ = r.SetDevices(context.Background(), uid, "sip", len(bs))
		}
	}
	e.ts = startServer(t, o.config, Deps{OnBindingsChanged: onBindings})

	block := int(portBlock.Add(1)%40) * 500
	lo := netip.MustParseAddr("127.0.0.1")
	ports, err := media.NewPortAllocator(lo, 30000+block, 30000+block+249, media.WithDrainTime(0))
	if err != nil {
		t.Fatal(err)
	}
	e.peers, err = media.NewPortAllocator(lo, 30250+block, 30000+block+499, media.WithDrainTime(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ports.Close(); e.peers.Close() })
	mc := MediaConfig{Ports: ports, Announce: lo}
	if o.media != nil {
		o.media(&mc)
	}
	log := testLogger(t)
	ringer, err := NewSIPRinger(e.ts.Server, RingerConfig{Media: mc, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	var rg routing.Ringer = ringer
	if o.ringer != nil {
		rg = o.ringer(ringer)
	}
	s := routing.DefaultSettings()
	s.WrapUpTime = 0
	s.OwnerRingTime = 1500 * time.Millisecond
	s.DeskRingTime = 2 * time.Second
	s.DeskAgents = []int64{deskID}
	s.QueueTimeout = 1500 * time.Millisecond
	s.QueuePollInterval = 100 * time.Millisecond
	s.PositionInterval = time.Second
	s.VoicemailMax = time.Second
	s.MaxRingOuts = 0
	if o.settings != nil {
		o.settings(&s)
	}
	r, err := routing.New(routing.Deps{Lookup: e.lookup, Recorder: e.rec, Ringer: rg,
		State: routing.NewMemoryState(nil)}, s, routing.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	router.Store(r)
	e.router = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; _ = r.Close() })
	cc := CallConfig{Media: mc, RecordingsDir: e.recDir, Logger: log}
	if o.call != nil {
		o.call(&cc)
	}
	e.handler, err = NewCallHandler(e.ts.Server, r, cc)
	if err != nil {
		t.Fatal(err)
	}
	e.ts.SetInviteHandler(e.handler)
	return e
}

// written waits for the call's interaction.
func (e *callEnv) written(callID string) crm.Interaction {
	e.t.Helper()
	var it crm.Interaction
	waitFor(e.t, "the interaction of "+callID, 10*time.Second, func() bool {
		var ok bool
		it, ok = e.rec.get(callID)
		return ok
	})
	return it
}

// noDialogsLeft waits until the server holds no dialog: nothing leaked.
func (e *callEnv) noDialogsLeft() {
	e.t.Helper()
	waitFor(e.t, "no live dialogs", 10*time.Second, func() bool { return e.ts.LiveDialogs() == 0 })
}

// recordings lists the voicemail files.
func (e *callEnv) recordings() []string {
	files, _ := filepath.Glob(filepath.Join(e.recDir, "*.wav"))
	return files
}

func waitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// heardTone checks that pcm is mostly a tone of hz.
func heardTone(t *testing.T, who string, pcm []int16, hz float64) {
	t.Helper()
	if len(pcm) < 4000 {
		t.Fatalf("%s heard only %d samples", who, len(pcm))
	}
	a := audio.Analyze(pcm)
	if a.PeakHz < hz-15 || a.PeakHz > hz+15 || a.RMSDBFS < -40 {
		t.Fatalf("%s heard %.0f Hz at %.1f dBFS, want %.0f Hz", who, a.PeakHz, a.RMSDBFS, hz)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

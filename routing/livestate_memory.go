package routing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemoryState is the in-memory [LiveState] of a single node: one mutex, no
// I/O. The zero value is not usable; use NewMemoryState.
type MemoryState struct {
	now func() time.Time

	mu     sync.Mutex
	agents map[int64]*memAgent
	queue  []QueueEntry
	turn   int64
	subs   map[chan struct{}]struct{}
}

type memAgent struct {
	chosen    Presence
	autoAway  bool
	devices   map[string]int
	online    int // the sum of devices, kept so that a read does not walk the map
	callID    string
	offered   bool
	idleSince time.Time
	ringOuts  int
	wrapUntil time.Time
}

// NewMemoryState returns an empty live state; now is its clock (nil:
// time.Now).
func NewMemoryState(now func() time.Time) *MemoryState {
	if now == nil {
		now = time.Now
	}
	return &MemoryState{now: now, agents: map[int64]*memAgent{}, subs: map[chan struct{}]struct{}{}}
}

var _ LiveState = (*MemoryState)(nil)

// agent returns the record of userID, creating it; the caller holds mu.
func (m *MemoryState) agent(userID int64) *memAgent {
	a := m.agents[userID]
	if a == nil {
		a = &memAgent{chosen: Available, devices: map[string]int{}, idleSince: m.now()}
		m.agents[userID] = a
	}
	return a
}

func (a *memAgent) view(userID int64, now time.Time) Agent {
	v := Agent{UserID: userID, Chosen: a.chosen, AutoAway: a.autoAway, CallID: a.callID,
		Offered: a.offered, IdleSince: a.idleSince, RingOuts: a.ringOuts,
		WrapUpUntil: a.wrapUntil, WrapUp: now.Before(a.wrapUntil), Devices: a.online}
	v.Presence = a.chosen
	if v.Devices == 0 {
		v.Presence = Offline
	}
	return v
}

// changed wakes every subscriber; the caller holds mu.
func (m *MemoryState) changed() {
	for ch := range m.subs {
		select {
		case ch <- struct{}{}:
		default: // a notice is already pending
		}
	}
}

// SetPresence implements [LiveState].
func (m *MemoryState) SetPresence(_ context.Context, userID int64, p Presence) (Agent, error) {
	if _, err := ParsePresence(string(p)); err != nil {
		return Agent{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agent(userID)
	a.chosen, a.autoAway = p, false
	if p == Available {
		a.ringOuts = 0
	}
	m.changed()
	return a.view(userID, m.now()), nil
}

// SetDevices implements [LiveState].
func (m *MemoryState) SetDevices(_ context.Context, userID int64, source string, n int) (Agent, error) {
	if n < 0 {
		return Agent{}, fmt.Errorf("devices: %d is negative", n)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agent(userID)
	if n == 0 {
		delete(a.devices, source)
	} else {
		a.devices[source] = n
	}
	a.online = 0
	for _, n := range a.devices {
		a.online += n
	}
	m.changed()
	return a.view(userID, m.now()), nil
}

// Agent implements [LiveState].
func (m *MemoryState) Agent(_ context.Context, userID int64) (Agent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.agents[userID]; a != nil {
		return a.view(userID, m.now()), nil
	}
	return Agent{UserID: userID, Presence: Offline, Chosen: Available}, nil
}

// Agents implements [LiveState].
func (m *MemoryState) Agents(_ context.Context, ids []int64) ([]Agent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ids == nil {
		for id := range m.agents {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	out := make([]Agent, 0, len(ids))
	now := m.now()
	for _, id := range ids {
		if a := m.agents[id]; a != nil {
			out = append(out, a.view(id, now))
		} else {
			out = append(out, Agent{UserID: id, Presence: Offline, Chosen: Available})
		}
	}
	return out, nil
}

// TryOffer implements [LiveState].
func (m *MemoryState) TryOffer(_ context.Context, userID int64, callID string) (Agent, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agents[userID]
	if a == nil {
		return Agent{UserID: userID, Presence: Offline, Chosen: Available}, false, nil
	}
	if v := a.view(userID, m.now()); !v.Free() {
		return v, false, nil
	}
	a.callID, a.offered = callID, true
	m.changed()
	return a.view(userID, m.now()), true, nil
}

// EndOffer implements [LiveState].
func (m *MemoryState) EndOffer(_ context.Context, e OfferEnd) (Agent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agents[e.UserID]
	if a == nil || a.callID != e.CallID || !a.offered {
		return m.viewLocked(e.UserID), nil
	}
	a.offered = false
	switch e.Outcome {
	case OutcomeAnswered:
		a.ringOuts = 0
	case OutcomeNoAnswer:
		a.callID = ""
		a.ringOuts++
		if e.MaxRingOuts > 0 && a.ringOuts >= e.MaxRingOuts && a.chosen == Available {
			a.chosen, a.autoAway, a.ringOuts = Away, true, 0
		}
	default:
		a.callID = ""
	}
	m.changed()
	return a.view(e.UserID, m.now()), nil
}

func (m *MemoryState) viewLocked(userID int64) Agent {
	if a := m.agents[userID]; a != nil {
		return a.view(userID, m.now())
	}
	return Agent{UserID: userID, Presence: Offline, Chosen: Available}
}

// EndCall implements [LiveState].
func (m *MemoryState) EndCall(_ context.Context, userID int64, callID string, wrapUp time.Duration) (Agent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agents[userID]
	if a != nil && a.callID == callID && !a.offered {
		now := m.now()
		a.callID, a.idleSince = "", now
		if wrapUp > 0 {
			a.wrapUntil = now.Add(wrapUp)
			// Waiting calls poll too; the notice only saves them the wait.
			time.AfterFunc(wrapUp, func() {
				m.mu.Lock()
				m.changed()
				m.mu.Unlock()
			})
		}
		m.changed()
	}
	return m.viewLocked(userID), nil
}

// EndWrapUp implements [LiveState].
func (m *MemoryState) EndWrapUp(_ context.Context, userID int64) (Agent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.agents[userID]; a != nil && !a.wrapUntil.IsZero() {
		a.wrapUntil = time.Time{}
		m.changed()
	}
	return m.viewLocked(userID), nil
}

// QueueJoin implements [LiveState].
func (m *MemoryState) QueueJoin(_ context.Context, e QueueEntry) (QueueSpot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.indexLocked(e.CallID) < 0 {
		m.queue = append(m.queue, e)
		m.changed()
	}
	return m.spotLocked(e.CallID), nil
}

// QueueLeave implements [LiveState].
func (m *MemoryState) QueueLeave(_ context.Context, callID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := m.indexLocked(callID); i >= 0 {
		m.queue = slices.Delete(m.queue, i, i+1)
		m.changed()
	}
	return nil
}

// QueueSetOffering implements [LiveState].
func (m *MemoryState) QueueSetOffering(_ context.Context, callID string, offering bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := m.indexLocked(callID); i >= 0 && m.queue[i].Offering != offering {
		m.queue[i].Offering = offering
		m.changed()
	}
	return nil
}

// QueueSpot implements [LiveState].
func (m *MemoryState) QueueSpot(_ context.Context, callID string) (QueueSpot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.spotLocked(callID), nil
}

func (m *MemoryState) indexLocked(callID string) int {
	return slices.IndexFunc(m.queue, func(e QueueEntry) bool { return e.CallID == callID })
}

func (m *MemoryState) spotLocked(callID string) QueueSpot {
	s := QueueSpot{Length: len(m.queue)}
	for i, e := range m.queue {
		if e.CallID == callID {
			s.Position = i + 1
			return s
		}
		if !e.Offering {
			s.WaitingAhead++
		}
	}
	return QueueSpot{Length: len(m.queue)}
}

// Queue implements [LiveState].
func (m *MemoryState) Queue(context.Context) ([]QueueEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.queue), nil
}

// NextTurn implements [LiveState].
func (m *MemoryState) NextTurn(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.turn++
	return m.turn, nil
}

// Changes implements [LiveState].
func (m *MemoryState) Changes() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	m.mu.Lock()
	m.subs[ch] = struct{}{}
	m.mu.Unlock()
	return ch, func() {
		m.mu.Lock()
		delete(m.subs, ch)
		m.mu.Unlock()
	}
}

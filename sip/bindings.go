package sip

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Binding is one registered phone of a user: an address-of-record's contact
// (RFC 3261 10), with where its REGISTER actually came from.
type Binding struct {
	UserID   int64
	Username string
	// Contact is the Contact URI as registered, e.g.
	// "sip:201@192.168.1.20:5060;transport=udp". Behind NAT its host is a
	// private address: send to Source instead (RFC 3581, sip-webrtc.md
	// pitfall 1), see Server.RouteToBinding.
	Contact string
	// Key identifies the contact for RFC 3261 10.3 step 7 comparisons.
	Key string
	// Source is the observed source address and port of the REGISTER
	// (received/rport), Transport its transport ("UDP", "TCP", "TLS").
	Source    netip.AddrPort
	Transport string
	// InstanceID is the +sip.instance contact parameter (RFC 5626), if any.
	InstanceID string
	UserAgent  string
	CallID     string
	CSeq       uint32
	Registered time.Time // first registration of this contact
	Expires    time.Time
}

// Remaining is the time left until the binding expires (0 when expired).
func (b Binding) Remaining(now time.Time) time.Duration {
	return max(0, b.Expires.Sub(now))
}

// BindingStore keeps registrations. The in-memory store is the default; a
// Redis store for several nodes implements the same interface (Update as a
// WATCH/MULTI transaction on the user's key).
type BindingStore interface {
	// Bindings returns a user's bindings, expired ones included (callers
	// filter by time; Registrar.Bindings does).
	Bindings(ctx context.Context, userID int64) ([]Binding, error)
	// Update replaces a user's bindings with fn's result atomically: no
	// other Update of that user interleaves. fn gets a copy; an error from
	// fn leaves the bindings untouched and is returned.
	Update(ctx context.Context, userID int64, fn func(current []Binding) ([]Binding, error)) error
	// Users lists the users that have bindings (for the expiry sweep).
	Users(ctx context.Context) ([]int64, error)
}

// MemoryBindings is a BindingStore in process memory.
type MemoryBindings struct {
	mu    sync.Mutex
	users map[int64][]Binding
	// stripes serialise Updates per user with bounded memory: a user's
	// updates always take the same stripe.
	stripes [64]sync.Mutex
}

// NewMemoryBindings returns an empty in-memory store.
func NewMemoryBindings() *MemoryBindings {
	return &MemoryBindings{users: map[int64][]Binding{}}
}

// Bindings implements BindingStore.
func (m *MemoryBindings) Bindings(_ context.Context, userID int64) ([]Binding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.users[userID]), nil
}

// Update implements BindingStore. Updates of one user are serialised by a
// lock stripe, so fn may take its time without blocking most other users.
func (m *MemoryBindings) Update(_ context.Context, userID int64, fn func([]Binding) ([]Binding, error)) error {
	l := &m.stripes[uint64(userID)%uint64(len(m.stripes))]
	l.Lock()
	defer l.Unlock()
	m.mu.Lock()
	cur := slices.Clone(m.users[userID])
	m.mu.Unlock()
	next, err := fn(cur)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(next) == 0 {
		delete(m.users, userID)
	} else {
		m.users[userID] = slices.Clone(next)
	}
	return nil
}

// Users implements BindingStore.
func (m *MemoryBindings) Users(context.Context) ([]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]int64, 0, len(m.users))
	for id := range m.users {
		out = append(out, id)
	}
	return out, nil
}

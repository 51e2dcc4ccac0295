package routing

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"callroute/crm"
)

// Desk names the inbound desk's agents when Settings.DeskAgents does not.
type Desk interface {
	DeskAgents(ctx context.Context) ([]int64, error)
}

// UserLister lists users; *crm.Service implements it.
type UserLister interface {
	Users(ctx context.Context) ([]crm.User, error)
}

// RoleDesk is the desk of every active user with the agent role, read from
// the client base and kept for a while, so that a call does not wait for the
// database and a database outage keeps the last desk known.
type RoleDesk struct {
	users UserLister
	ttl   time.Duration
	now   func() time.Time

	mu         sync.Mutex
	ids        []int64
	have       bool
	fetched    time.Time
	refreshing bool
}

// DefaultDeskRefresh is how long RoleDesk keeps the desk it read.
const DefaultDeskRefresh = 10 * time.Second

// NewRoleDesk returns the desk of users' agents, re-read after ttl (0:
// DefaultDeskRefresh).
func NewRoleDesk(users UserLister, ttl time.Duration) *RoleDesk {
	if ttl <= 0 {
		ttl = DefaultDeskRefresh
	}
	return &RoleDesk{users: users, ttl: ttl, now: time.Now}
}

// DeskAgents implements [Desk]. While one call re-reads the desk the others
// use the copy they have; when reading fails the last copy is kept.
func (d *RoleDesk) DeskAgents(ctx context.Context) ([]int64, error) {
	d.mu.Lock()
	if d.have && (d.now().Sub(d.fetched) < d.ttl || d.refreshing) {
		ids := d.ids
		d.mu.Unlock()
		return ids, nil
	}
	d.refreshing = true
	d.mu.Unlock()

	users, err := d.users.Users(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refreshing = false
	if err != nil {
		if d.have {
			return d.ids, nil
		}
		return nil, err
	}
	var ids []int64
	for _, u := range users {
		if u.Active && u.Role == crm.RoleAgent {
			ids = append(ids, u.ID)
		}
	}
	slices.Sort(ids)
	d.ids, d.have, d.fetched = ids, true, d.now()
	return ids, nil
}

// deskOrder returns the user IDs of the free agents of the desk in the
// order to ring them. desk holds every desk agent sorted by user ID; turn is
// the call's round-robin turn. Agents are large: the order is worked out on
// their indices in desk, so that none is copied.
func deskOrder(s Strategy, desk []Agent, turn int64) []int64 {
	n := len(desk)
	if n == 0 {
		return nil
	}
	first := 0
	if s == RoundRobin {
		first = int(turn % int64(n))
	}
	order := make([]int64, 0, n) // indices into desk, then user IDs
	for i := range n {
		if j := (first + i) % n; desk[j].Free() {
			order = append(order, int64(j))
		}
	}
	if s == LongestIdle {
		slices.SortStableFunc(order, func(i, j int64) int {
			a, b := &desk[i], &desk[j]
			return cmp.Or(a.IdleSince.Compare(b.IdleSince), cmp.Compare(a.UserID, b.UserID))
		})
	}
	for k, j := range order {
		order[k] = desk[j].UserID
	}
	return order
}

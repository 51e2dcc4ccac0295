package sip

import (
	"net/netip"
	"sync"
	"time"
)

// authBrake counts digest failures per source address. A wrong password
// gets a fresh 401 so a phone can retry (RFC 3261 22.2), but after limit
// failures within window the source gets 403 for ban (security.md: lock the
// source, not the account, so nobody can lock a real desk phone out from
// elsewhere). Memory is bounded by max addresses; when full, entries that
// are neither counting nor banned go first, then the oldest window.
type authBrake struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	ban     time.Duration
	max     int
	sources map[netip.Addr]*brakeEntry
}

type brakeEntry struct {
	start  time.Time // window start
	fails  int
	banned time.Time // zero: not banned
}

func newAuthBrake(limit int, window, ban time.Duration, max int) *authBrake {
	return &authBrake{limit: limit, window: window, ban: ban, max: max, sources: map[netip.Addr]*brakeEntry{}}
}

// banned reports whether ip is serving a ban.
func (b *authBrake) banned(ip netip.Addr, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.sources[ip]
	return ok && now.Before(e.banned)
}

// fail records one failure and reports whether ip is now banned.
func (b *authBrake) fail(ip netip.Addr, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.sources[ip]
	if !ok {
		if len(b.sources) >= b.max {
			b.evictLocked(now)
		}
		e = &brakeEntry{start: now}
		b.sources[ip] = e
	}
	if now.Before(e.banned) {
		return true
	}
	if now.Sub(e.start) > b.window {
		e.start, e.fails = now, 0
	}
	e.fails++
	if e.fails >= b.limit {
		e.banned = now.Add(b.ban)
		e.start, e.fails = now, 0
		return true
	}
	return false
}

// sweep drops entries whose window and ban are over.
func (b *authBrake) sweep(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ip, e := range b.sources {
		if b.idle(e, now) {
			delete(b.sources, ip)
		}
	}
}

func (b *authBrake) idle(e *brakeEntry, now time.Time) bool {
	return !now.Before(e.banned) && now.Sub(e.start) > b.window
}

func (b *authBrake) evictLocked(now time.Time) {
	var oldest netip.Addr
	var oldestStart time.Time
	for ip, e := range b.sources {
		if b.idle(e, now) {
			delete(b.sources, ip)
			return
		}
		if now.Before(e.banned) {
			continue // a ban is worth more than a count
		}
		if !oldest.IsValid() || e.start.Before(oldestStart) {
			oldest, oldestStart = ip, e.start
		}
	}
	if oldest.IsValid() {
		delete(b.sources, oldest)
		return
	}
	for ip := range b.sources { // all banned: drop any one
		delete(b.sources, ip)
		return
	}
}

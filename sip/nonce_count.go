package sip

import (
	"container/list"
	"sync"
	"time"
)

// nonceCounts remembers the highest nonce-count (nc) accepted per nonce, so
// a captured Authorization cannot be replayed (RFC 2617 3.2.2: "the server
// can detect request replays by maintaining its own copy of this count").
//
// Memory is bounded: at most max nonces. When full, the oldest-inserted entry
// is evicted and the watermark moves to its issue time; a nonce that is not
// in the cache and was issued at or before the watermark may have been seen
// before, so it is refused as stale (the phone retries at once with a fresh
// nonce) instead of being trusted. Entries past the nonce lifetime are
// dropped as they cannot verify anyway.
//
// This is per node; nodes behind one address would need it in Redis.
type nonceCounts struct {
	mu        sync.Mutex
	max       int
	lifetime  time.Duration
	entries   map[string]*list.Element
	order     *list.List // of *ncEntry, oldest insert first
	watermark time.Time
}

type ncEntry struct {
	nonce  string
	issued time.Time
	nc     uint32
}

type ncVerdict int

const (
	ncOK     ncVerdict = iota
	ncReplay           // nc not above the highest seen
	ncStale            // state forgotten under memory pressure: re-challenge
)

func newNonceCounts(max int, lifetime time.Duration) *nonceCounts {
	return &nonceCounts{max: max, lifetime: lifetime, entries: map[string]*list.Element{}, order: list.New()}
}

// use records nc for nonce if it is higher than any seen before.
func (c *nonceCounts) use(nonce string, issued time.Time, nc uint32, now time.Time) ncVerdict {
	if nc == 0 {
		return ncReplay // nc starts at 1 (RFC 2617 3.2.2)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[nonce]; ok {
		e := el.Value.(*ncEntry)
		if nc <= e.nc {
			return ncReplay
		}
		e.nc = nc
		return ncOK
	}
	if !issued.After(c.watermark) {
		return ncStale
	}
	c.pruneLocked(now)
	for c.order.Len() >= c.max {
		oldest := c.order.Front()
		e := oldest.Value.(*ncEntry)
		if e.issued.After(c.watermark) {
			c.watermark = e.issued
		}
		c.order.Remove(oldest)
		delete(c.entries, e.nonce)
	}
	c.entries[nonce] = c.order.PushBack(&ncEntry{nonce: nonce, issued: issued, nc: nc})
	return ncOK
}

// pruneLocked drops entries whose nonce has expired: they fail the age
// check before reaching the cache, so forgetting them is safe.
func (c *nonceCounts) pruneLocked(now time.Time) {
	for n := 0; n < 64; n++ { // bounded work per call
		el := c.order.Front()
		if el == nil {
			return
		}
		e := el.Value.(*ncEntry)
		if now.Sub(e.issued) <= c.lifetime+nonceSkew {
			return
		}
		c.order.Remove(el)
		delete(c.entries, e.nonce)
	}
}

func (c *nonceCounts) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

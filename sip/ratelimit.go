package sip

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// rateLimiter is a token bucket per source address, applied to raw reads
// before sipgo parses them (security.md: limit before any parsing, database
// or Redis work; sipgo itself has no rate limiting). A source that floods is
// dropped silently while every other source keeps its own full bucket.
//
// Memory is bounded: buckets idle for longer than idle are evicted by sweep,
// and once max sources are tracked, unknown sources share one overflow
// bucket rather than growing the map (a spoofed-source flood then throttles
// only newcomers, never the sources already known).
type rateLimiter struct {
	mu       sync.Mutex
	rate     float64 // tokens per second
	burst    float64
	idle     time.Duration
	max      int
	buckets  map[netip.Addr]*tokenBucket
	overflow tokenBucket
	exempt   func(netip.Addr) bool
	now      func() time.Time
	dropped  atomic.Uint64
}

type tokenBucket struct {
	tokens  float64
	last    time.Time
	limited bool // currently dropping (to log the start of a flood once)
}

func newRateLimiter(rate float64, burst int, idle time.Duration, max int, exempt func(netip.Addr) bool, now func() time.Time) *rateLimiter {
	l := &rateLimiter{rate: rate, burst: float64(burst), idle: idle, max: max,
		buckets: map[netip.Addr]*tokenBucket{}, exempt: exempt, now: now}
	l.overflow = tokenBucket{tokens: l.burst, last: now()}
	return l
}

// allow takes one token from ip's bucket. started is true on the first drop
// after a period of allowed traffic, so the caller can log it once.
func (l *rateLimiter) allow(ip netip.Addr) (ok, started bool) {
	ip = ip.Unmap()
	if l.exempt != nil && l.exempt(ip) {
		return true, false
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.buckets[ip]
	if !found {
		if len(l.buckets) >= l.max {
			b = &l.overflow
		} else {
			b = &tokenBucket{tokens: l.burst, last: now}
			l.buckets[ip] = b
		}
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		b.limited = false
		return true, false
	}
	l.dropped.Add(1)
	started = !b.limited
	b.limited = true
	return false, started
}

// sweep evicts buckets that have been idle long enough to be full again.
func (l *rateLimiter) sweep() {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for ip, b := range l.buckets {
		if now.Sub(b.last) > l.idle {
			delete(l.buckets, ip)
		}
	}
}

func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// errRateLimited closes a stream connection whose source is over its rate;
// on UDP the datagram is just dropped (an error would stop sipgo's reader).
var errRateLimited = errors.New("sip: source over its request rate")

// readFilter adapts the limiter to sipgo's transport read hook. It also
// drops reads larger than maxSize before parsing.
func (l *rateLimiter) readFilter(maxSize int, onLimit func(src netip.Addr)) sip.TransportReadFilter {
	return func(p sip.TransportReadProps, data []byte) ([]byte, error) {
		ip := addrOf(p.RemoteAddr)
		stream := p.Transport != "UDP"
		if ok, started := l.allow(ip); !ok {
			if started && onLimit != nil {
				onLimit(ip)
			}
			if stream {
				return nil, errRateLimited
			}
			return nil, nil
		}
		if !stream && len(data) > maxSize {
			return nil, nil
		}
		return data, nil
	}
}

// addrOf extracts the IP of a UDP or TCP address (unmapped).
func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

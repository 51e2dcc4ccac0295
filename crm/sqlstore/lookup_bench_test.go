package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"callroute/crm"
)

// BenchmarkLookupPhone times LookupPhone on a client base of N contacts
// (CALLROUTE_BENCH_CONTACTS, default 10000): ~50 managers, N/5 companies
// with a switchboard number, each contact with 1-2 phones, an owner for most,
// an open interest for 30%, a closed one for 10%, and a few delegations.
// Lookups are 80% known contact numbers, 10% switchboards, 10% unknown.
// The loaded database is kept between runs: a SQLite file
// $TMPDIR/callroute-bench-N.db and a PostgreSQL database callroute_bench_N,
// reused when their row counts match.
//
//	CALLROUTE_BENCH_CONTACTS=1000000 go test ./crm/sqlstore/ -run '^$' -bench LookupPhone -benchtime 20000x
func BenchmarkLookupPhone(b *testing.B) {
	n := 10000
	if v := os.Getenv("CALLROUTE_BENCH_CONTACTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			b.Fatalf("CALLROUTE_BENCH_CONTACTS=%q: want a number >= 10", v)
		}
	}
	p := newBenchPlan(n)
	b.Run("sqlite", func(b *testing.B) {
		s, size := benchSQLite(b, p)
		runLookupBench(b, s, p, size)
	})
	b.Run("postgres", func(b *testing.B) {
		s, size := benchPostgres(b, p)
		runLookupBench(b, s, p, size)
	})
}

// benchPlan generates the data deterministically, so that the numbers to
// look up are known without reading the database.
type benchPlan struct {
	contacts, companies, users int
	contactPhones              int // numbers 0..contactPhones-1 are in use
	openInterests, closed      int
	at                         time.Time
}

func newBenchPlan(n int) *benchPlan {
	p := &benchPlan{contacts: n, companies: max(1, n/5), users: 50, at: time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)}
	for i := 1; i <= n; i++ {
		p.contactPhones += p.phonesOf(i)
		if p.hasOpenInterest(i) {
			p.openInterests++
		}
		if p.hasClosedInterest(i) {
			p.closed++
		}
	}
	return p
}

// scramble spreads sequence numbers over 9 digits (a bijection: 7919 is
// prime to 10^9), so neighbouring numbers are far apart in the index.
func scramble(j int) int { return (j*7919 + 12345) % 1_000_000_000 }

func contactNumber(j int) string { return fmt.Sprintf("+40%09d", scramble(j)) }
func switchboard(j int) string   { return fmt.Sprintf("+49%09d", scramble(j)) }

func (p *benchPlan) phonesOf(i int) int           { return 1 + i%2 }
func (p *benchPlan) hasOpenInterest(i int) bool   { return i%10 < 3 }
func (p *benchPlan) hasClosedInterest(i int) bool { return i%10 == 5 }
func (p *benchPlan) companyOf(i int) int64        { return nilIf(i%10 == 9, int64(i*7%p.companies)+1) }
func (p *benchPlan) ownerOf(i int) int64          { return nilIf(i%20 >= 17, int64(i%p.users)+1) }
func (p *benchPlan) companyOwner(j int) int64     { return nilIf(j%5 == 0, int64(j*3%p.users)+1) }
func (p *benchPlan) interestOwner(i int) int64    { return int64(i*11%p.users) + 1 }
func (p *benchPlan) activity(i int) time.Time     { return p.at.Add(-time.Duration(i%5000) * time.Minute) }
func (p *benchPlan) phoneKind(k int) crm.PhoneKind {
	return [...]crm.PhoneKind{crm.PhoneMobile, crm.PhoneWork}[k]
}

// nilIf is 0 (no reference) when cond holds, else v.
func nilIf(cond bool, v int64) int64 {
	if cond {
		return 0
	}
	return v
}

// runLookupBench times lookups of known and unknown numbers and reports
// latency percentiles and the database size.
func runLookupBench(b *testing.B, s *Store, p *benchPlan, size func() float64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, uint64(p.contacts)))
	type probe struct {
		e164 string
		kind byte // 'c' contact, 's' switchboard, 'u' unknown
	}
	next := func() probe {
		switch r := rng.IntN(10); {
		case r < 8:
			return probe{contactNumber(rng.IntN(p.contactPhones)), 'c'}
		case r < 9:
			return probe{switchboard(1 + rng.IntN(p.companies)), 's'}
		default:
			return probe{contactNumber(p.contactPhones + rng.IntN(1_000_000)), 'u'}
		}
	}
	check := func(pr probe, m []crm.CallerMatch) {
		ok := false
		switch pr.kind {
		case 'c':
			ok = len(m) == 1 && m[0].Contact != nil
		case 's':
			ok = len(m) == 1 && m[0].Contact == nil && m[0].Company != nil
		case 'u':
			ok = len(m) == 0
		}
		if !ok {
			b.Fatalf("lookup %s (%c): %d matches %+v", pr.e164, pr.kind, len(m), m)
		}
	}
	for range 500 { // warm the caches and the prepared statement
		pr := next()
		m, err := s.LookupPhone(ctx, pr.e164, p.at)
		must(b, err)
		check(pr, m)
	}
	var lat []time.Duration
	delegated := 0
	b.ResetTimer()
	for b.Loop() {
		pr := next()
		t0 := time.Now()
		m, err := s.LookupPhone(ctx, pr.e164, p.at)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		check(pr, m)
		if len(m) > 0 && m[0].Delegate != nil {
			delegated++
		}
	}
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	if len(lat) >= 1000 && delegated == 0 {
		b.Fatal("no lookup resolved a delegate")
	}
	slices.Sort(lat)
	pct := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(size(), "db-MB")
}

package crm_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"callroute/crm"
	"callroute/internal/testdb"
)

// BenchmarkSignInFailure compares what a wrong password and an unknown email
// cost (ASVS 5.0 6.3.8: the time must not tell them apart). Each iteration
// tries both, one after the other, so load on the machine falls on both
// alike; it reports the median of each and their difference. The throttle
// is set out of the way.
//
//	go test ./crm -run '^$' -bench SignInFailure -benchtime 60x
func BenchmarkSignInFailure(b *testing.B) {
	w := newSessionWorld(&testing.T{}, testdb.SQLite(b),
		crm.WithSignInThrottle(crm.SignInThrottle{PerAccountSource: 1 << 30, PerSource: 1 << 30}))
	ctx := context.Background()
	try := func(email string) time.Duration {
		start := time.Now()
		_, err := w.svc.SignIn(ctx, crm.SignInRequest{Email: email, Password: "not the password", Source: "192.0.2.1"})
		if !errors.Is(err, crm.ErrUnauthenticated) {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var wrong, unknown []time.Duration
	for b.Loop() {
		wrong = append(wrong, try("ann@example.com"))
		unknown = append(unknown, try("nobody@example.com"))
	}
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2]) / float64(time.Millisecond)
	}
	mw, mu := median(wrong), median(unknown)
	b.ReportMetric(mw, "wrong-password-ms")
	b.ReportMetric(mu, "unknown-email-ms")
	b.ReportMetric(mw-mu, "diff-ms")
}

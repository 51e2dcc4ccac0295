package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"callroute/crm"
	"callroute/routing"
)

func TestRoutingMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewRouting(reg)
	m.Lookup(80*time.Microsecond, false)
	m.Lookup(2*time.Second, true)
	m.Ring(routing.StageOwner, routing.OutcomeNoAnswer, 20*time.Second)
	m.Answered(routing.StageOwner, 3*time.Second)
	m.Ended(crm.OutcomeAnswered, 95*time.Second)
	m.Ended(crm.OutcomeMissed, 0)
	m.Pending(3)
	m.Lost()

	if got := testutil.ToFloat64(m.calls.WithLabelValues("answered")); got != 1 {
		t.Errorf("answered calls = %v", got)
	}
	if got := testutil.ToFloat64(m.pending); got != 3 {
		t.Errorf("pending = %v", got)
	}
	want := `
# HELP callroute_calls_total Calls ended, by outcome.
# TYPE callroute_calls_total counter
callroute_calls_total{outcome="answered"} 1
callroute_calls_total{outcome="missed"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "callroute_calls_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.lookup); n != 2 {
		t.Errorf("lookup series = %d, want ok and failed", n)
	}
	if n := testutil.CollectAndCount(m.talk); n != 1 {
		t.Errorf("talk series = %d", n)
	}
}

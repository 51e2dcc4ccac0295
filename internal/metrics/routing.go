// Package metrics backs callroute's measurement interfaces with Prometheus.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callroute/crm"
	"callroute/routing"
)

// callBuckets cover a call's stages: a lookup in microseconds to a ring of
// tens of seconds and a talk of an hour.
var (
	lookupBuckets = prometheus.ExponentialBuckets(0.00005, 2.5, 12) // 50 µs .. ~3 s
	ringBuckets   = []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 12, 20, 30, 45, 60, 120, 300}
	talkBuckets   = []float64{5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}
)

// Routing is routing.Metrics on Prometheus.
type Routing struct {
	lookup    *prometheus.HistogramVec
	firstRing prometheus.Histogram
	ring      *prometheus.HistogramVec
	answered  *prometheus.HistogramVec
	talk      prometheus.Histogram
	calls     *prometheus.CounterVec
	pending   prometheus.Gauge
	lost      prometheus.Counter
}

var _ routing.Metrics = (*Routing)(nil)

// NewRouting registers routing's metrics on reg.
func NewRouting(reg prometheus.Registerer) *Routing {
	m := &Routing{
		lookup: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "callroute_caller_lookup_seconds", Help: "Time to look a caller up in the client base.",
			Buckets: lookupBuckets}, []string{"result"}),
		firstRing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callroute_time_to_first_ring_seconds", Help: "From a call's arrival to the first agent rung.",
			Buckets: ringBuckets}),
		ring: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "callroute_ring_seconds", Help: "How long one agent rang, by routing stage and outcome.",
			Buckets: ringBuckets}, []string{"stage", "outcome"}),
		answered: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "callroute_time_to_answer_seconds", Help: "From a call's arrival to an agent's answer, by stage.",
			Buckets: ringBuckets}, []string{"stage"}),
		talk: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callroute_talk_seconds", Help: "Talk time of answered calls.", Buckets: talkBuckets}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callroute_calls_total", Help: "Calls ended, by outcome."}, []string{"outcome"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "callroute_call_records_pending", Help: "Call records waiting for the database."}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "callroute_call_records_lost_total", Help: "Call records dropped: retry queue full and no spool."}),
	}
	reg.MustRegister(m.lookup, m.firstRing, m.ring, m.answered, m.talk, m.calls, m.pending, m.lost)
	return m
}

func (m *Routing) Lookup(d time.Duration, failed bool) {
	result := "ok"
	if failed {
		result = "failed"
	}
	m.lookup.WithLabelValues(result).Observe(d.Seconds())
}

func (m *Routing) FirstRing(d time.Duration) { m.firstRing.Observe(d.Seconds()) }

func (m *Routing) Ring(stage routing.Stage, outcome routing.StepOutcome, d time.Duration) {
	m.ring.WithLabelValues(string(stage), string(outcome)).Observe(d.Seconds())
}

func (m *Routing) Answered(stage routing.Stage, d time.Duration) {
	m.answered.WithLabelValues(string(stage)).Observe(d.Seconds())
}

func (m *Routing) Ended(outcome crm.CallOutcome, talk time.Duration) {
	m.calls.WithLabelValues(string(outcome)).Inc()
	if outcome == crm.OutcomeAnswered {
		m.talk.Observe(talk.Seconds())
	}
}

func (m *Routing) Pending(n int) { m.pending.Set(float64(n)) }
func (m *Routing) Lost()         { m.lost.Inc() }

package routing

import (
	"time"

	"callroute/crm"
)

// Metrics receives routing's measurements; the wiring backs it with
// Prometheus. Methods are called from call goroutines concurrently and must
// not block.
type Metrics interface {
	// Lookup: how long the caller lookup took, and whether it failed.
	Lookup(d time.Duration, failed bool)
	// FirstRing: from the call's arrival to the first agent rung.
	FirstRing(d time.Duration)
	// Ring: one agent's ring, how long it rang and how it ended.
	Ring(stage Stage, outcome StepOutcome, d time.Duration)
	// Answered: from the call's arrival to an agent's answer.
	Answered(stage Stage, d time.Duration)
	// Ended: a call is over: its outcome and talk time.
	Ended(outcome crm.CallOutcome, talk time.Duration)
	// Pending: how many call records wait to be written (the database was
	// unreachable); Lost counts records dropped because the retry queue was
	// full and no spool directory was set.
	Pending(n int)
	Lost()
}

// NopMetrics discards every measurement.
type NopMetrics struct{}

func (NopMetrics) Lookup(time.Duration, bool)             {}
func (NopMetrics) FirstRing(time.Duration)                {}
func (NopMetrics) Ring(Stage, StepOutcome, time.Duration) {}
func (NopMetrics) Answered(Stage, time.Duration)          {}
func (NopMetrics) Ended(crm.CallOutcome, time.Duration)   {}
func (NopMetrics) Pending(int)                            {}
func (NopMetrics) Lost()                                  {}

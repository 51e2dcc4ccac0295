package dialer

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Who hung up an answered call.
const (
	HungUpLocal  = "local"  // we sent BYE (the talk time ended, or ctx)
	HungUpRemote = "remote" // the far side sent BYE: the call ended early
)

// Report is what a call did. Timings run from the INVITE the final response
// answered (after a digest challenge, the second INVITE).
type Report struct {
	CallID string
	// Statuses are the INVITE's response codes in the order they came,
	// a repeated provisional response only once (100, 180, 401, 100, 200).
	Statuses []int
	// Trying, FirstRing and Answer are the times from the INVITE to the
	// first 100, to the first 180 or 183 (RingStatus says which) and to
	// the final response (the 200, a rejection, the 487 after our CANCEL);
	// 0 when there was none.
	Trying, FirstRing, Answer time.Duration
	RingStatus                int
	// Answered is true once a 200 was received and ACKed.
	Answered bool
	// FinalStatus and FinalReason are the INVITE's final response (200,
	// 486 Busy Here, 487 after our CANCEL, ...); 0 when none came.
	FinalStatus int
	FinalReason string
	// Cancelled is true when we sent CANCEL (RingTimeout, or ctx ended
	// while ringing).
	Cancelled bool
	// Auth is the digest algorithm a challenge was answered with.
	Auth string
	// Codec is the negotiated audio codec, "PCMU" or "PCMA".
	Codec string
	// Talk is the time from the answer to the hang-up.
	Talk time.Duration
	// HungUp is HungUpLocal or HungUpRemote; "" when never answered.
	HungUp string
	// PacketsSent and PacketsReceived count RTP over the whole call (early
	// media included in received).
	PacketsSent, PacketsReceived uint64
	// Early is what was heard before the answer (183 with SDP: ringback
	// or an announcement); Heard is what was heard during the talk.
	Early, Heard Heard
	// RingbackHeard is true when early media carried audible sound.
	RingbackHeard bool
	// Recording is the WAV file written, with its length.
	Recording string
	Recorded  time.Duration
}

// Heard describes received audio: its dominant frequency, its RMS level
// and the share of the power near that frequency (audio.Analyze).
type Heard struct {
	Packets      int
	Duration     time.Duration // of audio
	FrequencyHz  float64
	RMSDBFS      float64
	PeakFraction float64
}

// audible is the level under which received audio counts as silence.
const audible = -60.0

func (h Heard) String() string {
	switch {
	case h.Packets == 0:
		return "heard nothing"
	case h.RMSDBFS < audible || h.FrequencyHz == 0:
		return fmt.Sprintf("heard silence (%.1f dBFS)", h.RMSDBFS)
	}
	return fmt.Sprintf("heard %.1f Hz at %.1f dBFS (%.0f%% of power)", h.FrequencyHz, h.RMSDBFS, 100*h.PeakFraction)
}

// Summary is one line for people: how the call went.
func (r *Report) Summary() string {
	var b strings.Builder
	switch {
	case r.Answered:
		fmt.Fprintf(&b, "answered after %s", seconds(r.Answer))
	case r.FinalStatus/100 == 2:
		fmt.Fprintf(&b, "answered after %s with an unusable answer: hung up at once", seconds(r.Answer))
	case r.Cancelled:
		fmt.Fprintf(&b, "not answered after %s: cancelled", seconds(r.Answer))
		if r.FinalStatus != 0 {
			fmt.Fprintf(&b, " (%d %s)", r.FinalStatus, r.FinalReason)
		}
	case r.FinalStatus != 0:
		fmt.Fprintf(&b, "not answered: %d %s after %s", r.FinalStatus, r.FinalReason, seconds(r.Answer))
	case len(r.Statuses) == 0:
		b.WriteString("not answered: no response")
	default:
		b.WriteString("not answered")
	}
	var early []string
	if r.Trying > 0 {
		early = append(early, fmt.Sprintf("100 after %s", millis(r.Trying)))
	}
	if r.RingStatus != 0 {
		early = append(early, fmt.Sprintf("%d after %s", r.RingStatus, millis(r.FirstRing)))
	}
	if len(early) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(early, ", "))
	}
	if r.Early.Packets > 0 {
		what := "early media " + r.Early.String()
		if r.RingbackHeard {
			what = "ringback " + r.Early.String()
		}
		fmt.Fprintf(&b, ", %s", what)
	}
	if !r.Answered {
		return b.String()
	}
	fmt.Fprintf(&b, ", %s, talked %.1f s, %s, %d packets sent, %d received", r.Codec, r.Talk.Seconds(), r.Heard, r.PacketsSent, r.PacketsReceived)
	switch r.HungUp {
	case HungUpLocal:
		b.WriteString(", we hung up")
	case HungUpRemote:
		b.WriteString(", the far side hung up")
	}
	return b.String()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func millis(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return seconds(d)
}

// Why a call was not answered, besides a *StatusError.
var (
	// ErrNoAnswer: nobody answered within RingTimeout; the call was
	// cancelled.
	ErrNoAnswer = errors.New("no answer")
	// ErrNoResponse: nothing answered the INVITE at all (nobody at that
	// address, or a firewall).
	ErrNoResponse = errors.New("no response")
)

// StatusError is a final response that rejected the call (or the BYE).
type StatusError struct {
	Status int
	Reason string
}

func (e *StatusError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Reason) }

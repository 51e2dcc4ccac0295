package dtmf

// Detector turns received telephone-event packets into key presses, each
// reported once.
//
// An event is identified by its RTP timestamp and event code together: every
// packet of one event carries the event's start timestamp (RFC 4733 2.5.1.1),
// and the end packet is sent three times (RFC 4733 2.5.1.4). The marker bit is
// not relied on, since it is lost with the first packet or rewritten by some
// gateways (livekit/sip PR #585), and the timestamp alone is not enough when
// two events share one (livekit/sip PR #796).
//
// A press is reported on the first packet with the E bit. If an event's end
// packets are all lost, the event is reported when the next event begins. The
// zero value is ready to use; a Detector serves one RTP stream and is not safe
// for concurrent use.
type Detector struct {
	recent [8]key // recently reported events, a small ring
	next   int
	n      int

	pending    key // an event seen without its end so far
	hasPending bool
}

type key struct {
	ts   uint32
	code uint8
}

// Feed processes one telephone-event packet with RTP timestamp ts. It returns
// the key pressed and true when the packet completes an event not reported
// before. Payloads that are not DTMF (codes above 16) or too short are ignored.
func (d *Detector) Feed(ts uint32, payload []byte) (rune, bool) {
	ev, err := Parse(payload)
	if err != nil {
		return 0, false
	}
	digit, ok := Digit(ev.Code)
	if !ok {
		return 0, false
	}
	k := key{ts: ts, code: ev.Code}
	if d.seen(k) {
		return 0, false
	}
	if !ev.End {
		if d.hasPending && d.pending != k {
			// A new event began and the previous one never ended: report
			// the previous one now so it is not lost.
			prev := d.pending
			d.pending = k
			d.remember(prev)
			r, _ := Digit(prev.code)
			return r, true
		}
		d.pending, d.hasPending = k, true
		return 0, false
	}
	if d.hasPending && d.pending == k {
		d.hasPending = false
	}
	d.remember(k)
	return digit, true
}

func (d *Detector) seen(k key) bool {
	for i := range d.n {
		if d.recent[i] == k {
			return true
		}
	}
	return false
}

func (d *Detector) remember(k key) {
	d.recent[d.next] = k
	d.next = (d.next + 1) % len(d.recent)
	if d.n < len(d.recent) {
		d.n++
	}
}

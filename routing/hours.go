package routing

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BusinessHours is a weekly schedule read in one time zone. The zero value
// is always open.
type BusinessHours struct {
	// Location is the zone the schedule is read in; nil is UTC.
	Location *time.Location
	// Days holds each weekday's open spans (indexed by time.Weekday), in
	// order and not overlapping. When every day is empty the office never
	// closes.
	Days [7][]Span
}

// Span is an open period within a day, in minutes after midnight: Start
// inclusive, End exclusive, End at most 24*60.
type Span struct {
	Start int
	End   int
}

const dayMinutes = 24 * 60

// AlwaysOpen reports whether the schedule has no hours at all (open always).
func (h BusinessHours) AlwaysOpen() bool {
	for _, d := range h.Days {
		if len(d) > 0 {
			return false
		}
	}
	return true
}

// Open reports whether t falls in business hours. Wall-clock times are read
// in the schedule's zone, so daylight saving moves nothing.
func (h BusinessHours) Open(t time.Time) bool {
	if h.AlwaysOpen() {
		return true
	}
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	m := t.Hour()*60 + t.Minute()
	for _, s := range h.Days[t.Weekday()] {
		if m >= s.Start && m < s.End {
			return true
		}
	}
	return false
}

// Validate checks the spans; the error names the day.
func (h BusinessHours) Validate() error {
	for d, spans := range h.Days {
		prev := -1
		for _, s := range spans {
			if s.Start < 0 || s.End > dayMinutes || s.Start >= s.End {
				return fmt.Errorf("%s: span %s is not within one day", dayNames[d], s)
			}
			if s.Start < prev {
				return fmt.Errorf("%s: spans overlap or are out of order at %s", dayNames[d], s)
			}
			prev = s.End
		}
	}
	return nil
}

func (s Span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.Start/60, s.Start%60, s.End/60, s.End%60)
}

// String writes the schedule the way ParseBusinessHours reads it, one entry
// per open day ("always" when always open).
func (h BusinessHours) String() string {
	if h.AlwaysOpen() {
		return "always"
	}
	var parts []string
	for i := range 7 {
		d := (i + 1) % 7 // Monday first
		if len(h.Days[d]) == 0 {
			continue
		}
		spans := make([]string, len(h.Days[d]))
		for j, s := range h.Days[d] {
			spans[j] = s.String()
		}
		parts = append(parts, dayNames[d]+" "+strings.Join(spans, ","))
	}
	return strings.Join(parts, "; ")
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseBusinessHours reads a weekly schedule such as
// "mon-fri 09:00-13:00,14:00-18:00; sat 10:00-14:00" in the IANA zone named
// by zone ("" is UTC). An empty spec or "always" is always open. Days not
// named are closed.
func ParseBusinessHours(spec, zone string) (BusinessHours, error) {
	var h BusinessHours
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return h, fmt.Errorf("time zone %q: %w", zone, err)
		}
		h.Location = loc
	}
	spec = strings.TrimSpace(strings.ToLower(spec))
	if spec == "" || spec == "always" {
		return h, nil
	}
	for entry := range strings.SplitSeq(spec, ";") {
		fields := strings.Fields(entry)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return h, fmt.Errorf("%q: want DAYS HH:MM-HH:MM[,HH:MM-HH:MM]", strings.TrimSpace(entry))
		}
		days, err := parseDays(fields[0])
		if err != nil {
			return h, err
		}
		var spans []Span
		for sp := range strings.SplitSeq(fields[1], ",") {
			s, err := parseSpan(sp)
			if err != nil {
				return h, err
			}
			spans = append(spans, s)
		}
		for _, d := range days {
			h.Days[d] = append(h.Days[d], spans...)
		}
	}
	return h, h.Validate()
}

// parseDays reads "mon", "mon-fri", "fri-mon" (wrapping) or "mon,wed".
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for part := range strings.SplitSeq(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, err := parseDay(from)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseDay(to); err != nil {
				return nil, err
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

func parseDay(s string) (time.Weekday, error) {
	for i, n := range dayNames {
		if s == n {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("day %q: want mon, tue, wed, thu, fri, sat or sun", s)
}

func parseSpan(s string) (Span, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return Span{}, fmt.Errorf("hours %q: want HH:MM-HH:MM", s)
	}
	a, err := parseClock(from)
	if err != nil {
		return Span{}, err
	}
	b, err := parseClock(to)
	if err != nil {
		return Span{}, err
	}
	return Span{Start: a, End: b}, nil
}

func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h*60+m > dayMinutes {
		return 0, fmt.Errorf("time %q: want HH:MM between 00:00 and 24:00", s)
	}
	return h*60 + m, nil
}

package routing

import (
	"testing"
	"time"
)

func TestBusinessHours(t *testing.T) {
	h, err := ParseBusinessHours("mon-fri 09:00-13:00,14:00-18:00; sat 10:00-14:00", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(day, hour, min int) time.Time { return time.Date(2026, 3, day, hour, min, 0, 0, berlin) }
	cases := []struct {
		t    time.Time
		open bool
	}{
		{at(2, 9, 0), true},   // Monday at opening
		{at(2, 8, 59), false}, // before
		{at(2, 13, 30), false},
		{at(2, 17, 59), true},
		{at(2, 18, 0), false},
		{at(7, 11, 0), true},  // Saturday
		{at(8, 11, 0), false}, // Sunday
		{time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC), true}, // 09:30 in Berlin
		{time.Date(2026, 7, 6, 7, 30, 0, 0, time.UTC), true}, // 09:30 in Berlin, summer time
	}
	for _, c := range cases {
		if got := h.Open(c.t); got != c.open {
			t.Errorf("Open(%v) = %v, want %v", c.t, got, c.open)
		}
	}
	if got := h.String(); got != "mon 09:00-13:00,14:00-18:00; tue 09:00-13:00,14:00-18:00; wed 09:00-13:00,14:00-18:00; thu 09:00-13:00,14:00-18:00; fri 09:00-13:00,14:00-18:00; sat 10:00-14:00" {
		t.Errorf("String() = %q", got)
	}
}

func TestBusinessHoursAlwaysOpenAndWrap(t *testing.T) {
	var zero BusinessHours
	if !zero.Open(time.Now()) || zero.String() != "always" {
		t.Fatal("the zero schedule is not always open")
	}
	h, err := ParseBusinessHours("fri-mon 00:00-24:00", "")
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[time.Weekday]bool{time.Friday: true, time.Sunday: true, time.Monday: true, time.Wednesday: false} {
		if len(h.Days[d]) > 0 != want {
			t.Errorf("%v open = %v", d, !want)
		}
	}
}

func TestParseBusinessHoursErrors(t *testing.T) {
	for _, spec := range []string{
		"mon",
		"mon 09:00",
		"funday 09:00-10:00",
		"mon 25:00-26:00",
		"mon 10:00-09:00",
		"mon 09:00-12:00,11:00-13:00",
	} {
		if _, err := ParseBusinessHours(spec, ""); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
	if _, err := ParseBusinessHours("", "Mars/Olympus"); err == nil {
		t.Error("unknown zone accepted")
	}
}

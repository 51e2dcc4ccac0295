package routing

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"callroute/crm"
)

func TestDefaultSettingsAreValid(t *testing.T) {
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesTheBadField(t *testing.T) {
	cases := map[string]func(*Settings){
		"OwnerRingTime":    func(s *Settings) { s.OwnerRingTime = 0 },
		"DeskRingTime":     func(s *Settings) { s.DeskRingTime = -time.Second },
		"DeskStrategy":     func(s *Settings) { s.DeskStrategy = "random" },
		"QueueTimeout":     func(s *Settings) { s.QueueTimeout = 0 },
		"PositionInterval": func(s *Settings) { s.PositionInterval = 0 },
		"MaxRingOuts":      func(s *Settings) { s.MaxRingOuts = -1 },
		"VoicemailMax":     func(s *Settings) { s.VoicemailMax = 2 * time.Hour },
		"DeskAgents":       func(s *Settings) { s.DeskAgents = []int64{3, 0} },
		"BusinessHours":    func(s *Settings) { s.BusinessHours.Days[1] = []Span{{Start: 600, End: 500}} },
	}
	for field, spoil := range cases {
		s := DefaultSettings()
		spoil(&s)
		var fe *crm.FieldError
		if err := s.Validate(); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}

func TestNewRejectsBadSettingsAndSetSettingsApplies(t *testing.T) {
	d := Deps{Lookup: &fakeLookup{}, Recorder: newRecorder(), Ringer: newRinger()}
	bad := DefaultSettings()
	bad.DeskStrategy = ""
	if _, err := New(d, bad); err == nil {
		t.Fatal("New accepted bad settings")
	}
	if _, err := New(Deps{}, DefaultSettings()); err == nil {
		t.Fatal("New accepted missing dependencies")
	}
	r, err := New(d, DefaultSettings(), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	s.DeskStrategy = RoundRobin
	if err := r.SetSettings(s); err != nil || r.Settings().DeskStrategy != RoundRobin {
		t.Fatalf("SetSettings: %v, %v", err, r.Settings().DeskStrategy)
	}
	if err := r.SetSettings(bad); err == nil || r.Settings().DeskStrategy != RoundRobin {
		t.Fatal("bad settings replaced good ones")
	}
}

type users []crm.User

func (u *users) Users(context.Context) ([]crm.User, error) {
	if *u == nil {
		return nil, errors.New("database down")
	}
	return *u, nil
}

func TestRoleDeskKeepsTheLastDeskWhenTheDatabaseFails(t *testing.T) {
	u := &users{
		{ID: 3, Role: crm.RoleAgent, Active: true},
		{ID: 1, Role: crm.RoleAgent, Active: true},
		{ID: 2, Role: crm.RoleManager, Active: true},
		{ID: 4, Role: crm.RoleAgent, Active: false},
	}
	d := NewRoleDesk(u, time.Nanosecond)
	ids, err := d.DeskAgents(context.Background())
	if err != nil || !slices.Equal(ids, []int64{1, 3}) {
		t.Fatalf("desk = %v, %v", ids, err)
	}
	*u = nil
	time.Sleep(time.Millisecond) // past the tiny ttl
	if ids, err := d.DeskAgents(context.Background()); err != nil || !slices.Equal(ids, []int64{1, 3}) {
		t.Fatalf("desk while down = %v, %v", ids, err)
	}
	if _, err := NewRoleDesk(u, 0).DeskAgents(context.Background()); err == nil {
		t.Fatal("a desk never read reported no error")
	}
}

package demo_test

import (
	"context"
	"errors"
	"testing"

	"callroute/crm"
	"callroute/crm/demo"
	"callroute/crm/sqlstore"
	"callroute/internal/testdb"
)

func newService(t *testing.T, url string) *crm.Service {
	t.Helper()
	store, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	phones, err := crm.NewPhoneParser(demo.Region)
	if err != nil {
		t.Fatal(err)
	}
	return crm.NewService(store, phones)
}

func TestSeed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		svc := newService(t, url)
		info, err := demo.Seed(ctx, svc)
		if err != nil {
			t.Fatalf("Seed: %v", err)
		}

		t.Run("users", func(t *testing.T) {
			roles := map[crm.Role]int{}
			for _, u := range info.Users {
				roles[u.Role]++
				if _, err := svc.CheckPassword(ctx, u.Email, info.Password); err != nil {
					t.Errorf("%s cannot sign in with the demo password: %v", u.Email, err)
				}
			}
			if roles[crm.RoleHead] != 1 || roles[crm.RoleManager] != 3 || roles[crm.RoleAgent] != 2 {
				t.Errorf("roles = %v, want 1 head, 3 managers, 2 agents", roles)
			}
			if info.Head().Email != demo.HeadEmail {
				t.Errorf("head = %+v", info.Head())
			}
		})

		t.Run("example caller in national format", func(t *testing.T) {
			c := info.Caller
			if c.National == "" || c.National[0] != '0' || c.Name == "" || c.Company == "" || c.Owner == nil {
				t.Fatalf("example caller incomplete: %+v", c)
			}
			got, err := svc.LookupCaller(ctx, c.National)
			if err != nil {
				t.Fatalf("LookupCaller(%q): %v", c.National, err)
			}
			if got.Contact == nil || got.Contact.Name != c.Name {
				t.Errorf("contact = %+v, want %s", got.Contact, c.Name)
			}
			if got.Company == nil || got.Company.Name != c.Company {
				t.Errorf("company = %+v, want %s", got.Company, c.Company)
			}
			if got.Owner == nil || got.Owner.Email != c.Owner.Email || got.Owner.Name == "" {
				t.Errorf("owner = %+v, want %+v", got.Owner, c.Owner)
			}
			if got.Target == nil || got.Target.ID != got.Owner.ID {
				t.Errorf("target = %+v, want the owner (the example caller's owner is not away)", got.Target)
			}
		})

		t.Run("every stage", func(t *testing.T) {
			ins, err := svc.Interests(ctx, crm.System, crm.InterestFilter{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			stages := map[crm.Stage]int{}
			overdue := 0
			for _, in := range ins {
				stages[in.Stage]++
				if in.Stage == crm.StageLost && in.LostReason == "" {
					t.Errorf("lost interest %q has no reason", in.Title)
				}
				if in.Stage.Open() && in.NextFollowUp != nil && in.NextFollowUp.Before(svc.Now()) {
					overdue++
				}
			}
			for _, st := range append(append([]crm.Stage{}, crm.OpenStages...), crm.StageWon, crm.StageLost) {
				if stages[st] == 0 {
					t.Errorf("no interest in stage %s (have %v)", st, stages)
				}
			}
			if overdue == 0 {
				t.Error("no overdue follow-up")
			}
		})

		t.Run("pipeline report has a row per manager", func(t *testing.T) {
			rep, err := svc.OpenInterests(ctx, crm.System)
			if err != nil {
				t.Fatal(err)
			}
			rows := map[string]int{}
			for _, r := range rep.Rows {
				if r.Manager != nil {
					rows[r.Manager.Email] = r.Total
				}
			}
			for _, u := range info.Users {
				if u.Role != crm.RoleManager {
					continue
				}
				if n, ok := rows[u.Email]; !ok || n == 0 {
					t.Errorf("manager %s: row present %v with %d open interests", u.Email, ok, n)
				}
			}
		})

		t.Run("missed call left a call-back task", func(t *testing.T) {
			tasks, err := svc.Tasks(ctx, crm.System, crm.TaskFilter{OpenOnly: true, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[crm.TaskKind]int{}
			for _, tk := range tasks {
				kinds[tk.Kind]++
			}
			if kinds[crm.TaskCallBack] < 2 || kinds[crm.TaskMeeting] < 1 {
				t.Errorf("open tasks by kind = %v, want the missed call's call-back, a planned call-back and a meeting", kinds)
			}
		})

		t.Run("refuses a second seed", func(t *testing.T) {
			if _, err := demo.Seed(ctx, svc); !errors.Is(err, demo.ErrNotEmpty) {
				t.Errorf("second Seed: %v, want ErrNotEmpty", err)
			}
			again, err := demo.Describe(ctx, svc)
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			a, b := again.Caller, info.Caller
			if a.E164 != b.E164 || a.Name != b.Name || a.Company != b.Company || a.Owner.Email != b.Owner.Email {
				t.Errorf("Describe caller = %+v, want %+v", again.Caller, info.Caller)
			}
		})
	})
}

func TestDescribeEmpty(t *testing.T) {
	svc := newService(t, testdb.SQLite(t))
	if _, err := demo.Describe(context.Background(), svc); !errors.Is(err, demo.ErrNoDemo) {
		t.Errorf("Describe on an empty database: %v, want ErrNoDemo", err)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"callroute/crm"
	"callroute/internal/testdb"
)

const goodCSV = `name,company,position,email,phone,mobile,messenger,website,owner_email
Andrei Mureșan,Transilvania Logistics SRL,Head of logistics,andrei@transilvania.example,0264 597 311,0722 481 305,,transilvania.example,m@example.com
Cristina Pop,Transilvania Logistics SRL,Purchasing,cristina@transilvania.example,,0744 215 608,WhatsApp,,m@example.com
Gabriel Stoica,Bucur Pharma SA,IT director,,021 312 6677,,,,
`

// badCSV has one bad row (line 3: a phone too short) among good ones.
const badCSV = `name,company,phone,owner_email
Maria Lungu,Moldova Textile SA,0721 338 950,m@example.com
Dan Ciobanu,Moldova Textile SA,12,
Irina Dobre,Litoral Hotels SRL,0741 207 885,
`

func TestImportContacts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		env := dbEnv(t, url)
		if r := run(t, env, "", "user", "add", "--email", "m@example.com", "--name", "Mihai Ionescu",
			"--role", "manager", "--password", "manager-password"); r.code != exitOK {
			t.Fatalf("user add: exit %d", r.code)
		}
		dir := t.TempDir()
		good := filepath.Join(dir, "good.csv")
		bad := filepath.Join(dir, "bad.csv")
		for name, body := range map[string]string{good: goodCSV, bad: badCSV} {
			if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		svc := openTestService(t, url)
		ctx := context.Background()
		count := func() int {
			cs, err := svc.Contacts(ctx, crm.System, crm.ContactFilter{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(cs)
		}

		r := run(t, env, "", "import", "contacts", good)
		if r.code != exitOK || !strings.Contains(r.stdout, "imported 3 contact(s)") || !strings.Contains(r.stdout, "2 new companies") {
			t.Fatalf("good import: exit %d, stdout %q", r.code, r.stdout)
		}
		if n := count(); n != 3 {
			t.Fatalf("%d contacts after the good import, want 3", n)
		}
		info, err := svc.LookupCaller(ctx, "0722 481 305")
		if err != nil || info.Contact == nil || info.Contact.Name != "Andrei Mureșan" || info.Owner == nil || info.Owner.Email != "m@example.com" {
			t.Errorf("imported contact lookup = %+v, %v", info, err)
		}

		r = run(t, env, "", "import", "contacts", bad)
		if r.code != exitRuntime {
			t.Errorf("bad import: exit %d, want %d", r.code, exitRuntime)
		}
		if !strings.Contains(r.stderr, "line 3: phone:") || strings.Contains(r.stderr, "line 2") || strings.Contains(r.stderr, "line 4") {
			t.Errorf("bad import stderr %q: want line 3's phone named, and only it", r.stderr)
		}
		if !strings.Contains(r.stderr, "nothing was imported") {
			t.Errorf("bad import stderr %q does not say nothing was imported", r.stderr)
		}
		if n := count(); n != 3 {
			t.Errorf("%d contacts after the rejected import, want still 3", n)
		}

		// Standard input, with an unknown column.
		r = run(t, env, "name,fax\nA,1\n", "import", "contacts", "-")
		if r.code != exitRuntime || !strings.Contains(r.stderr, `unknown column "fax"`) {
			t.Errorf("unknown column: exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func TestImportMissingFile(t *testing.T) {
	env := dbEnv(t, testdb.SQLite(t))
	r := run(t, env, "", "import", "contacts", filepath.Join(t.TempDir(), "none.csv"))
	if r.code != exitRuntime || !strings.HasPrefix(r.stderr, "callroute: import contacts: ") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

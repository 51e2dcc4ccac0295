package api_test

import (
	"net/http"
	"strings"
	"testing"

	"callroute/crm"
)

func TestImportContacts(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		importCSV := func(body string) *response {
			t.Helper()
			return f.doType(f.headTok, http.MethodPost, "/import/contacts", "text/csv; charset=utf-8", body)
		}
		count := func() int {
			t.Helper()
			return len(list[crm.Contact](t, f.get(f.headTok, "/contacts?limit=1000")))
		}

		good := "name,company,email,mobile,owner_email\n" +
			"Ion Popescu,Acme SRL,ion@acme.ro,0721 234 567,mara@example.com\n" +
			"Dan Dinu,Acme SRL,dan@acme.ro,,\n" +
			"Elena Ionescu,Beta SA,,,matei@example.com\n"
		var res crm.ImportResult
		importCSV(good).want(http.StatusOK, &res)
		if res.Contacts != 3 || res.CompaniesCreated != 2 {
			t.Errorf("import result %+v, want 3 contacts and 2 new companies", res)
		}
		if n := count(); n != 3 {
			t.Fatalf("%d contacts after import, want 3", n)
		}
		var cf crm.CallerFile
		f.get(f.agentTok, "/callers/0721234567").want(http.StatusOK, &cf)
		if cf.Contact == nil || cf.Contact.Name != "Ion Popescu" || cf.Owner == nil || cf.Owner.ID != f.mgr1.ID {
			t.Errorf("imported contact lookup: %+v", cf)
		}

		t.Run("one bad row rejects the file and names its line", func(t *testing.T) {
			bad := "name,email\n" +
				"Ana Albu,ana@x.ro\n" +
				"Bogdan Bucur,not-an-email\n" +
				"Carmen Chiriac,carmen@x.ro\n"
			e := importCSV(bad).wantError(http.StatusBadRequest, "")
			if len(e.Lines) != 1 || e.Lines[0].Line != 3 || e.Lines[0].Field != "email" {
				t.Errorf("lines %+v, want line 3, email", e.Lines)
			}
			if !strings.Contains(e.Error, "line 3") {
				t.Errorf("message %q does not name line 3", e.Error)
			}
			if n := count(); n != 3 {
				t.Errorf("%d contacts after a rejected import, want 3 (unchanged)", n)
			}
		})
		t.Run("an unknown column is named", func(t *testing.T) {
			e := importCSV("name,fax\nAna Albu,123\n").wantError(http.StatusBadRequest, "")
			if len(e.Lines) != 1 || e.Lines[0].Line != 1 || e.Lines[0].Field != "fax" || !strings.Contains(e.Error, "fax") {
				t.Errorf("error %+v, want the header line naming fax", e)
			}
			if n := count(); n != 3 {
				t.Errorf("%d contacts, want 3", n)
			}
		})
		t.Run("JSON is not a CSV", func(t *testing.T) {
			f.doType(f.headTok, http.MethodPost, "/import/contacts", "application/json", `{"name":"x"}`).
				wantError(http.StatusUnsupportedMediaType, "")
		})
		t.Run("an agent may not import", func(t *testing.T) {
			f.doType(f.agentTok, http.MethodPost, "/import/contacts", "text/csv", good).
				wantError(http.StatusForbidden, "")
			if n := count(); n != 3 {
				t.Errorf("%d contacts, want 3", n)
			}
		})
	})
}

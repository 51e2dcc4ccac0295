package sqlstore

import (
	"errors"
	"slices"
	"testing"

	"callroute/crm"
)

// world is a small client base for reassignment tests.
type world struct {
	ann, bob, cat             *crm.User
	acme, bolt                *crm.Company
	ion, eva, dan             *crm.Contact
	iIon, iIonWon, iEva, iCo  *crm.Interest
	tIon, tIonDone, tEva, tCo *crm.Task
}

func newWorld(t *testing.T, s *Store) *world {
	w := &world{}
	w.ann = mkUser(t, s, "ann@example.com")
	w.bob = mkUser(t, s, "bob@example.com")
	w.cat = mkUser(t, s, "cat@example.com")
	w.acme = mkCompany(t, s, "Acme", w.ann.ID)
	w.bolt = mkCompany(t, s, "Bolt", w.ann.ID)
	w.ion = mkContact(t, s, "Ion", w.acme.ID, w.ann.ID)
	w.eva = mkContact(t, s, "Eva", w.acme.ID, 0)
	w.dan = mkContact(t, s, "Dan", w.bolt.ID, w.cat.ID)
	w.iIon = mkInterest(t, s, w.ion.ID, w.acme.ID, w.ann.ID, crm.StageOffer, day0)
	w.iIonWon = mkInterest(t, s, w.ion.ID, w.acme.ID, w.ann.ID, crm.StageWon, day0)
	w.iEva = mkInterest(t, s, w.eva.ID, w.acme.ID, w.cat.ID, crm.StageNew, day0)
	w.iCo = mkInterest(t, s, 0, w.acme.ID, 0, crm.StageNew, day0)
	w.tIon = mkTask(t, s, w.ann.ID, w.ion.ID, day0)
	w.tIonDone = mkTask(t, s, w.ann.ID, w.ion.ID, day0)
	done := day0
	w.tIonDone.DoneAt = &done
	must(t, s.UpdateTask(ctx, crm.System, w.tIonDone))
	w.tEva = mkTask(t, s, 0, w.eva.ID, day0)
	w.tCo = &crm.Task{Kind: crm.TaskFollowUp, AssigneeID: w.cat.ID, CompanyID: w.acme.ID, Title: "switchboard call", Due: day0}
	must(t, s.CreateTask(ctx, crm.System, w.tCo))
	return w
}

// ownerNow reads the current owner of an item.
func ownerNow(t *testing.T, s *Store, e crm.Entity, id int64) int64 {
	t.Helper()
	switch e {
	case crm.EntityCompany:
		c, err := s.GetCompany(ctx, id)
		must(t, err)
		return c.OwnerID
	case crm.EntityContact:
		c, err := s.GetContact(ctx, id)
		must(t, err)
		return c.OwnerID
	case crm.EntityInterest:
		c, err := s.GetInterest(ctx, id)
		must(t, err)
		return c.OwnerID
	case crm.EntityTask:
		c, err := s.GetTask(ctx, id)
		must(t, err)
		return c.AssigneeID
	}
	t.Fatalf("entity %s", e)
	return 0
}

type item = crm.ReassignedItem

func sortItems(v []item) []item {
	v = slices.Clone(v)
	slices.SortFunc(v, func(a, b item) int {
		if a.Entity != b.Entity {
			if a.Entity < b.Entity {
				return -1
			}
			return 1
		}
		return int(a.EntityID - b.EntityID)
	})
	return v
}

func checkItems(t *testing.T, got []item, want ...item) {
	t.Helper()
	if !slices.Equal(sortItems(got), sortItems(want)) {
		t.Fatalf("items =\n%+v\nwant\n%+v", sortItems(got), sortItems(want))
	}
}

func TestReassignContact(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		w := newWorld(t, s)
		ion := *w.ion // version 1
		re, err := s.Reassign(ctx, crm.ActorOf(w.cat), crm.ReassignRequest{ContactID: w.ion.ID, ToUserID: w.bob.ID, Note: "ann left"})
		must(t, err)
		if re.ID == 0 || re.ContactID != w.ion.ID || re.ToUserID != w.bob.ID || re.CreatedBy != w.cat.ID || re.Note != "ann left" {
			t.Fatalf("reassignment: %+v", re)
		}
		checkItems(t, re.Items,
			mkItem(crm.EntityContact, w.ion.ID, w.ann.ID),
			mkItem(crm.EntityInterest, w.iIon.ID, w.ann.ID),
			mkItem(crm.EntityTask, w.tIon.ID, w.ann.ID))
		for _, it := range re.Items {
			if got := ownerNow(t, s, it.Entity, it.EntityID); got != w.bob.ID {
				t.Errorf("%s %d owner %d, want bob", it.Entity, it.EntityID, got)
			}
		}
		// Closed interests, done tasks and the company stay.
		if ownerNow(t, s, crm.EntityInterest, w.iIonWon.ID) != w.ann.ID || ownerNow(t, s, crm.EntityTask, w.tIonDone.ID) != w.ann.ID ||
			ownerNow(t, s, crm.EntityCompany, w.acme.ID) != w.ann.ID {
			t.Fatal("reassigning a contact moved closed work or its company")
		}
		// The move is a change: versions move, a stale write conflicts.
		ion.Name = "stale"
		if err := s.UpdateContact(ctx, crm.System, &ion); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("write after reassign with the old version: %v", err)
		}
		ch, _ := s.Changes(ctx, crm.EntityContact, w.ion.ID)
		last := ch[len(ch)-1]
		if last.Action != "reassign" || last.UserID != w.cat.ID {
			t.Fatalf("contact change after reassign: %+v", last)
		}
		if d := changeData(t, last); d["from"] != float64(w.ann.ID) || d["to"] != float64(w.bob.ID) || d["reassignment_id"] != float64(re.ID) {
			t.Fatalf("reassign change data: %s", last.Data)
		}
		got, err := s.GetReassignment(ctx, re.ID)
		must(t, err)
		if got.ID != re.ID || len(got.Items) != 3 || got.UndoneAt != nil {
			t.Fatalf("GetReassignment: %+v", got)
		}
		if _, err := s.GetReassignment(ctx, 999); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("GetReassignment missing: %v", err)
		}
	})
}

func TestReassignCompany(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		w := newWorld(t, s)
		re, err := s.Reassign(ctx, crm.System, crm.ReassignRequest{CompanyID: w.acme.ID, ToUserID: w.bob.ID})
		must(t, err)
		checkItems(t, re.Items,
			mkItem(crm.EntityCompany, w.acme.ID, w.ann.ID),
			mkItem(crm.EntityContact, w.ion.ID, w.ann.ID),
			mkItem(crm.EntityContact, w.eva.ID, 0),
			mkItem(crm.EntityInterest, w.iIon.ID, w.ann.ID),
			mkItem(crm.EntityInterest, w.iEva.ID, w.cat.ID),
			mkItem(crm.EntityInterest, w.iCo.ID, 0),
			mkItem(crm.EntityTask, w.tIon.ID, w.ann.ID),
			mkItem(crm.EntityTask, w.tEva.ID, 0),
			mkItem(crm.EntityTask, w.tCo.ID, w.cat.ID))
		if ownerNow(t, s, crm.EntityCompany, w.bolt.ID) != w.ann.ID || ownerNow(t, s, crm.EntityContact, w.dan.ID) != w.cat.ID {
			t.Fatal("reassigning Acme moved another company's records")
		}

		// Undo gives everything back, NULL owners included.
		undone, err := s.UndoReassignment(ctx, crm.ActorOf(w.ann), re.ID)
		must(t, err)
		if undone.UndoneAt == nil || undone.UndoneBy != w.ann.ID || undone.Skipped != 0 {
			t.Fatalf("undo: %+v", undone)
		}
		for _, it := range re.Items {
			if got := ownerNow(t, s, it.Entity, it.EntityID); got != it.PrevOwnerID {
				t.Errorf("after undo %s %d owner %d, want %d", it.Entity, it.EntityID, got, it.PrevOwnerID)
			}
		}
		ch, _ := s.Changes(ctx, crm.EntityTask, w.tEva.ID)
		if last := ch[len(ch)-1]; last.Action != "undo" || last.UserID != w.ann.ID {
			t.Fatalf("task change after undo: %+v", last)
		}
		// Undoing twice is a conflict.
		if _, err := s.UndoReassignment(ctx, crm.System, re.ID); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("second undo: %v, want ErrConflict", err)
		}
		if _, err := s.UndoReassignment(ctx, crm.System, 999); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("undo missing: %v, want ErrNotFound", err)
		}
		got, _ := s.GetReassignment(ctx, re.ID)
		if got.UndoneAt == nil || got.UndoneBy != w.ann.ID {
			t.Fatalf("stored undo: %+v", got)
		}
	})
}

func TestReassignFromUserAndSkippedUndo(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		w := newWorld(t, s)
		re, err := s.Reassign(ctx, crm.System, crm.ReassignRequest{FromUserID: w.ann.ID, ToUserID: w.bob.ID})
		must(t, err)
		checkItems(t, re.Items,
			mkItem(crm.EntityCompany, w.acme.ID, w.ann.ID),
			mkItem(crm.EntityCompany, w.bolt.ID, w.ann.ID),
			mkItem(crm.EntityContact, w.ion.ID, w.ann.ID),
			mkItem(crm.EntityInterest, w.iIon.ID, w.ann.ID),
			mkItem(crm.EntityTask, w.tIon.ID, w.ann.ID))
		if ownerNow(t, s, crm.EntityInterest, w.iIonWon.ID) != w.ann.ID || ownerNow(t, s, crm.EntityTask, w.tIonDone.ID) != w.ann.ID {
			t.Fatal("closed work moved")
		}

		// Someone moves Ion on to cat; undo leaves Ion alone.
		ion, _ := s.GetContact(ctx, w.ion.ID)
		ion.OwnerID = w.cat.ID
		must(t, s.UpdateContact(ctx, crm.System, ion))
		undone, err := s.UndoReassignment(ctx, crm.System, re.ID)
		must(t, err)
		if undone.Skipped != 1 {
			t.Fatalf("skipped = %d, want 1", undone.Skipped)
		}
		if ownerNow(t, s, crm.EntityContact, w.ion.ID) != w.cat.ID {
			t.Fatal("undo overwrote a later move")
		}
		for _, e := range []struct {
			e  crm.Entity
			id int64
		}{{crm.EntityCompany, w.acme.ID}, {crm.EntityCompany, w.bolt.ID}, {crm.EntityInterest, w.iIon.ID}, {crm.EntityTask, w.tIon.ID}} {
			if got := ownerNow(t, s, e.e, e.id); got != w.ann.ID {
				t.Errorf("after undo %s %d owner %d, want ann", e.e, e.id, got)
			}
		}
		got, _ := s.GetReassignment(ctx, re.ID)
		if got.Skipped != 1 {
			t.Fatalf("stored skipped = %d", got.Skipped)
		}
	})
}

func TestReassignErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		w := newWorld(t, s)
		var fe *crm.FieldError
		_, err := s.Reassign(ctx, crm.System, crm.ReassignRequest{ContactID: w.ion.ID, ToUserID: 999})
		if !errors.As(err, &fe) || fe.Field != "to_user_id" {
			t.Fatalf("missing target user: %v", err)
		}
		_, err = s.Reassign(ctx, crm.System, crm.ReassignRequest{ContactID: w.ion.ID, CompanyID: w.acme.ID, ToUserID: w.bob.ID})
		if !errors.As(err, &fe) {
			t.Fatalf("two scopes: %v", err)
		}
		if ownerNow(t, s, crm.EntityContact, w.ion.ID) != w.ann.ID {
			t.Fatal("a rejected reassignment moved something")
		}
		// Nothing to move: an empty reassignment, still recorded.
		re, err := s.Reassign(ctx, crm.System, crm.ReassignRequest{FromUserID: w.bob.ID, ToUserID: w.ann.ID})
		must(t, err)
		if len(re.Items) != 0 || re.Items == nil {
			t.Fatalf("empty reassignment: %+v", re)
		}
		// Records already owned by the target are not items.
		re, err = s.Reassign(ctx, crm.System, crm.ReassignRequest{ContactID: w.ion.ID, ToUserID: w.ann.ID})
		must(t, err)
		if len(re.Items) != 0 {
			t.Fatalf("reassigning to the current owner: %+v", re.Items)
		}
	})
}

func mkItem(e crm.Entity, id, prev int64) item {
	return item{Entity: e, EntityID: id, PrevOwnerID: prev}
}

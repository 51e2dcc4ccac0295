package crm

// What the call capture and the wrap-up ask of the Store.
//
// A call's interaction is one row, found by its Call-ID. Routing writes its
// record of the call at hang-up (later, when the database was down: it
// retries and spools), but the answerer saves the capture and often the
// wrap-up while the call is still on. So whichever comes first creates the
// row, and the others merge into it:
//
//   - A capture or a wrap-up with no row yet starts it: kind call, inbound,
//     the Call-ID, the caller's number, at = now, answered_by and user_id =
//     the answerer, outcome answered, RecordedAt nil (routing's record is
//     not in yet).
//   - A capture sets the row's links (contact, company, interest): people
//     choose them, whatever routing guessed from the caller's number.
//   - A wrap-up sets the wrap-up outcome, note, time and user.
//   - Routing's record (AddInteraction with a CallID) is one INSERT ... ON
//     CONFLICT (call_id) DO UPDATE. On a row people started (RecordedAt
//     nil) it brings routing's fields: at, user_id, caller, outcome,
//     answered_by, ring and talk seconds, route, recording, and sets
//     RecordedAt. The links are kept as a group when the row has a contact
//     or a company (a person set them), else routing's are taken; the notes
//     and subject are kept when not empty; the wrap-up is never touched.
//     On a row routing already recorded it changes nothing: a retried
//     write is a no-op, and the first record stays.
//
// Being one statement, the merge is the same for a retry, for records
// written in any order, and for several records in one transaction.

// CaptureWrite is what SaveCallCapture writes, in one transaction. A record
// with ID 0 is created. A record with an ID is updated when its Changed flag
// is set, else only its version is checked; either way, a stored version
// that is no longer the record's Version is ErrConflict, and nothing at all
// is written. A new Company whose name (case-insensitive) is taken by the
// time of writing is ErrConflict too (someone created it meanwhile).
//
// The store links the records (the contact to the company, the interest to
// both, unless the interest is the company's alone), attaches the call to
// them (see above: Call is the row to start when there is none), moves the
// interest's LastActivityAt (no new version: calls never cause edit
// conflicts), logs every change, and hands every record back as stored.
type CaptureWrite struct {
	Company         *Company // nil: the contact has no company
	CompanyChanged  bool
	Contact         *Contact
	ContactChanged  bool
	Interest        *Interest // nil: the call is on no interest
	InterestChanged bool
	Call            *Interaction
}

// WrapUpWrite is what WrapUpCall writes, in one transaction: the wrap-up
// (Call.WrapUpOutcome, Call.WrapUpNote) on the call's row, started from Call when
// there is none, and, with Task, a call-back: the open call-back task of the
// call moved to Task's due time and assignee, else Task created on the call.
// On success Call and Task are as stored.
type WrapUpWrite struct {
	Call *Interaction
	Task *Task
}

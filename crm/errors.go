package crm

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNotFound is returned when a record does not exist (or the actor may
	// not know that it exists).
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a record was changed by someone else since
	// the version the caller read: nothing is overwritten silently.
	ErrConflict = errors.New("changed by someone else since it was read")
	// ErrForbidden is returned when the actor's role does not allow the action.
	ErrForbidden = errors.New("not allowed for this role")
	// ErrUnauthenticated is returned for an unknown or revoked credential.
	ErrUnauthenticated = errors.New("not signed in")
)

// FieldError says which input field is wrong and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// fieldErr builds a *FieldError.
func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// LineError is one bad row of an import: the line number counts the header as
// line 1, as a spreadsheet shows it.
type LineError struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ImportError lists every bad row of an import; when it is returned nothing
// was imported.
type ImportError struct {
	Lines []LineError `json:"lines"`
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import rejected, nothing was imported: %d bad row(s)", len(e.Lines))
	for i, l := range e.Lines {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Lines)-5)
			break
		}
		if l.Field != "" {
			fmt.Fprintf(&b, "; line %d: %s: %s", l.Line, l.Field, l.Message)
		} else {
			fmt.Fprintf(&b, "; line %d: %s", l.Line, l.Message)
		}
	}
	return b.String()
}

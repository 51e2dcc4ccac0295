package crm

import "time"

// Company is a client organisation.
type Company struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Website  string `json:"website,omitempty"`
	Size     int    `json:"size,omitempty"` // employees; 0 = unknown
	Industry string `json:"industry,omitempty"`
	// OwnerID is the account owner (a manager); 0 = none.
	OwnerID int64 `json:"owner_id,omitempty"`
	// Phones are the company's switchboard numbers.
	Phones []Phone `json:"phones"`
	Audit
}

// Audit is who created and last changed a record, and its version for
// optimistic concurrency: an update names the version it read and fails with
// ErrConflict when the record has moved on.
type Audit struct {
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy int64     `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy int64     `json:"updated_by,omitempty"`
}

// CompanyFilter selects companies in ListCompanies.
type CompanyFilter struct {
	Query   string // name contains, case-insensitive
	OwnerID int64  // 0 = any
	// VisibleTo restricts to what a manager may see: companies they own or
	// with a contact they own (0 = no restriction).
	VisibleTo []int64
	Limit     int
	Offset    int
}

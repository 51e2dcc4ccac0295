package crm

// Contact is a person at a client (or a prospect not yet tied to a company).
type Contact struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	CompanyID int64   `json:"company_id,omitempty"` // 0 = none
	Position  string  `json:"position,omitempty"`
	Email     string  `json:"email,omitempty"`
	Phones    []Phone `json:"phones"`
	Messenger string  `json:"messenger,omitempty"`
	OwnerID   int64   `json:"owner_id,omitempty"` // 0 = none
	// MailingOnly marks a prospect who gets the mailing list but is not worth
	// calling.
	MailingOnly bool `json:"mailing_only"`
	Audit
}

// ContactFilter selects contacts in ListContacts.
type ContactFilter struct {
	Query     string // name or email contains, case-insensitive
	CompanyID int64
	OwnerID   int64
	// VisibleTo restricts to contacts owned by these users, or at companies
	// they own (empty = no restriction).
	VisibleTo []int64
	Limit     int
	Offset    int
}

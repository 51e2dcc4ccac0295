package demo

import (
	"time"

	"callroute/crm"
)

// The demo's own company: an office-IT supplier in Romania selling to other
// companies (printers, laptops, networks), the kind of long B2B sale
// callroute is for.
const (
	// Company is the name of the company the demo users work for.
	Company = "Carpathia Office Systems"
	// Password is every demo user's sign-in password.
	Password = "callroute-demo"
	// HeadEmail is the demo head of sales, whose API token serve --demo prints.
	HeadEmail = "ioana.popescu@carpathia.example"
	// Region is the phone region the demo numbers are written for.
	Region = "RO"
	// exampleNumber is the example caller's mobile, in national format.
	exampleNumber = "0722 481 305"
)

type userSpec struct {
	key, email, name string
	role             crm.Role
}

var userSpecs = []userSpec{
	{"ioana", HeadEmail, "Ioana Popescu", crm.RoleHead},
	{"mihai", "mihai.ionescu@carpathia.example", "Mihai Ionescu", crm.RoleManager},
	{"elena", "elena.dumitrescu@carpathia.example", "Elena Dumitrescu", crm.RoleManager},
	{"radu", "radu.constantin@carpathia.example", "Radu Constantin", crm.RoleManager},
	{"ana", "ana.stan@carpathia.example", "Ana Stan", crm.RoleAgent},
	{"vlad", "vlad.georgescu@carpathia.example", "Vlad Georgescu", crm.RoleAgent},
}

type companySpec struct {
	name, website string
	size          int
	industry      string
	switchboard   string
	owner         string // a userSpec key
}

var companySpecs = []companySpec{
	{"Transilvania Logistics SRL", "transilvania-logistics.example", 240, "Logistics", "0264 415 200", "mihai"},
	{"Bucur Pharma Distribuție SA", "bucurpharma.example", 520, "Pharmaceutical distribution", "021 310 4455", "elena"},
	{"Delta Agro Trading SRL", "deltaagro.example", 85, "Agriculture", "0240 512 830", "radu"},
	{"Moldova Textile SA", "moldovatextile.example", 310, "Textiles", "0232 270 610", "mihai"},
	{"Banat Auto Parts SRL", "banatautoparts.example", 150, "Automotive parts", "0256 293 400", "elena"},
	{"Carpați Construct SRL", "carpaticonstruct.example", 60, "Construction", "0268 475 120", "radu"},
	{"Litoral Hotels SRL", "litoralhotels.example", 110, "Hospitality", "0241 831 500", "elena"},
	{"Nova Software Labs SRL", "novasoftware.example", 45, "Software", "021 527 0090", "mihai"},
}

type contactSpec struct {
	key, name, company, position, email string
	work, mobile, messenger             string
	owner                               string // a userSpec key; "" = the company's account owner owns them
	mailingOnly                         bool
}

var contactSpecs = []contactSpec{
	{key: "andrei", name: "Andrei Mureșan", company: "Transilvania Logistics SRL", position: "Head of logistics",
		email: "andrei.muresan@transilvania-logistics.example", work: "0264 597 311", mobile: exampleNumber, owner: "mihai"},
	{key: "cristina", name: "Cristina Pop", company: "Transilvania Logistics SRL", position: "Purchasing",
		email: "cristina.pop@transilvania-logistics.example", mobile: "0744 215 608", messenger: "WhatsApp 0744 215 608", owner: "mihai"},
	{key: "gabriel", name: "Gabriel Stoica", company: "Bucur Pharma Distribuție SA", position: "IT director",
		email: "gabriel.stoica@bucurpharma.example", work: "021 312 6677", mobile: "0755 903 112", owner: "elena"},
	{key: "laura", name: "Laura Marinescu", company: "Bucur Pharma Distribuție SA", position: "Office manager",
		email: "laura.marinescu@bucurpharma.example", mobile: "0731 664 209", owner: "elena"},
	{key: "ion", name: "Ion Vasilescu", company: "Delta Agro Trading SRL", position: "Owner",
		email: "ion@deltaagro.example", mobile: "0766 120 874", owner: "radu"},
	{key: "maria", name: "Maria Lungu", company: "Moldova Textile SA", position: "CFO",
		email: "maria.lungu@moldovatextile.example", mobile: "0721 338 950", owner: "mihai"},
	{key: "dan", name: "Dan Ciobanu", company: "Moldova Textile SA", position: "Plant manager",
		mobile: "0788 402 517"},
	{key: "simona", name: "Simona Radu", company: "Banat Auto Parts SRL", position: "Procurement lead",
		email: "simona.radu@banatautoparts.example", mobile: "0723 915 046", owner: "elena"},
	{key: "florin", name: "Florin Matei", company: "Banat Auto Parts SRL", position: "IT administrator",
		email: "florin.matei@banatautoparts.example", mobile: "0745 680 231", owner: "elena"},
	{key: "adriana", name: "Adriana Neagu", company: "Carpați Construct SRL", position: "General manager",
		email: "adriana.neagu@carpaticonstruct.example", mobile: "0752 118 903", owner: "radu"},
	{key: "bogdan", name: "Bogdan Enache", company: "Carpați Construct SRL", position: "Site engineer",
		mobile: "0727 504 662", owner: "radu"},
	{key: "irina", name: "Irina Dobre", company: "Litoral Hotels SRL", position: "Operations director",
		email: "irina.dobre@litoralhotels.example", mobile: "0741 207 885", messenger: "Signal 0741 207 885", owner: "elena"},
	{key: "paul", name: "Paul Iordache", company: "Nova Software Labs SRL", position: "CTO",
		email: "paul@novasoftware.example", mobile: "0724 390 518", owner: "mihai"},
	{key: "oana", name: "Oana Ilie", company: "Nova Software Labs SRL", position: "Office manager",
		email: "oana.ilie@novasoftware.example", mobile: "0746 552 019", owner: "mihai"},
	{key: "victor", name: "Victor Nistor", position: "Independent consultant",
		email: "victor.nistor@consultant.example", mobile: "0767 831 204", mailingOnly: true},
}

const day = 24 * time.Hour

type interestSpec struct {
	contact     string // a contactSpec key; the owner follows the contact (or company)
	title, need string
	stage       crm.Stage
	lost        crm.LostReason
	followUp    time.Duration // from now; negative = overdue; 0 = none
	notes       string
}

var interestSpecs = []interestSpec{
	{contact: "andrei", title: "Managed print for three warehouses", stage: crm.StageOffer, followUp: -2 * day,
		need:  "Printers and toner for the Cluj, Arad and Sibiu depots, billed per page.",
		notes: "Offer CO-2291 sent; they are comparing it with their current supplier."},
	{contact: "gabriel", title: "Replace 120 office laptops", stage: crm.StageMeeting, followUp: 3 * day,
		need: "Laptops for sales reps and the head office, three-year warranty, next-day swap."},
	{contact: "laura", title: "Video kit for two meeting rooms", stage: crm.StageNew, followUp: day,
		need: "Camera, speakerphone and screen for the board room and one small room."},
	{contact: "ion", title: "Rugged tablets for field agronomists", stage: crm.StageWaiting, followUp: -5 * day,
		notes: "Waiting for the decision on their EU farm grant."},
	{contact: "maria", title: "Leasing for 60 desktop PCs", stage: crm.StageWaiting, followUp: 10 * day,
		notes: "The board decides on the budget at the end of the quarter."},
	{contact: "dan", title: "Label printers for the Iași plant", stage: crm.StageNew,
		need: "Eight industrial label printers on the packing lines."},
	{contact: "simona", title: "Network upgrade at the Timișoara plant", stage: crm.StageOffer, followUp: 2 * day,
		notes: "Offer CO-2304 sent; they asked for a second option with a three-year support contract."},
	{contact: "irina", title: "Guest Wi-Fi for the Mamaia hotel", stage: crm.StageMeeting, followUp: -1 * day,
		need: "Wi-Fi across 140 rooms and the conference hall before the summer season."},
	{contact: "adriana", title: "Laptops for the new site offices", stage: crm.StageNew, followUp: 4 * day},
	{contact: "paul", title: "Developer workstations", stage: crm.StageWon,
		notes: "Twenty workstations delivered; renewal of the support contract in a year."},
	{contact: "oana", title: "Meeting-room displays", stage: crm.StageWon},
	{contact: "florin", title: "Firewall renewal", stage: crm.StageLost, lost: crm.LostCompetitor,
		notes: "They renewed with their incumbent at a lower price."},
	{contact: "bogdan", title: "Tablets for site engineers", stage: crm.StageLost, lost: crm.LostUnreachable,
		notes: "No answer to four calls and two emails since the first request."},
}

type interactionSpec struct {
	contact  string // a contactSpec key; written by the contact's owner
	interest string // a title from interestSpecs, or ""
	kind     crm.InteractionKind
	dir      crm.Direction
	ago      time.Duration
	subject  string
	notes    string
}

var interactionSpecs = []interactionSpec{
	{contact: "andrei", interest: "Managed print for three warehouses", kind: crm.KindMeeting, ago: 20 * day,
		subject: "Demo in our office", notes: "Liked the print management console and per-page billing."},
	{contact: "andrei", interest: "Managed print for three warehouses", kind: crm.KindEmail, dir: crm.Outbound, ago: 6 * day,
		subject: "Offer CO-2291", notes: "Offer sent for 34 printers, toner included."},
	{contact: "gabriel", interest: "Replace 120 office laptops", kind: crm.KindNote, ago: 3 * day,
		notes: "Wants two brands to choose from; budget approved for the third quarter."},
	{contact: "ion", interest: "Rugged tablets for field agronomists", kind: crm.KindMeeting, ago: 30 * day,
		subject: "Visit at the farm in Tulcea", notes: "Tested two tablet models in the field."},
	{contact: "irina", interest: "Guest Wi-Fi for the Mamaia hotel", kind: crm.KindEmail, dir: crm.Inbound, ago: 8 * day,
		subject: "Floor plans", notes: "Sent the floor plans of the hotel."},
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"callroute/crm"
)

var importContactsCommand = &command{
	name:    "import contacts",
	args:    "FILE.csv|-",
	summary: "import contacts and their companies from a CSV file (all or nothing)",
	about: `Imports contacts from a CSV file (- for standard input): a header row, UTF-8,
columns in any order among: ` + strings.Join(crm.ImportColumns, ", ") + `.
Only name is required. Companies are matched by name or created. Phones are
read in the --region's national format or as +E.164. An unknown column or any
bad row rejects the whole file: every bad row is listed by line number (the
header is line 1) and nothing is imported. The same body is accepted by
POST /api/v1/import/contacts.`,
	run: runImportContacts,
}

func runImportContacts(ctx context.Context, c *cli, cmd *command, args []string) error {
	var cfg Config
	fs := flag.NewFlagSet("import contacts", flag.ContinueOnError)
	cfg.storeFlags(fs)
	cfg.serviceFlags(fs)
	pos, err := c.parse(cmd, fs, args, 1)
	if err != nil {
		return err
	}
	var in io.Reader = c.stdin
	name := "standard input"
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, pos[0]
	}
	svc, closeStore, err := openService(ctx, &cfg, newLogger(&cfg, c.stderr))
	if err != nil {
		return err
	}
	defer closeStore()
	res, err := svc.ImportContactsCSV(ctx, crm.System, in)
	var ie *crm.ImportError
	if errors.As(err, &ie) {
		for _, l := range ie.Lines {
			if l.Field != "" {
				fmt.Fprintf(c.stderr, "%s: line %d: %s: %s\n", name, l.Line, l.Field, l.Message)
			} else {
				fmt.Fprintf(c.stderr, "%s: line %d: %s\n", name, l.Line, l.Message)
			}
		}
		return fmt.Errorf("%s: %d problem(s), nothing was imported", name, len(ie.Lines))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(c.stdout, "imported %d contact(s) from %s: %d new companies, %d existing companies matched\n",
		res.Contacts, name, res.CompaniesCreated, res.CompaniesMatched)
	return nil
}

package routing

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"callroute/crm"
)

// spool keeps call records not yet written in a directory, as JSON lines in
// segment files (calls-<time>-<n>.jsonl), so that a restart does not lose
// them. Records are only appended; a segment is deleted once every record
// in it has been written. Lines are written with one write(2) each and not
// fsynced: a record survives a crash of the process, not of the machine.
// The writer serialises calls to it.
type spool struct {
	dir      string
	cur      *os.File
	curName  string
	curCount int
	// segs holds, per segment file, the call IDs in it not yet written.
	segs map[string]map[string]bool
}

// spoolSegmentMax is how many records go in one segment file.
const spoolSegmentMax = 1000

// spoolLine is one line of a segment.
type spoolLine struct {
	V           int             `json:"v"`
	Queued      time.Time       `json:"queued"`
	Interaction crm.Interaction `json:"interaction"`
}

var spoolSeq atomic.Int64

// openSpool opens dir (creating it) and returns the records left in it,
// oldest first, each Call-ID once.
func openSpool(dir string) (*spool, []crm.Interaction, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("spool directory: %w", err)
	}
	s := &spool{dir: dir, segs: map[string]map[string]bool{}}
	names, err := s.segmentNames()
	if err != nil {
		return nil, nil, err
	}
	for _, name := range names {
		s.segs[name] = map[string]bool{}
	}
	left, err := s.read(func(name, callID string) bool {
		s.segs[name][callID] = true
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	for name, ids := range s.segs {
		if len(ids) == 0 {
			_ = os.Remove(filepath.Join(dir, name))
			delete(s.segs, name)
		}
	}
	return s, left, nil
}

func (s *spool) segmentNames() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("spool directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), "calls-") && strings.HasSuffix(e.Name(), ".jsonl") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names) // names start with the time: oldest first
	return names, nil
}

// read parses every known segment and returns the records keep accepts,
// each Call-ID once. A line that does not parse (cut short by a crash) is
// skipped.
func (s *spool) read(keep func(name, callID string) bool) ([]crm.Interaction, error) {
	names := make([]string, 0, len(s.segs))
	for name := range s.segs {
		names = append(names, name)
	}
	slices.Sort(names)
	seen := map[string]bool{}
	var out []crm.Interaction
	for _, name := range names {
		f, err := os.Open(filepath.Join(s.dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 16<<20)
		for sc.Scan() {
			var l spoolLine
			if json.Unmarshal(sc.Bytes(), &l) != nil || l.Interaction.CallID == "" {
				continue
			}
			id := l.Interaction.CallID
			if keep(name, id) && !seen[id] {
				seen[id] = true
				out = append(out, l.Interaction)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("spool %s: %w", name, err)
		}
	}
	return out, nil
}

// unwritten returns the records not yet written, from the files.
func (s *spool) unwritten() ([]crm.Interaction, error) {
	return s.read(func(name, callID string) bool { return s.segs[name][callID] })
}

// append adds a record to the current segment.
func (s *spool) append(it crm.Interaction) error {
	b, err := json.Marshal(spoolLine{V: 1, Queued: time.Now().UTC(), Interaction: it})
	if err != nil {
		return err
	}
	if s.cur == nil || s.curCount >= spoolSegmentMax {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	if _, err := s.cur.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.curCount++
	s.segs[s.curName][it.CallID] = true
	return nil
}

func (s *spool) rotate() error {
	if s.cur != nil {
		s.cur.Close()
		if len(s.segs[s.curName]) == 0 {
			s.removeSegment(s.curName)
		}
	}
	name := fmt.Sprintf("calls-%020d-%06d.jsonl", time.Now().UnixNano(), spoolSeq.Add(1))
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_EXCL, 0o640)
	if err != nil {
		s.cur = nil
		return fmt.Errorf("spool: %w", err)
	}
	s.cur, s.curName, s.curCount = f, name, 0
	s.segs[name] = map[string]bool{}
	return nil
}

// done forgets a written record and deletes the segments left empty.
func (s *spool) done(callID string) error {
	var firstErr error
	for name, ids := range s.segs {
		if !ids[callID] {
			continue
		}
		delete(ids, callID)
		if len(ids) > 0 {
			continue
		}
		if name == s.curName && s.cur != nil {
			s.cur.Close()
			s.cur, s.curName = nil, ""
		}
		if err := s.removeSegment(name); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (s *spool) removeSegment(name string) error {
	delete(s.segs, name)
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

func (s *spool) close() error {
	if s.cur == nil {
		return nil
	}
	err := s.cur.Close()
	s.cur = nil
	return err
}

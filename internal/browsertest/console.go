package browsertest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	maxConsoleLines  = 1000 // kept per tab; older ones are dropped
	consoleTailLines = 15   // shown in a failing step's message
)

// ConsoleLine is one message of a tab's console.
type ConsoleLine struct {
	Time time.Time
	// Type is "log", "info", "warning", "error", "debug", ..., or
	// "exception" for an uncaught exception or unhandled rejection, or
	// "dialog" for an alert, confirm, prompt or beforeunload dialog (the
	// harness accepts it, since it would block the page).
	Type string
	Text string
	// URL and Line tell where it came from (Line counts from 1; 0 when
	// unknown).
	URL  string
	Line int64
}

func (l ConsoleLine) String() string {
	s := l.Time.Format("15:04:05.000") + " " + l.Type + ": " + l.Text
	if l.URL != "" {
		s += fmt.Sprintf(" (%s:%d)", l.URL, l.Line)
	}
	return s
}

// consoleLog keeps a tab's last console messages.
type consoleLog struct {
	mu      sync.Mutex
	max     int
	buf     []ConsoleLine
	dropped int
}

func newConsoleLog(max int) *consoleLog { return &consoleLog{max: max} }

func (c *consoleLog) add(m chromedp.ConsoleMessage) {
	l := ConsoleLine{Time: m.Time, Type: string(m.Type), Text: m.Text, URL: m.URL}
	if m.URL != "" {
		l.Line = m.Line + 1
	}
	if m.IsException() && m.Stack != nil && len(m.Stack.CallFrames) > 0 {
		f := m.Stack.CallFrames[0]
		l.Text += fmt.Sprintf(" at %s (%s:%d)", f.FunctionName, f.URL, f.LineNumber+1)
	}
	if l.Time.IsZero() {
		l.Time = time.Now()
	}
	c.append(l)
}

func (c *consoleLog) append(l ConsoleLine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = append(c.buf, l)
	if len(c.buf) > c.max {
		n := len(c.buf) - c.max
		c.buf = append(c.buf[:0], c.buf[n:]...)
		c.dropped += n
	}
}

// note adds a line of the harness's own about the page.
func (c *consoleLog) note(typ, text, url string) {
	c.append(ConsoleLine{Time: time.Now(), Type: typ, Text: text, URL: url})
}

func (c *consoleLog) lines() []ConsoleLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ConsoleLine(nil), c.buf...)
}

func (c *consoleLog) droppedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// tail formats the last n lines for a failure message.
func (c *consoleLog) tail(n int) string {
	lines := c.lines()
	if len(lines) == 0 {
		return "\nconsole: (empty)"
	}
	var sb strings.Builder
	skipped := len(lines) - n
	if skipped > 0 {
		lines = lines[skipped:]
		fmt.Fprintf(&sb, "\nconsole (last %d of %d):", n, n+skipped)
	} else {
		sb.WriteString("\nconsole:")
	}
	for _, l := range lines {
		sb.WriteString("\n  " + l.String())
	}
	return sb.String()
}

package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a testing.TB that records failures instead of failing the
// test, so a test can check that a harness step fails, and how. Fatal and
// FailNow end the calling goroutine, as they do in package testing; run the
// step with recorded.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) note(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.msgs = append(r.msgs, msg)
}

func (r *recorder) Error(args ...any)                 { r.note(fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.note(fmt.Sprintf(format, args...)) }
func (r *recorder) Fail()                             { r.note("Fail") }
func (r *recorder) Fatal(args ...any)                 { r.note(fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) {
	r.note(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recorder) FailNow()         { r.note("FailNow"); runtime.Goexit() }
func (r *recorder) Skip(args ...any) { r.note("Skip: " + fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Skipf(format string, args ...any) {
	r.note("Skip: " + fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recorder) SkipNow() { r.note("SkipNow"); runtime.Goexit() }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) message() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}

// recorded runs fn with a recorder on its own goroutine and waits for it.
func recorded(t testing.TB, fn func(tb testing.TB)) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

// mustFail checks that fn failed through the harness and that the failure
// message holds every one of wants.
func mustFail(t *testing.T, what string, fn func(tb testing.TB), wants ...string) string {
	t.Helper()
	r := recorded(t, fn)
	if !r.Failed() {
		t.Fatalf("%s: did not fail", what)
	}
	msg := r.message()
	t.Logf("%s failed as it should:\n%s", what, msg)
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: failure message lacks %q:\n%s", what, w, msg)
		}
	}
	return msg
}

// server is the self-tests' web server on 127.0.0.1.
type server struct {
	*httptest.Server
	beacons    chan string    // the event of each POST /beacon?event=...
	beats      *atomic.Int64  // POST /beat requests so far
	streamDone chan time.Time // when a GET /stream ended (its client went away)
}

// testServer serves testdata/, a tiny sign-in (POST /login sets a session
// cookie, GET /whoami shows whose it is) and POST /beacon.
func testServer(t testing.TB) *server {
	t.Helper()
	srv := &server{beacons: make(chan string, 16), beats: new(atomic.Int64), streamDone: make(chan time.Time, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /beat", func(w http.ResponseWriter, r *http.Request) { srv.beats.Add(1) })
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		// Held open until the client goes away, or the server closes
		// (httptest's Close waits for handlers).
		_, _ = w.Write([]byte("open\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		select {
		case srv.streamDone <- time.Now():
		default:
		}
	})
	mux.HandleFunc("POST /beacon", func(w http.ResponseWriter, r *http.Request) {
		select {
		case srv.beacons <- r.URL.Query().Get("event"):
		default: // a test that reads none must not block the server
		}
	})
	mux.Handle("GET /", http.FileServer(http.Dir("testdata")))
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		email := r.FormValue("email")
		if email == "" {
			http.Error(w, "email is required", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: email, Path: "/", HttpOnly: true})
		fmt.Fprint(w, email)
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		who := "nobody"
		if c, err := r.Cookie("session"); err == nil {
			who = c.Value
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><p data-testid="who">%s</p>`, who)
	})
	srv.Server = httptest.NewServer(mux) // 127.0.0.1, a free port
	t.Cleanup(srv.Close)
	return srv
}

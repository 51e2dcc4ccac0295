package browsertest

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFormFillClickWaitText(t *testing.T) {
	srv := testServer(t)
	b := Start(t, Options{})
	tab := b.NewTab(t)
	tab.Navigate(srv.URL + "/form.html")

	tab.Fill("email", "ada@example.com") // replaces the prefilled value
	tab.Fill("password", "s3cret")
	tab.Click("submit")
	tab.WaitText("greeting", "Signed in as ada@example.com")
	if got := tab.Text("greeting"); got != "Signed in as ada@example.com" {
		t.Errorf("greeting = %q", got)
	}
	if got := tab.Text("email"); got != "ada@example.com" {
		t.Errorf("email field = %q", got)
	}
	tab.WaitFunc("window.ready === true")
	var sum int
	tab.Eval("Promise.resolve(20 + 22)", &sum)
	if sum != 42 {
		t.Errorf("Eval of a promise = %d, want 42", sum)
	}

	short := tab.WithTimeout(500 * time.Millisecond)
	mustFail(t, "WaitText of a text that never comes", func(tb testing.TB) {
		short.For(tb).WaitText("greeting", "Welcome back")
	}, `[data-testid="greeting"] was not showing "Welcome back" within 500ms`, `text "Signed in as ada@example.com"`, "form page loaded")
	mustFail(t, "Click on a disabled button", func(tb testing.TB) {
		short.For(tb).Click("disabled-button")
	}, "visible and enabled", "disabled=true")
	mustFail(t, "Fill of something that is not a field", func(tb testing.TB) {
		short.For(tb).Fill("greeting", "x")
	}, "it is a <p>, not a field")
	mustFail(t, "WaitVisible of a hidden element", func(tb testing.TB) {
		short.For(tb).WaitVisible("hidden")
	}, "visible=false")
	mustFail(t, "Click on a missing element", func(tb testing.TB) {
		short.For(tb).Click("no-such-thing")
	}, "not in the page")
	mustFail(t, "WaitFunc on a page object that never appears", func(tb testing.TB) {
		short.For(tb).WaitFunc("window.softphone.state === 'connected'")
	}, "was not true within 500ms", "TypeError")
	mustFail(t, "WaitFunc with a statement, not an expression", func(tb testing.TB) {
		tab.For(tb).WaitFunc("let x = 1; x")
	}, "is not a JavaScript expression", "SyntaxError")
	mustFail(t, "a testid that is not one", func(tb testing.TB) {
		tab.For(tb).Click(`x"] , body [a="`)
	}, "must be letters, digits")
}

func TestUsersHaveSeparateCookies(t *testing.T) {
	srv := testServer(t)
	b := Start(t, Options{})
	signIn := func(tab *Tab, email string) {
		tab.Navigate(srv.URL + "/form.html")
		tab.Fill("email", email)
		tab.Click("submit")
		tab.WaitText("greeting", "Signed in as "+email)
	}
	whoami := func(tab *Tab) string {
		tab.Navigate(srv.URL + "/whoami")
		return tab.Text("who")
	}

	alice := b.NewTab(t)
	bob := b.NewTab(t)
	signIn(alice, "alice@example.com")
	signIn(bob, "bob@example.com")
	aliceAgain := alice.NewTab(t) // a second tab of the same user
	stranger := b.NewTab(t)

	for _, c := range []struct {
		tab  *Tab
		want string
	}{
		{alice, "alice@example.com"},
		{bob, "bob@example.com"},
		{aliceAgain, "alice@example.com"},
		{stranger, "nobody"},
	} {
		if got := whoami(c.tab); got != c.want {
			t.Errorf("%s is signed in as %q, want %q", c.tab.Name(), got, c.want)
		}
	}
}

func TestScreenshotIsFullPagePNG(t *testing.T) {
	srv := testServer(t)
	b := Start(t, Options{Width: 1280, Height: 800})
	tab := b.NewTab(t)
	tab.Navigate(srv.URL + "/form.html")
	path := filepath.Join(t.TempDir(), "shots", "form.png")
	tab.Screenshot(path)

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	// The page is taller than the window: a full-page shot is too.
	if cfg.Width != 1280 || cfg.Height <= 800 {
		t.Errorf("screenshot is %dx%d, want 1280 wide and taller than 800", cfg.Width, cfg.Height)
	}
	if os.Getenv(UpdateScreenshotsEnv) != "1" {
		shot := tab.DocScreenshot("browsertest-form")
		if !strings.HasPrefix(shot, os.TempDir()) || filepath.Base(shot) != "browsertest-form.png" {
			t.Errorf("DocScreenshot wrote %s, want a browsertest-form.png in the temp dir without %s=1", shot, UpdateScreenshotsEnv)
		}
		if _, err := os.Stat(shot); err != nil {
			t.Error(err)
		}
	}
	var inner []int
	tab.Eval("[window.innerWidth, window.innerHeight]", &inner)
	if len(inner) != 2 || inner[0] != 1280 || inner[1] > 800 || inner[1] < 600 {
		t.Errorf("viewport is %v, want the 1280x800 window's", inner)
	}
}

func TestCloseRemovesTheTab(t *testing.T) {
	srv := testServer(t)
	b := Start(t, Options{})
	first := b.NewTab(t)
	second := first.NewTab(t)
	first.Navigate(srv.URL + "/form.html")
	second.Navigate(srv.URL + "/form.html")

	first.Close()
	ids, err := b.pageTargets()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ids, first.targetID) {
		t.Errorf("closed tab %s is still a target: %v", first.targetID, ids)
	}
	if !slices.Contains(ids, second.targetID) {
		t.Errorf("the user's other tab %s is gone too: %v", second.targetID, ids)
	}
	second.WaitText("submit", "Sign in") // the other tab still works
	mustFail(t, "a step on a closed tab", func(tb testing.TB) {
		first.For(tb).Navigate(srv.URL + "/form.html")
	}, "tab is closed")
	first.Close() // closing twice is harmless
}

// Close is a user closing the tab (the page's pagehide runs); Crash is a tab
// that dies without a word. Either way the tab is gone.
func TestCloseSaysGoodbyeCrashDoesNot(t *testing.T) {
	srv := testServer(t)
	b := Start(t, Options{})
	closed := b.NewTab(t)
	crashed := b.NewTab(t)
	closed.Navigate(srv.URL + "/goodbye.html")
	crashed.Navigate(srv.URL + "/goodbye.html")

	closed.Close()
	select {
	case e := <-srv.beacons:
		if e != "pagehide" {
			t.Errorf("closed tab sent %q, want pagehide", e)
		}
	case <-time.After(5 * time.Second):
		t.Error("closed tab sent no pagehide beacon")
	}

	crashed.Crash()
	select {
	case e := <-srv.beacons:
		t.Errorf("crashed tab sent %q, want nothing", e)
	case <-time.After(500 * time.Millisecond):
	}
	ids, err := b.pageTargets()
	if err != nil {
		t.Fatal(err)
	}
	for _, tab := range []*Tab{closed, crashed} {
		if slices.Contains(ids, tab.targetID) {
			t.Errorf("%s is still a target after it went away", tab.Name())
		}
	}
}

// Freeze is a tab that hangs: no more heartbeats, but its connection stays
// open; Thaw brings the heartbeats back.
func TestFreezeStopsThePageButNotItsConnections(t *testing.T) {
	srv := testServer(t)
	b := Start(t, Options{})
	tab := b.NewTab(t)
	tab.Navigate(srv.URL + "/alive.html")
	tab.WaitFunc("Number(document.querySelector('[data-testid=\"beats\"]').textContent) >= 3")

	tab.Freeze()
	time.Sleep(300 * time.Millisecond) // a beat already on its way may still land
	before := srv.beats.Load()
	time.Sleep(time.Second)
	if n := srv.beats.Load() - before; n != 0 {
		t.Errorf("a frozen page sent %d heartbeats in 1 s", n)
	}
	select {
	case <-srv.streamDone:
		t.Error("the frozen page's connection closed")
	default:
	}

	tab.Thaw()
	before = srv.beats.Load()
	deadline := time.Now().Add(5 * time.Second)
	for srv.beats.Load()-before < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := srv.beats.Load() - before; n < 3 {
		t.Errorf("the thawed page sent %d heartbeats in 5 s", n)
	}

	tab.Crash() // and a crashed tab's connection does end
	select {
	case <-srv.streamDone:
	case <-time.After(5 * time.Second):
		t.Error("the crashed page's connection is still open after 5 s")
	}
}

func TestConsoleAndExceptionsAreCollected(t *testing.T) {
	srv := testServer(t)
	b := Start(t, Options{})
	tab := b.NewTab(t)
	tab.Navigate(srv.URL + "/console.html")
	tab.WaitFunc("true")
	deadline := time.Now().Add(5 * time.Second)
	for len(tab.Exceptions()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	tab.Click("alert") // a dialog would block the page: it is accepted and noted
	tab.WaitFunc("document.title === 'after alert'")
	var all []string
	for _, l := range tab.Console() {
		all = append(all, l.String())
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{"log: hello from the page 42", "error: something went wrong", "boom in a timer", `dialog: alert "hello" accepted`} {
		if !strings.Contains(joined, want) {
			t.Errorf("console lacks %q:\n%s", want, joined)
		}
	}
	if ex := tab.Exceptions(); len(ex) != 1 || !strings.Contains(ex[0].Text, "boom in a timer") {
		t.Errorf("exceptions = %v, want the timer's", ex)
	}
}

func TestNoChromiumProcessOutlivesTheTest(t *testing.T) {
	var profile string
	t.Run("browser", func(t *testing.T) {
		b := Start(t, Options{})
		tab := b.NewTab(t)
		tab.Navigate("about:blank")
		profile = b.profileDir
		if n := len(processesUsing(profile)); n < 2 {
			t.Fatalf("found %d Chromium processes for the running browser; the leak check would see nothing", n)
		}
	})
	if profile == "" {
		t.Skip("the browser did not start")
	}
	if pids := processesUsing(profile); len(pids) > 0 {
		t.Errorf("Chromium processes still running after the test: %v", pids)
	}
}

func TestCommandLineHasTheHarnessFlags(t *testing.T) {
	b := Start(t, Options{ExtraFlags: []string{"--disable-features=MediaRouter", "--lang=en-GB"}})
	cmd := strings.Join(b.CommandLine(), " ")
	for _, want := range []string{
		"--disable-features=Translate,BlinkGenPropertyTrees,WebRtcHideLocalIpsWithMdns,MediaRouter",
		"--allow-loopback-in-peer-connection",
		"--use-fake-device-for-media-stream",
		"--use-file-for-fake-audio-capture=" + b.wavPath,
		"--host-resolver-rules=" + hostResolverRules,
		"--lang=en-GB",
	} {
		if !strings.Contains(cmd, want) {
			t.Errorf("command line lacks %s:\n%s", want, cmd)
		}
	}
	if b.Version() == "" || b.LaunchTime() <= 0 {
		t.Errorf("version %q, launch time %v", b.Version(), b.LaunchTime())
	}
}

package browsertest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Close closes the tab at once, as a user closing it: no beforeunload
// prompt, but pagehide and unload run and the page's sockets close. It
// returns when Chromium no longer lists the tab. Its user's other tabs and
// browser context stay. See Crash for a tab that dies without a word.
func (tab *Tab) Close() {
	tab.t.Helper()
	if err := tab.close(); err != nil {
		tab.t.Fatalf("browsertest: close %s: %v", tab.name, err)
	}
}

// Crash kills the tab's renderer process, as an out-of-memory kill or a
// killed process would: the page gets no pagehide or unload and says
// nothing, though Chromium still drops its connections. It returns when
// Chromium has reported the crash and the dead tab is closed.
func (tab *Tab) Crash() {
	tab.t.Helper()
	crashed := chromedp.Events(tab.ctx, inspector.TargetCrashed)
	ctx, cancel := context.WithCancel(tab.ctx)
	defer cancel()
	go func() {
		// Page.crash never answers: the renderer is gone before it can.
		// The goroutine ends with cancel.
		_, _ = chromedp.Call(ctx, page.Crash, cdp.Empty{})
	}()
	heard := make(chan error, 1)
	go func() {
		for _, err := range crashed {
			heard <- err
			return
		}
		heard <- errors.New("the crash event stream ended")
	}()
	timer := time.NewTimer(tab.stepTimeout())
	defer timer.Stop()
	select {
	case err := <-heard:
		if err != nil {
			tab.fatalf("crash: waiting for the crash: %v", err)
		}
	case <-timer.C:
		tab.fatalf("crash: Chromium did not report the renderer's crash within %v", tab.stepTimeout())
	}
	if err := tab.close(); err != nil {
		tab.t.Fatalf("browsertest: close crashed %s: %v", tab.name, err)
	}
}

// Freeze stops the page as a hung tab or a sleeping laptop would: its
// JavaScript and timers stop (no heartbeats), but the tab and its
// connections stay open, so a server learns of it only by what no longer
// arrives. Steps that run page JavaScript wait until Thaw (or time out).
func (tab *Tab) Freeze() {
	tab.t.Helper()
	tab.setLifecycle(page.SetWebLifecycleStateStateFrozen)
}

// Thaw lets a frozen page run again.
func (tab *Tab) Thaw() {
	tab.t.Helper()
	tab.setLifecycle(page.SetWebLifecycleStateStateActive)
}

func (tab *Tab) setLifecycle(state page.SetWebLifecycleStateState) {
	tab.t.Helper()
	err := tab.run(func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, page.SetWebLifecycleState, page.SetWebLifecycleStateParams{State: state})
		return err
	})
	if err != nil {
		tab.fatalf("set the page %s: %v", state, err)
	}
}

func (tab *Tab) close() error {
	var err error
	tab.closeOnce.Do(func() {
		tab.mu.Lock()
		tab.closed = true
		tab.mu.Unlock()
		// Cancelling the chromedp context sends Target.closeTarget and waits
		// briefly for the target to go.
		tab.cancel()
		<-tab.consoleDone
		if tab.b.root.Err() != nil {
			return // the whole browser is gone
		}
		deadline := time.Now().Add(tab.b.opts.WaitTimeout)
		for {
			ids, lerr := tab.b.pageTargets()
			if lerr != nil {
				err = lerr
				return
			}
			if !containsID(ids, tab.targetID) {
				return
			}
			if time.Now().After(deadline) {
				err = fmt.Errorf("target %s still open after %v", tab.targetID, tab.b.opts.WaitTimeout)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	return err
}

func containsID(ids []target.ID, id target.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// UpdateScreenshotsEnv names the variable that makes DocScreenshot write
// into docs/screenshots/ (CALLROUTE_UPDATE_SCREENSHOTS=1 go test ./...).
const UpdateScreenshotsEnv = "CALLROUTE_UPDATE_SCREENSHOTS"

var screenshotName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// DocScreenshot takes a full-page screenshot for the docs and returns where
// it went: docs/screenshots/<name>.png when $CALLROUTE_UPDATE_SCREENSHOTS is
// 1, else a file in the test's temp dir, so ordinary and CI runs take the
// same screenshot without touching the repository.
func (tab *Tab) DocScreenshot(name string) string {
	tab.t.Helper()
	if !screenshotName.MatchString(name) {
		tab.t.Fatalf("browsertest: DocScreenshot: name %q must be lower-case letters, digits and -", name)
	}
	path, err := docScreenshotPath(tab.t, name)
	if err != nil {
		tab.t.Fatalf("browsertest: DocScreenshot: %v", err)
	}
	// A full-page capture of a scrolled page draws sticky headers where
	// the scroll left them: show the page as it opens.
	tab.Eval(`window.scrollTo(0, 0), true`, nil)
	tab.Screenshot(path)
	return path
}

func docScreenshotPath(t testing.TB, name string) (string, error) {
	if os.Getenv(UpdateScreenshotsEnv) != "1" {
		return filepath.Join(t.TempDir(), name+".png"), nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "docs", "screenshots", name+".png"), nil
}

// moduleRoot finds the directory of go.mod above the test's working
// directory (a package directory under go test).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

// staticFS holds the stylesheets, scripts and images, embedded in the
// binary: everything under static/ is served, so a new file needs no code.
//
//go:embed static
var staticFS embed.FS

// StaticPrefix is where the static files are served.
const StaticPrefix = "/static/"

// assets serves the embedded static files under /static/<version>/<path>.
// The version is a hash of all of them, so a page always asks for the
// files it was built with, browsers may keep them for a year, and a
// JavaScript module's relative imports ("./api.js") stay in the same
// version.
type assets struct {
	version string
	files   map[string]asset // by path under static/
}

type asset struct {
	body  []byte
	ctype string
	etag  string
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]asset{}}
	var names []string
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ui: list static files: %w", err)
	}
	sort.Strings(names)
	all := sha256.New()
	for _, p := range names {
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("ui: read %s: %w", p, err)
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.files[name] = asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		fmt.Fprintf(all, "%s\x00%x\x00", name, sum)
	}
	a.version = hex.EncodeToString(all.Sum(nil))[:12]
	return a, nil
}

// url is the address of a static file (its path under static/, such as
// "css/app.css"); templates call it as {{asset "css/app.css"}}. An unknown
// file is a mistake in a template, reported when it is rendered.
func (a *assets) url(name string) (string, error) {
	if _, ok := a.files[name]; !ok {
		return "", fmt.Errorf("no static file %q under web/ui/static", name)
	}
	return StaticPrefix + a.version + "/" + name, nil
}

// ServeHTTP answers GET /static/<version>/<path>. A request for another
// version (a page from a node still on an older build) gets today's file,
// not to be kept.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	version, name, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, StaticPrefix), "/")
	f, found := a.files[name]
	if !ok || !found {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "no such file", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	if version == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}

package api

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"callroute/crm"
)

// recording answers GET /interactions/{id}/recording: the voicemail left on
// a call, as audio/wav, to whoever may see the interaction.
func (h *handler) recording(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	it, err := h.svc.Interaction(r.Context(), actor(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if it.Recording == "" || h.recordings == "" {
		h.fail(w, r, fmt.Errorf("interaction %d has no recording: %w", id, crm.ErrNotFound))
		return
	}
	// The reference is a file name the SIP edge chose; never a path, so a
	// bad record cannot reach outside the recordings directory.
	name := filepath.Base(it.Recording)
	if name != it.Recording || strings.HasPrefix(name, ".") {
		h.fail(w, r, fmt.Errorf("interaction %d: bad recording reference %q", id, it.Recording))
		return
	}
	f, err := os.Open(filepath.Join(h.recordings, name))
	if errors.Is(err, os.ErrNotExist) {
		h.fail(w, r, fmt.Errorf("recording of interaction %d is gone: %w", id, crm.ErrNotFound))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", name))
	http.ServeContent(w, r, name, st.ModTime(), f)
}

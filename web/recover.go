package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// recoverPanics turns a panicking handler into a 500 {"error":"internal
// error"} and logs the panic with its stack, so one bad request does not
// take the server down.
func recoverPanics(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := recordResponse(w)
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v) // the server's way to abort a response; not a bug
				}
				logger.ErrorContext(r.Context(), "panic serving request",
					slog.String("panic", fmt.Sprint(v)),
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.String("request_id", RequestID(r.Context())),
					slog.String("stack", string(debug.Stack())))
				if !rec.wroteHeader {
					writeJSONError(rec, http.StatusInternalServerError, "internal error")
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

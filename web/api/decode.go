package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// readBody reads the whole body, at most limit bytes: more is 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	tooLarge := &requestError{status: http.StatusRequestEntityTooLarge,
		message: fmt.Sprintf("the request body is larger than %d bytes", limit)}
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge
	}
	if err != nil {
		return nil, badRequest("", "cannot read the request body: "+err.Error())
	}
	return b, nil
}

// checkContentType accepts a body of one of the given media types (or with
// no Content-Type at all); anything else is 415.
func checkContentType(r *http.Request, want ...string) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, w := range want {
			if mt == w || (w == "application/json" && strings.HasSuffix(mt, "+json")) {
				return nil
			}
		}
	}
	return &requestError{status: http.StatusUnsupportedMediaType,
		message: fmt.Sprintf("Content-Type %q is not accepted here: send %s", ct, strings.Join(want, " or "))}
}

// decodeJSON reads one JSON object into dst, strictly: unknown fields, wrong
// types, malformed JSON and trailing data are 400 naming what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if err := checkContentType(r, "application/json"); err != nil {
		return err
	}
	body, err := readBody(w, r, MaxBodyBytes)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("", "the request body is empty: send a JSON object")
	}
	return unmarshalStrict(body, dst)
}

// decodeOptionalJSON is decodeJSON for endpoints whose body may be empty.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if err := checkContentType(r, "application/json"); err != nil {
		return err
	}
	body, err := readBody(w, r, MaxBodyBytes)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	return unmarshalStrict(body, dst)
}

func unmarshalStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := position(body, dec.InputOffset())
		return badRequest("", fmt.Sprintf("unexpected data after the JSON object at line %d, column %d", line, col))
	}
	return nil
}

// jsonError turns a decoding error into a 400 that says which field or
// where in the body.
func jsonError(body []byte, err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
		pe *time.ParseError
	)
	switch {
	case errors.As(err, &se):
		line, col := position(body, se.Offset)
		return badRequest("", fmt.Sprintf("malformed JSON at line %d, column %d: %v", line, col, se))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends before the JSON object does")
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return badRequest("", fmt.Sprintf("the body must be %s, not a JSON %s", describe(te.Type), te.Value))
		}
		return badRequest(field, fmt.Sprintf("%s: must be %s, not a JSON %s", field, describe(te.Type), te.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		return badRequest(name, fmt.Sprintf("unknown field %q", name))
	case errors.As(err, &pe):
		return badRequest("", fmt.Sprintf("%q is not an RFC 3339 time such as 2026-05-01T09:00:00Z", pe.Value))
	}
	return badRequest("", "invalid JSON: "+err.Error())
}

var timeType = reflect.TypeFor[time.Time]()

// describe says in words what JSON a Go type wants.
func describe(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return "an RFC 3339 time string such as 2026-05-01T09:00:00Z"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// position turns a byte offset into a 1-based line and column.
func position(body []byte, offset int64) (line, col int) {
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	before := body[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

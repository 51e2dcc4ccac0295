package sip

import (
	"context"
	"log/slog"
	"slices"
	"sync"
)

// logWith returns log with attrs added to every line, like log.With, but
// the attributes reach log's handler only when the first line is written.
// slog's handlers format attributes at With: for the loggers made per
// request, per call and per fork that cost was paid on every call, though
// most of their lines are debug and never written.
func logWith(log *slog.Logger, attrs ...slog.Attr) *slog.Logger {
	return slog.New(lazyWithAttrs(log.Handler(), attrs))
}

// lazyHandler is parent.WithAttrs(attrs), made on the first record
// handled. A lazyHandler made from another holds the other's parent and
// all the attributes, so however long the chain, a line costs one
// WithAttrs of the handler underneath, and is formatted exactly as by
// WithAttrs chained (attributes only accumulate; a group ends the laziness).
type lazyHandler struct {
	parent slog.Handler
	attrs  []slog.Attr

	once sync.Once
	h    slog.Handler
}

func lazyWithAttrs(parent slog.Handler, attrs []slog.Attr) *lazyHandler {
	var inherited []slog.Attr
	if l, ok := parent.(*lazyHandler); ok {
		parent, inherited = l.parent, l.attrs
	}
	return &lazyHandler{parent: parent, attrs: slices.Concat(inherited, attrs)}
}

// handler is parent.WithAttrs(attrs), made once.
func (l *lazyHandler) handler() slog.Handler {
	l.once.Do(func() { l.h = l.parent.WithAttrs(l.attrs) })
	return l.h
}

// Enabled asks the parent: adding attributes does not change the level.
func (l *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return l.parent.Enabled(ctx, level)
}

func (l *lazyHandler) Handle(ctx context.Context, r slog.Record) error {
	return l.handler().Handle(ctx, r)
}

// WithAttrs stays lazy (the media session adds its RTP port to ours).
func (l *lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return l
	}
	return lazyWithAttrs(l, attrs)
}

func (l *lazyHandler) WithGroup(name string) slog.Handler {
	return l.handler().WithGroup(name)
}

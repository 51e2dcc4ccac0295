package routing

import (
	"context"
	"time"
)

// maxPrompt bounds one prompt, whatever the media layer does.
const maxPrompt = 2 * time.Minute

// voicemail takes a call nobody answered (stage StageVoicemail) or that
// came outside business hours (StageClosed): it answers the caller, plays
// the prompt and records a message of at most VoicemailMax; with voicemail
// off it plays the closing message instead.
func (cr *callRun) voicemail(ctx context.Context, stage Stage) {
	cr.r.track(cr.c.ID, func(l *LiveCall) { l.Stage = stage })
	cr.tookAt = time.Now()
	step := Step{Stage: stage, At: cr.r.now()}
	defer func() {
		step.For = time.Since(cr.tookAt)
		cr.addStep(step)
	}()
	if !cr.answerCaller(ctx) {
		step.Outcome = cr.leftOutcome()
		if cr.failed {
			step.Outcome = OutcomeFailed
		}
		return
	}
	if !cr.s.VoicemailEnabled {
		p := PromptNoAgent
		if stage == StageClosed {
			p = PromptClosed
		}
		step.Outcome = OutcomeNoMessage
		if err := cr.play(ctx, p); err != nil {
			step.Outcome = cr.leftOutcome()
		}
		return
	}
	p := PromptVoicemail
	if stage == StageClosed {
		p = PromptClosedVoicemail
	}
	if err := cr.play(ctx, p); err != nil {
		step.Outcome = cr.leftOutcome()
		return
	}
	rctx, cancel := context.WithTimeout(ctx, cr.s.VoicemailMax+maxPrompt)
	rec, err := cr.c.Leg.Record(rctx, cr.s.VoicemailMax)
	cancel()
	if err != nil && ctx.Err() == nil {
		cr.log.Error("recording voicemail failed", "err", err)
		step.Error = err.Error()
	}
	if rec.Ref == "" {
		step.Outcome = OutcomeNoMessage
		return
	}
	cr.res.Recording = rec.Ref
	step.Outcome = OutcomeRecorded
	cr.log.Info("voicemail recorded", "recording", rec.Ref, "length", rec.Duration.Round(time.Second))
	_ = cr.play(ctx, PromptThanks)
}

// play plays one prompt, bounded by maxPrompt.
func (cr *callRun) play(ctx context.Context, p PromptKind) error {
	pctx, cancel := context.WithTimeout(ctx, maxPrompt)
	defer cancel()
	err := cr.c.Leg.Play(pctx, Prompt{Kind: p})
	if err != nil && ctx.Err() == nil {
		cr.log.Warn("playing a prompt failed", "prompt", p, "err", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

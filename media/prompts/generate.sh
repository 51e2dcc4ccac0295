#!/bin/sh
# Recreates the spoken prompts embedded in package prompts.
#
# Needs espeak-ng and sox (Debian: apt-get install -y espeak-ng sox). The output
# is committed, so nothing is generated or downloaded at build or run time.
# Each prompt: espeak-ng at 150 words per minute, silence trimmed at both
# ends, band-limited to the telephone band, normalised to -3 dBFS peak, then
# written as 8 kHz mono G.711 mu-law WAV (format code 7, 8 kB per second).
# sox runs without dither (-D), so a rerun gives the same bytes.
set -eu
cd "$(dirname "$0")"
VOICE=${VOICE:-en-gb+f3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() { # say NAME TEXT
	espeak-ng -v "$VOICE" -s 150 -w "$tmp/raw.wav" "$2"
	sox -D "$tmp/raw.wav" -r 8000 -c 1 -e u-law -b 8 "$1.wav" \
		silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse \
		gain -6 highpass 200 lowpass 3400 gain -n -3
}

say hold "Thank you for calling. All our colleagues are busy. Please hold."
say caller_number "You are caller number"
say leave_message "Please leave a message after the tone. Press hash or hang up when you are done."
say closed "Our office is closed now. Please leave a message after the tone."
say goodbye "Thank you. Goodbye."

n=1
for word in one two three four five six seven eight nine ten eleven twelve \
	thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty; do
	say "$(printf 'n%02d' "$n")" "$word"
	n=$((n + 1))
done

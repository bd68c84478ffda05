#!/usr/bin/env bash
# tmux-journeys.sh drives the real flowlens binary inside tmux through the
# user journeys of the TUI (start, follow, pause, invalid filter with its
# hint, valid filter, detail and back, sources, help, resize; the analysis
# views: groups, key and metric, two drill-down levels and back, chart and
# zoom, a preset, export, copy through OSC 52 into tmux's buffer; the eni
# mark, conversations, sort in Groups and Flows, a typed group key, find in
# Flows and Groups, a chart range;
# NO_COLOR, quit, SIGTERM) and prints every captured screen. The filter
# history goes to a temporary directory, not yours.
#
#   scripts/tmux-journeys.sh              # 80x24, then the resize steps
#   SIZE=160x48 scripts/tmux-journeys.sh  # another starting size
#   FLOWLENS_BIN=/path/flowlens scripts/tmux-journeys.sh   # skip the build
#
# Needs tmux and Go. Uses its own tmux server (-L), so it never touches
# your sessions. Exits non-zero when a screen never shows what it waits for.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE=${SIZE:-80x24}
W=${SIZE%x*}
H=${SIZE#*x}
SOCK="flowlens-journeys-$$"
TMP=$(mktemp -d)
trap 'tmux -L "$SOCK" kill-server 2>/dev/null || true; rm -rf "$TMP"' EXIT

command -v tmux >/dev/null || { echo "tmux-journeys: tmux is not installed" >&2; exit 2; }
BIN=${FLOWLENS_BIN:-}
if [[ -z "$BIN" ]]; then
	BIN="$TMP/flowlens"
	go build -o "$BIN" ./cmd/flowlens
fi

t() { tmux -L "$SOCK" "$@"; }

# show TITLE: print the pane as it is now.
show() {
	printf '\n===== %s (%s) =====\n' "$1" "$(t display -p -t j '#{window_width}x#{window_height}')"
	t capture-pane -p -t j
}

# wait_for TEXT...: wait (up to 15 s) until the pane shows every TEXT.
wait_for() {
	local i scr ok
	for ((i = 0; i < 150; i++)); do
		scr=$(t capture-pane -p -t j)
		ok=1
		for want in "$@"; do
			[[ "$scr" == *"$want"* ]] || { ok=0; break; }
		done
		((ok)) && return 0
		sleep 0.1
	done
	printf '\ntmux-journeys: the screen never showed: %s\n' "$*" >&2
	t capture-pane -p -t j >&2
	exit 1
}

keys() { t send-keys -t j "$@"; }

# A plain shell in the pane, so we can see the terminal after the program.
t -f /dev/null new-session -d -s j -x "$W" -y "$H" "env -i PATH=$PATH HOME=$HOME XDG_CONFIG_HOME=$TMP TERM=xterm-256color PS1='$ ' bash --norc --noprofile"
t set-option -t j status off >/dev/null
# Let copies (OSC 52) from the program land in tmux's paste buffer.
t set-option -g set-clipboard on >/dev/null
sleep 0.3

keys "$BIN demo --seed 1" Enter
wait_for "records" "FOLLOW" "[1 Flows]"
show "start: the demo's backfill, following"

sleep 2
show "follow: two seconds later, newest at the bottom"

keys k k k
wait_for "PAUSED"
show "moving the cursor pauses follow"
keys f
wait_for "FOLLOW"

keys /
wait_for "filter>"
keys -l "action = REJCT and dport 22"
wait_for "invalid" "did you mean REJECT"
show "invalid filter: marker, caret, message with its hint"

keys C-u
keys -l "action = REJECT and dport in (22, 3389)"
wait_for "✓"
show "valid filter: the match count previewed"
keys Enter
wait_for "filter action = REJECT and dport in (22, 3389)"
show "filter applied"

keys k Enter
wait_for "Record (format" "record"
show "detail of the record under the cursor"
keys Escape
wait_for "enter detail" "PAUSED"
show "back in the table, same record under the cursor"

keys 4
wait_for "[4 Sources]"
show "sources"

keys '?'
wait_for "help" "next view"
show "help, generated from the key map"
keys Escape

keys 1
t resize-window -t j -x 132 -y 40
wait_for "[1 Flows]"
sleep 0.3
show "resized to 132x40 (extra columns of the v5 format appear)"
t resize-window -t j -x 60 -y 16
sleep 0.5
show "resized to 60x16"
t resize-window -t j -x "$W" -y "$H"
sleep 0.5

# pick KEY TEXT: open a picker, narrow it to TEXT, choose.
pick() {
	keys "$1"
	wait_for "find>"
	keys -l "$2"
	keys Enter
}

keys /
wait_for "filter>"
keys C-u Enter
wait_for "filter none"
keys 2
wait_for "[2 Groups]" "top srcaddr by flows" "share"
show "groups: top sources by flows, share of the total, bars"
pick g dstport
wait_for "top dstport by flows"
pick m bytes
wait_for "top dstport by bytes"
show "groups: key dstport, metric bytes"
pick g srcaddr
pick m flows
wait_for "top srcaddr by flows"
keys Enter
wait_for "[1 Flows]" "drill all › srcaddr"
show "drill-down, level 1: the top source's flows, the breadcrumb above"
keys 2
pick g dstport
wait_for "top dstport by flows"
keys Enter
wait_for "[1 Flows]" "› dstport"
show "drill-down, level 2: filter narrowed twice"
keys BSpace
wait_for "[2 Groups]" "top dstport by flows"
show "back one level: Groups by dstport under level 1"
keys Escape
wait_for "[2 Groups]" "top srcaddr by flows" "filter none"
show "back to the start: no filter, no breadcrumb"

keys 3
wait_for "[3 Chart]" "ACCEPT" "REJECT" "UTC"
show "chart: bytes per bucket, ACCEPT and REJECT apart, axes with units and times"
keys -l -- -
wait_for "per 15s"
show "chart zoomed out: 15 minutes in 15 s buckets"
keys -l +
wait_for "per 5s"

pick p "rejected sources"
wait_for "preset: rejected sources" "top srcaddr by flows"
show "preset: rejected sources"
keys e
wait_for "to>"
keys C-u
keys -l "$TMP/rejected.csv"
keys Enter
wait_for "exported"
show "export: the row count confirmed"
printf '\n===== %s (first lines) =====\n' "$TMP/rejected.csv"
head -4 "$TMP/rejected.csv"
pick y "flowlens"
wait_for "copied filter (flowlens)"
show "copy: the filter, through OSC 52"
sleep 0.3
printf '\n===== tmux paste buffer after the copy =====\n'
buf=$(t show-buffer 2>/dev/null || true)
echo "$buf"
[[ "$buf" == "action = REJECT" ]] || { echo "tmux-journeys: the copy did not reach tmux's buffer" >&2; exit 1; }
keys Escape
wait_for "filter none" "[3 Chart]"

# Issue 16: the eni mark, conversations, sort, typed keys, find (Flows, Groups), a chart range.
keys 1
wait_for "[1 Flows]"
show "flows: at 80 columns the eni mark (down ingress, up egress, the interface id's end) tells a flow's two records apart"
keys c
wait_for "top conversation by bytes" "both ways"
show "c: one row per conversation, both directions, each flow counted once"
keys Enter
wait_for "drill all › conversation"
show "a conversation's records, both directions"
keys Escape
wait_for "[2 Groups]"
keys s
wait_for "▲"
show "groups sorted by the key (s; S reverses)"
keys g
wait_for "Group by"
keys 'srcaddr/16,dstport'
wait_for "group by what was typed"
keys Enter
wait_for "top srcaddr/16,dstport by"
show "a typed key: srcaddr/16 and dstport"
keys 1
wait_for "[1 Flows]"
keys F
wait_for "find (a filter expression"
keys 'dstport = 22' Enter
wait_for "match "
show "find (F): the latest SSH record; n and N step"
keys s
wait_for "▼bytes · top "
show "flows sorted by bytes (s): the best rows kept, the header marks the column and says how many"
keys S
wait_for "▲bytes · top "
keys n
wait_for "match " "▲bytes"
show "S reverses; n steps to the next SSH record in the sorted order"
keys f
wait_for "FOLLOW"
show "f: time order again, following"
keys 2
wait_for "[2 Groups]" "top srcaddr/16,dstport by"
keys F
wait_for "find (text in the keys"
keys C-u 'SSH' Enter
wait_for "match 1 of"
show "find in Groups (F): the groups whose key says ssh, in any case"
keys N
wait_for "match "
show "N: the previous match, wrapping round"
keys 3
wait_for "[3 Chart]"
keys Left v Left Left
wait_for "selected "
show "chart: a range selected (left/right, v); enter filters to it"
keys Enter
wait_for "drill all › time "
show "the chart's range applied as the filter's time bound"
keys Escape
wait_for "[3 Chart]"

keys q
wait_for '$ '
keys "echo exit=\$? terminal ok" Enter
wait_for "terminal ok"
show "after q: the shell is back and usable"

keys clear Enter
keys "NO_COLOR=1 $BIN demo --seed 2 --filter 'action = REJECT'" Enter
wait_for "filter action = REJECT" "records"
show "NO_COLOR=1 (attributes only: the cursor row is reverse video, '>' marks it)"
printf '\n===== NO_COLOR escape sequences in use (SGR codes on screen) =====\n'
t capture-pane -p -e -t j | grep -o $'\e\[[0-9;]*m' | sort | uniq -c | sort -rn | head -5 || true

pid=$(pgrep -n -f "$BIN demo --seed 2" || true)
if [[ -n "$pid" ]]; then
	kill -TERM "$pid"
	wait_for '$ '
	keys "echo after SIGTERM: terminal ok" Enter
	wait_for "after SIGTERM: terminal ok"
	show "after SIGTERM: the terminal is restored"
fi

keys clear Enter
keys "$BIN demo" Enter
wait_for "records"
pid=$(pgrep -n -f "$BIN demo$" || true)
if [[ -n "$pid" ]]; then
	kill -HUP "$pid"
	wait_for '$ '
	keys "echo after SIGHUP: terminal ok" Enter
	wait_for "after SIGHUP: terminal ok"
	show "after SIGHUP: the terminal is restored"
fi
printf '\ntmux-journeys: every journey passed\n'

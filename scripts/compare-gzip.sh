#!/usr/bin/env bash
# compare-gzip.sh FLOWLENS FILE.gz [REPS]: ../shared/bench/compare.sh over a gzip file, plus the mawk
# rows through zcat (mawk cannot read gzip; compare.sh's own mawk rows on a .gz are meaningless).
# flowlens and DuckDB (read_csv detects .gz) read the compressed file themselves, in the same run.
set -u
FL=$1; F=$2; REPS=${3:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
CMP=${COMPARE:-$HERE/../../shared/bench/compare.sh}
[ -x "$CMP" ] || CMP=/work/shared/bench/compare.sh
"$CMP" "$FL" "$F" "$REPS" | grep -v '^mawk'
W=${TMPDIR:-/tmp}/flowlens-bench; mkdir -p "$W"
export LC_ALL=C
best() {
  local b="" br=""
  for _ in $(seq "$REPS"); do
    /usr/bin/time -o "$W/t" -f '%e %M' bash -c "$*" > "$W/out" 2>&1
    read -r w r < <(tail -1 "$W/t")
    if [ -z "$b" ] || awk "BEGIN{exit !($w < $b)}"; then b=$w; br=$r; fi
  done
  echo "$b $((br / 1024))"
}
run() { local label=$1; shift; read -r w r < <(best "$@"); printf '%-28s %8s %8s\n' "$label" "$w" "$r"; }
run zcat+mawk.b "zcat $F | mawk '\$13==\"REJECT\" && \$7==22{n++} END{print n+0}'"
run zcat+mawk.c "zcat $F | mawk 'NR>1 && \$14==\"OK\"{s[\$4]+=\$10} END{for(k in s) printf \"%.0f %s\n\", s[k], k}' | sort -k1,1nr | head -10"

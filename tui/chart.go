package tui

import (
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/NimbleMarkets/ntcharts/canvas/graph"
	"github.com/NimbleMarkets/ntcharts/canvas/runes"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

// chartMetric is what the chart plots per bucket, cycled with m.
type chartMetric uint8

const (
	chartBytes chartMetric = iota
	chartPackets
	chartFlows
	numChartMetrics
)

// String names the metric, as presets and the title spell it.
func (c chartMetric) String() string {
	switch c {
	case chartPackets:
		return "packets"
	case chartFlows:
		return "flows"
	}
	return "bytes"
}

// of returns the metric's value in a rollup.
func (c chartMetric) of(r model.Rollup) uint64 {
	switch c {
	case chartPackets:
		return r.Packets
	case chartFlows:
		return r.Flows
	}
	return r.Bytes
}

// text formats a value of the metric with its unit.
func (c chartMetric) text(v uint64) string {
	if c == chartBytes {
		return model.HumanBytes(v)
	}
	return model.HumanCount(v)
}

// parseChartMetric reads a metric name (any case).
func parseChartMetric(s string) (chartMetric, bool) {
	for c := chartMetric(0); c < numChartMetrics; c++ {
		if strings.EqualFold(c.String(), s) {
			return c, true
		}
	}
	return 0, false
}

// chartZoom lists the visible ranges (zoomed with + and -) and the bucket
// each uses: about 60 buckets a range, so the bucket follows the range.
var chartZoom = []struct{ rng, bucket int64 }{
	{5 * 60, 5}, {15 * 60, 15}, {30 * 60, 30}, {3600, 60}, {3 * 3600, 180}, {6 * 3600, 360},
	{12 * 3600, 720}, {86400, 1800}, {3 * 86400, 7200}, {7 * 86400, 3 * 3600},
}

// chartWindow is the time range a series covers: [from, to) in Unix
// seconds, in buckets of bucket seconds.
type chartWindow struct {
	from, to, bucket int64
}

// n returns the number of buckets.
func (w chartWindow) n() int {
	if w.bucket <= 0 {
		return 0
	}
	return int((w.to - w.from) / w.bucket)
}

// chartSpan returns the window of zoom level z ending with the bucket
// that holds last (the newest start time); buckets are at least floor
// seconds (the rollups' minute once rows were evicted).
func chartSpan(z int, last int64, floor int64) chartWindow {
	rng, b := chartZoom[z].rng, max(chartZoom[z].bucket, floor)
	to := (last/b + 1) * b
	n := (rng + b - 1) / b
	return chartWindow{from: to - n*b, to: to, bucket: b}
}

// autoZoom returns the smallest zoom level whose range covers span
// seconds.
func autoZoom(span int64) int {
	for z, c := range chartZoom {
		if c.rng >= span {
			return z
		}
	}
	return len(chartZoom) - 1
}

// seriesMsg is a time series for the chart (Chart).
type seriesMsg struct {
	gen     uint64
	sel     *model.Selection // the selection that caused it
	win     chartWindow
	buckets []model.Bucket // sorted by Start, inside win
	rollups bool           // from the index's rollups (complete after eviction)
	evicted uint64         // rows evicted when it ran: a series from records misses them
	err     error
	took    time.Duration
}

func (seriesMsg) owner() viewID { return viewChart }

// seriesCmd computes the series of the window off the UI goroutine.
// Without a filter it reads the index's per-minute rollups, which survive
// eviction; with one (or for buckets under a minute) it evaluates the
// applied filter narrowed to the window and sums the rows with
// model.Series.
func seriesCmd(gen uint64, snap *model.Snapshot, sel *model.Selection, flt *filter.Filter, win chartWindow) tea.Cmd {
	return func() tea.Msg {
		t0 := time.Now()
		msg := seriesMsg{gen: gen, sel: sel, win: win, evicted: snap.Evicted}
		if flt.Empty() && win.bucket%60 == 0 {
			msg.buckets, msg.rollups = snap.Rollups(win.from, win.to, win.bucket), true
		} else {
			f, err := narrowToWindow(flt, win)
			if err != nil {
				msg.err = err
				return msg
			}
			msg.buckets = model.Series(snap, f.Eval(snap, nil), win.bucket)
		}
		msg.took = time.Since(t0)
		return msg
	}
}

// narrowToWindow returns flt narrowed to the records starting in the
// window: start >= from and start < to, added as parsed bounds.
func narrowToWindow(flt *filter.Filter, win chartWindow) (*filter.Filter, error) {
	for _, b := range []struct {
		op filter.Op
		t  int64
	}{{filter.OpGe, win.from}, {filter.OpLt, win.to}} {
		n, err := filter.TimeBound(model.FieldStart, b.op, time.Unix(b.t, 0))
		if err != nil {
			return nil, err
		}
		if flt, err = flt.And(n); err != nil {
			return nil, err
		}
	}
	return flt, nil
}

// chartView is the time series of the applied filter's records: bytes,
// packets or flows per bucket (m), ACCEPT and REJECT in two panels with
// their own scales, over a range that ends with the newest record and is
// zoomed with + and -. It is drawn with ntcharts' canvas (axes, eighth-
// block columns, labels) when data, size or metric change, and View
// returns the drawing.
type chartView struct {
	viewBase
	analysis
	remoteShown // R (remote.go)

	metric chartMetric
	zoom   int
	auto   bool // the range follows the data's span until the user zooms
	data   *seriesMsg

	pan  int64 // seconds the window ends before the newest record ([ and ]; 0: at the newest)
	cur  int64 // the cursor's bucket start (← →; 0: no cursor)
	mark int64 // the other end of the selected range (v; 0: none)

	drawn   string
	scratch chartScratch
}

// newChart returns the Chart view, plotting bytes.
func newChart(e *env) *chartView {
	return &chartView{viewBase: viewBase{env: e}, analysis: analysis{to: viewChart}, auto: true}
}

// SetSize sets the view's area and redraws.
func (v *chartView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.draw()
}

// setMetric shows metric c: no new series is needed, every bucket holds
// all three.
func (v *chartView) setMetric(c chartMetric) {
	v.metric = c % numChartMetrics
	v.draw()
}

// setVisible tells the view whether it is on screen.
func (v *chartView) setVisible(on bool) tea.Cmd {
	v.visible = on
	return v.refresh()
}

// window returns the window the next series covers.
func (v *chartView) window() chartWindow {
	snap := v.env.snap
	var last, floor int64
	if snap != nil {
		last = snap.MaxStart
		if v.auto {
			v.zoom = autoZoom(snap.MaxStart - snap.MinStart)
		}
		if snap.Evicted > 0 {
			floor = 60
		}
	}
	return chartSpan(v.zoom, last-v.pan, floor)
}

// refresh brings the series up to the newest selection (see analysis).
func (v *chartView) refresh() tea.Cmd {
	if v.keepRemote(v.env) {
		return nil // a remote series stays until the question changes
	}
	v.leaveRemote()
	ok, cmd := v.due(v.env, v.data != nil)
	if !ok {
		return cmd
	}
	return seriesCmd(v.ref.gen, v.env.selSnap, v.runSel, v.env.flt, v.window())
}

// Update takes in series and ticks, cycles the metric and zooms.
func (v *chartView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case seriesMsg:
		current, again := v.done(msg.gen, msg.sel, v.env)
		if !current || v.remote != "" {
			return nil
		}
		v.data = &msg
		if msg.err == nil {
			v.env.debugf("chart: %d buckets of %ds in %s (rollups %v)", len(msg.buckets), msg.win.bucket, msg.took, msg.rollups)
		}
		v.draw()
		if again {
			return v.refresh()
		}
	case tickMsg:
		return v.tick(v.refresh)
	case tea.KeyMsg:
		k := v.env.keys
		switch {
		case key.Matches(msg, k.Metric):
			v.setMetric(v.metric + 1)
		case key.Matches(msg, k.ZoomIn):
			return v.zoomTo(v.zoom - 1)
		case key.Matches(msg, k.ZoomOut):
			return v.zoomTo(v.zoom + 1)
		case key.Matches(msg, k.Remote):
			if a, err := v.remoteAsk(); err == nil {
				v.ask(request{kind: reqRemote, remote: a})
			}
		case key.Matches(msg, k.PanLeft):
			return v.panBy(1)
		case key.Matches(msg, k.PanRight):
			return v.panBy(-1)
		case key.Matches(msg, k.Left):
			v.moveCursor(-1)
		case key.Matches(msg, k.Right):
			v.moveCursor(1)
		case key.Matches(msg, k.Mark):
			switch {
			case v.mark != 0:
				v.mark = 0
			case v.cur != 0:
				v.mark = v.cur
			default:
				v.moveCursor(0)
				v.mark = v.cur
			}
			v.draw()
		case key.Matches(msg, k.Drill):
			v.drillRange()
		}
	}
	return nil
}

// working reports whether the view is computing its first answer to
// the question asked.
func (v *chartView) working() bool {
	return v.stale || v.expr != v.env.expr || v.data == nil
}

// exportJob writes the series on screen, every bucket of its window.
func (v *chartView) exportJob() (exportJob, bool) {
	d := v.data
	if d == nil || d.err != nil {
		return exportJob{}, false
	}
	// a series from records leaves out evicted ones (the rollups keep them)
	return exportJob{kind: exportSeries, label: itoa(d.win.n()) + " buckets", win: d.win, bkts: d.buckets,
		evicted: d.evicted, complete: d.rollups}, true
}

// panBy moves the window half a range earlier (dir 1) or later (-1),
// never past the newest record; the cursor keeps its time.
func (v *chartView) panBy(dir int) tea.Cmd {
	win := v.window() // settles an automatic zoom first
	v.auto = false
	half := max((win.to-win.from)/2/win.bucket, 1) * win.bucket
	p := max(v.pan+int64(dir)*half, 0)
	if snap := v.env.snap; snap != nil {
		p = min(p, max(snap.MaxStart-snap.MinStart, 0)) // no further back than the oldest record
	}
	if p == v.pan {
		return nil
	}
	v.pan = p
	v.questionChanged()
	v.leaveRemote()
	v.change(v.data != nil)
	v.draw()
	return v.refresh()
}

// moveCursor moves the cursor by delta buckets within the window shown
// (0: put it on the newest bucket when there is none).
func (v *chartView) moveCursor(delta int) {
	d := v.data
	if d == nil || d.win.bucket <= 0 {
		return
	}
	win := d.win
	if v.cur == 0 || v.cur < win.from || v.cur >= win.to {
		v.cur = win.to - win.bucket
		if delta > 0 {
			delta = 0
		}
	}
	v.cur = min(max(v.cur+int64(delta)*win.bucket, win.from), win.to-win.bucket)
	v.draw()
}

// selected returns the time range the cursor and the mark select:
// [from, to), the cursor's bucket alone without a mark.
func (v *chartView) selected() (from, to int64, ok bool) {
	d := v.data
	if v.cur == 0 || d == nil || d.win.bucket <= 0 {
		return 0, 0, false
	}
	from, to = v.cur, v.cur
	if v.mark != 0 {
		from, to = min(v.cur, v.mark), max(v.cur, v.mark)
	}
	return from, to + d.win.bucket, true
}

// drillRange narrows the applied filter to the selected time range (a
// breadcrumb level, esc comes back): the bounds are parsed expressions
// (filter.TimeBound), never text.
func (v *chartView) drillRange() {
	from, to, ok := v.selected()
	if !ok {
		return
	}
	lo, err := filter.TimeBound(model.FieldStart, filter.OpGe, time.Unix(from, 0))
	var hi filter.Node
	if err == nil {
		hi, err = filter.TimeBound(model.FieldStart, filter.OpLt, time.Unix(to, 0))
	}
	label := "time " + rangeText(from, to)
	v.ask(request{kind: reqDrill, drill: drillRequest{label: label, clause: &filter.And{Args: []filter.Node{lo, hi}}, err: err}})
	v.mark = 0
}

// rangeText formats [from, to) for people: clock times, with the dates
// when the range spans days, in UTC.
func rangeText(from, to int64) string {
	f, t := time.Unix(from, 0).UTC(), time.Unix(to, 0).UTC()
	layout := "15:04:05"
	if f.Format("2006-01-02") != t.Add(-time.Second).Format("2006-01-02") {
		layout = "2006-01-02 15:04"
	}
	return f.Format(layout) + "–" + t.Format(layout) + " UTC"
}

// zoomTo shows zoom level z and fetches its series.
func (v *chartView) zoomTo(z int) tea.Cmd {
	v.window() // settles an automatic zoom first
	z = min(max(z, 0), len(chartZoom)-1)
	v.auto = false
	if z == v.zoom && v.data != nil {
		return nil
	}
	v.zoom = z
	v.questionChanged()
	v.leaveRemote()
	v.change(v.data != nil)
	v.draw()
	return v.refresh()
}

// draw renders the current data into v.drawn.
func (v *chartView) draw() {
	if v.w <= 0 || v.h <= 0 {
		v.drawn = ""
		return
	}
	v.drawn = drawChart(v.env.theme, v.w, v.h, v.chartInput(), &v.scratch)
}

// chartInput gathers what drawChart needs.
func (v *chartView) chartInput() chartInput {
	in := chartInput{metric: v.metric, zoom: v.zoom, busy: v.remote == "" && (v.stale || v.data == nil), filtered: v.expr != "",
		remote: v.remoteTitle(v.env.theme), panned: v.pan > 0, cur: v.cur}
	if from, to, ok := v.selected(); ok && v.mark != 0 {
		in.selFrom, in.selTo = from, to
	}
	if d := v.data; d != nil {
		in.win, in.buckets, in.err = d.win, d.buckets, d.err
		in.partial = !d.rollups && d.evicted > 0
		in.evicted = d.evicted
		in.have = true
	}
	return in
}

// View returns the drawing: exactly h lines of w cells.
func (v *chartView) View() string {
	if v.drawn == "" {
		v.draw()
	}
	return v.drawn
}

// ShortHelp lists the view's main keys.
func (v *chartView) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.Metric, k.ZoomIn, k.ZoomOut, k.Filter, k.Presets, k.Left, k.Mark, k.PanLeft, k.PanRight, k.Drill, k.Remote, k.Export, k.Copy}
}

// FullHelp lists every key of the view.
func (v *chartView) FullHelp() [][]key.Binding {
	k := v.env.keys
	return [][]key.Binding{{k.Metric, k.ZoomIn, k.ZoomOut, k.PanLeft, k.PanRight, k.Left, k.Right, k.Mark, k.Drill, k.Remote, k.Export}}
}

// chartInput is everything a chart drawing depends on.
type chartInput struct {
	metric   chartMetric
	zoom     int
	win      chartWindow
	buckets  []model.Bucket
	have     bool // a series arrived
	busy     bool // a newer one is on its way
	filtered bool
	partial  bool // from records, and some were evicted
	evicted  uint64
	err      error
	remote   string // the title's remote part (remoteShown.remoteTitle)
	panned   bool   // the window ends before the newest record
	cur      int64  // the cursor's bucket start (0: none)
	selFrom  int64  // the selected range [selFrom, selTo) (0: none)
	selTo    int64
}

// durText formats a bucket or range length: 5s, 15m, 3h, 7d.
func durText(s int64) string {
	switch {
	case s%86400 == 0:
		return itoa(int(s/86400)) + "d"
	case s%3600 == 0:
		return itoa(int(s/3600)) + "h"
	case s%60 == 0:
		return itoa(int(s/60)) + "m"
	}
	return itoa(int(s)) + "s"
}

// drawChart draws a chart of exactly h lines of w cells: a title line,
// then the ACCEPT panel over the REJECT panel, each labelled with its
// peak, sharing the time axis at the bottom. It is pure, for tests and
// benchmarks.
func drawChart(t *Theme, w, h int, in chartInput, sc *chartScratch) string {
	if sc == nil {
		sc = &chartScratch{}
	}
	out := make([]string, 0, h)
	metric := in.metric.String()
	title := " " + t.Label.Render(metric)
	if in.win.bucket > 0 {
		title = " " + t.Label.Render(metric+" per "+durText(in.win.bucket))
	}
	var acc, rej []uint64
	var accSum, rejSum uint64
	cur := -1 // the cursor's bucket, when it is in the window
	n := in.win.n()
	if in.have && in.err == nil && n > 0 {
		acc, rej = make([]uint64, n), make([]uint64, n)
		for _, b := range in.buckets {
			k := int((b.Start - in.win.from) / in.win.bucket)
			if k < 0 || k >= n {
				continue
			}
			acc[k] = in.metric.of(b.ByAction[model.ActionAccept])
			rej[k] = in.metric.of(b.ByAction[model.ActionReject])
			accSum += acc[k]
			rejSum += rej[k]
		}
		if in.cur >= in.win.from && in.cur < in.win.to {
			cur = int((in.cur - in.win.from) / in.win.bucket)
		}
		// The cursor or the selected range says more than the window,
		// whose ends the time axis shows.
		switch {
		case in.selFrom != 0:
			title = " " + t.Label.Render("selected "+rangeText(in.selFrom, in.selTo)) + t.Muted.Render(" · enter: filter to it")
		case cur >= 0:
			title = " " + t.Label.Render("▲ "+rangeText(in.cur, in.cur+in.win.bucket)) + t.Muted.Render(" · v: select a range")
		default:
			title += t.Muted.Render(" · " + durText(in.win.to-in.win.from) + " " + rangeText(in.win.from, in.win.to))
		}
		if in.panned {
			title += t.Muted.Render(" · earlier (] later)")
		}
	}
	if in.partial {
		title += " " + t.Warn.Render("partial: "+model.HumanCount(in.evicted)+" evicted rows not counted")
	}
	if in.busy {
		title += t.Muted.Render(" · charting…")
	}
	title += in.remote
	out = append(out, fitLine(title, w))
	switch {
	case in.err != nil:
		out = append(out, fitLine(t.Error.Render(" cannot chart: "+model.Sanitize(in.err.Error())), w))
		return fillLines(out, w, h)
	case !in.have:
		out = append(out, fitLine(t.Muted.Render(" charting…"), w))
		return fillLines(out, w, h)
	case h < 8 || w < 30:
		out = append(out, fitLine(t.Muted.Render(" too small for a chart"), w))
		return fillLines(out, w, h)
	}
	plot := h - 1 - 4 // title; two panel labels; the time axis and its labels
	pa := (plot + 1) / 2
	pr := plot - pa
	accMax, rejMax := maxOf(acc), maxOf(rej)
	lw := 1
	for _, v := range []uint64{accMax, rejMax} {
		lw = max(lw, width(in.metric.text(v)))
	}
	label := func(name string, st lipgloss.Style, vals []uint64, sum, peak uint64) string {
		at := ""
		if cur >= 0 {
			at = t.Label.Render(" ▲ "+in.metric.text(vals[cur])) + t.Muted.Render(" ·")
		}
		return fitLine(" "+st.Render(name)+at+t.Muted.Render(" total "+in.metric.text(sum)+" · peak "+
			in.metric.text(peak)+" per "+durText(in.win.bucket)), w)
	}
	out = append(out, label("ACCEPT", t.Accept, acc, accSum, accMax))
	out = append(out, drawPanel(sc.canvas(0, w, pa), t, t.Accept, lw, acc, accMax, in, false)...)
	out = append(out, label("REJECT", t.Reject, rej, rejSum, rejMax))
	out = append(out, drawPanel(sc.canvas(1, w, pr+2), t, t.Reject, lw, rej, rejMax, in, true)...)
	return fillLines(out, w, h)
}

func maxOf(vs []uint64) uint64 {
	var m uint64
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}

// chartScratch keeps the two panels' canvases between drawings: a canvas
// cell holds a whole style, and allocating them anew for every frame costs
// more than drawing.
type chartScratch struct {
	panels [2]*canvas.Model
}

// canvas returns panel i's canvas, blank, w x h.
func (sc *chartScratch) canvas(i, w, h int) *canvas.Model {
	c := sc.panels[i]
	if c == nil || c.Width() != w || c.Height() != h {
		nc := canvas.New(w, h)
		sc.panels[i] = &nc
		return &nc
	}
	c.Fill(canvas.Cell{})
	return c
}

// drawPanel draws one panel of h lines on an ntcharts canvas: the value
// axis with its top, middle and zero labels (lw cells wide), one column of
// eighth blocks per bucket (buckets share columns when there are more
// buckets than columns), and with timeAxis the time axis and its labels
// on the last two lines.
func drawPanel(c *canvas.Model, t *Theme, barStyle lipgloss.Style, lw int, vals []uint64, top uint64, in chartInput, timeAxis bool) []string {
	w, h := c.Width(), c.Height()
	axisX := lw + 1
	baseY := h - 1 // the lowest row of bars
	if timeAxis {
		baseY = h - 3
		graph.DrawXYAxis(c, canvas.Point{X: axisX, Y: h - 2}, t.Axis)
	} else {
		graph.DrawVerticalLineUp(c, canvas.Point{X: axisX, Y: h - 1}, t.Axis)
	}
	rows := baseY + 1
	gw := w - axisX - 1
	n := len(vals)
	if gw <= 0 || n == 0 {
		return canvasLines(c, t, barStyle)
	}
	// The value axis: top, middle and zero.
	setLabel := func(y int, v uint64) {
		s := in.metric.text(v)
		c.SetString(canvas.Point{X: lw - width(s), Y: y}, s)
	}
	setLabel(baseY, 0)
	if top > 0 {
		setLabel(0, top)
		if rows >= 5 {
			setLabel(baseY-rows/2, top/2)
		}
	}
	// Bars: each column shows the buckets mapped onto it.
	scale := top * uint64(max(1, (n+gw-1)/gw))
	for x := 0; x < gw; x++ {
		b0, b1 := bucketsAt(x, n, gw)
		var v uint64
		for _, bv := range vals[b0:b1] {
			v += bv
		}
		if v == 0 || scale == 0 {
			continue
		}
		hgt := max(float64(v)/float64(scale)*float64(rows), 0.125)
		graph.DrawColumnBottomToTop(c, canvas.Point{X: axisX + 1 + x, Y: baseY}, hgt, barStyle)
	}
	if timeAxis {
		drawTimeLabels(c, axisX, h-1, gw, in.win)
		drawSelection(c, axisX, h-2, gw, in)
	}
	return canvasLines(c, t, barStyle)
}

// drawSelection marks the selected range (═) and the cursor (▲) on the
// time axis.
func drawSelection(c *canvas.Model, axisX, y, gw int, in chartInput) {
	n := in.win.n()
	if n == 0 {
		return
	}
	at := func(ts int64, r rune, whole bool) {
		if ts < in.win.from || ts >= in.win.to {
			return
		}
		k := int((ts - in.win.from) / in.win.bucket)
		x0, x1 := columnOf(k, n, gw), columnOf(k+1, n, gw)
		if !whole {
			x1 = x0 + 1
		}
		for x := x0; x < max(x1, x0+1) && x < gw; x++ {
			c.SetRune(canvas.Point{X: axisX + 1 + x, Y: y}, r)
		}
	}
	if in.selFrom != 0 {
		for ts := in.selFrom; ts < in.selTo; ts += in.win.bucket {
			at(ts, '═', true)
		}
	}
	if in.cur != 0 {
		at(in.cur, '▲', false)
	}
}

// bucketsAt returns the buckets [b0, b1) column x of gw shows, out of n:
// with fewer buckets than columns each bucket is gw/n columns wide (the
// last one left blank as a gap when that is 3 or more), with more, columns
// sum adjacent buckets.
func bucketsAt(x, n, gw int) (int, int) {
	if n <= gw {
		cw := gw / n
		b := x / cw
		if b >= n || cw >= 3 && x%cw == cw-1 {
			return 0, 0
		}
		return b, b + 1
	}
	b0 := x * n / gw
	return b0, max((x+1)*n/gw, b0+1)
}

// columnOf returns the first column of bucket k (see bucketsAt).
func columnOf(k, n, gw int) int {
	if n <= gw {
		return k * (gw / n)
	}
	return k * gw / n
}

// drawTimeLabels writes clock times under the time axis at bucket
// boundaries, spaced so they never touch, with "UTC" at the end.
func drawTimeLabels(c *canvas.Model, axisX, y, gw int, win chartWindow) {
	layout := "15:04"
	switch {
	case win.bucket < 60:
		layout = "15:04:05"
	case win.to-win.from > 86400:
		layout = "01-02 15h"
	}
	lwid := len(layout) + 2
	n := win.n()
	// Label every d seconds, d the shortest round duration whose labels
	// do not touch; labels land on multiples of d.
	d := win.bucket * int64(n)
	for _, nd := range []int64{5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		if nd%win.bucket == 0 && columnOf(int(nd/win.bucket), n, gw) >= lwid {
			d = nd
			break
		}
	}
	if d%60 == 0 && layout == "15:04:05" {
		layout = "15:04"
	}
	end := gw - len(" UTC")
	for k := 0; k < n; k++ {
		ts := win.from + int64(k)*win.bucket
		if ts%d != 0 {
			continue
		}
		x := columnOf(k, n, gw)
		if x+len(layout) > end {
			break
		}
		c.SetRune(canvas.Point{X: axisX + 1 + x, Y: y - 1}, runes.LineHorizontalDown)
		c.SetString(canvas.Point{X: axisX + 1 + x, Y: y}, time.Unix(ts, 0).UTC().Format(layout))
	}
	c.SetString(canvas.Point{X: axisX + 1 + end + 1, Y: y}, "UTC")
}

// canvasLines turns a canvas into styled lines. Cells are styled by what
// they hold, a run at a time (block elements: the panel's bars; the rest:
// axis and labels), which costs a few Render calls a line instead of the
// one a cell of canvas.View.
func canvasLines(c *canvas.Model, t *Theme, barStyle lipgloss.Style) []string {
	out := make([]string, 0, c.Height())
	var run []rune
	for y := 0; y < c.Height(); y++ {
		var b strings.Builder
		cls := -1
		flush := func() {
			if len(run) == 0 {
				return
			}
			switch cls {
			case 1:
				b.WriteString(barStyle.Render(string(run)))
			case 2:
				b.WriteString(t.Axis.Render(string(run)))
			default:
				b.WriteString(string(run))
			}
			run = run[:0]
		}
		for x := 0; x < c.Width(); x++ {
			r := c.Cell(canvas.Point{X: x, Y: y}).Rune
			if r == 0 || r == ' ' {
				// A blank joins whatever run it is in: no style used here
				// has a background, so it looks the same in any of them.
				run = append(run, ' ')
				continue
			}
			k := 2
			if runes.IsLowerBlockElement(r) {
				k = 1
			}
			if k != cls {
				flush()
				cls = k
			}
			run = append(run, r)
		}
		flush()
		out = append(out, b.String())
	}
	return out
}

package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// R: the question on screen (Groups' group-by, Chart's series), or the
// records of a group shown from a remote answer, asked of the remote
// engine the explorer was started with (--engine athena|insights). The
// root prepares it in a command (Athena reads the table's layout), shows
// its scope for confirmation, runs it in a goroutine whose progress
// arrives as messages (Update never waits on it), stops it on esc, and
// hands the answer to the view that asked, marked as remote. Records are
// loaded into an index of their own and shown in Flows as a drill-down
// level (back returns to the live data).

// Remote runs the explorer's questions on a remote engine; cmd/flowlens
// builds it from --engine and its flags.
type Remote interface {
	// Engine names the engine ("athena", "insights").
	Engine() string
	// Prepare renders q for the engine (it may call the engine's API, as
	// Athena reads the table's partitions) and returns what it will run.
	Prepare(ctx context.Context, q RemoteQuestion) (*RemoteRun, error)
}

// RemoteQuestion is what R asks: the applied filter with a group-by, a
// series, or records (neither).
type RemoteQuestion struct {
	Filter *filter.Filter
	Group  *model.GroupQuery // a group-by (Groups)
	Series int64             // a series in buckets of this many seconds (Chart)
	Limit  int               // records at most
}

// RemoteRun is a prepared remote question.
type RemoteRun struct {
	Plan  *filter.Plan // the statement and how to read its answer
	Scope string       // what it reads, said before it runs
	Notes []string     // anything else the user should know first
	// Run executes it, reporting progress; when ctx ends it stops the
	// query and returns.
	Run func(ctx context.Context, progress func(source.Progress)) (*source.RemoteResult, error)
}

// remoteRecordLimit caps the records enter on a remote group fetches.
const remoteRecordLimit = 1000

// reqRemote asks the root to run a question on the remote engine.
const reqRemote = reqDrill + 1

// remoteAsk is a view's R (or enter on a remote group): its question.
type remoteAsk struct {
	q       RemoteQuestion
	applied *filter.Filter // the applied filter when it was asked
	label   string         // what is asked, for the confirmation and the marks
	win     chartWindow    // Chart: the window of the series
	drill   drillRequest   // records: the group whose records are fetched
}

// remoteMsg is a message of the remote job: the root's own.
type remoteMsg interface {
	tea.Msg
	remoteGen() uint64
}

type (
	// remotePreparedMsg carries a prepared question (or why not).
	remotePreparedMsg struct {
		gen uint64
		run *RemoteRun
		err error
	}
	// remoteProgressMsg is the running query's newest progress.
	remoteProgressMsg struct {
		gen uint64
		p   source.Progress
	}
	// remoteDoneMsg is the end of a run.
	remoteDoneMsg struct {
		gen uint64
		res *source.RemoteResult
		err error
	}
)

func (m remotePreparedMsg) remoteGen() uint64 { return m.gen }
func (m remoteProgressMsg) remoteGen() uint64 { return m.gen }
func (m remoteDoneMsg) remoteGen() uint64     { return m.gen }

// remoteJob is the one remote question in flight (or waiting to be
// confirmed): a new R replaces it.
type remoteJob struct {
	gen     uint64
	from    viewID
	ask     remoteAsk
	run     *RemoteRun
	cancel  context.CancelFunc // set while running
	updates chan tea.Msg       // progress (newest only) and the end
	records int                // drill level showing remote records (0: none)
}

// running reports whether a query is running.
func (j *remoteJob) running() bool { return j != nil && j.cancel != nil }

// engineName is the engine as people spell it.
func engineName(e string) string {
	switch e {
	case "athena":
		return "Athena"
	case "insights":
		return "Logs Insights"
	}
	return e
}

// askRemote prepares a view's question for the engine.
func (m *rootModel) askRemote(from viewID, a remoteAsk) tea.Cmd {
	r := m.cfg.Remote
	if r == nil {
		m.note = "no remote engine: start flowlens with --engine athena or --engine insights (and their flags)"
		return nil
	}
	if m.remote.running() {
		m.note = engineName(r.Engine()) + " is still answering the last question (esc stops it)"
		return nil
	}
	m.remoteGen++
	a.applied = m.env.flt
	m.remote = &remoteJob{gen: m.remoteGen, from: from, ask: a, records: m.remote.levelShown()}
	m.remoteShownOf(from).changed = false
	m.setRemoteNote(from, "preparing the "+engineName(r.Engine())+" query…")
	gen, q := m.remoteGen, a.q
	return func() tea.Msg {
		run, err := r.Prepare(context.Background(), q)
		return remotePreparedMsg{gen: gen, run: run, err: err}
	}
}

// levelShown keeps the drill level of remote records across jobs.
func (j *remoteJob) levelShown() int {
	if j == nil {
		return 0
	}
	return j.records
}

// remoteUpdate handles the remote job's messages.
func (m *rootModel) remoteUpdate(msg remoteMsg) tea.Cmd {
	j := m.remote
	if j == nil || msg.remoteGen() != j.gen {
		return nil // a job replaced or cancelled since
	}
	engine := engineName(m.cfg.Remote.Engine())
	switch msg := msg.(type) {
	case remotePreparedMsg:
		if msg.err != nil {
			m.setRemoteNote(j.from, "")
			m.note = engine + ": " + msg.err.Error()
			return nil
		}
		j.run = msg.run
		m.setRemoteNote(j.from, "")
		desc := msg.run.Scope
		if len(msg.run.Notes) > 0 {
			desc += " (" + strings.Join(msg.run.Notes, "; ") + ")"
		}
		m.pickFor = j.from
		// The scan is not known before the engine runs the query: it is
		// shown, with its price, as the query runs.
		m.choose.Open(chooseRemote, "Run "+j.ask.label+" on "+engine+"? (scan and cost show as it runs)", []choice{
			{"run on " + engine, desc},
			{"cancel", "keep the local answer"},
		}, 0)
	case remoteProgressMsg:
		if m.remoteChanged(j) && j.running() {
			// the applied filter changed: stop paying for this
			j.cancel()
		}
		m.setRemoteNote(j.from, "esc stops "+progressText(msg.p))
		return waitRemote(j.gen, j.updates)
	case remoteDoneMsg:
		j.cancel = nil
		m.setRemoteNote(j.from, "")
		m.remoteShownOf(j.from).stop = nil
		switch {
		case m.remoteChanged(j) && msg.err == nil:
			m.note = "the question changed while " + engine + " answered: its answer was dropped"
			return nil
		case m.remoteChanged(j) && errors.Is(msg.err, source.ErrQueryCancelled):
			m.note = "the question changed: the " + engine + " query was stopped"
			return nil
		case msg.err != nil:
			m.note = model.Sanitize(msg.err.Error())
			return nil
		}
		return m.remoteAnswer(j, msg.res)
	}
	return nil
}

// confirmRemote acts on the confirmation picker: index 0 runs the query.
func (m *rootModel) confirmRemote(i int) tea.Cmd {
	j := m.remote
	if j == nil || j.run == nil || j.running() {
		return nil
	}
	if i != 0 {
		m.remote = nil
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	m.remoteShownOf(j.from).stop = cancel
	j.updates = make(chan tea.Msg, 1)
	run, gen, updates := j.run, j.gen, j.updates
	go func() {
		res, err := run.Run(ctx, func(p source.Progress) {
			// newest only: drop a progress the UI has not taken yet
			select {
			case <-updates:
			default:
			}
			select {
			case updates <- remoteProgressMsg{gen: gen, p: p}:
			default:
			}
		})
		for { // the end must arrive: make room for it
			select {
			case updates <- remoteDoneMsg{gen: gen, res: res, err: err}:
				return
			case <-updates:
			}
		}
	}()
	m.setRemoteNote(j.from, "esc stops "+engineName(m.cfg.Remote.Engine())+" starting…")
	return waitRemote(gen, updates)
}

// waitRemote waits for the job's next message.
func waitRemote(gen uint64, updates <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-updates
		if !ok {
			return remoteDoneMsg{gen: gen, err: fmt.Errorf("remote query ended")}
		}
		return msg
	}
}

// cancelRemote stops the running query (the engine sends
// StopQueryExecution or StopQuery); its end arrives as a message.
func (m *rootModel) cancelRemote() tea.Cmd {
	if m.remote.running() {
		m.remote.cancel()
		m.setRemoteNote(m.remote.from, "stopping the "+engineName(m.cfg.Remote.Engine())+" query…")
	}
	return nil
}

// progressText is a running query's progress for a title line: short,
// the engine's state first.
func progressText(p source.Progress) string {
	s := engineName(p.Engine) + " " + strings.ToLower(p.State) + " · " + source.FormatBytes(p.Scanned) +
		" · ~" + source.FormatCost(p.Cost) + " · " + p.Elapsed.Round(100_000_000).String()
	if p.Note != "" {
		s += " · " + p.Note
	}
	return s
}

// remoteMark says where an answer came from, for the view's title.
func remoteMark(res *source.RemoteResult) string {
	s := engineName(res.Engine) + " · " + source.FormatBytes(res.Scanned) + " scanned · ~" + source.FormatCost(res.Cost)
	if res.Reused {
		s = engineName(res.Engine) + " · reused results, nothing scanned"
	}
	return s
}

// remoteShownOf returns the remote part of a view that can ask (a
// throwaway for the rest).
func (m *rootModel) remoteShownOf(id viewID) *remoteShown {
	switch id {
	case viewGroups:
		return &m.groups.remoteShown
	case viewChart:
		return &m.chart.remoteShown
	}
	return &remoteShown{}
}

// remoteChanged reports whether the question a job answers is no longer
// the one on screen: the view changed it, or the applied filter changed
// (records fetched for a group stand on their own).
func (m *rootModel) remoteChanged(j *remoteJob) bool {
	if j.run != nil && j.run.Plan.Kind == filter.PlanRecords {
		return false
	}
	return m.remoteShownOf(j.from).changed || m.env.flt != j.ask.applied
}

// setRemoteNote shows a job's state in the title of the view that asked.
func (m *rootModel) setRemoteNote(from viewID, note string) {
	switch from {
	case viewGroups:
		m.groups.remoteNote = note
	case viewChart:
		m.chart.remoteNote = note
		m.chart.draw()
	}
}

// remoteAnswer hands a finished job's answer to the view that asked.
func (m *rootModel) remoteAnswer(j *remoteJob, res *source.RemoteResult) tea.Cmd {
	plan := j.run.Plan
	mark := remoteMark(res)
	switch plan.Kind {
	case filter.PlanGroups:
		ans, err := plan.Groups(res.Columns, res.Rows)
		if err != nil {
			m.note = err.Error()
			return nil
		}
		if ans.Truncated {
			mark += " · cut at " + itoa(filter.InsightsMaxRows) + " rows"
		}
		m.groups.showRemote(ans.GroupResult, j.ask.q.Filter, mark)
	case filter.PlanSeries:
		bs, err := plan.Series(res.Columns, res.Rows)
		if err != nil {
			m.note = err.Error()
			return nil
		}
		m.chart.showRemote(bs, j.ask.win, mark)
	case filter.PlanRecords:
		return m.showRemoteRecords(j, res, plan, mark)
	}
	return nil
}

// showRemoteRecords loads fetched records into an index of their own and
// shows them in Flows as a drill-down level over the group's filter; the
// live index is untouched and back returns to it.
func (m *rootModel) showRemoteRecords(j *remoteJob, res *source.RemoteResult, plan *filter.Plan, mark string) tea.Cmd {
	lines, err := plan.RecordLines(res.Columns, res.Rows)
	if err != nil {
		m.note = err.Error()
		return nil
	}
	ix := model.NewIndex(64 << 20)
	ix.Ingest(&model.Batch{Source: res.Engine, Object: res.ID, Data: lines, Format: plan.Format, Line: 1, EOF: true})
	snap := ix.Publish()
	f := j.ask.q.Filter
	label := engineName(res.Engine) + ": " + j.ask.drill.label
	if len(res.Rows) >= j.ask.q.Limit {
		label += " (first " + itoa(j.ask.q.Limit) + ")"
	}
	m.pushLevel(label)
	m.remote.records = len(m.drills)
	m.env.expr, m.env.flt = f.String(), f
	m.env.sel, m.env.selSnap, m.env.pending = model.SelectAll(snap), snap, false
	m.status.flash(itoa(len(res.Rows))+" records from "+mark+" (esc: back to the live data)", false)
	return tea.Batch(m.switchTo(viewFlows))
}

// showingRemoteRecords reports whether Flows shows fetched records (the
// applied filter's local results must not replace them).
func (m *rootModel) showingRemoteRecords() bool {
	return m.remote != nil && m.remote.records > 0 && len(m.drills) >= m.remote.records
}

// remoteShown is what Groups and Chart keep of R: the mark of a remote
// answer on screen (with the applied filter it answers) and the state of
// a question in flight, both shown in the title.
type remoteShown struct {
	remote     string         // the answer on screen came from the engine ("" = local)
	remoteFlt  *filter.Filter // the applied filter it answers
	remoteNote string         // a remote question in flight: its progress
	changed    bool           // the view's question changed since it asked
	stop       func()         // stops the query in flight (set by the root while it runs)
}

// questionChanged notes that the view asks something else now: an answer
// on its way no longer fits, and the query in flight is stopped.
func (r *remoteShown) questionChanged() {
	if r.remoteNote != "" {
		r.changed = true
		if r.stop != nil {
			r.stop()
		}
	}
}

// keepRemote reports whether a remote answer stays on screen: until the
// applied filter changes (then the caller drops it and refreshes).
func (r *remoteShown) keepRemote(e *env) bool { return r.remote != "" && e.flt == r.remoteFlt }

// remoteTitle is the title's remote part.
func (r *remoteShown) remoteTitle(t *Theme) string {
	s := ""
	if r.remote != "" {
		s += " " + t.Warn.Render("["+r.remote+"]")
	}
	if r.remoteNote != "" {
		s += t.Muted.Render(" · " + model.Sanitize(r.remoteNote))
	}
	return s
}

// groupsRemoteAsk is R in Groups: the question on screen.
func (v *groupsView) remoteAsk() (remoteAsk, error) {
	q, err := groupQuery(v.st, v.env.labels)
	if err != nil {
		return remoteAsk{}, err
	}
	return remoteAsk{q: RemoteQuestion{Filter: v.env.flt, Group: &q},
		label: "top " + keyChoice(v.st).label + " by " + metricLabel(v.st)}, nil
}

// recordsAsk is enter on a remote group: its records, fetched.
func (v *groupsView) recordsAsk(row model.GroupRow) (remoteAsk, error) {
	clause, err := drillNode(v.res.Query.Keys, row)
	if err != nil {
		return remoteAsk{}, err
	}
	f, err := v.remoteFlt.And(clause)
	if err != nil {
		return remoteAsk{}, err
	}
	label := v.rowLabel(row)
	return remoteAsk{q: RemoteQuestion{Filter: f, Limit: remoteRecordLimit}, label: "the records of " + label,
		drill: drillRequest{label: label, clause: clause}}, nil
}

// showRemote shows a remote group-by answer, marked, until the question
// or the applied filter changes.
func (v *groupsView) showRemote(res *model.GroupResult, flt *filter.Filter, mark string) {
	v.res, v.err, v.remote, v.remoteFlt = res, nil, mark, flt
	v.st.cursor = 0
	v.clamp()
}

// leaveRemote drops a remote answer: the local one comes back.
func (v *groupsView) leaveRemote() {
	if v.remote != "" {
		v.remote, v.remoteFlt = "", nil
		v.change(v.res != nil)
	}
}

// chartRemoteAsk is R in Chart: the series on screen.
func (v *chartView) remoteAsk() (remoteAsk, error) {
	win := v.window()
	f, err := narrowToWindow(v.env.flt, win)
	if err != nil {
		return remoteAsk{}, err
	}
	return remoteAsk{q: RemoteQuestion{Filter: f, Series: win.bucket}, win: win,
		label: v.metric.String() + " per " + durText(win.bucket) + " over " + durText(win.to-win.from)}, nil
}

// showRemote shows a remote series, marked, until the window or the
// applied filter changes.
func (v *chartView) showRemote(bs []model.Bucket, win chartWindow, mark string) {
	v.data = &seriesMsg{win: win, buckets: bs, rollups: true}
	v.remote, v.remoteFlt = mark, v.env.flt
	v.draw()
}

// leaveRemote drops a remote series.
func (v *chartView) leaveRemote() {
	if v.remote != "" {
		v.remote, v.remoteFlt = "", nil
		v.change(v.data != nil)
	}
}

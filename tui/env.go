package tui

import (
	"context"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// Feed is what the program reads the index from: a *source.Mux, or a
// stand-in in tests.
type Feed interface {
	// Run ingests until ctx ends or every source is done.
	Run(ctx context.Context) error
	// Updates delivers published snapshots, newest only.
	Updates() <-chan *model.Snapshot
	// Done is closed once every source has returned and all is published.
	Done() <-chan struct{}
	// Statuses reports every source's state and counters.
	Statuses() []source.Status
}

var _ Feed = (*source.Mux)(nil)

// Config is what Run needs.
type Config struct {
	// Index is the index the Feed writes; its latest snapshot is read
	// once the Feed is done. Required.
	Index *model.Index
	// Feed runs the sources into Index. Required.
	Feed Feed
	// Filter is the initial filter expression ("" selects everything).
	Filter string
	// Since and Until bound the time window explored (zero: open): the
	// initial filter and every preset are narrowed to the records whose
	// interval meets [Since, Until] (filter.Window), as parsed expressions.
	Since, Until time.Time
	// Names holds the names and rules of the estate (a names file, the
	// demo's estate, EC2 look-ups filling it as records arrive); nil: no
	// names. Flows, Detail, Groups and exports show them, and filters
	// may use name, src-name, dst-name, interface-name and sg.
	Names *vpc.Store
	// Rules looks up the security groups and network ACLs of a
	// conversation's two ends (EC2 look-ups) for the rules w lists beside
	// its verdict. It runs in a command, never on the UI thread, bounded
	// by a timeout; an error (an AccessDenied naming the IAM action) comes
	// with whatever was found. nil: the rules Names holds are used (the
	// demo's estate).
	Rules func(ctx context.Context, q vpc.Query) (*vpc.Config, error)
	// Follow starts the Flows table following new records.
	Follow bool
	// Now is the clock for relative filter times, the ingest rate and the
	// sparkline (nil: time.Now). Tests pin it.
	Now func() time.Time
	// Title names what is explored in the header ("demo", a path, ...).
	Title string
	// NoColor draws with text attributes only. Run also turns it on when
	// the NO_COLOR environment variable is set.
	NoColor bool
	// Logf receives debug logs (nil: discarded). It must not write to the
	// terminal; cmd points it at the --debug-log file.
	Logf func(format string, args ...any)
	// Presets are the questions of the p picker (nil: DefaultPresets).
	// Run fails before the program starts on a preset whose filter, view, key or metric is bad.
	Presets []Preset
	// Multiplexer is the terminal multiplexer between the program and the
	// terminal: "tmux", "screen" or "" (none). Copy (y) wraps its OSC 52
	// sequence for it. Run sets it from $TMUX and $STY when empty.
	Multiplexer string
	// Memory is how --max-memory is shared out (model.NewBudget): the
	// status bar shows the process's resident memory against Memory.Max,
	// and a group-by's scratch space is capped at Memory.Scratch (a
	// grouping that would pass it answers for the newest rows that fit,
	// and says so). Zero: no bound (the status bar shows the index's use
	// of its budget).
	Memory model.Budget
	// Refresh is the shortest time between two redraws caused by data
	// (new records, status polls, live refreshes): keys and the answers
	// to them are drawn at once. 0: DefaultRefresh, or SSHRefresh when
	// SSH_CONNECTION is set. Following at the default keeps a 160x48
	// screen under 8 KB/s while showing the newest records within it.
	Refresh time.Duration
	// procMem reads the process's resident memory (nil: processMemory;
	// tests pin it).
	procMem func() uint64
	// AthenaTable names the table of copied Athena queries (default
	// vpc_flow_logs).
	AthenaTable string
	// ConfigDir is where the filter history is kept across runs ("":
	// os.UserConfigDir()/flowlens; "-": not kept).
	ConfigDir string
	// Remote runs the Groups and Chart questions on a remote engine when R
	// is pressed (nil: R is off).
	Remote Remote
}

// env is the context the root model shares with its views: theme, keys,
// clock, and the data of the moment (latest snapshot, the applied filter's
// selection). The root writes it, in Update; the one exception is follow,
// which the Flows view writes (see doc.go).
type env struct {
	theme *Theme
	keys  *KeyMap
	now   func() time.Time
	logf  func(format string, args ...any)

	snap    *model.Snapshot  // latest snapshot published
	sel     *model.Selection // selection of the applied filter
	selSnap *model.Snapshot  // the snapshot sel was evaluated on
	expr    string           // the applied filter, as shown in the filter bar
	flt     *filter.Filter   // the applied filter, compiled: narrow it with flt.And
	pending bool             // a new filter's first result is on its way
	mem     model.Budget     // Config.Memory
	rss     uint64           // the process's resident memory at the last status poll
	follow  bool             // the Flows table sticks to the newest record (Flows writes it)
	done    bool             // every source has finished
	unseen  []string         // sources that failed since Sources was last opened: the status bar says so until it is

	names    *vpc.Store     // names and rules of the estate (nil: none)
	namesVer uint64         // names version namer and labels were built for
	namer    *source.Namer  // names of rows for View (nil: no names known)
	labels   *source.Labels // labels of the name group keys, kept in step with names

	// rules is Config.Rules: the why view's EC2 look-ups.
	rules func(context.Context, vpc.Query) (*vpc.Config, error)
}

// compile compiles a filter expression against the clock and the names
// of the moment: every filter the explorer applies goes through it.
func (e *env) compile(expr string) (*filter.Filter, error) {
	return filter.CompileOptions(expr, filter.Options{Now: e.now(), Names: e.names.Load()})
}

// nameConfig returns the names of the moment (nil: none).
func (e *env) nameConfig() *vpc.Config {
	if e.labels == nil {
		return nil
	}
	return e.labels.Config
}

// syncNames rebuilds the namer when the names changed, and reports
// whether they did (the root then rebinds a filter that uses names).
func (e *env) syncNames() bool {
	if e.names == nil {
		return false
	}
	v := e.names.Version()
	if v == e.namesVer && e.namer != nil {
		return false
	}
	e.namesVer = v
	cfg := e.names.Load()
	if cfg.Empty() {
		return false
	}
	e.namer = source.NewNamer(cfg)
	e.labels.Config = cfg
	return true
}

// debugf writes a debug log line if logging is on.
func (e *env) debugf(format string, args ...any) {
	if e.logf != nil {
		e.logf(format, args...)
	}
}

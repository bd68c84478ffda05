package awstest

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file adds Logs Insights to the CloudWatch Logs fake: StartQuery,
// GetQueryResults and StopQuery, with queries really evaluated over the
// group's events. The language subset is what flowlens emits: fields (with
// computed fields), parse (glob and regex with named groups), filter
// (and/or/not, comparisons, in [...], like /re/, isIpv4InSubnet,
// isIpv6InSubnet, arithmetic), stats (count, sum, count_distinct, avg,
// min, max, strcontains inside them; by fields, bin() or computed fields),
// sort and limit, # comments. Default-format flow-log events get the
// discovered fields Insights gives them (srcAddr, dstPort, ...).

// insightsFields are the fields Insights discovers in default-format flow
// log events, in field order.
var insightsFields = []string{"version", "accountId", "interfaceId", "srcAddr", "dstAddr", "srcPort", "dstPort",
	"protocol", "packets", "bytes", "start", "end", "action", "logStatus"}

// insTime is a timestamp (ms since the epoch).
type insTime int64

func (t insTime) String() string {
	return time.UnixMilli(int64(t)).UTC().Format("2006-01-02 15:04:05.000")
}

// insightsState is the Insights side of the CloudWatch fake.
type insightsState struct {
	queries map[string]*insRun
	order   []string
	next    int
}

type insRun struct {
	id         string
	status     string // Scheduled Running Complete Cancelled Failed
	polls      int
	started    time.Time
	rows       [][][2]string
	matched    int
	scanned    int
	bytes      int
	groups     []string
	query      string
	start, end int64
}

// insights returns the Insights state (mu held).
func (c *CloudWatch) insights() *insightsState {
	if c.ins == nil {
		c.ins = &insightsState{queries: map[string]*insRun{}}
	}
	return c.ins
}

// InsightsQueries returns the query strings of the StartQuery calls received.
func (c *CloudWatch) InsightsQueries() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range c.insights().order {
		out = append(out, c.insights().queries[id].query)
	}
	return out
}

// InsightsStatus returns the status of a query ("" when unknown).
func (c *CloudWatch) InsightsStatus(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if q := c.insights().queries[id]; q != nil {
		return q.status
	}
	return ""
}

// LastInsightsQuery returns the id of the newest query.
func (c *CloudWatch) LastInsightsQuery() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.insights().order
	if len(o) == 0 {
		return ""
	}
	return o[len(o)-1]
}

func (c *CloudWatch) startQuery(w http.ResponseWriter, req map[string]any) {
	groups := strs(req, "logGroupNames")
	if g := str(req, "logGroupName"); g != "" {
		groups = append(groups, g)
	}
	for _, id := range strs(req, "logGroupIdentifiers") {
		groups = append(groups, groupName(map[string]any{"logGroupIdentifier": id}))
	}
	start, okS := num(req, "startTime")
	end, okE := num(req, "endTime")
	qs := str(req, "queryString")
	limit, hasLimit := num(req, "limit")
	switch {
	case len(groups) == 0:
		c.fail(w, http.StatusBadRequest, "InvalidParameterException", "Either logGroupName, logGroupNames or logGroupIdentifiers must be specified")
		return
	case len(groups) > 50:
		c.fail(w, http.StatusBadRequest, "InvalidParameterException", "Up to 50 log groups can be queried at once")
		return
	case !okS || !okE:
		c.fail(w, http.StatusBadRequest, "InvalidParameterException", "startTime and endTime are required")
		return
	case end < start:
		c.fail(w, http.StatusBadRequest, "InvalidParameterException", "endTime must be greater than or equal to startTime")
		return
	case hasLimit && (limit < 1 || limit > 10000):
		c.fail(w, http.StatusBadRequest, "InvalidParameterException", "limit must be between 1 and 10000")
		return
	}
	if !hasLimit {
		limit = 10000
	}
	q, err := parseInsights(qs)
	if err != nil {
		c.fail(w, http.StatusBadRequest, "MalformedQueryException", err.Error())
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var evs []Event
	var gs []string
	for _, g := range groups {
		e, ok := c.groups[g]
		if !ok {
			c.fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Log group '"+g+"' does not exist for account ID '"+c.Account+"'")
			return
		}
		gs = append(gs, g)
		evs = append(evs, e...)
	}
	now := c.Now()
	var in []Event
	bytes := 0
	for _, e := range evs {
		if e.IngestionTime > now.UnixMilli() || e.Timestamp < start*1000 || e.Timestamp >= (end+1)*1000 {
			continue
		}
		in = append(in, e)
		bytes += len(e.Message)
	}
	st := c.insights()
	st.next++
	run := &insRun{id: fmt.Sprintf("%08x-1111-4000-8000-%012x", st.next, st.next), status: "Scheduled", started: now,
		groups: gs, query: qs, start: start, end: end, scanned: len(in), bytes: bytes}
	rows, matched, err := q.run(in, int(limit))
	if err != nil {
		c.fail(w, http.StatusBadRequest, "MalformedQueryException", err.Error())
		return
	}
	run.rows, run.matched = rows, matched
	st.queries[run.id] = run
	st.order = append(st.order, run.id)
	reply(w, map[string]any{"queryId": run.id})
}

func (c *CloudWatch) getQueryResults(w http.ResponseWriter, req map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.insights().queries[str(req, "queryId")]
	if q == nil {
		c.fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Query does not exist")
		return
	}
	if q.status == "Scheduled" || q.status == "Running" {
		q.polls++
		switch {
		case q.polls <= c.InsightsQueued:
			q.status = "Scheduled"
		case q.polls <= c.InsightsQueued+c.InsightsRunning || c.Now().Sub(q.started) < c.InsightsMinRunTime:
			q.status = "Running"
		default:
			q.status = "Complete"
		}
	}
	frac := 1.0
	switch q.status {
	case "Scheduled":
		frac = 0
	case "Running":
		frac = 0
		if c.InsightsRunning > 0 {
			frac = float64(min(q.polls-c.InsightsQueued, c.InsightsRunning)) / float64(c.InsightsRunning+1)
		}
		if c.InsightsMinRunTime > 0 {
			frac = min(float64(c.Now().Sub(q.started))/float64(c.InsightsMinRunTime), 0.99)
		}
	}
	stats := map[string]any{"recordsMatched": math.Floor(float64(q.matched) * frac), "recordsScanned": math.Floor(float64(q.scanned) * frac),
		"bytesScanned": math.Floor(float64(q.bytes) * frac), "logGroupsScanned": float64(len(q.groups))}
	results := []any{}
	if q.status == "Complete" {
		for _, r := range q.rows {
			row := make([]map[string]string, len(r))
			for i, fv := range r {
				row[i] = map[string]string{"field": fv[0], "value": fv[1]}
			}
			results = append(results, row)
		}
	}
	reply(w, map[string]any{"status": q.status, "results": results, "statistics": stats})
}

func (c *CloudWatch) stopQuery(w http.ResponseWriter, req map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.insights().queries[str(req, "queryId")]
	if q == nil {
		c.fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Query does not exist")
		return
	}
	ok := q.status == "Scheduled" || q.status == "Running"
	if ok {
		q.status = "Cancelled"
	}
	reply(w, map[string]any{"success": ok})
}

// --- the query language ---

type insExpr interface{}

type (
	insLit   struct{ v any }
	insField struct{ name string }
	insRegex struct{ re *regexp.Regexp }
	insNot   struct{ x insExpr }
	insBin   struct {
		op   string
		l, r insExpr
	}
	insIn struct {
		x    insExpr
		list []insExpr
		not  bool
	}
	insLike struct {
		x   insExpr
		re  *regexp.Regexp
		sub string
		not bool
	}
	insCall struct {
		name string
		args []insExpr
		star bool
	}
	insPeriod struct{ ms int64 }
)

type insNamed struct {
	x    insExpr
	name string
}

type insCmd struct {
	kind  string // fields display parse filter stats sort limit
	items []insNamed
	by    []insNamed
	src   string         // parse: the field parsed
	glob  *regexp.Regexp // parse: compiled glob or regex
	names []string       // parse: the fields it makes
	cond  insExpr
	field string
	desc  bool
	n     int
}

type insQueryPlan struct{ cmds []insCmd }

type insLexer struct {
	s string
	i int
}

func (l *insLexer) ws() {
	for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t' || l.s[l.i] == '\n' || l.s[l.i] == '\r') {
		l.i++
	}
}

func (l *insLexer) eof() bool { l.ws(); return l.i >= len(l.s) }

func (l *insLexer) peekByte() byte {
	l.ws()
	if l.i < len(l.s) {
		return l.s[l.i]
	}
	return 0
}

func (l *insLexer) errf(format string, args ...any) error {
	return fmt.Errorf("unexpected symbol at position %d: %s", l.i, fmt.Sprintf(format, args...))
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '@' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// word reads an identifier, keyword or number-with-unit.
func (l *insLexer) word() string {
	l.ws()
	j := l.i
	for j < len(l.s) && isIdentByte(l.s[j]) {
		j++
	}
	w := l.s[l.i:j]
	l.i = j
	return w
}

func (l *insLexer) accept(tok string) bool {
	l.ws()
	if strings.HasPrefix(l.s[l.i:], tok) {
		if isIdentByte(tok[len(tok)-1]) && l.i+len(tok) < len(l.s) && isIdentByte(l.s[l.i+len(tok)]) {
			return false
		}
		l.i += len(tok)
		return true
	}
	return false
}

func (l *insLexer) quoted() (string, error) {
	l.ws()
	q := l.s[l.i]
	l.i++
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == '\\' && l.i+1 < len(l.s):
			l.i++
			switch l.s[l.i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(l.s[l.i])
			}
		case c == q:
			l.i++
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
		l.i++
	}
	return "", l.errf("unterminated string")
}

func (l *insLexer) regex() (*regexp.Regexp, error) {
	l.ws()
	if l.i >= len(l.s) || l.s[l.i] != '/' {
		return nil, l.errf("want /regex/")
	}
	l.i++
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		if c == '\\' && l.i+1 < len(l.s) && l.s[l.i+1] == '/' {
			b.WriteByte('/')
			l.i += 2
			continue
		}
		if c == '\\' && l.i+1 < len(l.s) {
			b.WriteByte(c)
			b.WriteByte(l.s[l.i+1])
			l.i += 2
			continue
		}
		if c == '/' {
			l.i++
			re, err := regexp.Compile(b.String())
			if err != nil {
				return nil, fmt.Errorf("invalid regex: %v", err)
			}
			return re, nil
		}
		b.WriteByte(c)
		l.i++
	}
	return nil, l.errf("unterminated regex")
}

// splitCommands splits a query at the pipes that are not inside quotes
// or regexes, dropping # comments.
func splitCommands(s string) []string {
	var out []string
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
			b.WriteByte(c)
		case c == '/' && regexAhead(b.String()):
			quote = c
			b.WriteByte(c)
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '|':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, b.String())
}

var parseHead = regexp.MustCompile(`^\s*parse\s+\S+\s*$`)

// regexAhead reports whether a '/' after the command text so far opens a
// regex: after like, or as the pattern of parse.
func regexAhead(before string) bool {
	t := strings.TrimRight(before, " \t\n\r")
	return strings.HasSuffix(strings.ToLower(t), "like") || parseHead.MatchString(before)
}

func parseInsights(s string) (*insQueryPlan, error) {
	p := &insQueryPlan{}
	for _, part := range splitCommands(s) {
		if strings.TrimSpace(part) == "" {
			continue
		}
		l := &insLexer{s: part}
		kw := strings.ToLower(l.word())
		c := insCmd{kind: kw}
		var err error
		switch kw {
		case "fields", "display":
			c.items, err = l.namedList(true)
		case "filter":
			c.cond, err = l.expr()
		case "parse":
			c.src = l.word()
			if c.src == "" {
				return nil, l.errf("parse: want a field")
			}
			switch l.peekByte() {
			case '"', '\'':
				glob, qerr := l.quoted()
				if qerr != nil {
					return nil, qerr
				}
				if !l.accept("as") {
					return nil, l.errf("parse: want 'as'")
				}
				for {
					n := l.word()
					if n == "" {
						return nil, l.errf("parse: want a field name")
					}
					c.names = append(c.names, n)
					if !l.accept(",") {
						break
					}
				}
				parts := strings.Split(glob, "*")
				if len(parts)-1 != len(c.names) {
					return nil, fmt.Errorf("parse: %d wildcards for %d names", len(parts)-1, len(c.names))
				}
				var rb strings.Builder
				rb.WriteString("^")
				for i, lit := range parts {
					if i > 0 {
						if i == len(parts)-1 && lit == "" {
							rb.WriteString("(.*)")
						} else {
							rb.WriteString("(.*?)")
						}
					}
					rb.WriteString(regexp.QuoteMeta(lit))
				}
				if parts[len(parts)-1] != "" {
					rb.WriteString("$")
				}
				c.glob = regexp.MustCompile(rb.String())
			case '/':
				if c.glob, err = l.regex(); err == nil {
					for _, n := range c.glob.SubexpNames() {
						if n != "" {
							c.names = append(c.names, n)
						}
					}
				}
			default:
				return nil, l.errf("parse: want a glob or a regex")
			}
		case "stats":
			for {
				x, aerr := l.expr()
				if aerr != nil {
					return nil, aerr
				}
				n := insText(x)
				if l.accept("as") {
					n = l.word()
				}
				c.items = append(c.items, insNamed{x, n})
				if !l.accept(",") {
					break
				}
			}
			if l.accept("by") {
				c.by, err = l.namedList(false)
			}
		case "sort":
			c.field = l.word()
			switch strings.ToLower(l.word()) {
			case "desc":
				c.desc = true
			case "asc", "":
			default:
				return nil, l.errf("sort: want asc or desc")
			}
		case "limit":
			n, nerr := strconv.Atoi(l.word())
			if nerr != nil || n < 1 || n > 10000 {
				return nil, fmt.Errorf("limit: want 1 to 10000")
			}
			c.n = n
		default:
			return nil, fmt.Errorf("unknown command %q", kw)
		}
		if err != nil {
			return nil, err
		}
		if !l.eof() {
			return nil, l.errf("%q", l.s[l.i:])
		}
		p.cmds = append(p.cmds, c)
	}
	if len(p.cmds) == 0 {
		return nil, fmt.Errorf("empty query")
	}
	return p, nil
}

func (l *insLexer) namedList(alias bool) ([]insNamed, error) {
	var out []insNamed
	for {
		x, err := l.expr()
		if err != nil {
			return nil, err
		}
		n := insText(x)
		if alias && l.accept("as") {
			n = l.word()
		}
		out = append(out, insNamed{x, n})
		if !l.accept(",") {
			return out, nil
		}
	}
}

// insText is an expression's name in results (a field's own name, or the
// expression as written for the rest).
func insText(x insExpr) string {
	switch x := x.(type) {
	case *insField:
		return x.name
	case *insCall:
		var a []string
		for _, e := range x.args {
			a = append(a, insText(e))
		}
		if x.star {
			a = []string{"*"}
		}
		return x.name + "(" + strings.Join(a, ",") + ")"
	case *insPeriod:
		return strconv.FormatInt(x.ms/1000, 10) + "s"
	case *insLit:
		return fmt.Sprint(x.v)
	}
	return "expr"
}

func (l *insLexer) expr() (insExpr, error) { return l.or() }

func (l *insLexer) or() (insExpr, error) {
	x, err := l.and()
	for err == nil && (l.accept("or") || l.accept("||")) {
		var y insExpr
		if y, err = l.and(); err == nil {
			x = &insBin{"or", x, y}
		}
	}
	return x, err
}

func (l *insLexer) and() (insExpr, error) {
	x, err := l.not()
	for err == nil && (l.accept("and") || l.accept("&&")) {
		var y insExpr
		if y, err = l.not(); err == nil {
			x = &insBin{"and", x, y}
		}
	}
	return x, err
}

func (l *insLexer) not() (insExpr, error) {
	if l.accept("not") || l.accept("!") {
		x, err := l.not()
		return &insNot{x}, err
	}
	return l.cmp()
}

func (l *insLexer) cmp() (insExpr, error) {
	x, err := l.add()
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"<=", ">=", "!=", "=", "<", ">"} {
		if l.accept(op) {
			y, err := l.add()
			return &insBin{op, x, y}, err
		}
	}
	save := l.i
	not := l.accept("not")
	switch {
	case l.accept("in"):
		if !l.accept("[") {
			return nil, l.errf("in: want [")
		}
		in := &insIn{x: x, not: not}
		for {
			e, err := l.add()
			if err != nil {
				return nil, err
			}
			in.list = append(in.list, e)
			if !l.accept(",") {
				break
			}
		}
		if !l.accept("]") {
			return nil, l.errf("in: want ]")
		}
		return in, nil
	case l.accept("like"):
		lk := &insLike{x: x, not: not}
		switch l.peekByte() {
		case '/':
			if lk.re, err = l.regex(); err != nil {
				return nil, err
			}
		case '"', '\'':
			if lk.sub, err = l.quoted(); err != nil {
				return nil, err
			}
		default:
			return nil, l.errf("like: want /regex/ or a string")
		}
		return lk, nil
	}
	l.i = save
	return x, nil
}

func (l *insLexer) add() (insExpr, error) {
	x, err := l.mul()
	for err == nil {
		var op string
		switch {
		case l.accept("+"):
			op = "+"
		case l.peekByte() == '-' && l.i+1 < len(l.s) && l.s[l.i+1] == ' ':
			l.i++
			op = "-"
		default:
			return x, nil
		}
		var y insExpr
		if y, err = l.mul(); err == nil {
			x = &insBin{op, x, y}
		}
	}
	return x, err
}

func (l *insLexer) mul() (insExpr, error) {
	x, err := l.primary()
	for err == nil {
		var op string
		switch {
		case l.accept("*"):
			op = "*"
		case l.peekByte() == '/' && l.i+1 < len(l.s) && l.s[l.i+1] == ' ':
			l.i++
			op = "/"
		case l.accept("%"):
			op = "%"
		default:
			return x, nil
		}
		var y insExpr
		if y, err = l.primary(); err == nil {
			x = &insBin{op, x, y}
		}
	}
	return x, err
}

var periodRE = regexp.MustCompile(`^(\d+)(ms|s|m|h|d|w)$`)

func (l *insLexer) primary() (insExpr, error) {
	switch c := l.peekByte(); {
	case c == '(':
		l.i++
		x, err := l.expr()
		if err != nil {
			return nil, err
		}
		if !l.accept(")") {
			return nil, l.errf("want )")
		}
		return x, nil
	case c == '"' || c == '\'':
		s, err := l.quoted()
		return &insLit{s}, err
	case c == '-':
		l.i++
		x, err := l.primary()
		return &insBin{"-", &insLit{0.0}, x}, err
	case c == 0:
		return nil, l.errf("unexpected end of query")
	}
	w := l.word()
	if w == "" {
		return nil, l.errf("want an expression")
	}
	if m := periodRE.FindStringSubmatch(w); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		mult := map[string]int64{"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 7 * 86400000}[m[2]]
		return &insPeriod{n * mult}, nil
	}
	if f, err := strconv.ParseFloat(w, 64); err == nil {
		return &insLit{f}, nil
	}
	if !l.accept("(") {
		return &insField{w}, nil
	}
	call := &insCall{name: strings.ToLower(w)}
	if l.accept("*") {
		call.star = true
	} else if !l.accept(")") {
		for {
			a, err := l.expr()
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, a)
			if !l.accept(",") {
				break
			}
		}
	} else {
		return call, nil
	}
	if !l.accept(")") {
		return nil, l.errf("want ) after %s arguments", w)
	}
	return call, nil
}

// --- evaluation ---

type insRow map[string]any

// insNumber reads a value as a number when it is one.
func insNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case insTime:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func insString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case insTime:
		return x.String()
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	}
	return false
}

func insEval(x insExpr, r insRow) (any, error) {
	switch x := x.(type) {
	case *insLit:
		return x.v, nil
	case *insField:
		return r[x.name], nil
	case *insPeriod:
		return float64(x.ms), nil
	case *insNot:
		v, err := insEval(x.x, r)
		return !truthy(v), err
	case *insBin:
		l, err := insEval(x.l, r)
		if err != nil {
			return nil, err
		}
		if x.op == "and" && !truthy(l) {
			return false, nil
		}
		if x.op == "or" && truthy(l) {
			return true, nil
		}
		rv, err := insEval(x.r, r)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "and", "or":
			return truthy(rv), nil
		case "=", "!=", "<", "<=", ">", ">=":
			if l == nil || rv == nil {
				return false, nil
			}
			var n int
			a, okA := insNumber(l)
			b, okB := insNumber(rv)
			if okA && okB {
				n = cmpOrdered(a, b)
			} else {
				n = strings.Compare(insString(l), insString(rv))
			}
			switch x.op {
			case "=":
				return n == 0, nil
			case "!=":
				return n != 0, nil
			case "<":
				return n < 0, nil
			case "<=":
				return n <= 0, nil
			case ">":
				return n > 0, nil
			}
			return n >= 0, nil
		}
		a, okA := insNumber(l)
		b, okB := insNumber(rv)
		if !okA || !okB {
			return nil, nil
		}
		switch x.op {
		case "+":
			return a + b, nil
		case "-":
			return a - b, nil
		case "*":
			return a * b, nil
		case "/":
			if b == 0 {
				return nil, nil
			}
			return a / b, nil
		case "%":
			if b == 0 {
				return nil, nil
			}
			return math.Mod(a, b), nil
		}
	case *insIn:
		v, err := insEval(x.x, r)
		if err != nil || v == nil {
			return false, err
		}
		hit := false
		for _, e := range x.list {
			w, err := insEval(e, r)
			if err != nil {
				return nil, err
			}
			eq, _ := insEval(&insBin{"=", &insLit{v}, &insLit{w}}, nil)
			if eq == true {
				hit = true
			}
		}
		return hit != x.not, nil
	case *insLike:
		v, err := insEval(x.x, r)
		if err != nil || v == nil {
			return false, err
		}
		s := insString(v)
		m := false
		if x.re != nil {
			m = x.re.MatchString(s)
		} else {
			m = strings.Contains(s, x.sub)
		}
		return m != x.not, nil
	case *insCall:
		return insCallEval(x, r)
	}
	return nil, fmt.Errorf("cannot evaluate %T", x)
}

func insCallEval(x *insCall, r insRow) (any, error) {
	args := make([]any, len(x.args))
	for i, a := range x.args {
		v, err := insEval(a, r)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d arguments", x.name, n)
		}
		return nil
	}
	switch x.name {
	case "isipv4insubnet", "isipv6insubnet":
		if err := want(2); err != nil {
			return nil, err
		}
		a, err := netip.ParseAddr(insString(args[0]))
		if err != nil || args[0] == nil {
			return false, nil
		}
		p, err := netip.ParsePrefix(insString(args[1]))
		if err != nil {
			return nil, fmt.Errorf("%s: bad subnet %q", x.name, insString(args[1]))
		}
		if (x.name == "isipv4insubnet") != a.Is4() {
			return false, nil
		}
		return p.Masked().Contains(a), nil
	case "strcontains":
		if err := want(2); err != nil {
			return nil, err
		}
		if args[0] == nil {
			return 0.0, nil
		}
		if strings.Contains(insString(args[0]), insString(args[1])) {
			return 1.0, nil
		}
		return 0.0, nil
	case "concat":
		var b strings.Builder
		for _, a := range args {
			if a == nil {
				return nil, nil
			}
			b.WriteString(insString(a))
		}
		return b.String(), nil
	case "floor", "ceil", "abs":
		if err := want(1); err != nil {
			return nil, err
		}
		f, ok := insNumber(args[0])
		if !ok {
			return nil, nil
		}
		return map[string]func(float64) float64{"floor": math.Floor, "ceil": math.Ceil, "abs": math.Abs}[x.name](f), nil
	case "ispresent":
		if err := want(1); err != nil {
			return nil, err
		}
		return args[0] != nil, nil
	case "datefloor", "bin":
		var t, p float64
		var ok bool
		if x.name == "bin" {
			if err := want(1); err != nil {
				return nil, err
			}
			t, ok = insNumber(r["@timestamp"])
			p, _ = insNumber(args[0])
		} else {
			if err := want(2); err != nil {
				return nil, err
			}
			t, ok = insNumber(args[0])
			p, _ = insNumber(args[1])
		}
		if !ok || p <= 0 {
			return nil, nil
		}
		return insTime(int64(t) - int64(t)%int64(p)), nil
	}
	return nil, fmt.Errorf("unknown function %s", x.name)
}

// discover gives an event the fields Insights finds in it: the system
// fields, and for a default-format flow-log line the flow-log fields.
func discover(e Event, group string) insRow {
	r := insRow{"@timestamp": insTime(e.Timestamp), "@message": e.Message, "@logStream": e.Stream,
		"@log": group, "@ingestionTime": insTime(e.IngestionTime), "@ptr": "ptr-" + e.ID}
	if f := strings.Fields(e.Message); len(f) == len(insightsFields) && f[0] != "version" {
		for i, name := range insightsFields {
			if n, err := strconv.ParseFloat(f[i], 64); err == nil {
				r[name] = n
			} else {
				r[name] = f[i]
			}
		}
	}
	return r
}

// run evaluates the query over the events; it returns the result rows (as
// field/value pairs in output order) and the records matched.
func (q *insQueryPlan) run(evs []Event, limit int) ([][][2]string, int, error) {
	rows := make([]insRow, 0, len(evs))
	for _, e := range evs {
		rows = append(rows, discover(e, ""))
	}
	var shown []string
	seen := map[string]bool{}
	show := func(n string) {
		if !seen[n] {
			seen[n] = true
			shown = append(shown, n)
		}
	}
	stats := false
	matched := -1
	for _, c := range q.cmds {
		switch c.kind {
		case "fields", "display":
			if c.kind == "display" {
				shown, seen = nil, map[string]bool{}
			}
			for _, r := range rows {
				for _, it := range c.items {
					v, err := insEval(it.x, r)
					if err != nil {
						return nil, 0, err
					}
					if v != nil {
						r[it.name] = v
					}
				}
			}
			for _, it := range c.items {
				show(it.name)
			}
		case "parse":
			for _, r := range rows {
				m := c.glob.FindStringSubmatch(insString(r[c.src]))
				if m == nil {
					continue
				}
				if len(c.glob.SubexpNames()) > 0 && c.glob.SubexpNames()[1] != "" {
					for i, n := range c.glob.SubexpNames() {
						if n != "" && i < len(m) {
							r[n] = typedIns(m[i])
						}
					}
					continue
				}
				for i, n := range c.names {
					r[n] = typedIns(m[i+1])
				}
			}
		case "filter":
			kept := rows[:0]
			for _, r := range rows {
				v, err := insEval(c.cond, r)
				if err != nil {
					return nil, 0, err
				}
				if truthy(v) {
					kept = append(kept, r)
				}
			}
			rows = kept
		case "stats":
			if matched < 0 {
				matched = len(rows)
			}
			var err error
			if rows, err = insStats(c, rows); err != nil {
				return nil, 0, err
			}
			shown, seen, stats = nil, map[string]bool{}, true
			for _, b := range c.by {
				show(b.name)
			}
			for _, it := range c.items {
				show(it.name)
			}
		case "sort":
			f, desc := c.field, c.desc
			sort.SliceStable(rows, func(i, j int) bool {
				a, b := rows[i][f], rows[j][f]
				if a == nil || b == nil {
					return a != nil
				}
				x, okA := insNumber(a)
				y, okB := insNumber(b)
				var n int
				if okA && okB {
					n = cmpOrdered(x, y)
				} else {
					n = strings.Compare(insString(a), insString(b))
				}
				if desc {
					return n > 0
				}
				return n < 0
			})
		case "limit":
			limit = min(limit, c.n)
		}
	}
	if matched < 0 {
		matched = len(rows)
	}
	if len(rows) > limit {
		rows = rows[:limit]
	}
	if !stats {
		show("@ptr")
	}
	out := make([][][2]string, 0, len(rows))
	for _, r := range rows {
		var fv [][2]string
		for _, n := range shown {
			if v, ok := r[n]; ok && v != nil {
				fv = append(fv, [2]string{n, insString(v)})
			}
		}
		out = append(out, fv)
	}
	return out, matched, nil
}

func typedIns(s string) any {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return s
}

// insStats groups rows by the by-terms and computes the aggregates.
func insStats(c insCmd, rows []insRow) ([]insRow, error) {
	type group struct {
		key  insRow
		rows []insRow
	}
	var groups []*group
	idx := map[string]*group{}
	for _, r := range rows {
		key := insRow{}
		var kb strings.Builder
		for _, b := range c.by {
			var v any
			var err error
			if call, ok := b.x.(*insCall); ok && call.name == "bin" {
				v, err = insCallEval(call, r)
			} else {
				v, err = insEval(b.x, r)
			}
			if err != nil {
				return nil, err
			}
			key[b.name] = v
			kb.WriteString(fmt.Sprintf("%T:%s\x00", v, insString(v)))
		}
		g := idx[kb.String()]
		if g == nil {
			g = &group{key: key}
			idx[kb.String()] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, r)
	}
	if len(c.by) == 0 && len(groups) == 0 {
		groups = []*group{{key: insRow{}}}
	}
	out := make([]insRow, 0, len(groups))
	for _, g := range groups {
		r := insRow{}
		for k, v := range g.key {
			r[k] = v
		}
		for _, it := range c.items {
			call, ok := it.x.(*insCall)
			if !ok {
				return nil, fmt.Errorf("stats: %s is not an aggregate", it.name)
			}
			var vals []any
			for _, row := range g.rows {
				if call.star {
					vals = append(vals, 1.0)
					continue
				}
				if len(call.args) != 1 {
					return nil, fmt.Errorf("%s takes one argument", call.name)
				}
				v, err := insEval(call.args[0], row)
				if err != nil {
					return nil, err
				}
				vals = append(vals, v)
			}
			var res any
			switch call.name {
			case "count":
				n := 0.0
				for _, v := range vals {
					if v != nil {
						n++
					}
				}
				res = n
			case "count_distinct":
				set := map[string]bool{}
				for _, v := range vals {
					if v != nil {
						set[insString(v)] = true
					}
				}
				res = float64(len(set))
			case "sum", "avg", "min", "max":
				var s float64
				n := 0
				var lo, hi float64
				for _, v := range vals {
					f, ok := insNumber(v)
					if !ok {
						continue
					}
					if n == 0 || f < lo {
						lo = f
					}
					if n == 0 || f > hi {
						hi = f
					}
					s += f
					n++
				}
				switch {
				case n == 0:
					res = nil
				case call.name == "sum":
					res = s
				case call.name == "avg":
					res = s / float64(n)
				case call.name == "min":
					res = lo
				default:
					res = hi
				}
			default:
				return nil, fmt.Errorf("unknown aggregate %s", call.name)
			}
			if res != nil {
				r[it.name] = res
			}
		}
		out = append(out, r)
	}
	return out, nil
}

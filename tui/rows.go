package tui

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// colKind is what a Flows column shows.
type colKind uint8

const (
	colTime colKind = iota
	colIface
	colSrc
	colDst
	colProto
	colAction
	colPackets
	colBytes
	colField   // one more field of a custom format (column.field)
	colSrcName // the source's name (names.go)
	colDstName // the destination's name
	colMark    // the interface column's stand-in on a narrow terminal: direction and interface tail (markText)
)

// column is one column of the Flows table. min and pref are widths in
// cells; grow is the widest it may become when space is left over; prio
// orders which base columns are dropped first on a narrow terminal
// (higher goes first, 0 never).
type column struct {
	title string
	kind  colKind
	field model.Field
	min   int
	pref  int
	grow  int
	right bool
	prio  int
	width int // assigned by fitColumns
}

// baseColumns are the columns every record has.
func baseColumns(dated bool) []column {
	tw := 8
	if dated {
		tw = 14
	}
	return []column{
		{title: "time", kind: colTime, min: tw, pref: tw, grow: tw},
		{title: "interface", kind: colIface, min: 9, pref: 21, grow: 21, prio: 3},
		{title: "source", kind: colSrc, min: 15, pref: 21, grow: 47},
		{title: "destination", kind: colDst, min: 15, pref: 21, grow: 47},
		{title: "proto", kind: colProto, min: 5, pref: 6, grow: 6, prio: 2},
		{title: "action", kind: colAction, min: 6, pref: 8, grow: 8},
		{title: "pkts", kind: colPackets, min: 5, pref: 6, grow: 6, right: true, prio: 4},
		{title: "bytes", kind: colBytes, min: 8, pref: 9, grow: 9, right: true, prio: 1},
	}
}

// extraFields are the fields of custom formats worth a column, most useful
// first; they are shown when the snapshot has a format with them and the
// terminal is wide enough.
var extraFields = []struct {
	f     model.Field
	title string
	min   int
	pref  int
}{
	{model.FieldFlowDirection, "dir", 7, 7},
	{model.FieldTCPFlags, "flags", 7, 9},
	{model.FieldPktSrcAddr, "pkt-src", 11, 15},
	{model.FieldPktDstAddr, "pkt-dst", 11, 15},
	{model.FieldTrafficPath, "path", 4, 4},
	{model.FieldVPCID, "vpc", 12, 21},
	{model.FieldSubnetID, "subnet", 12, 24},
	{model.FieldInstanceID, "instance", 12, 19},
	{model.FieldAZID, "az", 8, 8},
	{model.FieldPktSrcAWSService, "src-svc", 8, 12},
	{model.FieldPktDstAWSService, "dst-svc", 8, 12},
	{model.FieldRejectReason, "reject-reason", 8, 13},
	{model.FieldType, "type", 4, 4},
	{model.FieldECSServiceName, "ecs-service", 10, 16},
	{model.FieldResourceID, "resource", 12, 21},
	{model.FieldRegion, "region", 9, 14},
	{model.FieldAccountID, "account", 12, 12},
}

// extraColumns returns the extra columns the snapshot's formats call for.
func extraColumns(formats []*model.Format) []column {
	var have model.FieldSet
	for _, f := range formats {
		have |= f.Set
	}
	var out []column
	for _, e := range extraFields {
		if have.Has(e.f) {
			out = append(out, column{title: e.title, kind: colField, field: e.f, min: e.min, pref: e.pref, grow: e.pref})
		}
	}
	return out
}

// fitColumns chooses the columns and their widths for a table w cells
// wide (the one-cell cursor gutter excluded; one space between columns).
// It keeps the base columns at their minimum, dropping the least useful
// when even that does not fit; grows them to their preferred width; adds
// extra columns while they fit; and gives what is left to the addresses.
func fitColumns(base, extra []column, w int) []column {
	cols := append([]column(nil), base...)
	total := func() int {
		n := len(cols) - 1
		for _, c := range cols {
			n += c.width
		}
		return n
	}
	for i := range cols {
		cols[i].width = cols[i].min
	}
	for total() > w {
		worst := -1
		for i, c := range cols {
			if c.prio > 0 && (worst < 0 || c.prio > cols[worst].prio) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		cols = append(cols[:worst], cols[worst+1:]...)
	}
	// Addresses with their ports matter more than the interface (shown in
	// the detail view): drop it when they could not reach their preferred
	// width otherwise (80 columns, say).
	deficit := 0
	iface := -1
	for i, c := range cols {
		if c.kind == colSrc || c.kind == colDst {
			deficit += max(0, 20-c.width) // 20 cells hold almost every IPv4 address:port
		}
		if c.kind == colIface {
			iface = i
		}
	}
	if iface >= 0 && w-total() < deficit {
		cols = append(cols[:iface], cols[iface+1:]...)
		iface = -1
	}
	// Without the interface column, the two interfaces' records of one
	// flow (the sender's egress, the receiver's ingress) look like a
	// duplicate: a four-cell mark tells them apart. It is worth more than
	// the packet count, which goes when the addresses would be cut for it.
	if iface < 0 && hasKind(base, colIface) {
		cols = append(cols[:1], append([]column{{title: "eni", kind: colMark, min: 4, pref: 4, grow: 4}}, cols[1:]...)...)
		cols[1].width = 4
		if w-total() < deficit {
			for i, c := range cols {
				if c.kind == colPackets {
					cols = append(cols[:i], cols[i+1:]...)
					break
				}
			}
		}
		if total() > w { // too narrow even so: the addresses come first
			cols = append(cols[:1], cols[2:]...)
		}
	}
	// Still too wide (under about 60 cells): narrow the addresses.
	for over := total() - w; over > 0; over = total() - w {
		shrunk := false
		for i := range cols {
			if (cols[i].kind == colSrc || cols[i].kind == colDst) && cols[i].width > 7 && total() > w {
				cols[i].width--
				shrunk = true
			}
		}
		if !shrunk {
			break
		}
	}
	grow := func(kinds ...colKind) {
		for _, k := range kinds {
			for i := range cols {
				if cols[i].kind != k {
					continue
				}
				if room := w - total(); room > 0 {
					cols[i].width += min(room, cols[i].pref-cols[i].width)
				}
			}
		}
	}
	grow(colSrc, colDst, colAction, colBytes, colPackets, colProto, colIface)
	for _, e := range extra {
		if room := w - total() - 1; room >= e.min {
			e.width = min(room, e.pref)
			cols = append(cols, e)
		}
	}
	for room := w - total(); room > 0; room = w - total() {
		grew := false
		for i := range cols {
			if (cols[i].kind == colSrc || cols[i].kind == colDst) && cols[i].width < cols[i].grow && w-total() > 0 {
				cols[i].width++
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	return cols
}

// hasKind reports whether cols has a column of kind k.
func hasKind(cols []column, k colKind) bool {
	for _, c := range cols {
		if c.kind == k {
			return true
		}
	}
	return false
}

// markText is the compact stand-in for the interface and direction
// columns: ↓ for ingress (arriving at the interface), ↑ for egress, ·
// when the format has no flow-direction, then the last three characters
// of the interface id ("↓e2c"), enough to tell a flow's two records
// apart and to match them with the detail view.
func markText(snap *model.Snapshot, sg *model.Seg, i int) string {
	d := "·"
	if e := sg.Enum(model.FieldFlowDirection); e != nil {
		switch model.Direction(e[i]) {
		case model.DirIngress:
			d = "↓"
		case model.DirEgress:
			d = "↑"
		}
	}
	id := strText(snap, sg, i, model.FieldInterfaceID)
	if id == "-" {
		return d + "-"
	}
	return d + id[max(0, len(id)-3):]
}

// rowCells returns the text of row i of sg for each column, sanitized and
// not yet cut to width. It is the pure core of the Flows table.
// nm (nil: none) gives the interface column and the name columns names.
func rowCells(snap *model.Snapshot, sg *model.Seg, i int, cols []column, dated bool, nm *source.Namer, out []string) []string {
	out = out[:0]
	for _, c := range cols {
		if c.kind == colIface || c.kind == colSrcName || c.kind == colDstName {
			if s, ok := nameCell(nm, snap, sg, i, c.kind); ok {
				out = append(out, s)
				continue
			}
			if c.kind != colIface {
				out = append(out, "-")
				continue
			}
		}
		out = append(out, cellText(snap, sg, i, c, dated))
	}
	return out
}

// cellText returns one cell of a row.
func cellText(snap *model.Snapshot, sg *model.Seg, i int, c column, dated bool) string {
	switch c.kind {
	case colTime:
		v, ok := sg.Uint(model.FieldStart, i)
		if !ok {
			return "-"
		}
		t := time.Unix(int64(v), 0).UTC()
		if dated {
			return t.Format("01-02 15:04:05")
		}
		return t.Format("15:04:05")
	case colIface:
		return strText(snap, sg, i, model.FieldInterfaceID)
	case colMark:
		return markText(snap, sg, i)
	case colSrc:
		return endpoint(snap, sg, i, model.FieldSrcAddr, model.FieldSrcPort)
	case colDst:
		return endpoint(snap, sg, i, model.FieldDstAddr, model.FieldDstPort)
	case colProto:
		v, ok := sg.Uint(model.FieldProtocol, i)
		if !ok {
			return "-"
		}
		return model.ProtocolName(uint8(v))
	case colAction:
		if e := sg.Enum(model.FieldAction); e != nil && e[i] != 0 {
			return model.Action(e[i]).String()
		}
		if e := sg.Enum(model.FieldLogStatus); e != nil && e[i] != 0 {
			return model.LogStatus(e[i]).String()
		}
		return "-"
	case colPackets:
		v, ok := sg.Uint(model.FieldPackets, i)
		if !ok {
			return "-"
		}
		return model.HumanCount(v)
	case colBytes:
		v, ok := sg.Uint(model.FieldBytes, i)
		if !ok {
			return "-"
		}
		return model.HumanBytes(v)
	case colField:
		switch c.field {
		case model.FieldTCPFlags:
			v, ok := sg.Uint(model.FieldTCPFlags, i)
			if !ok {
				return "-"
			}
			return model.TCPFlagNames(uint8(v))
		}
		if c.field.Kind() == model.KindString {
			return strText(snap, sg, i, c.field)
		}
		return string(snap.AppendText(nil, sg, i, c.field))
	}
	return ""
}

// strText returns a dictionary string field, sanitized ("-" when absent).
func strText(snap *model.Snapshot, sg *model.Seg, i int, f model.Field) string {
	codes := sg.Codes(f)
	if codes == nil || codes[i] == 0 {
		return "-"
	}
	return model.Sanitize(snap.Strings(f)[codes[i]])
}

// endpoint formats an address and port: 10.0.1.5:443, [2001:db8::1]:443,
// or the address alone when the port is absent.
func endpoint(snap *model.Snapshot, sg *model.Seg, i int, af, pf model.Field) string {
	codes := sg.Codes(af)
	var a netip.Addr
	if codes != nil && codes[i] != 0 {
		a = snap.Addrs[codes[i]]
	}
	p, hasPort := sg.Uint(pf, i)
	if !a.IsValid() {
		if hasPort {
			return "-:" + strconv.FormatUint(p, 10)
		}
		return "-"
	}
	if !hasPort {
		return a.String()
	}
	return netip.AddrPortFrom(a, uint16(p)).String()
}

// appendRow lays out cells into one line of exactly the table's width
// (gutter excluded), cutting each cell with an ellipsis. It returns the
// line and the byte range of the action cell, for colouring.
func appendRow(dst []byte, cells []string, cols []column) (line []byte, actFrom, actTo int) {
	actFrom, actTo = -1, -1
	for k, c := range cols {
		if k > 0 {
			dst = append(dst, ' ')
		}
		s := cells[k]
		switch {
		case c.kind == colSrc || c.kind == colDst:
			s = truncateAddrPort(s, c.width)
		case c.kind == colIface || c.kind == colField && c.field.Kind() == model.KindString:
			s = truncateMiddle(s, c.width)
		}
		if c.kind == colAction {
			actFrom = len(dst)
		}
		dst = appendPad(dst, s, c.width, c.right)
		if c.kind == colAction {
			actTo = len(dst)
		}
	}
	return dst, actFrom, actTo
}

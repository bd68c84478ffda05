package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/flowlens/flowlens/model"
)

// detailView shows one record: every field of its format with the value as
// written and its decoded meaning, then where it came from. It keeps the
// snapshot it was opened on, so the record stays readable even if the
// index evicts it meanwhile.
type detailView struct {
	viewBase
	row    uint64
	snap   *model.Snapshot
	lines  []detailLine
	offset int
}

// detailLine is one line of the detail view: a section title (label
// only, section set) or a field with its value and meaning.
type detailLine struct {
	section bool
	label   string
	value   string
	meaning string
}

// newDetail returns the Detail view.
func newDetail(e *env) *detailView { return &detailView{viewBase: viewBase{env: e}} }

// open shows global row id row of snap.
func (v *detailView) open(snap *model.Snapshot, row uint64) {
	v.snap, v.row, v.offset = snap, row, 0
	v.lines = nil
	if snap == nil {
		return
	}
	if sg, i, ok := snap.Locate(row); ok {
		v.lines = append(detailLines(snap, sg, i), nameLines(v.env.names.Load(), snap, sg, i)...)
	}
}

// Update scrolls; the root handles back.
func (v *detailView) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok {
		if key.Matches(km, v.env.keys.Why) && v.snap != nil {
			if q, ok := whyOfRow(v.snap, v.row); ok {
				v.ask(request{kind: reqWhy, why: q})
			}
			return nil
		}
		v.offset = scroll(v.env.keys, km, v.offset, v.h, max(0, len(v.lines)-v.h))
	}
	return nil
}

// copyItems offers the record shown, from the snapshot it was opened on.
func (v *detailView) copyItems() []copyItem {
	if v.snap == nil {
		return nil
	}
	return recordItems(v.snap, v.row)
}

// View renders exactly h lines of w cells.
func (v *detailView) View() string {
	t := v.env.theme
	out := make([]string, 0, v.h)
	if len(v.lines) == 0 {
		out = append(out, fitLine(t.Muted.Render(" the record is no longer in the index (esc to go back)"), v.w))
	}
	lw := 0
	for _, l := range v.lines {
		if !l.section {
			lw = max(lw, width(l.label))
		}
	}
	vw := min(40, max(12, (v.w-lw-4)/2))
	for i := v.offset; i < len(v.lines) && len(out) < v.h; i++ {
		l := v.lines[i]
		if l.section {
			out = append(out, fitLine(t.Header.Render(" "+l.label), v.w))
			continue
		}
		val := l.value
		if l.meaning == "" {
			out = append(out, fitLine("  "+t.Label.Render(pad(l.label, lw, false))+"  "+truncate(val, v.w-lw-4), v.w))
			continue
		}
		vv := pad(val, vw, false)
		if width(val) > vw {
			vv = val // long values push the meaning right
		}
		line := "  " + t.Label.Render(pad(l.label, lw, false)) + "  " + vv + "  " + t.Muted.Render(l.meaning)
		out = append(out, fitLine(line, v.w))
	}
	for len(out) < v.h {
		out = append(out, strings.Repeat(" ", v.w))
	}
	return strings.Join(out, "\n")
}

// ShortHelp lists the view's keys.
func (v *detailView) ShortHelp() []key.Binding {
	k := v.env.keys
	return []key.Binding{k.Back, k.Up, k.Down, k.Copy}
}

// FullHelp lists the view's keys.
func (v *detailView) FullHelp() [][]key.Binding {
	k := v.env.keys
	return [][]key.Binding{{k.Back, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Export, k.Why}}
}

// detailLines decodes row i of sg: every field of the row's format in
// format order, a derived direction, then provenance. It is a pure
// function of the snapshot, tested without a program.
func detailLines(snap *model.Snapshot, sg *model.Seg, i int) []detailLine {
	f := snap.Format(sg, i)
	var out []detailLine
	out = append(out, detailLine{section: true, label: "Record (format v" + formatVersion(f) + ", " + strconv.Itoa(f.Len()) + " fields)"})
	for col, fld := range f.Fields {
		if fld == model.FieldUnknown {
			name := f.Names[col]
			out = append(out, detailLine{label: model.Sanitize(name), value: model.Sanitize(snap.ExtraText(sg, i, name)), meaning: "field not known to flowlens"})
			continue
		}
		val := string(snap.AppendText(nil, sg, i, fld))
		if fld.Kind() == model.KindString {
			val = model.Sanitize(val)
		}
		out = append(out, detailLine{label: fld.String(), value: val, meaning: meaning(snap, sg, i, fld)})
	}
	if dir := direction(snap, sg, i); dir != "" {
		out = append(out, detailLine{label: "direction", value: dir, meaning: "derived"})
	}
	p := snap.Provenance(sg, i)
	run := sg.Run(i)
	out = append(out, detailLine{section: true, label: "Provenance"})
	out = append(out, detailLine{label: "source", value: model.Sanitize(p.Source)})
	obj := p.Object
	if obj == "" {
		obj = "(the source itself)"
	}
	out = append(out, detailLine{label: "object", value: model.Sanitize(obj)})
	if p.Line > 0 {
		out = append(out, detailLine{label: "line", value: strconv.FormatInt(p.Line, 10)})
	}
	off := strconv.FormatInt(run.Offset, 10)
	if run.Line > 0 && p.Line != run.Line {
		out = append(out, detailLine{label: "offset", value: off, meaning: "byte offset of line " + strconv.FormatInt(run.Line, 10) + ", where this run of lines starts"})
	} else {
		out = append(out, detailLine{label: "offset", value: off, meaning: "byte offset of the line"})
	}
	out = append(out, detailLine{label: "row", value: strconv.FormatUint(sg.Base+uint64(i), 10), meaning: "global row id in the index"})
	return out
}

// formatVersion returns the highest field version in a format.
func formatVersion(f *model.Format) string {
	v := uint8(2)
	for _, fld := range f.Fields {
		if fv := fld.Info().Version; fv > v && fv < 10 {
			v = fv
		}
	}
	return strconv.Itoa(int(v))
}

// meaning decodes one field of a row: names for numbers, classes for
// addresses, times for timestamps; "" when there is nothing to add.
func meaning(snap *model.Snapshot, sg *model.Seg, i int, fld model.Field) string {
	if snap.Absent(sg, i, fld) {
		if e := sg.Enum(model.FieldLogStatus); e != nil && e[i] != 0 && model.LogStatus(e[i]) != model.StatusOK {
			return "absent (" + model.LogStatus(e[i]).String() + ")"
		}
		return "absent"
	}
	u := func() uint64 { v, _ := sg.Uint(fld, i); return v }
	switch fld {
	case model.FieldProtocol:
		return model.ProtocolName(uint8(u()))
	case model.FieldSrcPort, model.FieldDstPort:
		p := u()
		if n := model.PortName(uint16(p)); n != "" {
			return n
		}
		if p >= 32768 {
			return "ephemeral"
		}
		return ""
	case model.FieldTCPFlags:
		return model.TCPFlagNames(uint8(u()))
	case model.FieldTrafficPath:
		return model.TrafficPathName(uint8(u()))
	case model.FieldSrcAddr, model.FieldDstAddr, model.FieldPktSrcAddr, model.FieldPktDstAddr:
		if c := sg.Codes(fld); c != nil && c[i] != 0 {
			return model.AddrClass(snap.Addrs[c[i]]) + " address"
		}
	case model.FieldStart:
		return time.Unix(int64(u()), 0).UTC().Format(time.RFC3339)
	case model.FieldEnd:
		end := u()
		s := time.Unix(int64(end), 0).UTC().Format(time.RFC3339)
		if st, ok := sg.Uint(model.FieldStart, i); ok && end >= st {
			s += " (" + strconv.FormatUint(end-st, 10) + " s after start)"
		}
		return s
	case model.FieldBytes:
		return model.HumanBytes(u())
	case model.FieldPackets:
		return model.HumanCount(u()) + " packets"
	case model.FieldFlowDirection:
		if e := sg.Enum(fld); e != nil && model.Direction(e[i]) == model.DirIngress {
			return "into the interface"
		}
		return "out of the interface"
	case model.FieldAction:
		if e := sg.Enum(fld); e != nil && model.Action(e[i]) == model.ActionReject {
			return "dropped by a security group or network ACL"
		}
		return "allowed by security groups and network ACLs"
	case model.FieldLogStatus:
		if e := sg.Enum(fld); e != nil {
			switch model.LogStatus(e[i]) {
			case model.StatusNoData:
				return "no traffic in the interval"
			case model.StatusSkipData:
				return "records were skipped in the interval"
			}
		}
		return "data logged normally"
	case model.FieldEncryptionStatus:
		return [...]string{"not encrypted", "Nitro-encrypted", "application-encrypted", "both"}[min(u(), 3)]
	}
	return ""
}

// direction says which way the flow went: the flow-direction field when
// the format has it, else inferred from the address classes.
func direction(snap *model.Snapshot, sg *model.Seg, i int) string {
	if e := sg.Enum(model.FieldFlowDirection); e != nil && e[i] != 0 {
		if model.Direction(e[i]) == model.DirIngress {
			return "inbound (flow-direction ingress)"
		}
		return "outbound (flow-direction egress)"
	}
	src, dst := sg.Codes(model.FieldSrcAddr), sg.Codes(model.FieldDstAddr)
	if src == nil || dst == nil || src[i] == 0 || dst[i] == 0 {
		return ""
	}
	sp, dp := model.IsPublic(snap.Addrs[src[i]]), model.IsPublic(snap.Addrs[dst[i]])
	switch {
	case !sp && dp:
		return "outbound (private to public, inferred)"
	case sp && !dp:
		return "inbound (public to private, inferred)"
	case !sp && !dp:
		return "internal (private to private, inferred)"
	}
	return "public to public (inferred)"
}

package filter

import (
	"strings"

	"github.com/flowlens/flowlens/model"
)

// aliases maps the short names of DESIGN §4 (and a few nfdump/tcpdump ones)
// to what they stand for.
var aliases = []struct {
	name string
	ref  Ref
}{
	{"src", Ref{Kind: RefField, Field: model.FieldSrcAddr}},
	{"dst", Ref{Kind: RefField, Field: model.FieldDstAddr}},
	{"sport", Ref{Kind: RefField, Field: model.FieldSrcPort}},
	{"dport", Ref{Kind: RefField, Field: model.FieldDstPort}},
	{"proto", Ref{Kind: RefField, Field: model.FieldProtocol}},
	{"eni", Ref{Kind: RefField, Field: model.FieldInterfaceID}},
	{"status", Ref{Kind: RefField, Field: model.FieldLogStatus}},
	{"dir", Ref{Kind: RefField, Field: model.FieldFlowDirection}},
	{"flags", Ref{Kind: RefField, Field: model.FieldTCPFlags}},
	{"addr", Ref{Kind: RefAddr}},
	{"host", Ref{Kind: RefAddr}},
	{"ip", Ref{Kind: RefAddr}},
	{"net", Ref{Kind: RefAddr}},
	{"port", Ref{Kind: RefPort}},
	{"portrange", Ref{Kind: RefPort}},
	{"source", Ref{Kind: RefSource}},
	{"name", Ref{Kind: RefName, Name: "name"}},
	{"src-name", Ref{Kind: RefName, Name: "src-name"}},
	{"dst-name", Ref{Kind: RefName, Name: "dst-name"}},
	{"interface-name", Ref{Kind: RefName, Name: "interface-name"}},
	{"sg", Ref{Kind: RefGroup}},
}

// qualified resolves tcpdump's "src host", "dst port" and the like.
var qualified = map[string]map[string]Ref{
	"src": {"host": {Field: model.FieldSrcAddr}, "ip": {Field: model.FieldSrcAddr}, "addr": {Field: model.FieldSrcAddr},
		"net": {Field: model.FieldSrcAddr}, "port": {Field: model.FieldSrcPort}, "portrange": {Field: model.FieldSrcPort}},
	"dst": {"host": {Field: model.FieldDstAddr}, "ip": {Field: model.FieldDstAddr}, "addr": {Field: model.FieldDstAddr},
		"net": {Field: model.FieldDstAddr}, "port": {Field: model.FieldDstPort}, "portrange": {Field: model.FieldDstPort}},
}

// normName folds case and drops '-' and '_', so interface-id, interface_id
// and interfaceId (Logs Insights) are one name.
func normName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// refByName maps normalised names to references.
var refByName, nameList = func() (map[string]Ref, []string) {
	m := map[string]Ref{}
	var names []string
	for _, f := range model.AllFields() {
		m[normName(f.String())] = Ref{Kind: RefField, Field: f}
		names = append(names, f.String())
	}
	for _, a := range aliases {
		m[normName(a.name)] = a.ref
		names = append(names, a.name)
	}
	return m, names
}()

// lookupRef resolves a field name or alias (not ${name}).
func lookupRef(name string) (Ref, bool) {
	r, ok := refByName[normName(name)]
	return r, ok
}

// FieldHelp describes one name the filter accepts, for completion and help.
type FieldHelp struct {
	Name     string     // canonical name, e.g. "dstport", "addr", "source"
	Aliases  []string   // other accepted names, e.g. "dport"
	Kind     model.Kind // how values are typed (start and end take times too)
	Field    model.Field
	Doc      string   // one-line meaning
	Values   []string // enum values, protocol or flag names, where the set is closed
	Examples []string // filter expressions using the name
}

// Fields returns every field the filter accepts, in schema order, then the
// either-side names addr and port and the source pseudo-field.
func Fields() []FieldHelp {
	var out []FieldHelp
	alias := map[Ref][]string{}
	for _, a := range aliases {
		if a.ref.Kind != RefName && a.ref.Kind != RefGroup && a.name != "addr" && a.name != "port" && a.name != "source" {
			alias[a.ref] = append(alias[a.ref], a.name)
		}
	}
	for _, f := range model.AllFields() {
		r := Ref{Kind: RefField, Field: f}
		h := FieldHelp{Name: f.String(), Aliases: alias[r], Kind: f.Kind(), Field: f, Doc: f.Info().Doc}
		switch {
		case f.Kind() == model.KindEnum:
			h.Values = append([]string(nil), model.EnumValues(f)...)
			h.Examples = []string{f.String() + " = " + h.Values[len(h.Values)-1]}
		case f == model.FieldProtocol:
			h.Values = append([]string(nil), protoOrder...)
			h.Examples = []string{"protocol = tcp", "proto udp"}
		case f == model.FieldTCPFlags:
			h.Values = []string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "SYN-ACK"}
			h.Examples = []string{"tcp-flags has SYN", "not tcp-flags has ACK"}
		case f == model.FieldStart || f == model.FieldEnd:
			h.Examples = []string{f.String() + " > -15m", f.String() + " >= 2024-06-01T10:00:00Z"}
		case f == model.FieldSrcPort || f == model.FieldDstPort:
			h.Examples = []string{f.String() + " = 22", f.String() + " in (22, 3389)", f.String() + " 1024-65535"}
		case f == model.FieldBytes || f == model.FieldPackets:
			h.Examples = []string{f.String() + " > 10MB"}
		case f.Kind() == model.KindAddr:
			h.Examples = []string{f.String() + " = 10.0.1.25", f.String() + " in 10.0.0.0/8"}
		case f.Kind() == model.KindString:
			h.Examples = []string{f.String() + ` = "x*"`, f.String() + " ~ /regex/"}
		default:
			h.Examples = []string{f.String() + " = 1"}
		}
		out = append(out, h)
	}
	out = append(out,
		FieldHelp{Name: "addr", Aliases: alias[Ref{Kind: RefAddr}], Kind: model.KindAddr,
			Doc: "srcaddr or dstaddr (either side)", Examples: []string{"host 203.0.113.7", "net 10.0.0.0/8", "src net 10.0.0.0/8"}},
		FieldHelp{Name: "port", Aliases: alias[Ref{Kind: RefPort}], Kind: model.KindUint,
			Doc: "srcport or dstport (either side)", Examples: []string{"port 22", "dst port 443", "portrange 1024-65535"}},
		FieldHelp{Name: "source", Kind: model.KindString,
			Doc: "name of the source a row came from", Examples: []string{`source = "s3://bucket/*"`}},
		FieldHelp{Name: "name", Kind: model.KindString,
			Doc: "name of either address or of the interface (EC2 Name tag, --names file)", Examples: []string{"name = web-*"}},
		FieldHelp{Name: "src-name", Kind: model.KindString, Doc: "name of srcaddr", Examples: []string{"src-name = app-*"}},
		FieldHelp{Name: "dst-name", Kind: model.KindString, Doc: "name of dstaddr", Examples: []string{"dst-name = db-1"}},
		FieldHelp{Name: "interface-name", Kind: model.KindString, Doc: "name of the interface that logged the record", Examples: []string{"interface-name = nat-*"}},
		FieldHelp{Name: "sg", Kind: model.KindString,
			Doc: "a security group (id or name) of the interface or of either address's interface", Examples: []string{"sg = sg-0abc", "sg = db"}},
	)
	return out
}

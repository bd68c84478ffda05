package source

import (
	"net/netip"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
)

// Name columns: what headless output, exports and group keys call the
// names of a record's interface and addresses.
const (
	ColInterfaceName = "interface-name"
	ColSrcName       = "src-name"
	ColDstName       = "dst-name"
)

// NameColumns lists the name columns in output order.
var NameColumns = []string{ColInterfaceName, ColSrcName, ColDstName}

// Namer names the rows of an index from one VPC configuration, looking
// each dictionary code up once (not each row): a record's interface and
// addresses are codes, and the names of codes seen before are kept. One
// Namer serves one configuration and one index; it is not safe for
// concurrent use.
type Namer struct {
	cfg   *vpc.Config
	addrs []string // by address code; "" = no name (valid below len)
	ids   []string // by interface-id code
}

// NewNamer returns a Namer over c (nil: no names).
func NewNamer(c *vpc.Config) *Namer { return &Namer{cfg: c} }

// Config returns the configuration the Namer reads.
func (n *Namer) Config() *vpc.Config { return n.cfg }

// Row returns the names of row i's interface, source and destination
// ("" when unknown).
func (n *Namer) Row(snap *model.Snapshot, sg *model.Seg, i int) (iface, src, dst string) {
	if n == nil || n.cfg == nil {
		return "", "", ""
	}
	if cs := sg.Codes(model.FieldInterfaceID); cs != nil && cs[i] != 0 {
		iface = n.idName(snap, cs[i])
	}
	if cs := sg.Codes(model.FieldSrcAddr); cs != nil && cs[i] != 0 {
		src = n.addrName(snap, cs[i])
	}
	if cs := sg.Codes(model.FieldDstAddr); cs != nil && cs[i] != 0 {
		dst = n.addrName(snap, cs[i])
	}
	return iface, src, dst
}

// Cell returns name column col (one of NameColumns) of row i.
func (n *Namer) Cell(snap *model.Snapshot, sg *model.Seg, i int, col string) string {
	iface, src, dst := n.Row(snap, sg, i)
	switch col {
	case ColInterfaceName:
		return iface
	case ColSrcName:
		return src
	case ColDstName:
		return dst
	}
	return ""
}

// AppendJSON appends the known names of row i to a JSON record object
// that dst ends with ('}'): "interface-name", "src-name" and "dst-name",
// each only when known.
func (n *Namer) AppendJSON(dst []byte, snap *model.Snapshot, sg *model.Seg, i int) []byte {
	iface, src, dn := n.Row(snap, sg, i)
	if iface == "" && src == "" && dn == "" || len(dst) == 0 || dst[len(dst)-1] != '}' {
		return dst
	}
	dst = dst[:len(dst)-1]
	for k, v := range [3]string{iface, src, dn} {
		if v == "" {
			continue
		}
		if len(dst) > 0 && dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
		dst = model.AppendJSONString(dst, NameColumns[k])
		dst = append(dst, ':')
		dst = model.AppendJSONString(dst, v)
	}
	return append(dst, '}')
}

func (n *Namer) addrName(snap *model.Snapshot, c uint32) string {
	for len(n.addrs) <= int(c) && len(n.addrs) < len(snap.Addrs) {
		n.addrs = append(n.addrs, n.cfg.NameOfAddr(snap.Addrs[len(n.addrs)]))
	}
	if int(c) < len(n.addrs) {
		return n.addrs[c]
	}
	return ""
}

func (n *Namer) idName(snap *model.Snapshot, c uint32) string {
	ids := snap.Strings(model.FieldInterfaceID)
	for len(n.ids) <= int(c) && len(n.ids) < len(ids) {
		n.ids = append(n.ids, n.cfg.NameOfInterface(ids[len(n.ids)]))
	}
	if int(c) < len(n.ids) {
		return n.ids[c]
	}
	return ""
}

// Labels is a model.Labeler over a VPC configuration: addresses and
// interface ids are labelled with their names, for the src-name,
// dst-name and interface-name group keys.
type Labels struct{ Config *vpc.Config }

// LabelAddr returns the name of a.
func (l Labels) LabelAddr(a netip.Addr) string { return l.Config.NameOfAddr(a) }

// LabelString returns the name of an interface id (other fields have no
// names).
func (l Labels) LabelString(f model.Field, s string) string {
	if f != model.FieldInterfaceID {
		return ""
	}
	return l.Config.NameOfInterface(s)
}

// NameGroupKey returns the group key for a name column (src-name,
// dst-name, interface-name) over c, and false for any other name.
func NameGroupKey(name string, c *vpc.Config) (model.GroupKey, bool) {
	f := model.FieldUnknown
	switch name {
	case ColSrcName:
		f = model.FieldSrcAddr
	case ColDstName:
		f = model.FieldDstAddr
	case ColInterfaceName:
		f = model.FieldInterfaceID
	default:
		return model.GroupKey{}, false
	}
	return model.GroupKey{Field: f, Name: name, Label: &Labels{Config: c}}, true
}

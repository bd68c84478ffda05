package tui

import (
	"net/netip"
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/vpc"
	"github.com/flowlens/flowlens/source"
)

// nameColumns are the Flows columns for the names of the two ends, first
// among the extra columns when names are known.
func nameColumns() []column {
	return []column{
		{title: "src-name", kind: colSrcName, min: 8, pref: 14, grow: 14},
		{title: "dst-name", kind: colDstName, min: 8, pref: 14, grow: 14},
	}
}

// nameCell is the text of a name column (or of the interface column when
// the interface has a name), sanitized; ok is false when no name is known.
func nameCell(nm *source.Namer, snap *model.Snapshot, sg *model.Seg, i int, kind colKind) (string, bool) {
	if nm == nil {
		return "", false
	}
	iface, src, dst := nm.Row(snap, sg, i)
	v := map[colKind]string{colIface: iface, colSrcName: src, colDstName: dst}[kind]
	if v == "" {
		return "", false
	}
	return model.Sanitize(v), true
}

// nameLines are the Detail view's Names section: what the configuration
// says about the interface and both ends (none when nothing is known).
func nameLines(c *vpc.Config, snap *model.Snapshot, sg *model.Seg, i int) []detailLine {
	if c.Empty() {
		return nil
	}
	var out []detailLine
	add := func(label, value, meaning string) {
		if value != "" {
			out = append(out, detailLine{label: label, value: model.Sanitize(value), meaning: meaning})
		}
	}
	if cs := sg.Codes(model.FieldInterfaceID); cs != nil && cs[i] != 0 {
		id := snap.Strings(model.FieldInterfaceID)[cs[i]]
		add("interface-name", c.NameOfInterface(id), "")
		if e := c.Interface(id); e != nil {
			describe(c, e, add)
		}
	}
	for _, f := range []model.Field{model.FieldSrcAddr, model.FieldDstAddr} {
		cs := sg.Codes(f)
		if cs == nil || cs[i] == 0 {
			continue
		}
		a := snap.Addrs[cs[i]]
		label := "src-name"
		if f == model.FieldDstAddr {
			label = "dst-name"
		}
		add(label, c.NameOfAddr(a), endInWords(c, a))
	}
	if len(out) == 0 {
		return nil
	}
	return append([]detailLine{{section: true, label: "Names (EC2, names file or the demo's estate)"}}, out...)
}

// describe adds what an interface is: kind, instance, subnet, VPC and
// security groups.
func describe(c *vpc.Config, e *vpc.Interface, add func(label, value, meaning string)) {
	add("kind", e.Kind(), e.Description)
	if e.InstanceID != "" {
		add("instance", e.InstanceID, e.InstanceName)
	}
	subnet := ""
	if sn := c.Subnet(e.SubnetID); sn != nil {
		subnet = sn.Name
		if sn.CIDR.IsValid() {
			subnet = strings.TrimSpace(subnet + " " + sn.CIDR.String())
		}
	}
	add("subnet", e.SubnetID, subnet)
	add("vpc", e.VPCID, "")
	var gs []string
	for _, g := range e.Groups {
		if sg := c.Group(g); sg != nil && sg.Name != "" && sg.Name != g {
			g += " (" + sg.Name + ")"
		}
		gs = append(gs, g)
	}
	add("security groups", strings.Join(gs, ", "), "")
}

// endInWords says what an address is, for the meaning column:
// "instance, sg web, subnet web-b".
func endInWords(c *vpc.Config, a netip.Addr) string {
	e := c.InterfaceByAddr(a, "")
	if e == nil {
		return ""
	}
	if p := c.Placement(e); p != "" {
		return e.Kind() + ", " + p
	}
	return e.Kind()
}

package model

import "strings"

// Field identifies a known flow-log field. The zero value, FieldUnknown,
// stands for a field name flowlens does not know; such fields are kept as
// strings under their own name and are never rejected.
type Field uint8

// Known fields, in the order AWS introduced them (v2 default order first).
const (
	FieldUnknown Field = iota
	FieldVersion
	FieldAccountID
	FieldInterfaceID
	FieldSrcAddr
	FieldDstAddr
	FieldSrcPort
	FieldDstPort
	FieldProtocol
	FieldPackets
	FieldBytes
	FieldStart
	FieldEnd
	FieldAction
	FieldLogStatus
	// v3
	FieldVPCID
	FieldSubnetID
	FieldInstanceID
	FieldTCPFlags
	FieldType
	FieldPktSrcAddr
	FieldPktDstAddr
	// v4
	FieldRegion
	FieldAZID
	FieldSublocationType
	FieldSublocationID
	// v5
	FieldPktSrcAWSService
	FieldPktDstAWSService
	FieldFlowDirection
	FieldTrafficPath
	// v7
	FieldECSClusterARN
	FieldECSClusterName
	FieldECSContainerInstanceARN
	FieldECSContainerInstanceID
	FieldECSContainerID
	FieldECSSecondContainerID
	FieldECSServiceName
	FieldECSTaskDefinitionARN
	FieldECSTaskARN
	FieldECSTaskID
	// v8
	FieldRejectReason
	// Seen in the wild, not confirmed in the AWS documents read (see
	// flowlogs-reference.md): kept as known fields so they get types.
	FieldResourceID
	FieldEncryptionStatus

	// NumFields is one past the last known field.
	NumFields
)

// Kind is how a field's value is typed and stored.
type Kind uint8

// Field kinds.
const (
	KindString Kind = iota // free text, dictionary-encoded in the index
	KindUint               // unsigned base-10 integer
	KindAddr               // IPv4 or IPv6 address
	KindEnum               // small closed set (action, log-status, flow-direction, type)
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindUint:
		return "number"
	case KindAddr:
		return "address"
	case KindEnum:
		return "enum"
	}
	return "kind?"
}

// FieldInfo describes a known field: what it means, how the parser reads
// it and how the index stores it. The table of FieldInfo rows below is the
// one place these facts live: the record's slots and the index's per-kind
// column tables are derived from it (see layout.go), so adding a field is
// one new row.
type FieldInfo struct {
	Name    string // AWS name, e.g. "account-id"
	Kind    Kind
	Version uint8  // flow-log version that introduced it
	Max     uint64 // largest accepted value for KindUint fields
	// Width is the bytes per value of a KindUint field's index column (1,
	// 2 or 4). A 4-byte column keeps larger values in an overflow list;
	// end is stored as a 2-byte delta from start, with the same escape.
	Width uint8
	// Values lists a KindEnum field's spellings, in code order from 1
	// (code 0 is absent).
	Values []string
	Doc    string // one-line meaning, shown in the detail view and help
}

// maxCounter is the largest packets or bytes value accepted: a larger
// one is refused as out of range (the line is counted as bad), so that a
// few values cannot make a sum wrap; sums that still pass the largest
// uint64 saturate and say so (GroupResult.Saturated, Rollup.Saturated).
const maxCounter = 1<<63 - 1

var fieldInfo = [NumFields]FieldInfo{
	FieldUnknown:                 {Name: "?", Kind: KindString},
	FieldVersion:                 {"version", KindUint, 2, 255, 1, nil, "flow-log version of the format"},
	FieldAccountID:               {"account-id", KindString, 2, 0, 0, nil, "AWS account that owns the interface"},
	FieldInterfaceID:             {"interface-id", KindString, 2, 0, 0, nil, "network interface (ENI) the flow was seen on"},
	FieldSrcAddr:                 {"srcaddr", KindAddr, 2, 0, 0, nil, "source address (for outbound: the interface's primary private IPv4)"},
	FieldDstAddr:                 {"dstaddr", KindAddr, 2, 0, 0, nil, "destination address (for inbound: the interface's primary private IPv4)"},
	FieldSrcPort:                 {"srcport", KindUint, 2, 65535, 2, nil, "source port (0 for portless protocols)"},
	FieldDstPort:                 {"dstport", KindUint, 2, 65535, 2, nil, "destination port (0 for portless protocols)"},
	FieldProtocol:                {"protocol", KindUint, 2, 255, 1, nil, "IANA protocol number"},
	FieldPackets:                 {"packets", KindUint, 2, maxCounter, 4, nil, "packets in the flow during the interval"},
	FieldBytes:                   {"bytes", KindUint, 2, maxCounter, 4, nil, "bytes in the flow during the interval"},
	FieldStart:                   {"start", KindUint, 2, 1<<32 - 1, 4, nil, "first packet of the interval (Unix seconds)"},
	FieldEnd:                     {"end", KindUint, 2, 1<<32 - 1, 2, nil, "last packet of the interval (Unix seconds)"},
	FieldAction:                  {"action", KindEnum, 2, 0, 0, actionValues, "ACCEPT or REJECT (security group / NACL)"},
	FieldLogStatus:               {"log-status", KindEnum, 2, 0, 0, statusValues, "OK, NODATA (no traffic) or SKIPDATA (records dropped)"},
	FieldVPCID:                   {"vpc-id", KindString, 3, 0, 0, nil, "VPC of the interface"},
	FieldSubnetID:                {"subnet-id", KindString, 3, 0, 0, nil, "subnet of the interface"},
	FieldInstanceID:              {"instance-id", KindString, 3, 0, 0, nil, "instance of the interface, if you own it"},
	FieldTCPFlags:                {"tcp-flags", KindUint, 3, 255, 1, nil, "TCP flags OR-ed over the interval (FIN 1, SYN 2, RST 4, SYN-ACK 18)"},
	FieldType:                    {"type", KindEnum, 3, 0, 0, typeValues, "traffic type: IPv4, IPv6 or EFA"},
	FieldPktSrcAddr:              {"pkt-srcaddr", KindAddr, 3, 0, 0, nil, "packet-level (original) source address"},
	FieldPktDstAddr:              {"pkt-dstaddr", KindAddr, 3, 0, 0, nil, "packet-level (final) destination address"},
	FieldRegion:                  {"region", KindString, 4, 0, 0, nil, "region of the interface"},
	FieldAZID:                    {"az-id", KindString, 4, 0, 0, nil, "availability zone ID of the interface"},
	FieldSublocationType:         {"sublocation-type", KindString, 4, 0, 0, nil, "wavelength, outpost or localzone"},
	FieldSublocationID:           {"sublocation-id", KindString, 4, 0, 0, nil, "ID of the sublocation"},
	FieldPktSrcAWSService:        {"pkt-src-aws-service", KindString, 5, 0, 0, nil, "AWS service whose IP range holds pkt-srcaddr"},
	FieldPktDstAWSService:        {"pkt-dst-aws-service", KindString, 5, 0, 0, nil, "AWS service whose IP range holds pkt-dstaddr"},
	FieldFlowDirection:           {"flow-direction", KindEnum, 5, 0, 0, directionValues, "ingress or egress, relative to the interface"},
	FieldTrafficPath:             {"traffic-path", KindUint, 5, 255, 1, nil, "egress path (1 same VPC, 2 IGW/gateway endpoint, 3 VGW, 4/5 peering, 6 local gateway, 7 gateway endpoint, 8 IGW)"},
	FieldECSClusterARN:           {"ecs-cluster-arn", KindString, 7, 0, 0, nil, "ECS cluster ARN"},
	FieldECSClusterName:          {"ecs-cluster-name", KindString, 7, 0, 0, nil, "ECS cluster name"},
	FieldECSContainerInstanceARN: {"ecs-container-instance-arn", KindString, 7, 0, 0, nil, "ECS container instance ARN"},
	FieldECSContainerInstanceID:  {"ecs-container-instance-id", KindString, 7, 0, 0, nil, "ECS container instance ID"},
	FieldECSContainerID:          {"ecs-container-id", KindString, 7, 0, 0, nil, "Docker ID of the task's first container"},
	FieldECSSecondContainerID:    {"ecs-second-container-id", KindString, 7, 0, 0, nil, "Docker ID of the task's second container"},
	FieldECSServiceName:          {"ecs-service-name", KindString, 7, 0, 0, nil, "ECS service name"},
	FieldECSTaskDefinitionARN:    {"ecs-task-definition-arn", KindString, 7, 0, 0, nil, "ECS task definition ARN"},
	FieldECSTaskARN:              {"ecs-task-arn", KindString, 7, 0, 0, nil, "ECS task ARN"},
	FieldECSTaskID:               {"ecs-task-id", KindString, 7, 0, 0, nil, "ECS task ID"},
	FieldRejectReason:            {"reject-reason", KindString, 8, 0, 0, nil, "why traffic was rejected (BPA = VPC Block Public Access)"},
	FieldResourceID:              {"resource-id", KindString, 10, 0, 0, nil, "resource behind the interface (e.g. a NAT gateway)"},
	FieldEncryptionStatus:        {"encryption-status", KindUint, 10, 255, 1, nil, "0 plain, 1 Nitro-encrypted, 2 application-encrypted, 3 both"},
}

var fieldByName = func() map[string]Field {
	m := make(map[string]Field, 2*int(NumFields))
	for f := Field(1); f < NumFields; f++ {
		m[fieldInfo[f].Name] = f
		m[strings.ReplaceAll(fieldInfo[f].Name, "-", "_")] = f
	}
	return m
}()

// Info returns the field's description.
func (f Field) Info() FieldInfo {
	if f >= NumFields {
		return fieldInfo[FieldUnknown]
	}
	return fieldInfo[f]
}

// String returns the AWS field name.
func (f Field) String() string { return f.Info().Name }

// Kind returns how the field is typed.
func (f Field) Kind() Kind { return f.Info().Kind }

// Numeric reports whether JSON output writes the field as a number.
func (f Field) Numeric() bool { return f.Kind() == KindUint }

// LookupField finds a known field by its AWS name; the Parquet spelling with
// underscores (account_id) is accepted too. It reports false for unknown names.
func LookupField(name string) (Field, bool) {
	f, ok := fieldByName[name]
	return f, ok
}

// lookupFieldBytes is LookupField for a byte slice, without allocating.
func lookupFieldBytes(b []byte) (Field, bool) {
	f, ok := fieldByName[string(b)]
	return f, ok
}

// AllFields returns every known field in schema order.
func AllFields() []Field {
	out := make([]Field, 0, NumFields-1)
	for f := Field(1); f < NumFields; f++ {
		out = append(out, f)
	}
	return out
}

// FieldSet is a set of known fields, one bit per Field.
type FieldSet uint64

// Has reports whether f is in the set.
func (s FieldSet) Has(f Field) bool { return s&(1<<f) != 0 }

// With returns the set with f added.
func (s FieldSet) With(f Field) FieldSet { return s | 1<<f }

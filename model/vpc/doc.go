// Package vpc holds what flowlens knows about a VPC's configuration and
// evaluates it: network interfaces and the names people know them by,
// security groups, network ACLs and managed prefix lists (Config), and the
// rule evaluator that says, for one pair of addresses and a port, which
// security-group or ACL rule allows or denies each direction (Evaluate).
//
// Flow logs say only whether traffic was accepted; the configuration says
// by what. The evaluator follows the AWS model (flowlogs-reference.md §6b):
// security groups hold allow rules only, apply per interface and are
// stateful (the reply to allowed traffic is allowed whatever the rules
// say); network ACLs are numbered, the lowest matching rule wins, a final
// catch-all denies, they apply at the subnet boundary (not between two
// interfaces of one subnet) and they are stateless, so the reply is judged
// again, on its ephemeral port, by the ACLs it leaves and enters.
//
// Config values are immutable once built: the EC2 look-ups (package
// source) and the offline names file build new ones, and Store hands the
// newest to readers without locks.
//
// vpc imports only the standard library. It must never import filter,
// source, tui or cmd (nor model: names are joined to records by address
// and interface id, which need no index types).
package vpc

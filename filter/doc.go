// Package filter owns the flowlens query language: the lexer, the parser and
// its AST (every node prints back to a canonical string), type checking
// against the model's field schema, the compiler that turns an expression
// into predicates over the index's columns, the row-by-row reference
// evaluator, and the renderers that push a filter down to CloudWatch Logs
// (filter pattern, Logs Insights) and Athena SQL.
//
// # Language
//
// Field comparisons and tcpdump/nfdump primitives mix freely:
//
//	action = REJECT and dstport in (22, 3389)
//	src net 10.0.0.0/8 and not dst port 443
//	srcaddr in 10.1.0.0/16 and bytes > 10MB
//	proto tcp and tcp-flags has SYN and not tcp-flags has ACK
//	dstport 1024-65535 or host 203.0.113.7
//	interface-id = eni-0a1b* and flow-direction = egress
//
// Every AWS field name is accepted (also in Parquet and Insights spellings:
// account_id, interfaceId), plus the aliases src/dst (addresses), sport/dport,
// proto, eni, status, dir and flags. addr, host, ip and net name either
// address, port and portrange either port; src/dst followed by host, net, ip,
// addr, port or portrange picks one side. A comparison on an either-side
// name is true when either side satisfies it, and "!=" on it means neither
// side is equal. Unknown fields (kept by the parser as strings) are written
// in the log-format syntax, ${my-field}. The pseudo-field source is the name
// of the source a row came from (a glob such as source = "s3://bucket/*").
//
// Names from the VPC configuration (EC2 look-ups or a names file) are
// compared through name (either address or the interface), src-name,
// dst-name and interface-name, and security groups through sg (id or
// name): name = web-*, sg = sg-0abc. They are resolved to address and
// interface-id codes once per compile (CompileOptions with Options.Names;
// see names.go) and are never pushed down.
//
// Operators: = != < <= > >=, in (list), not in, in CIDR, ranges a-b, globs
// with * and ? on strings (quoted or not; use a regex for a literal *),
// ~ /regex/ (RE2, flag i) and !~, has FLAG on tcp-flags (all of the flag's
// bits set), exists FIELD; and/or/not (also && || !), parentheses, and
// juxtaposition, which means and (precedence: not, and, or). A field
// followed directly by a value compares for equality (dstport 22, proto tcp,
// src 10.0.0.1), a range or CIDR tests membership, and a flag name on
// tcp-flags tests the flag (flags SYN). Bare tcp, udp, icmp and icmpv6 mean
// proto X. Numeric values are checked against the field's range.
//
// Values: numbers with SI units k M G T (and kB MB GB TB, all powers of
// 1000), binary units KiB MiB GiB TiB, or B; IPv4 and IPv6 addresses, CIDRs
// and IPv4 wildcards such as 10.0.2.*; protocol names; tcp flag names (FIN
// SYN RST PSH ACK URG ECE CWR SYN-ACK, or nfdump letters such as SA); enum
// values in any case; times for start and end, either RFC 3339 (or a date,
// or a date and time without a zone, UTC), Unix seconds, or relative to the
// compile clock (-15m, -1h30m, +1h, now-2d, now; a bare duration such as
// 15m, 1.5h or 1w means that long ago; units s m h d w); double-quoted
// strings. ParseSize and ParseTime export these grammars of sizes and
// times, so the command line reads --max-memory and --since/--until
// exactly as a filter reads bytes > 2G and start > -1w.
//
// # Combining
//
// Filter text is owned here: Quote and ExactMatch write a value into a
// clause, and Filter.And narrows a filter by a parsed clause (Window turns
// --since/--until into one), so no caller ever pastes two expressions'
// text together and precedence always holds.
//
// # Absent values
//
// A field written as "-" (NODATA and SKIPDATA records, fields a format does
// not have) behaves as SQL NULL: any comparison on it is unknown, and so is
// its negation, so neither "dstport = 22" nor "not dstport = 22" nor
// "dstport != 22" selects a row without dstport. and/or follow SQL's
// three-valued logic and only rows whose whole expression is true are
// selected. Absence is tested explicitly with "dstport = -" (absent),
// "dstport != -" or "exists dstport" (present).
//
// Relative times are resolved once, when the filter is compiled (CompileAt
// takes the clock): a window such as start > -15m does not slide.
//
// # Engine
//
// Compile parses, checks and compiles an expression once. Eval runs it over
// an index snapshot a segment at a time, 64 rows to a bitmap word, with
// SWAR kernels over the raw columns; dictionary-encoded columns (addresses,
// strings) are matched through per-code tables that are built once per
// index and extended as the dictionaries grow. Given the previous result,
// Eval evaluates only rows appended since. Match is the plain row-by-row
// evaluator over model.Record that the engine is tested against.
//
// # Pushdown
//
// Athena renders SQL for the reference DDL (time bounds become day partition
// predicates), Insights and InsightsFormat render Logs Insights queries, and
// CWLPattern renders a filter pattern for space-delimited events together
// with the residual filter that must still run locally. All of them render
// the expression in negation normal form, so SQL NULL semantics carry over
// exactly; the source pseudo-field is never pushed down.
//
// filter imports only model and the standard library. It must never import
// source, tui or cmd.
package filter

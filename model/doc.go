// Package model owns the flow-log record: its schema (every field of
// versions 2 to 8, plus unknown fields kept as strings), formats and header
// lines, the inference of the format of headerless lines (infer.go, run by
// the per-object format tracker in track.go), the allocation-free line
// parser, the columnar live index with its
// memory budget and rollups, aggregation (group-by, top-N, time series) and
// the enrichment tables (protocol and port names, tcp-flags, address class).
//
// model imports only the standard library. It must never import filter,
// source, tui or cmd: everything else in flowlens stands on it.
package model

// Package source holds the Source interface and its implementations: tailed
// files and globs and directories, stdin, S3 listings, CloudWatch Logs
// streams and the demo generator, plus the multiplexer that runs many
// sources into one index through a single ingest goroutine.
//
// Sources deliver raw lines in batches (model.Batch) tagged with their
// provenance and never parse them. source imports model only; it must
// never import filter, tui or cmd.
package source

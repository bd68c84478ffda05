// Package source holds the Source interface and its implementations: tailed
// files and globs and directories, stdin, S3 listings, CloudWatch Logs
// streams and the demo generator, plus the multiplexer that runs many
// sources into one index through a single ingest goroutine.
//
// Sources deliver raw lines in batches (model.Batch) tagged with their
// provenance and never parse them. source imports model only; it must
// never import filter, tui or cmd.
//
// Data flow: Open maps a command-line SOURCE to a Source; NewMux runs
// sources, each in its own goroutine, into one model.Index. Batches wait
// in a bounded queue (back-pressure, never loss) for the single ingest
// goroutine, which parses and appends them and publishes a snapshot at
// most every PublishEvery while data flows; readers take snapshots from
// Mux.Updates (the newest only) and wait on Mux.Done for the end of
// non-following input. Faults (a truncated gzip stream) travel the same
// queue through Report and are counted in the index beside bad lines.
//
// One file per concept: options.go (Options), mux.go, open.go, file.go
// (paths, globs, directories, following and rotation), tail.go (reading
// one file generation, plain or gzip), lines.go (cutting bytes into
// batches of whole lines), watch.go (fsnotify), stdin.go (streams),
// demo.go and demo_estate.go (the generator and its estate).
package source

// Package source holds the Source interface and its implementations: tailed
// files and globs and directories, stdin and named pipes, S3 listings,
// CloudWatch Logs streams, the Firehose HTTP endpoint receiver and the
// demo generator, plus the multiplexer that runs many sources into one
// index, and the EC2 look-ups that name interfaces and addresses.
//
// Sources deliver raw lines in batches (model.Batch) tagged with their
// provenance and never parse them. source imports model (and model/vpc for
// names) only; it must never import filter, tui or cmd.
//
// Data flow: Open maps a command-line SOURCE to a Source; NewMux runs
// sources, each in its own goroutine, into one model.Index. Batches wait
// in a bounded queue (back-pressure, never loss); the goroutine running
// the Mux hands them, in arrival order, to a model.Pipeline, whose workers
// parse them on every core (each object's format tracked across its
// batches) and whose one committer appends them in order, so the index
// keeps a single writer. A snapshot is published at most every
// PublishEvery while data flows; readers take snapshots from Mux.Updates
// (the newest only) and wait on Mux.Done for the end of non-following
// input. Faults (a truncated gzip stream) travel the same queue through
// Report and are counted in the index beside bad lines.
//
// One file per concept (each file's tests beside it):
//   - source.go (the Source interface, Status), options.go (Options),
//     open.go (SOURCE arguments), mux.go (the multiplexer), fault.go
//     (read errors that cut an object short);
//   - file.go (paths, globs, directories, following and rotation),
//     fileid_*.go (file identity per platform), tail.go (reading one file
//     generation, plain or gzip), lines.go (cutting bytes into batches of
//     whole lines), watch.go (fsnotify), stdin.go (streams and pipes);
//   - aws*.go (AWS configuration and its options), s3.go, s3layout.go
//     (delivery layouts and time-pruned listing) and s3read.go (objects:
//     gzip text and Parquet), cloudwatch.go (FilterLogEvents and live
//     tail; formats are inferred by the index, model.InferFormat), firehose*.go (the HTTP endpoint receiver: bodies,
//     records, de-duplication, transport);
//   - ec2*.go and names.go (look-ups of interfaces, instances, security
//     groups and ACLs, their cache, and the name columns);
//   - demo.go, demo_estate.go and demo_vpc.go (the generator, its estate
//     and the estate's names, security groups and ACLs).
package source

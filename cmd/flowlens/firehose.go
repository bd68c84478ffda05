package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/source"
)

// firehoseFlags are the flags of firehose:// receivers. The access key is
// read from a file or the environment, never from a flag value, which
// would show in ps and shell history.
type firehoseFlags struct {
	tlsCert, tlsKey string
	insecure        bool
	keyFile         string
	maxBody         string
}

// keyEnv names the environment variable holding the access key.
const keyEnv = "FLOWLENS_FIREHOSE_ACCESS_KEY"

func (f *firehoseFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.tlsCert, "tls-cert", "", "firehose://: TLS certificate (PEM), read again when it changes")
	fs.StringVar(&f.tlsKey, "tls-key", "", "firehose://: TLS private key (PEM)")
	fs.BoolVar(&f.insecure, "insecure-http", false, "firehose://: serve plain HTTP, for a TLS-terminating proxy or tunnel in front")
	fs.StringVar(&f.keyFile, "firehose-access-key-file", "", "firehose://: file holding the access key requests must carry (or set "+keyEnv+")")
	fs.StringVar(&f.maxBody, "firehose-max-body", "64MiB", "firehose://: largest request body after decompression (413 above)")
}

// apply puts the receiver settings into o: the key from the file, else
// from the environment. A key that is configured but empty is an error,
// never "no key".
func (f *firehoseFlags) apply(o *source.Options) error {
	fo := &o.Firehose
	fo.TLSCert, fo.TLSKey, fo.InsecureHTTP = f.tlsCert, f.tlsKey, f.insecure
	if f.maxBody != "" { // "" (flags not registered): the receiver's default
		n, err := filter.ParseSize(f.maxBody)
		if err != nil || n < 1<<10 {
			return usagef("--firehose-max-body %q: want a size of at least 1KiB, e.g. 64MiB", f.maxBody)
		}
		fo.MaxBody = int64(n)
	}
	switch env, inEnv := os.LookupEnv(keyEnv); {
	case f.keyFile != "":
		b, err := os.ReadFile(f.keyFile)
		if err != nil {
			return usagef("--firehose-access-key-file: %v", err)
		}
		fo.AccessKey = strings.TrimRight(string(b), "\r\n")
		if fo.AccessKey == "" {
			return usagef("--firehose-access-key-file %s is empty: a configured key cannot be empty", f.keyFile)
		}
	case inEnv:
		if env == "" {
			return usagef("%s is set but empty: a configured key cannot be empty (unset it for no key)", keyEnv)
		}
		fo.AccessKey = env
	}
	return nil
}

// announceReceivers tells, on stderr, where each receiver listens, so a
// user (or a script, with :0) knows where to point Firehose or curl.
func announceReceivers(w io.Writer, srcs []source.Source, follow bool) {
	for _, s := range srcs {
		if f, ok := s.(*source.Firehose); ok {
			fmt.Fprintf(w, "flowlens: %s: %s\n", model.Sanitize(f.Name()), model.Sanitize(strings.Join(f.Status().Info, "; ")))
			if !follow {
				fmt.Fprintf(w, "flowlens: %s: without --follow, the answer is printed when you stop the receiver (Ctrl-C)\n", model.Sanitize(f.Name()))
			}
		}
	}
}

// reportCounters writes the counters, notes and recent errors of sources
// that keep counters of their own (a receiver's requests, duplicates,
// rejects by reason) to stderr at the end of a headless run.
func reportCounters(w io.Writer, sts []source.Status) {
	for _, st := range sts {
		if len(st.Counters) == 0 {
			continue
		}
		parts := make([]string, len(st.Counters))
		for i, c := range st.Counters {
			parts[i] = fmt.Sprintf("%d %s", c.Value, c.Name)
		}
		fmt.Fprintf(w, "flowlens: %s: %s\n", model.Sanitize(st.Name), model.Sanitize(strings.Join(parts, ", ")))
		for _, line := range st.Info {
			fmt.Fprintf(w, "  %s\n", model.Sanitize(line))
		}
		for _, e := range st.Errors {
			fmt.Fprintf(w, "  recent error: %s\n", model.Sanitize(e))
		}
	}
}

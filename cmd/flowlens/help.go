package main

import (
	"flag"
	"fmt"
	"strings"
)

// helpError asks for a subcommand's usage on stdout and exit status 0:
// `flowlens query --help` is a question, not a mistake.
type helpError struct{ text string }

func (e *helpError) Error() string { return "help requested" }

// synopses gives each flag set's usage line.
var synopses = map[string]string{
	"flowlens": "flowlens [flags] SOURCE...        (the explorer; `flowlens demo` for the demo estate)",
	"query":    "flowlens query [flags] SOURCE...  (print records or groups, then exit, or --follow)",
	"findings": "flowlens findings [flags] SOURCE...  (the detections: one JSON object per finding, most severe first; exit 3 when --fail-on is reached)",
	"why":      "flowlens why A B [--port P] [flags] SOURCE...  (why can't A talk to B: a verdict from both directions, with evidence)",
	"demo":     "flowlens demo [--rate N] [--seed N] [flags]  (the explorer over the built-in live generator of a demo estate)",
}

// helpText is the usage of a flag set: its synopsis, then every flag
// with its argument, meaning and default, so a flag added anywhere
// shows up here without another list to keep.
func helpText(fs *flag.FlagSet) string {
	var b strings.Builder
	syn := synopses[fs.Name()]
	if syn == "" {
		syn = "flowlens " + fs.Name() + " [flags]"
	}
	fmt.Fprintf(&b, "Usage: %s\n\nSOURCE: a file, a quoted glob, a directory, - (stdin), s3://BUCKET/PREFIX,\n"+
		"        cloudwatch://LOG_GROUP (or cw://), demo\n\nFlags:\n", syn)
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		if arg == "value" {
			arg = ""
		}
		left := "  --" + f.Name
		if arg != "" {
			left += " " + strings.ToUpper(arg)
		}
		if len(left) < 26 {
			left += strings.Repeat(" ", 26-len(left))
		} else {
			left += "\n" + strings.Repeat(" ", 26)
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			def = " (default " + f.DefValue + ")"
		}
		b.WriteString(left + usage + def + "\n")
	})
	b.WriteString("\nExit status: 0 ok, 1 runtime failure (or --strict and an incomplete answer), 2 usage or filter error,\n" +
		"130/143 interrupted by SIGINT/SIGTERM (129: SIGHUP, the explorer).\n")
	return b.String()
}

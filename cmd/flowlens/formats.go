package main

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/flowlens/flowlens/model"
)

// What format inference made of headerless objects is said on stderr as
// soon as a snapshot shows it (while following, too), once per outcome:
// every format it inferred, and every object whose lines it could not
// read, with the --log-format hint. The default format inferred for a
// default-format file is what flowlens always assumed, and goes unsaid.

// formatNotes remembers, per source, how many outcomes were said.
type formatNotes struct {
	mu   sync.Mutex
	said map[string]int
}

// notesByIndex holds the notes of each running query's index, so that
// the one-shot and the following paths of a query share them.
var notesByIndex sync.Map // *model.Index -> *formatNotes

// reportFormats writes the inference outcomes of snap that were not said
// yet for ix.
func reportFormats(w io.Writer, ix *model.Index, snap *model.Snapshot) {
	if snap == nil {
		return
	}
	v, _ := notesByIndex.LoadOrStore(ix, &formatNotes{said: map[string]int{}})
	n := v.(*formatNotes)
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, st := range snap.Sources {
		for _, note := range st.Formats[min(n.said[st.Name], len(st.Formats)):] {
			if note.Format == model.DefaultFormat && strings.HasPrefix(note.Desc, "inferred ") {
				continue
			}
			where := st.Name
			if note.Object != "" && note.Object != st.Name {
				where += ": " + note.Object
			}
			fmt.Fprintf(w, "flowlens: %s: %s\n", model.Sanitize(where), model.Sanitize(note.Desc))
		}
		n.said[st.Name] = len(st.Formats)
	}
}

// forgetFormats drops ix's notes at the end of a query.
func forgetFormats(ix *model.Index) { notesByIndex.Delete(ix) }

package filter

import (
	"testing"

	"github.com/flowlens/flowlens/model"
)

func TestActions(t *testing.T) {
	acc, rej := model.ActionSet{}, model.ActionSet{}
	acc[model.ActionAccept], rej[model.ActionReject] = true, true
	for expr, want := range map[string]*model.ActionSet{
		"":                                       &model.AllActions,
		"action = REJECT":                        &rej,
		"action != REJECT":                       &acc,
		"not action = ACCEPT":                    &rej,
		"action in (ACCEPT) and action = ACCEPT": &acc,
		"action = REJECT and dstport = 22":       nil,
		"action = REJECT or action = ACCEPT":     nil, // an Or is not read: no answer from the rollups
	} {
		got, ok := MustCompile(expr).Actions()
		if want == nil {
			if ok {
				t.Errorf("%q: actions %v, want none (reads more than the action)", expr, got)
			}
			continue
		}
		if !ok || got != *want {
			t.Errorf("%q: %v %v, want %v", expr, got, ok, *want)
		}
	}
}

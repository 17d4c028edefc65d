package sim

import (
	"strings"
	"testing"
)

// TestTypedFieldsInJSONL: the typed fields come after detail, only when
// set, and the text transcript does not show them.
func TestTypedFieldsInJSONL(t *testing.T) {
	plain := Record{Time: 21_000_000, Kind: KindEvent, Node: "a.lit", Peer: "b.lit", Conn: 1, Event: "connect", Detail: "a.lit dials 10.0.0.2:5269"}
	typed := Record{Time: 21_000_000, Kind: KindEvent, Node: "a.lit", Peer: "b.lit", Conn: 1, Event: "connect-failed", Detail: "network: connection refused",
		Reason: "refused", Failure: true}
	out := Record{Kind: KindEvent, Node: "a.lit", Peer: "b.lit", Event: "outcome", Detail: "a.lit -> b.lit: U (no reachable target)",
		Outcome: "U", Condition: "remote-server-timeout", Failure: true}
	tr := &Trace{Records: []Record{plain, typed, out}}
	var b strings.Builder
	if err := tr.WriteJSONL(&b); err != nil {
		t.Fatal(err)
	}
	want := `{"time":0.021,"time_ns":21000000,"conn":1,"from":"a.lit","to":"b.lit","event":"connect","detail":"a.lit dials 10.0.0.2:5269"}
{"time":0.021,"time_ns":21000000,"conn":1,"from":"a.lit","to":"b.lit","event":"connect-failed","detail":"network: connection refused","reason":"refused","failure":true}
{"time":0,"time_ns":0,"conn":0,"from":"a.lit","to":"b.lit","event":"outcome","detail":"a.lit -> b.lit: U (no reachable target)","outcome":"U","condition":"remote-server-timeout","failure":true}
`
	if b.String() != want {
		t.Errorf("JSONL:\n%s\nwant:\n%s", b.String(), want)
	}
	var typedText, plainText strings.Builder
	typed.Event, typed.Detail = plain.Event, plain.Detail
	if err := (&Trace{Records: []Record{typed}}).WriteText(&typedText); err != nil {
		t.Fatal(err)
	}
	if err := (&Trace{Records: []Record{plain}}).WriteText(&plainText); err != nil {
		t.Fatal(err)
	}
	if typedText.String() != plainText.String() {
		t.Errorf("the typed fields show in the transcript:\n%s\nwithout them:\n%s", typedText.String(), plainText.String())
	}
}

package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fedsim/nodes"
	"fedsim/scenarios"
)

func TestExplorerHandlers(t *testing.T) {
	srv := httptest.NewServer(explorerHandler())
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/api/run", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatalf("POST %s: answer is not JSON: %v", body, err)
		}
		return resp.StatusCode, m
	}
	// The page and its assets are embedded; nothing points off-site.
	for _, p := range []string{"/", "/app.js", "/style.css"} {
		code, body := get(p)
		if code != 200 {
			t.Fatalf("GET %s: %d", p, code)
		}
		if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("GET %s refers to another site: the page must work offline", p)
		}
	}
	code, body := get("/api/matrix")
	var m struct {
		Cells []struct{ Initiator, Receiver, Outcome string }
	}
	if code != 200 || json.Unmarshal([]byte(body), &m) != nil || len(m.Cells) != 36 {
		t.Fatalf("GET /api/matrix: %d, %d cells", code, len(m.Cells))
	}
	if code, _ := get("/api/matrix?seed=-1"); code != 400 {
		t.Errorf("GET /api/matrix?seed=-1: %d, want 400", code)
	}
	// The real-server presets: 9×9 cells, the replay names them, and each
	// cell is the one `fedsim matrix --servers` computes.
	code, body = get("/api/matrix?servers=real")
	var rm struct {
		Replay string
		Cells  []struct{ Initiator, Receiver, Outcome string }
	}
	if code != 200 || json.Unmarshal([]byte(body), &rm) != nil || len(rm.Cells) != len(nodes.RealPresets())*len(nodes.RealPresets()) ||
		!strings.Contains(rm.Replay, "--servers prosody-0.12,") {
		t.Fatalf("GET /api/matrix?servers=real: %d, %d cells, replay %q", code, len(rm.Cells), rm.Replay)
	}
	want, err := scenarios.RunPair(scenarios.Pair{Initiator: rm.Cells[1].Initiator, Receiver: rm.Cells[1].Receiver}, scenarios.PairOptions{Seed: 1, NoTrace: true})
	if err != nil || want.Outcome.Letter() != rm.Cells[1].Outcome {
		t.Errorf("cell %+v: RunPair says %v (%v)", rm.Cells[1], want, err)
	}
	if code, body := get("/api/matrix?servers=mine"); code != 400 || !strings.Contains(body, "want xep, real or all") {
		t.Errorf("GET /api/matrix?servers=mine: %d %s, want 400", code, body)
	}

	code, res := post(`{"initiator":"type1","receiver":"type4"}`)
	if code != 200 || res["outcome"] != "U" {
		t.Fatalf("type1 type4: %d %v", code, res["outcome"])
	}
	if err := xml.Unmarshal([]byte(res["svg"].(string)), new(struct{})); err != nil {
		t.Errorf("svg does not parse: %v", err)
	}
	cmds := res["commands"].(map[string]any)
	if cmds["explain"] != "fedsim explain type1 type4 --seed 1" {
		t.Errorf("explain command %q", cmds["explain"])
	}
	// A policy change re-runs the pair: type1 speaking 1.0 with TLS reaches type4.
	code, res = post(`{"initiator":"type1","receiver":"type4","policy_initiator":"version=1.0,initiate_tls=always,accept=V,E"}`)
	if code != 200 || res["outcome"] != "E" {
		t.Fatalf("changed type1: %d %v %v", code, res["outcome"], res["error"])
	}
	if !strings.Contains(res["commands"].(map[string]any)["explain"].(string), "--policy-initiator version=1.0,") {
		t.Errorf("the command does not reproduce the change: %v", res["commands"])
	}
	code, res = post(`{"initiator":"type5","receiver":"type5","faults":["cert-expired:initiator"],"attack":"strip-starttls"}`)
	if code != 200 || res["attack"] == nil {
		t.Fatalf("fault and attack: %d %v", code, res["error"])
	}
	for _, bad := range []struct{ body, want string }{
		{`{"initiator":"type9","receiver":"type4"}`, `unknown kind of server "type9"`},
		{`{"initiator":"type1","receiver":"type4","policy_initiator":"version=2"}`, "version=2: want 1.0 or 0.9"},
		{`{"initiator":"type1","receiver":"type4","policy_receiver":"accept=V"}`, "starttls is required but V"},
		{`{"initiator":"type1","receiver":"type4","cert_receiver":"gold"}`, "want none, self-signed or CA-issued"},
		{`{"initiator":"type1","receiver":"type4","faults":["meteor:receiver"]}`, `unknown fault kind "meteor"`},
		{`{"initiator":"type1","receiver":"type4","attack":"bribe"}`, `--attack "bribe"`},
		{`{"initiator":"type1","colour":"red"}`, "unknown field"},
		{`not json`, "not a run form"},
	} {
		code, res := post(bad.body)
		msg, _ := res["error"].(string)
		if code != 400 || !strings.Contains(msg, bad.want) {
			t.Errorf("POST %s: %d %q, want 400 with %q", bad.body, code, msg, bad.want)
		}
	}
}

func TestServeDefaultsToLoopback(t *testing.T) {
	fs, addr := serveFlags(io.Discard)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*addr, "127.0.0.1:") {
		t.Errorf("default address %s is not loopback", *addr)
	}
}

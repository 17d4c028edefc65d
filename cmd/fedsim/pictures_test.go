package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A sweep writes pictures only into the folder --out names: run from an
// empty working folder, without --out it leaves the folder empty, and
// with --out it adds that folder and nothing else. --pictures without
// --out is refused (exit 2) rather than writing somewhere unasked.
func TestSweepWritesPicturesOnlyUnderOut(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	entries := func() []string {
		var out []string
		filepath.WalkDir(cwd, func(p string, d os.DirEntry, err error) error {
			if p != cwd {
				rel, _ := filepath.Rel(cwd, p)
				out = append(out, rel)
			}
			return err
		})
		return out
	}
	out, errs, code := runCLI("sweep")
	if code != 0 || strings.Contains(out, "picture:") {
		t.Fatalf("sweep without --out: exit %d %s\n%s", code, errs, out)
	}
	if e := entries(); len(e) != 0 {
		t.Fatalf("sweep without --out wrote %v into the working folder", e)
	}
	for _, c := range [][]string{{"sweep", "--pictures", "png"}, {"sweep", "--pictures", "svg"}, {"merge", "--pictures", "svg", "x.json"}} {
		if _, errs, code := runCLI(c...); code != 2 || !strings.Contains(errs, "--out DIR") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a word about --out", c, code, errs)
		}
	}
	out, errs, code = runCLI("sweep", "--out", "pics/a")
	if code != 0 || !strings.Contains(out, "picture: pics/a/sweep-matrix.svg\npicture: pics/a/sweep-times.svg\nReplay: fedsim sweep --seed 1 --out pics/a\n") {
		t.Fatalf("sweep --out pics/a: exit %d %s\n%s", code, errs, out)
	}
	if _, _, code = runCLI("sweep", "--out", "pics/a", "--pictures", "png"); code != 0 {
		t.Fatal("sweep --pictures png failed")
	}
	want := []string{"pics", "pics/a", "pics/a/sweep-matrix.png", "pics/a/sweep-matrix.svg", "pics/a/sweep-times.png", "pics/a/sweep-times.svg"}
	if e := entries(); !slices.Equal(e, want) {
		t.Fatalf("the working folder holds %v, want %v", e, want)
	}
}

// The heat map and the text matrix agree: the same names in the same
// order on both axes, and each cell's outcome where the text has it (the
// real-server presets' names are longer than typeN, and this matrix is
// not symmetric: type2 -> ejabberd-24 is V, ejabberd-24 -> type2 is E, so a
// transposed picture would show).
func TestSweepPictureMatchesTextMatrix(t *testing.T) {
	dir := t.TempDir()
	servers := "type1,type2,ejabberd-24,ejabberd-25.08,openfire,type6"
	out, errs, code := runCLI("sweep", "--servers", servers, "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// The text matrix: a header line of names, then one line per row.
	lines := strings.Split(out, "\n")
	var head int
	for head = range lines {
		if f := strings.Fields(lines[head]); len(f) == 6 && f[0] == "type1" && f[5] == "type6" {
			break
		}
	}
	names := strings.Fields(lines[head])
	text := map[string]string{} // "a → b" -> outcome
	for i, a := range names {
		f := strings.Fields(lines[head+1+i])
		if len(f) != 7 || f[0] != a {
			t.Fatalf("text matrix row %d: %q", i, lines[head+1+i])
		}
		for j, b := range names {
			text[a+" → "+b] = f[1+j]
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "sweep-matrix.svg"))
	if err != nil {
		t.Fatal(err)
	}
	var svg struct {
		Texts []struct {
			Class string `xml:"class,attr"`
			Text  string `xml:",chardata"`
		} `xml:"text"`
		Rects []struct {
			Class string `xml:"class,attr"`
			Title string `xml:"title"`
		} `xml:"rect"`
	}
	if err := xml.Unmarshal(b, &svg); err != nil {
		t.Fatalf("sweep-matrix.svg is not well-formed: %v", err)
	}
	var rows, cols []string
	for _, tx := range svg.Texts {
		switch tx.Class {
		case "row":
			rows = append(rows, tx.Text)
		case "col":
			cols = append(cols, tx.Text)
		}
	}
	if !slices.Equal(rows, names) || !slices.Equal(cols, names) {
		t.Fatalf("picture rows %v, columns %v; the text matrix %v", rows, cols, names)
	}
	cells := 0
	for _, r := range svg.Rects {
		if r.Class != "cell" {
			continue
		}
		pair, outcome, _ := strings.Cut(r.Title, ": ")
		if want := text[pair]; want == "" || !strings.HasPrefix(outcome, want) {
			t.Errorf("picture %q, text matrix %q", r.Title, want)
		}
		cells++
	}
	if text["type2 → ejabberd-24"] != "V" || text["ejabberd-24 → type2"] != "E" {
		t.Errorf("the text matrix no longer tells a transposed picture apart: %v", text)
	}
	if cells != 36 {
		t.Errorf("%d cells in the picture, want 36", cells)
	}
}

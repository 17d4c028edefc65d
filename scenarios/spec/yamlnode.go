package spec

// The loader walks goccy/go-yaml's syntax tree itself instead of
// unmarshalling into structs: that is what lets it report every error of a
// file at once, each at the line and column of the node concerned, and
// phrase it in the scenario format's own words ("expected a duration like
// 150ms") rather than in Go's ("cannot unmarshal !!int into
// time.Duration").

import (
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"mellium.im/xmpp/jid"

	"github.com/fedsim/fedsim/nodes"
	"github.com/fedsim/fedsim/sim"
)

// pos is a 1-based line and column in the scenario file.
type pos struct{ line, col int }

// decoder turns YAML nodes into values, collecting errors as it goes.
type decoder struct {
	file    string
	errs    Errors
	anchors map[string]ast.Node
	// resolving guards against an alias that (through merges) refers to
	// itself.
	resolving map[string]bool
}

func posOf(n ast.Node) pos {
	switch v := n.(type) {
	case nil:
		return pos{1, 1}
	case *ast.MappingNode:
		if len(v.Values) > 0 {
			return posOf(v.Values[0])
		}
	case *ast.MappingValueNode:
		return posOf(v.Key)
	case *ast.DocumentNode:
		if v.Body != nil {
			return posOf(v.Body)
		}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return pos{1, 1}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

func (d *decoder) errorf(p pos, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)})
}

// collectAnchors records every anchor of the document before decoding, so
// that an alias may be used anywhere after (or, as YAML forbids, before)
// its anchor without the order of sections mattering.
func (d *decoder) collectAnchors(n ast.Node) {
	if n == nil {
		return
	}
	switch v := n.(type) {
	case *ast.AnchorNode:
		if name := anchorName(v.Name); name != "" {
			d.anchors[name] = v.Value
		}
		d.collectAnchors(v.Value)
	case *ast.MappingNode:
		for _, mv := range v.Values {
			d.collectAnchors(mv)
		}
	case *ast.MappingValueNode:
		d.collectAnchors(v.Value)
	case *ast.SequenceNode:
		for _, x := range v.Values {
			d.collectAnchors(x)
		}
	case *ast.TagNode:
		d.collectAnchors(v.Value)
	}
}

func anchorName(n ast.Node) string {
	if n == nil || n.GetToken() == nil {
		return ""
	}
	return n.GetToken().Value
}

// resolve looks through anchors, aliases and tags to the node that holds
// the value. It returns nil (after reporting) for an unknown alias.
func (d *decoder) resolve(n ast.Node) ast.Node {
	for hops := 0; ; hops++ {
		if hops > 64 {
			d.errorf(posOf(n), "aliases refer to each other in a loop")
			return nil
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			name := anchorName(v.Value)
			target, ok := d.anchors[name]
			if !ok {
				d.errorf(posOf(n), "alias *%s refers to no anchor &%s", name, name)
				return nil
			}
			n = target
		case *ast.TagNode:
			if tag := v.Start.Value; tag != "!!str" {
				d.errorf(posOf(n), "tag %s is not supported (only !!str, to force a string)", tag)
				return nil
			}
			n = v.Value
		default:
			return n
		}
	}
}

// kindOf names a node's type in the words of error messages.
func kindOf(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "an integer"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NullNode, nil:
		return "nothing"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// field is one known key of a mapping and what to do with its value. A
// name ending in "*" matches every key with that prefix.
type field struct {
	name string
	fn   func(v ast.Node)
}

// entries lists a mapping's key/value pairs, with YAML merge keys ("<<:
// *anchor") expanded: merged entries come first and the mapping's own keys
// override them. ok is false when n is not a mapping.
func (d *decoder) entries(n ast.Node) (out []*ast.MappingValueNode, ok bool) {
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		return nil, false
	}
	var merged, own []*ast.MappingValueNode
	for _, mv := range values {
		if _, isMerge := mv.Key.(*ast.MergeKeyNode); !isMerge {
			own = append(own, mv)
			continue
		}
		srcs := []ast.Node{mv.Value}
		if seq, isSeq := d.resolve(mv.Value).(*ast.SequenceNode); isSeq {
			srcs = seq.Values
		}
		for _, src := range srcs {
			name := ""
			if al, isAlias := src.(*ast.AliasNode); isAlias {
				name = anchorName(al.Value)
			}
			r := d.resolve(src)
			if r == nil {
				continue
			}
			if d.resolving[name] {
				d.errorf(posOf(src), "merge of *%s refers to itself", name)
				continue
			}
			if name != "" {
				d.resolving[name] = true
			}
			sub, isMap := d.entries(r)
			delete(d.resolving, name)
			if !isMap {
				d.errorf(posOf(src), "merge key <<: expected a mapping (or an alias of one), got %s", kindOf(r))
				continue
			}
			merged = append(merged, sub...)
		}
	}
	seen := map[string]int{}
	for _, mv := range append(merged, own...) {
		k := keyString(mv.Key)
		if i, dup := seen[k]; dup {
			out[i] = mv
			continue
		}
		seen[k] = len(out)
		out = append(out, mv)
	}
	return out, true
}

func keyString(k ast.MapKeyNode) string {
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return k.String()
}

// object decodes a mapping with a fixed set of fields. Unknown keys are
// reported (with the closest known name when there is one); the keys that
// were present are returned with their positions so that the caller can
// check required and mutually exclusive fields.
func (d *decoder) object(n ast.Node, path string, fields []field) (map[string]pos, bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	ents, ok := d.entries(n)
	if !ok {
		d.errorf(posOf(n), "%s: expected a mapping, got %s", path, kindOf(n))
		return nil, false
	}
	present := map[string]pos{}
	for _, mv := range ents {
		k := keyString(mv.Key)
		var f *field
		for i := range fields {
			name := fields[i].name
			if name == k || (strings.HasSuffix(name, "*") && strings.HasPrefix(k, strings.TrimSuffix(name, "*"))) {
				f = &fields[i]
				break
			}
		}
		if f == nil {
			d.errorf(posOf(mv.Key), "%s: %s", path, unknownField(k, fields))
			continue
		}
		present[k] = posOf(mv.Key)
		f.fn(mv.Value)
	}
	return present, true
}

// pairs decodes a mapping with free keys (outcomes: "a -> b": T).
func (d *decoder) pairs(n ast.Node, path string, fn func(key string, at pos, v ast.Node)) bool {
	n = d.resolve(n)
	if n == nil {
		return false
	}
	ents, ok := d.entries(n)
	if !ok {
		d.errorf(posOf(n), "%s: expected a mapping, got %s", path, kindOf(n))
		return false
	}
	for _, mv := range ents {
		fn(keyString(mv.Key), posOf(mv.Key), mv.Value)
	}
	return true
}

func unknownField(k string, fields []field) string {
	var names []string
	best, bestD := "", 3
	for _, f := range fields {
		if strings.HasSuffix(f.name, "*") {
			continue
		}
		names = append(names, f.name)
		// A suggestion must be close (at most two edits, fewer than half
		// the key's length); among equals, one that contains the key's
		// letters in order ("sever" in "servers") reads as the typo.
		dd := editDistance(k, f.name)
		if dd > 2 || 2*dd >= len(k) {
			continue
		}
		if dd < bestD || (dd == bestD && subsequence(k, f.name) && !subsequence(k, best)) {
			best, bestD = f.name, dd
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown field %q (did you mean %q?)", k, best)
	}
	sort.Strings(names)
	return fmt.Sprintf("unknown field %q (want one of: %s)", k, strings.Join(names, ", "))
}

// subsequence reports whether a's letters appear in b in order.
func subsequence(a, b string) bool {
	i := 0
	for j := 0; i < len(a) && j < len(b); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}

// editDistance is the Levenshtein distance, for "did you mean" hints.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// str reads a string. Integers and decimals are taken as written ("1.0",
// "007"): YAML types them, but in this format they are names and ids.
func (d *decoder) str(n ast.Node, path string) (string, bool) {
	n = d.resolve(n)
	switch v := n.(type) {
	case nil:
		return "", false
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode:
		return v.GetToken().Value, true
	}
	d.errorf(posOf(n), "%s: expected a string, got %s", path, kindOf(n))
	return "", false
}

// name reads a non-empty string without surrounding space.
func (d *decoder) name(n ast.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		d.errorf(posOf(n), "%s: must not be empty", path)
		return "", false
	}
	if strings.TrimSpace(s) != s {
		d.errorf(posOf(n), "%s: %q has leading or trailing space", path, s)
		return "", false
	}
	return s, true
}

// jid reads a JID (RFC 7622: [localpart@]domainpart[/resourcepart]),
// checked with mellium.im/xmpp/jid (PRECIS profiles for the localpart and
// resourcepart, IDNA for the domainpart), and gives it back as written,
// even when it is refused: the item it belongs to is kept, so that the
// errors that follow name the right item and say nothing of a missing
// field.
// Only the forms that build a stanza (ping, message, from) and the
// expectations about stanzas are read with it: a raw xml stanza may
// carry a malformed address on purpose, to see how servers answer it.
func (d *decoder) jid(n ast.Node, path string) (string, bool) {
	s, ok := d.name(n, path)
	if !ok {
		return "", false
	}
	j, err := jid.Parse(s)
	if err == nil {
		err = domainLabels(j.Domainpart())
	}
	if err != nil {
		d.errorf(posOf(n), "%s: %q is not a JID (RFC 7622): %v", path, s, err)
		return s, false
	}
	return s, true
}

// domainLabels refuses an empty label ("b..example", RFC 7622 §3.2 wants a
// domain name), which the library lets through. An IP literal passes.
func domainLabels(domain string) error {
	if strings.HasPrefix(domain, "[") || net.ParseIP(domain) != nil {
		return nil
	}
	if slices.Contains(strings.Split(strings.TrimSuffix(domain, "."), "."), "") {
		return errors.New("the domainpart has an empty label")
	}
	return nil
}

func (d *decoder) boolean(n ast.Node, path string) (bool, bool) {
	n = d.resolve(n)
	if n == nil {
		return false, false
	}
	if b, ok := n.(*ast.BoolNode); ok {
		return b.Value, true
	}
	got := kindOf(n)
	if s, ok := n.(*ast.StringNode); ok {
		got = fmt.Sprintf("%q", s.Value)
	}
	d.errorf(posOf(n), "%s: expected true or false, got %s", path, got)
	return false, false
}

// integer reads a whole number within [lo, hi].
func (d *decoder) integer(n ast.Node, path string, lo, hi int64) (int64, bool) {
	n = d.resolve(n)
	if n == nil {
		return 0, false
	}
	v, ok := n.(*ast.IntegerNode)
	if !ok {
		d.errorf(posOf(n), "%s: expected an integer, got %s", path, kindOf(n))
		return 0, false
	}
	var x int64
	switch val := v.Value.(type) {
	case int64:
		x = val
	case uint64:
		if val > math.MaxInt64 {
			d.errorf(posOf(n), "%s: %d is too large", path, val)
			return 0, false
		}
		x = int64(val)
	default:
		d.errorf(posOf(n), "%s: %s is not an integer", path, v.GetToken().Value)
		return 0, false
	}
	if x < lo || x > hi {
		switch {
		case hi == math.MaxInt64:
			d.errorf(posOf(n), "%s: %d is out of range (want at least %d)", path, x, lo)
		default:
			d.errorf(posOf(n), "%s: %d is out of range (want %d to %d)", path, x, lo, hi)
		}
		return 0, false
	}
	return x, true
}

// uint reads a non-negative integer up to 2^64-1 (seeds).
func (d *decoder) uint(n ast.Node, path string) (uint64, bool) {
	n = d.resolve(n)
	if n == nil {
		return 0, false
	}
	v, ok := n.(*ast.IntegerNode)
	if !ok {
		d.errorf(posOf(n), "%s: expected a non-negative integer, got %s", path, kindOf(n))
		return 0, false
	}
	switch val := v.Value.(type) {
	case uint64:
		return val, true
	case int64:
		if val >= 0 {
			return uint64(val), true
		}
	}
	d.errorf(posOf(n), "%s: expected a non-negative integer, got %s", path, v.GetToken().Value)
	return 0, false
}

// duration reads a Go duration string ("150ms", "1m30s"). A bare 0 is
// accepted; any other bare number is refused because its unit is unknown.
func (d *decoder) duration(n ast.Node, path string) (time.Duration, bool) {
	n = d.resolve(n)
	if n == nil {
		return 0, false
	}
	switch v := n.(type) {
	case *ast.StringNode:
		x, err := time.ParseDuration(v.Value)
		if err != nil {
			d.errorf(posOf(n), "%s: %q is not a duration (want a number with a unit, like 150ms or 2m30s)", path, v.Value)
			return 0, false
		}
		return x, true
	case *ast.IntegerNode:
		if v.GetToken().Value == "0" {
			return 0, true
		}
		d.errorf(posOf(n), "%s: %s has no unit (want a duration like %sms or %ss)", path, v.GetToken().Value, v.GetToken().Value, v.GetToken().Value)
		return 0, false
	case *ast.FloatNode:
		d.errorf(posOf(n), "%s: %s has no unit (want a duration like 150ms or 1.5s)", path, v.GetToken().Value)
		return 0, false
	}
	d.errorf(posOf(n), "%s: expected a duration like 150ms, got %s", path, kindOf(n))
	return 0, false
}

// nonNegDuration is a duration that must not be negative.
func (d *decoder) nonNegDuration(n ast.Node, path string) (time.Duration, bool) {
	x, ok := d.duration(n, path)
	if ok && x < 0 {
		d.errorf(posOf(n), "%s: %s is negative", path, x)
		return 0, false
	}
	return x, ok
}

// instant reads a calendar time: RFC 3339 ("2026-03-01T00:00:00Z") or a
// duration from the simulation's epoch ("-720h" is 30 days before it).
func (d *decoder) instant(n ast.Node, path string) (time.Time, bool) {
	n = d.resolve(n)
	if n == nil {
		return time.Time{}, false
	}
	s, ok := n.(*ast.StringNode)
	if !ok {
		d.errorf(posOf(n), "%s: expected an RFC 3339 time or a duration from the epoch (%s), got %s", path, sim.Epoch.Format(time.RFC3339), kindOf(n))
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
		return t, true
	}
	if x, err := time.ParseDuration(s.Value); err == nil {
		return sim.Epoch.Add(x), true
	}
	d.errorf(posOf(n), "%s: %q is neither an RFC 3339 time nor a duration from the epoch (like -720h)", path, s.Value)
	return time.Time{}, false
}

// list decodes a sequence item by item.
func (d *decoder) list(n ast.Node, path string, fn func(i int, item ast.Node)) bool {
	n = d.resolve(n)
	if n == nil {
		return false
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorf(posOf(n), "%s: expected a list, got %s", path, kindOf(n))
		return false
	}
	for i, item := range seq.Values {
		fn(i, item)
	}
	return true
}

// names decodes a list of non-empty strings.
func (d *decoder) names(n ast.Node, path string) ([]string, []pos, bool) {
	var out []string
	var at []pos
	ok := d.list(n, path, func(i int, item ast.Node) {
		if s, ok := d.name(item, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
			at = append(at, posOf(item))
		}
	})
	return out, at, ok
}

// oneOf reads a string that must be one of choices.
func (d *decoder) oneOf(n ast.Node, path string, choices ...string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	for _, c := range choices {
		if s == c {
			return s, true
		}
	}
	d.errorf(posOf(n), "%s: unknown value %q (want %s)", path, s, orList(choices))
	return "", false
}

// orList joins choices as "a, b or c".
func orList(choices []string) string { return nodes.OrList(choices) }

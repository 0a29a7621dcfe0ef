package jsoncontain

import (
	"encoding/binary"
	"slices"
)

// Path names where a value sits below the top-level object: each object
// member is 'k', the name's length as a uvarint and the name; each array
// level is 'a' (the element's position is left out, as containment
// ignores it). Paths are self-delimiting byte strings.
type Path []byte

// Term is one fact about a value that containment needs of its containers:
// a scalar at a path ('n' and the canonical number, 's' and the string,
// 't', 'f' or 'z' for true, false and null), or a container at a path
// ('O' object, 'A' array), after the path and a 0 byte.
type Term []byte

// Terms returns the distinct terms of v below the top level: every
// scalar with its path and every nested object or array with its path,
// the scalars (far more selective for a lookup) first. If a contains b
// then the terms of a include every term of b, so an index of terms finds
// every candidate container; it also finds some that are not
// ([{"a":1},{"b":2}] and [{"a":1,"b":2}] have the same terms), which a
// [Contains] check removes.
func Terms(v Value) (scalars, containers []Term) {
	walk(v, nil, true, func(t Term, scalar bool) {
		if scalar {
			scalars = append(scalars, t)
		} else {
			containers = append(containers, t)
		}
	})
	return distinct(scalars), distinct(containers)
}

func distinct(ts []Term) []Term {
	slices.SortFunc(ts, func(a, b Term) int { return slices.Compare(a, b) })
	return slices.CompactFunc(ts, func(a, b Term) bool { return slices.Equal(a, b) })
}

func walk(v Value, path Path, top bool, emit func(Term, bool)) {
	term := func(tag ...byte) {
		t := append(Term(slices.Clip(path)), 0)
		emit(append(t, tag...), tag[0] != 'O' && tag[0] != 'A')
	}
	switch x := v.(type) {
	case map[string]Value:
		if !top {
			term('O')
		}
		for k, e := range x {
			p := append(slices.Clip(path), 'k')
			p = binary.AppendUvarint(p, uint64(len(k)))
			walk(e, append(p, k...), false, emit)
		}
	case []Value:
		term('A')
		p := append(slices.Clip(path), 'a')
		for _, e := range x {
			walk(e, p, false, emit)
		}
	case Number:
		term(append([]byte{'n'}, x...)...)
	case string:
		term(append([]byte{'s'}, x...)...)
	case bool:
		if x {
			term('t')
		} else {
			term('f')
		}
	case nil:
		term('z')
	}
}

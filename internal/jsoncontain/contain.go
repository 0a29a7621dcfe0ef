// Package jsoncontain is JSON containment as PostgreSQL's jsonb @>
// operator defines it, in Go: the one implementation that every store
// without @> uses, and that the conformance suite holds PostgreSQL to.
//
// # Semantics
//
// A value a contains a value b when:
//
//   - b is an object: a is an object, and for every member of b, a has a
//     member of the same name (compared after unescaping) whose value
//     contains b's;
//   - b is an array: a is an array, and every element of b is contained
//     in some element of a. Order and duplicates do not matter: [1,1]
//     is contained in [1], and [1] in [2,1];
//   - b is a string: a is a string with the same characters after
//     unescaping ("\u00e9" and "é" are equal, so are "\/" and "/");
//   - b is a number: a is a number of exactly the same decimal value,
//     compared as arbitrary-precision decimals as PostgreSQL's numeric
//     compares: 1, 1.0, 10e-1 and 1e0 are equal, so are 1e2 and 100, and
//     -0 equals 0; 9007199254740993 differs from 9007199254740992 though a
//     float64 holds neither apart;
//   - b is true, false or null: a is the same literal.
//
// A value of one type never contains one of another: {"a":[1]} does not
// contain {"a":1}. PostgreSQL makes one exception, a top-level array
// containing a top-level scalar ('[1]' @> '1'); [Contains] is only ever
// asked about objects at the top, where it does not arise.
//
// # Values
//
// [Parse] reads a JSON text into a [Value]; it expects text already held
// to Signet's strict JSON rules (internal/strictjson), which refuse the
// duplicate names and invalid UTF-8 that would make containment ambiguous.
package jsoncontain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// Value is a parsed JSON value: nil (null), bool, [Number], string,
// map[string]Value (object) or []Value (array).
type Value = any

// Number is a JSON number in canonical form: "0", or an optional "-",
// the significant digits without leading or trailing zeros, "e" and the
// decimal exponent, so that two numbers are equal exactly when their
// canonical forms are: 100, 1e2 and 1.00e2 are all "1e2".
type Number string

// Parse reads one JSON value from data.
func Parse(data []byte) (Value, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("jsoncontain: %w", err)
	}
	return canon(v)
}

// canon replaces every json.Number in v by its [Number].
func canon(v any) (Value, error) {
	var err error
	switch x := v.(type) {
	case json.Number:
		return Canonical(string(x))
	case map[string]any:
		for k, e := range x {
			if x[k], err = canon(e); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range x {
			if x[i], err = canon(e); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// Canonical returns the canonical form of the JSON number literal s.
func Canonical(s string) (Number, error) {
	lit := s
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	e := new(big.Int)
	if exp != "" {
		if _, ok := e.SetString(strings.TrimPrefix(exp, "+"), 10); !ok {
			return "", fmt.Errorf("jsoncontain: invalid number %q", lit)
		}
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	if strings.Trim(intPart+frac, "0123456789") != "" || intPart == "" {
		return "", fmt.Errorf("jsoncontain: invalid number %q", lit)
	}
	if digits == "" {
		return "0", nil
	}
	trimmed := strings.TrimRight(digits, "0")
	e.Add(e, big.NewInt(int64(len(digits)-len(trimmed)-len(frac))))
	sign := ""
	if neg {
		sign = "-"
	}
	return Number(sign + trimmed + "e" + e.String()), nil
}

// Contains reports whether a contains b, as the package documentation
// defines it.
func Contains(a, b Value) bool {
	switch y := b.(type) {
	case map[string]Value:
		x, ok := a.(map[string]Value)
		if !ok {
			return false
		}
		for k, yv := range y {
			xv, ok := x[k]
			if !ok || !Contains(xv, yv) {
				return false
			}
		}
		return true
	case []Value:
		x, ok := a.([]Value)
		if !ok {
			return false
		}
		for _, ye := range y {
			if !containedInSome(x, ye) {
				return false
			}
		}
		return true
	}
	return a == b // scalars: same dynamic type and value
}

func containedInSome(xs []Value, y Value) bool {
	for _, x := range xs {
		if Contains(x, y) {
			return true
		}
	}
	return false
}

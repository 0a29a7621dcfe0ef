package jsoncontain

import (
	"encoding/json"
	"math/big"
	"slices"
	"strings"
)

// Encode returns v as JSON text: members sorted by name, strings escaped
// as encoding/json escapes them, and numbers as plain decimals without an
// exponent (1e2 is 100, 1e-3 is 0.001, 0e5000 is 0), the spelling with
// the fewest fractional digits, which any reader that holds the value at
// all (PostgreSQL's numeric refuses exponents beyond ±1000 whatever the
// value) accepts.
func Encode(v Value) []byte {
	var b strings.Builder
	encode(&b, v)
	return []byte(b.String())
}

func encode(b *strings.Builder, v Value) {
	switch x := v.(type) {
	case map[string]Value:
		b.WriteByte('{')
		for i, k := range slices.Sorted(mapKeys(x)) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			encode(b, x[k])
		}
		b.WriteByte('}')
	case []Value:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			encode(b, e)
		}
		b.WriteByte(']')
	case Number:
		b.WriteString(x.Plain())
	case string:
		writeString(b, x)
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case nil:
		b.WriteString("null")
	}
}

func mapKeys(m map[string]Value) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func writeString(b *strings.Builder, s string) {
	j, _ := json.Marshal(s) // a string always marshals
	b.Write(j)
}

// maxPlainExponent bounds the exponents [Number.Plain] writes out; beyond
// it (far beyond what PostgreSQL's numeric holds) it returns n as it is.
const maxPlainExponent = 1 << 17

// Plain returns n as a plain decimal: an optional "-", digits, and a
// fraction only when n has one; or n itself if its exponent's magnitude
// exceeds 131072.
func (n Number) Plain() string {
	s := string(n)
	if s == "0" {
		return s
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	digits, exp, _ := strings.Cut(s, "e")
	e, _ := new(big.Int).SetString(exp, 10)
	if !e.IsInt64() || e.Int64() > maxPlainExponent || e.Int64() < -maxPlainExponent {
		return string(n)
	}
	if e.Sign() >= 0 {
		return sign + digits + strings.Repeat("0", int(e.Int64()))
	}
	frac := int(-e.Int64())
	if frac >= len(digits) {
		return sign + "0." + strings.Repeat("0", frac-len(digits)) + digits
	}
	return sign + digits[:len(digits)-frac] + "." + digits[len(digits)-frac:]
}

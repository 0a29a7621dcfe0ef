package jsoncontain

import "testing"

func TestCanonical(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"0.000", "0"}, {"0e99999999999999999999", "0"},
		{"1", "1e0"}, {"1.0", "1e0"}, {"10e-1", "1e0"}, {"1E0", "1e0"},
		{"100", "1e2"}, {"1e2", "1e2"}, {"1.00e+2", "1e2"}, {"-12.50", "-125e-1"},
		{"9007199254740993", "9007199254740993e0"}, {"0.001", "1e-3"},
		{"1e-99999999999999999999", "1e-99999999999999999999"},
	} {
		got, err := Canonical(c.in)
		if err != nil || string(got) != c.want {
			t.Errorf("Canonical(%s) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestContains(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":2}`, `{}`, true},
		{`{"a":1}`, `{"a":1.0}`, true},
		{`{"a":100}`, `{"a":1e2}`, true},
		{`{"a":9007199254740993}`, `{"a":9007199254740992}`, false},
		{`{"a":"é"}`, `{"a":"\u00e9"}`, true},
		{`{"a":"/"}`, `{"a":"\/"}`, true},
		{`{"a":{"b":{"c":1,"d":2}}}`, `{"a":{"b":{"c":1}}}`, true},
		{`{"a":{"b":{"c":1}}}`, `{"a":{"b":{"c":1,"d":2}}}`, false},
		{`{"a":[1,2,3]}`, `{"a":[3,1,1]}`, true},
		{`{"a":[1,2,3]}`, `{"a":[]}`, true},
		{`{"a":[1,2,3]}`, `{"a":1}`, false},
		{`{"a":1}`, `{"a":[1]}`, false},
		{`{"a":[[1,2],[3]]}`, `{"a":[[2]]}`, true},
		{`{"a":[[1,2],[3]]}`, `{"a":[2]}`, false},
		{`{"a":[{"b":1,"c":2},{"d":3}]}`, `{"a":[{"b":1}]}`, true},
		{`{"a":[{"b":1},{"c":2}]}`, `{"a":[{"b":1,"c":2}]}`, false},
		{`{"a":null}`, `{"a":null}`, true},
		{`{"b":1}`, `{"a":null}`, false},
		{`{"a":false}`, `{"a":null}`, false},
		{`{"a":true}`, `{"a":true}`, true},
		{`{"a":"1"}`, `{"a":1}`, false},
		{`{"a":{}}`, `{"a":{}}`, true},
		{`{"a":[]}`, `{"a":{}}`, false},
	} {
		a, err := Parse([]byte(c.a))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Parse([]byte(c.b))
		if err != nil {
			t.Fatal(err)
		}
		if got := Contains(a, b); got != c.want {
			t.Errorf("Contains(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
		if c.want {
			as, ac := Terms(a)
			bs, bc := Terms(b)
			if !subset(bs, as) || !subset(bc, ac) {
				t.Errorf("Terms(%s) do not include those of %s, which it contains", c.a, c.b)
			}
		}
	}
}

func subset(sub, of []Term) bool {
	seen := map[string]bool{}
	for _, t := range of {
		seen[string(t)] = true
	}
	for _, t := range sub {
		if !seen[string(t)] {
			return false
		}
	}
	return true
}

func TestTermsDistinguishPaths(t *testing.T) {
	a, _ := Parse([]byte(`{"a":{"b":1}}`))
	b, _ := Parse([]byte(`{"ab":1}`))
	as, _ := Terms(a)
	bs, _ := Terms(b)
	if subset(bs, as) || subset(as, bs) {
		t.Errorf("Terms of {a:{b:1}} and {ab:1} overlap: %q, %q", as, bs)
	}
}

func TestPlain(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"0e5000", "0"}, {"1e2", "100"}, {"-1.50", "-1.5"}, {"1e-3", "0.001"}, {"12.34e1", "123.4"}, {"100", "100"},
		{"1e-99999999999999999999", "1e-99999999999999999999"},
	} {
		n, err := Canonical(c.in)
		if err != nil || n.Plain() != c.want {
			t.Errorf("Canonical(%s).Plain() = %q, %v; want %q", c.in, n.Plain(), err, c.want)
		}
	}
	v, _ := Parse([]byte(`{"b":[1e1,"\u00e9"],"a":{"z":null,"y":true}}`))
	if got, want := string(Encode(v)), `{"a":{"y":true,"z":null},"b":[10,"é"]}`; got != want {
		t.Errorf("Encode = %s, want %s", got, want)
	}
}

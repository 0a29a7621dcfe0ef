package strictjson

// Elements splits raw, a JSON array that has passed the checks of this
// package (a [Member.Raw] of kind '['), into its elements, exactly as they
// appear in raw without the whitespace around them, sharing raw's memory.
// It does not check raw again: it only finds the commas between elements,
// outside strings and nested values, so it is a cheap second look at
// bytes read once, not a parser. Given anything but a checked array its
// result is meaningless.
func Elements(raw []byte) [][]byte {
	var out [][]byte
	depth, inString, escaped := 0, false, false
	start := -1
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			continue
		case b == ' ' || b == '\t' || b == '\n' || b == '\r':
			continue
		case b == '"':
			inString = true
		case b == '[' || b == '{':
			depth++
			if depth == 1 {
				continue // the array itself
			}
		case b == ']' || b == '}':
			depth--
			if depth == 0 {
				if start >= 0 {
					out = append(out, trimSpace(raw[start:i]))
				}
				return out
			}
		case b == ',' && depth == 1:
			out = append(out, trimSpace(raw[start:i]))
			start = -1
			continue
		}
		if start < 0 && depth >= 1 {
			start = i
		}
	}
	return out
}

func trimSpace(b []byte) []byte {
	end := len(b)
	for end > 0 && (b[end-1] == ' ' || b[end-1] == '\t' || b[end-1] == '\n' || b[end-1] == '\r') {
		end--
	}
	return b[:end]
}

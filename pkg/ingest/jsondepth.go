package ingest

import (
	"bytes"
	"fmt"
)

// CheckJSONDepth reports an error when arrays and objects in the JSON text b nest more than max
// levels deep. It only counts brackets outside strings and does not validate the text; the
// decoder does that. It runs before decoding so that a hostile body of a few megabytes of "["
// is refused in one linear pass with a clear message, instead of reaching a recursive decoder.
func CheckJSONDepth(b []byte, max int) error {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			// Jump to the closing quote: one not preceded by an odd run of backslashes.
			// IndexByte is vectorised, and telemetry JSON is mostly string contents.
			for {
				j := bytes.IndexByte(b[i+1:], '"')
				if j < 0 {
					return nil // unterminated string: the decoder reports it
				}
				i += 1 + j
				k := i - 1
				for k >= 0 && b[k] == '\\' {
					k--
				}
				if (i-1-k)%2 == 0 {
					break
				}
			}
		case '[', '{':
			depth++
			if depth > max {
				return fmt.Errorf("cannot decode JSON: nested more than %d levels deep at byte %d", max, i)
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}

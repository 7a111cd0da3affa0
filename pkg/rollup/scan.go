package rollup

import "strings"

// The hand-written matchers below find exactly the matches of Rules' regular expressions, so
// that Normalize costs a few hundred nanoseconds a message instead of tens of microseconds (Go's
// regexp runs these alternations on its NFA). Each matcher mirrors its pattern's leftmost-first
// semantics: at each position the alternatives in order, greedy repetitions longest first,
// backtracking only where the pattern can. The reference is the regexp chain itself:
// TestScannerMatchesRegexp and FuzzScannerMatchesRegexp compare the two on every case, on
// generated messages and on fuzzed input.
//
// A matcher is called with a position i and returns a match [start, end) with start >= i, in
// which s[start:keep] is capture group 1 (written back before the placeholder; keep == start
// when the rule keeps nothing), or start < 0 and in end the next position worth trying (> i):
// no match starts before it. Matchers read the original string, so word boundaries see the
// text as the regexp does.
type matcher func(s string, i int) (start, keep, end int)

// scanRule is a matcher and what lets the scan skip ahead without calling it: every match has
// a byte of start within its first back+1 bytes.
type scanRule struct {
	match matcher
	start *[256]bool
	back  int
}

func byteSet(f func(c byte) bool) *[256]bool {
	var t [256]bool
	for c := 0; c < 256; c++ {
		t[c] = f(byte(c))
	}
	return &t
}

var (
	hexSet   = byteSet(isHex)
	digitSet = byteSet(isDigit)
)

// scanRules are the matchers in Rules order.
var scanRules = [...]scanRule{
	{matchQuoted, byteSet(func(c byte) bool { return c == '\'' || c == '"' }), 1},
	{matchMAC, hexSet, 0},
	{matchTimestamp, byteSet(func(c byte) bool { return isDigit(c) || ('A' <= c && c <= 'W' && isMonthOrDayInitial[c-'A']) }), 0},
	{matchEmail, byteSet(isLocal), 0},
	{matchUUID, hexSet, 0},
	{matchIPv6, byteSet(func(c byte) bool { return isHex(c) || c == ':' }), 0},
	{matchIPv4, digitSet, 0},
	{matchHex, hexSet, 0},
	{matchNumber, digitSet, 2},
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isWord(c byte) bool  { return isDigit(c) || isAlpha(c) || c == '_' }

// wordAt reports whether s[i] is an ASCII word character (false outside s).
func wordAt(s string, i int) bool { return i >= 0 && i < len(s) && isWord(s[i]) }

// boundary is RE2's \b at i.
func boundary(s string, i int) bool { return wordAt(s, i-1) != wordAt(s, i) }

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// digitsAt reports whether s[i:i+n] are n digits.
func digitsAt(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// run returns the end of the run of bytes satisfying f from i.
func run(s string, i int, f func(byte) bool) int {
	for i < len(s) && f(s[i]) {
		i++
	}
	return i
}

func noMatch(i int) (int, int, int) { return -1, -1, i + 1 }

// apply replaces every match of r in s.
func apply(s string, r *scanRule, placeholder string) string {
	var b []byte
	last := 0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && !r.start[s[j]] {
			j++
		}
		if j == len(s) {
			break
		}
		if j-r.back > i {
			i = j - r.back
		}
		start, keep, end := r.match(s, i)
		if start < 0 {
			i = end
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(s)+len(placeholder))
		}
		b = append(b, s[last:keep]...)
		b = append(b, placeholder...)
		last, i = end, end
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

// quoted: (^|[^0-9A-Za-z_>])(?:'[^']*'|"[^"]*")
func matchQuoted(s string, i int) (int, int, int) {
	quote := func(j int) int {
		if j < len(s) && (s[j] == '\'' || s[j] == '"') {
			if k := strings.IndexByte(s[j+1:], s[j]); k >= 0 {
				return j + 2 + k
			}
		}
		return -1
	}
	if i == 0 {
		if e := quote(0); e >= 0 {
			return 0, 0, e
		}
	}
	if c := s[i]; !isWord(c) && c != '>' {
		if e := quote(i + 1); e >= 0 {
			return i, i + 1, e
		}
	}
	return noMatch(i)
}

// mac: \b[hex]{2}(?:[:-][hex]{2}){5}\b
func matchMAC(s string, i int) (int, int, int) {
	if i+17 > len(s) || !isHex(s[i]) || !boundary(s, i) {
		return noMatch(i)
	}
	for k := 0; k < 6; k++ {
		p := i + 3*k
		if !isHex(s[p]) || !isHex(s[p+1]) || (k < 5 && s[p+2] != ':' && s[p+2] != '-') {
			return noMatch(i)
		}
	}
	if !boundary(s, i+17) {
		return noMatch(i)
	}
	return i, i, i + 17
}

// oneOf returns len(w) if s at i starts with one of words (all three bytes long), else 0.
func oneOf(s string, i int, words []string) int {
	if i+3 > len(s) {
		return 0
	}
	c := s[i]
	for _, w := range words {
		if w[0] == c && w[1] == s[i+1] && w[2] == s[i+2] {
			return 3
		}
	}
	return 0
}

var (
	monthNames   = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	weekdayNames = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	zoneNames    = []string{"GMT", "UTC"}
	// isMonthOrDayInitial[c-'A'] for the initials of monthNames and weekdayNames.
	isMonthOrDayInitial = func() (t ['W' - 'A' + 1]bool) {
		for _, w := range append(append([]string{}, monthNames...), weekdayNames...) {
			t[w[0]-'A'] = true
		}
		return t
	}()
	timestampAlts = [...]func(string, int) int{tsISO, tsRFC1123, tsCLF, tsSyslog, tsSlash, tsTime}
)

// hms matches [0-9]{2}:[0-9]{2}:[0-9]{2} at i.
func hms(s string, i int) bool {
	return digitsAt(s, i, 2) && at(s, i+2) == ':' && digitsAt(s, i+3, 2) && at(s, i+5) == ':' && digitsAt(s, i+6, 2)
}

// fraction extends e over (?:[.,][0-9]+)?.
func fraction(s string, e int) int {
	if c := at(s, e); (c == '.' || c == ',') && isDigit(at(s, e+1)) {
		return run(s, e+1, isDigit)
	}
	return e
}

// oneOrTwoDigitsThen matches [0-9]{1,2} followed by the byte c at i, returning the position of
// c (greedy two digits first, then one).
func oneOrTwoDigitsThen(s string, i int, c byte) int {
	if digitsAt(s, i, 2) && at(s, i+2) == c {
		return i + 2
	}
	if digitsAt(s, i, 1) && at(s, i+1) == c {
		return i + 1
	}
	return -1
}

// sign4 matches [+-][0-9]{4} at i.
func sign4(s string, i int) bool {
	c := at(s, i)
	return (c == '+' || c == '-') && digitsAt(s, i+1, 4)
}

func matchTimestamp(s string, i int) (int, int, int) {
	// Every alternative starts with a digit or a capitalised month or weekday name.
	if c := s[i]; !isDigit(c) && (c < 'A' || c > 'W' || !isMonthOrDayInitial[c-'A']) || !boundary(s, i) {
		return noMatch(i)
	}
	for _, alt := range timestampAlts {
		if e := alt(s, i); e >= 0 {
			return i, i, e
		}
	}
	return noMatch(i)
}

// [0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?
func tsISO(s string, i int) int {
	if !(digitsAt(s, i, 4) && at(s, i+4) == '-' && digitsAt(s, i+5, 2) && at(s, i+7) == '-' && digitsAt(s, i+8, 2)) {
		return -1
	}
	e := i + 10
	if c := at(s, e); (c == 'T' || c == ' ') && digitsAt(s, e+1, 2) && at(s, e+3) == ':' && digitsAt(s, e+4, 2) {
		t := e + 6
		if at(s, t) == ':' && digitsAt(s, t+1, 2) {
			t = fraction(s, t+3)
		}
		switch c := at(s, t); {
		case c == 'Z':
			t++
		case (c == '+' || c == '-') && digitsAt(s, t+1, 2):
			z := t + 3
			if at(s, z) == ':' && digitsAt(s, z+1, 2) {
				z += 3
			} else if digitsAt(s, z, 2) {
				z += 2
			}
			t = z
		}
		e = t
	}
	return e
}

// Mon, 09 Dec 2024 10:15:23(?: (?:GMT|UTC|[+-][0-9]{4}))?
func tsRFC1123(s string, i int) int {
	if oneOf(s, i, weekdayNames) == 0 || at(s, i+3) != ',' || at(s, i+4) != ' ' {
		return -1
	}
	p := oneOrTwoDigitsThen(s, i+5, ' ')
	if p < 0 || oneOf(s, p+1, monthNames) == 0 || at(s, p+4) != ' ' || !digitsAt(s, p+5, 4) || at(s, p+9) != ' ' || !hms(s, p+10) {
		return -1
	}
	e := p + 18
	if at(s, e) == ' ' {
		if oneOf(s, e+1, zoneNames) != 0 {
			e += 4
		} else if sign4(s, e+1) {
			e += 6
		}
	}
	return e
}

// [0-9]{1,2}/Mon/[0-9]{4}:hh:mm:ss(?: [+-][0-9]{4})?
func tsCLF(s string, i int) int {
	p := oneOrTwoDigitsThen(s, i, '/')
	if p < 0 || oneOf(s, p+1, monthNames) == 0 || at(s, p+4) != '/' || !digitsAt(s, p+5, 4) || at(s, p+9) != ':' || !hms(s, p+10) {
		return -1
	}
	e := p + 18
	if at(s, e) == ' ' && sign4(s, e+1) {
		e += 6
	}
	return e
}

// Mon +[0-9]{1,2} hh:mm:ss
func tsSyslog(s string, i int) int {
	if oneOf(s, i, monthNames) == 0 || at(s, i+3) != ' ' {
		return -1
	}
	sp := i + 3
	for at(s, sp) == ' ' {
		sp++
	}
	p := oneOrTwoDigitsThen(s, sp, ' ')
	if p < 0 || !hms(s, p+1) {
		return -1
	}
	return p + 9
}

// [0-9]{4}/[0-9]{2}/[0-9]{2}(?: hh:mm:ss(?:[.,][0-9]+)?)?
func tsSlash(s string, i int) int {
	if !(digitsAt(s, i, 4) && at(s, i+4) == '/' && digitsAt(s, i+5, 2) && at(s, i+7) == '/' && digitsAt(s, i+8, 2)) {
		return -1
	}
	e := i + 10
	if at(s, e) == ' ' && hms(s, e+1) {
		e = fraction(s, e+9)
	}
	return e
}

// [0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?
func tsTime(s string, i int) int {
	if !hms(s, i) {
		return -1
	}
	return fraction(s, i+8)
}

func isLocal(c byte) bool {
	return isWord(c) || c == '.' || c == '%' || c == '+' || c == '-'
}

func isLabel(c byte) bool { return isDigit(c) || isAlpha(c) || c == '-' }

// email: \b[0-9A-Za-z._%+-]+@[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*\.[A-Za-z]{2,}\b
//
// Every start in one run of local-part characters reaches the same '@', so the run is decided
// at once: the match starts at its first word boundary. The domain's labels are maximal runs
// (each is followed by a '.' in the pattern); the top-level domain is tried on the last label
// first, as the greedy repetition backtracks.
func matchEmail(s string, i int) (int, int, int) {
	if !isLocal(s[i]) {
		return noMatch(i)
	}
	r := run(s, i, isLocal)
	if at(s, r) != '@' {
		return -1, -1, r
	}
	e := emailDomain(s, r+1)
	if e < 0 {
		return -1, -1, r
	}
	for p := i; p < r; p++ {
		if boundary(s, p) {
			return p, p, e
		}
	}
	return -1, -1, r
}

func emailDomain(s string, d int) int {
	var starts [64]int
	labels := starts[:0]
	if !isLabel(at(s, d)) {
		return -1
	}
	p := d
	for {
		labels = append(labels, p)
		p = run(s, p, isLabel)
		if at(s, p) != '.' || !isLabel(at(s, p+1)) {
			break
		}
		p++
	}
	for j := len(labels) - 1; j >= 1; j-- {
		t := labels[j]
		e := run(s, t, isAlpha)
		if e-t >= 2 && !wordAt(s, e) {
			return e
		}
	}
	return -1
}

// uuid: \b8-4-4-4-12 hex\b
func matchUUID(s string, i int) (int, int, int) {
	if i+36 > len(s) || !isHex(s[i]) || !boundary(s, i) {
		return noMatch(i)
	}
	for k := 0; k < 36; k++ {
		switch k {
		case 8, 13, 18, 23:
			if s[i+k] != '-' {
				return noMatch(i)
			}
		default:
			if !isHex(s[i+k]) {
				return noMatch(i)
			}
		}
	}
	if !boundary(s, i+36) {
		return noMatch(i)
	}
	return i, i, i + 36
}

// ipv4 matches (?:octet\.){3}octet at i, where an octet is a decimal 0..255 without leading
// zeros; the last octet must end at a word boundary (its digit run cannot end early: a shorter
// octet is followed by a digit). It returns the end or -1.
func ipv4At(s string, i int) int {
	p := i
	for k := 0; k < 4; k++ {
		e := run(s, p, isDigit)
		n := e - p
		if n < 1 || n > 3 || (n > 1 && s[p] == '0') || (n == 3 && s[p:e] > "255") {
			return -1
		}
		if k < 3 {
			if at(s, e) != '.' {
				return -1
			}
			p = e + 1
		} else {
			if wordAt(s, e) {
				return -1
			}
			p = e
		}
	}
	return p
}

func matchIPv4(s string, i int) (int, int, int) {
	if !isDigit(s[i]) || !boundary(s, i) {
		return noMatch(i)
	}
	if e := ipv4At(s, i); e >= 0 {
		return i, i, e
	}
	return noMatch(i)
}

// h16Chain follows (?::h16){0,max} from e, each h16 a full hex run of 1..4, and returns the
// end of the longest chain whose end is a word boundary (the end of a group followed by ':' is
// one, so only the last may fail), or -1 when even e itself is not one.
func h16Chain(s string, e, max int) int {
	best := -1
	if !wordAt(s, e) {
		best = e
	}
	for n := 0; n < max && at(s, e) == ':'; n++ {
		k := run(s, e+1, isHex)
		if k == e+1 || k-e-1 > 4 {
			break
		}
		e = k
		if !wordAt(s, e) {
			best = e
		}
	}
	return best
}

// ipv6:
//
//	A \b(?:h16:){7}h16\b
//	B (?:\bh16)?(?:hex{0,4}:){2,6}ipv4\b
//	C \bh16(?::h16){0,6}::(?:h16(?::h16){0,6}\b)?
//	D ::h16(?::h16){0,6}\b
func matchIPv6(s string, i int) (int, int, int) {
	c := s[i]
	if c != ':' && !isHex(c) {
		return noMatch(i)
	}
	b := boundary(s, i)
	n := run(s, i, isHex) - i
	// A: eight groups of 1..4 hex digits separated by single colons.
	if b && n >= 1 {
		p, ok := i, true
		for k := 0; k < 8 && ok; k++ {
			m := run(s, p, isHex) - p
			switch {
			case m < 1 || m > 4:
				ok = false
			case k < 7:
				ok = at(s, p+m) == ':'
				p += m + 1
			default:
				ok = !wordAt(s, p+m)
				p += m
			}
		}
		if ok {
			return i, i, p
		}
	}
	// B: a chain of "hex{0,4}:" groups, two to six, then an IPv4 address. The optional
	// \b h16 prefix changes only which first groups are allowed (with it, up to 8 hex digits
	// before the first colon: the prefix takes four, the first group the rest); either way the
	// chain continues from the first colon. Fewer groups never help: an IPv4 address cannot
	// start where a group does.
	if (n <= 4 || (b && n <= 8)) && at(s, i+n) == ':' {
		p, count := i+n+1, 1
		for count < 6 {
			m := run(s, p, isHex) - p
			if m > 4 || at(s, p+m) != ':' {
				break
			}
			p += m + 1
			count++
		}
		if count >= 2 {
			if e := ipv4At(s, p); e >= 0 {
				return i, i, e
			}
		}
	}
	// C: groups, "::", then optionally more groups ending at a word boundary.
	if b && n >= 1 && n <= 4 && at(s, i+n) == ':' {
		p := i + n
		for k := 0; k < 6 && at(s, p) == ':'; k++ {
			m := run(s, p+1, isHex) - p - 1
			if m < 1 || m > 4 {
				break
			}
			p += 1 + m
		}
		if at(s, p) == ':' && at(s, p+1) == ':' {
			r := p + 2
			if m := run(s, r, isHex) - r; m >= 1 && m <= 4 {
				if e := h16Chain(s, r+m, 6); e >= 0 {
					return i, i, e
				}
			}
			return i, i, r
		}
	}
	// D: "::" and at least one group, ending at a word boundary.
	if c == ':' && at(s, i+1) == ':' {
		r := i + 2
		if m := run(s, r, isHex) - r; m >= 1 && m <= 4 {
			if e := h16Chain(s, r+m, 6); e >= 0 {
				return i, i, e
			}
		}
	}
	return noMatch(i)
}

// hex: \b(?:0[xX]hex+|<at least 8 hex digits, one a letter>)\b. The alternatives all end in
// a greedy run of hex digits followed by \b, so they match the whole run or nothing.
func matchHex(s string, i int) (int, int, int) {
	if !isHex(s[i]) || !boundary(s, i) {
		return noMatch(i)
	}
	if s[i] == '0' && (at(s, i+1) == 'x' || at(s, i+1) == 'X') {
		if e := run(s, i+2, isHex); e > i+2 && !wordAt(s, e) {
			return i, i, e
		}
	}
	e := run(s, i, isHex)
	if e-i >= 8 && !wordAt(s, e) {
		for k := i; k < e; k++ {
			if !isDigit(s[k]) {
				return i, i, e
			}
		}
	}
	return -1, -1, e // no match can start inside the run: no word boundary there
}

// number: (^|[^0-9A-Za-z_.>])-?[0-9]+(?:\.[0-9]+)*(?:[eE][+-]?[0-9]+)?
func matchNumber(s string, i int) (int, int, int) {
	if i == 0 {
		if e := numberBody(s, 0); e >= 0 {
			return 0, 0, e
		}
	}
	if c := s[i]; !isWord(c) && c != '.' && c != '>' {
		if e := numberBody(s, i+1); e >= 0 {
			return i, i + 1, e
		}
	}
	return noMatch(i)
}

func numberBody(s string, p int) int {
	if at(s, p) == '-' {
		p++
	}
	if !isDigit(at(s, p)) {
		return -1
	}
	e := run(s, p, isDigit)
	for at(s, e) == '.' && isDigit(at(s, e+1)) {
		e = run(s, e+1, isDigit)
	}
	if c := at(s, e); c == 'e' || c == 'E' {
		k := e + 1
		if c := at(s, k); c == '+' || c == '-' {
			k++
		}
		if isDigit(at(s, k)) {
			e = run(s, k, isDigit)
		}
	}
	return e
}

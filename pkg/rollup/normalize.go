package rollup

import (
	"regexp"
	"strings"
)

// Placeholders that Normalize puts in place of variable parts of a message.
const (
	PlaceholderTimestamp = "<TIMESTAMP>"
	PlaceholderIP        = "<IP>"
	PlaceholderUUID      = "<UUID>"
	PlaceholderHex       = "<HEX>"
	PlaceholderNum       = "<NUM>"
	PlaceholderEmail     = "<EMAIL>"
	PlaceholderQuoted    = "<QUOTED>"
)

// Rule is one normalization step: every match of Pattern is replaced by Placeholder, preceded
// by the text of capture group 1 when KeepGroup is set. RE2 has no look-behind, so a rule that
// must not start inside a word captures the character before the match and writes it back.
type Rule struct {
	Name        string
	Pattern     string
	Placeholder string
	KeepGroup   bool
	// Trigger lists bytes of which every match contains at least one: a message containing none
	// of them cannot match, and the rule is skipped (the result is the same, only faster).
	Trigger string
}

const (
	hex      = `[0-9a-fA-F]`
	months   = `(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)`
	weekdays = `(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)`
	octet    = `(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])`
	ipv4     = `(?:` + octet + `\.){3}` + octet
	h16      = hex + `{1,4}`
	digits   = "0123456789"
)

// hexID matches a hex id: 0x followed by hex digits, or at least 8 hex digits of which at least
// one is a letter (all-decimal runs are numbers). RE2 has no look-ahead, so "at least 8 with a
// letter" is spelled out by the position of the first letter.
func hexID() string {
	alts := []string{`0[xX]` + hex + `+`}
	for i := 0; i < 7; i++ {
		rest := 7 - i
		alts = append(alts, strings.Repeat("[0-9]", i)+`[a-fA-F]`+hex+"{"+itoa(rest)+",}")
	}
	alts = append(alts, `[0-9]{7,}[a-fA-F]`+hex+`*`)
	return `\b(?:` + strings.Join(alts, "|") + `)\b`
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Rules are the normalization rules in the order they apply. Earlier rules win: a quoted value
// is one <QUOTED> whatever it contains, a MAC address (<HEX>) is not read as a time of day, a timestamp is not read as numbers, an e-mail address
// is not read as a host and numbers, a UUID is not read as hex ids, an IP address and a hex id
// are not read as numbers.
//
// Word characters are ASCII letters, digits and '_' (RE2's \b), so digits that continue a word
// stay ("user42", "http2", "sha256", "v1.2.3"), while digits that start a word are a number
// even when a unit follows ("10ms" -> "<NUM>ms"). A '-' directly before a number that does not
// follow a word character is its sign ("-5" -> "<NUM>", "node-5" -> "node-<NUM>").
var Rules = []Rule{
	{
		// A quote that does not follow a word character opens a quoted value, so apostrophes
		// ("can't", "user's") are left alone. '>' counts as a word character here and for
		// numbers: it ends every placeholder, and a placeholder stands for a word, so text after
		// one reads as it did before the replacement (and normalizing a pattern changes nothing).
		Name:        "quoted",
		Pattern:     `(^|[^0-9A-Za-z_>])(?:'[^']*'|"[^"]*")`,
		Placeholder: PlaceholderQuoted, KeepGroup: true, Trigger: `'"`,
	},
	{
		// MAC addresses before timestamps: "00:11:22:33:44:55" begins like a time of day.
		Name:        "mac",
		Pattern:     `\b` + hex + `{2}(?:[:-]` + hex + `{2}){5}\b`,
		Placeholder: PlaceholderHex, Trigger: ":-",
	},
	{
		Name: "timestamp",
		Pattern: `\b(?:` +
			// ISO 8601 / RFC 3339, date alone or with a time, fraction ('.' or ','), zone.
			`[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?` +
			// RFC 1123 (HTTP dates): Mon, 09 Dec 2024 10:15:23 GMT
			`|` + weekdays + `, [0-9]{1,2} ` + months + ` [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}(?: (?:GMT|UTC|[+-][0-9]{4}))?` +
			// Common/combined log format: 10/Oct/2000:13:55:36 -0700
			`|[0-9]{1,2}/` + months + `/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}(?: [+-][0-9]{4})?` +
			// syslog (RFC 3164): Dec  9 10:15:23
			`|` + months + ` +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}` +
			// Go's log package and many others: 2024/12/09 10:15:23.123
			`|[0-9]{4}/[0-9]{2}/[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?)?` +
			// a time of day alone: 10:15:23,123
			`|[0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?` +
			`)`,
		Placeholder: PlaceholderTimestamp, Trigger: digits,
	},
	{
		Name:        "email",
		Pattern:     `\b[0-9A-Za-z._%+-]+@[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*\.[A-Za-z]{2,}\b`,
		Placeholder: PlaceholderEmail, Trigger: "@",
	},
	{
		Name:        "uuid",
		Pattern:     `\b` + hex + `{8}-` + hex + `{4}-` + hex + `{4}-` + hex + `{4}-` + hex + `{12}\b`,
		Placeholder: PlaceholderUUID, Trigger: "-",
	},
	{
		// Full form (8 groups), an IPv4 address in the last 32 bits, or the :: compressed form
		// with a group on at least one side (a bare "::", as in "std::vector", is not an address).
		Name: "ipv6",
		Pattern: `\b(?:` + h16 + `:){7}` + h16 + `\b` +
			`|(?:\b` + h16 + `)?(?:` + hex + `{0,4}:){2,6}` + ipv4 + `\b` +
			`|\b` + h16 + `(?::` + h16 + `){0,6}::(?:` + h16 + `(?::` + h16 + `){0,6}\b)?` +
			`|::` + h16 + `(?::` + h16 + `){0,6}\b`,
		Placeholder: PlaceholderIP, Trigger: ":",
	},
	{
		Name:        "ipv4",
		Pattern:     `\b` + ipv4 + `\b`,
		Placeholder: PlaceholderIP, Trigger: ".",
	},
	{
		Name:        "hex",
		Pattern:     hexID(),
		Placeholder: PlaceholderHex, Trigger: "abcdefABCDEFxX",
	},
	{
		// Integers and decimals, dotted runs of them ("1.2.3"), a sign and an exponent; the
		// character before must not be a word character, '.' or '>', so "user42" and "v1.2.3"
		// stay.
		Name:        "number",
		Pattern:     `(^|[^0-9A-Za-z_.>])-?[0-9]+(?:\.[0-9]+)*(?:[eE][+-]?[0-9]+)?`,
		Placeholder: PlaceholderNum, KeepGroup: true, Trigger: digits,
	},
}

// compiledRule is a rule as a Go regexp: the specification the matchers of scan.go are tested
// against.
type compiledRule struct {
	re   *regexp.Regexp
	repl string
}

// triggers[i] is the set of Rules[i].Trigger bytes.
var triggers = func() (t [len(scanRules)][256]bool) {
	for i, r := range Rules {
		for j := 0; j < len(r.Trigger); j++ {
			t[i][r.Trigger[j]] = true
		}
	}
	return t
}()

func containsAny(s string, set *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if set[s[i]] {
			return true
		}
	}
	return false
}

var compiled = func() []compiledRule {
	out := make([]compiledRule, len(Rules))
	for i, r := range Rules {
		repl := r.Placeholder
		if r.KeepGroup {
			repl = "${1}" + r.Placeholder
		}
		out[i] = compiledRule{re: regexp.MustCompile(r.Pattern), repl: repl}
	}
	return out
}()

// Normalize returns the pattern of a log message: timestamps, IP addresses, UUIDs, hex ids,
// numbers, e-mail addresses and quoted values replaced by placeholders, so that messages that
// differ only in those values group together. For example
//
//	Error at 2024-12-09T10:15:23Z: Connection to 192.168.1.1 failed (id: 12345)
//	-> Error at <TIMESTAMP>: Connection to <IP> failed (id: <NUM>)
//
// The ClickHouse and DuckDB expressions of SQLExpr give the same result byte for byte. Safe for
// concurrent use.
func Normalize(msg string) string {
	for i := range Rules {
		if !containsAny(msg, &triggers[i]) {
			continue
		}
		msg = apply(msg, &scanRules[i], Rules[i].Placeholder)
	}
	return msg
}

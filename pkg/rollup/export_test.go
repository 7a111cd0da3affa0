package rollup

// NormalizeRegexp applies every rule with Go's regexp, ignoring the triggers.
func NormalizeRegexp(msg string) string { return normalizeRegexp(msg) }

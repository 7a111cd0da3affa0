package rollup

// NormalizeAllRules applies every rule, ignoring the triggers.
func NormalizeAllRules(msg string) string {
	for i := range compiled {
		msg = compiled[i].re.ReplaceAllString(msg, compiled[i].repl)
	}
	return msg
}

package otlpconv



type jsonCase struct {
	sig  Signal
	body string
}

func jsonCases() []jsonCase { return nil }

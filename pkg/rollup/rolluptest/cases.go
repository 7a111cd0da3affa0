package rolluptest

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// Case is one message and its expected pattern.
type Case struct {
	In, Want string
}

// Cases are the normalization table: the examples of the design, one or more per rule, and the
// tricky ones (words with digits, versions, ports, signs, apostrophes, unicode, near-misses).
var Cases = []Case{
	// The design's examples.
	{"Error at 2024-12-09T10:15:23Z: Connection to 192.168.1.1 failed (id: 12345)", "Error at <TIMESTAMP>: Connection to <IP> failed (id: <NUM>)"},
	{"Error at 2024-12-09T11:30:45Z: Connection to 192.168.1.2 failed (id: 67890)", "Error at <TIMESTAMP>: Connection to <IP> failed (id: <NUM>)"},
	// Nothing to replace.
	{"", ""},
	{"server started", "server started"},
	// Timestamps.
	{"at 2024-12-09T10:15:23.123456789+01:00 ok", "at <TIMESTAMP> ok"},
	{"at 2024-12-09T10:15:23-0700 ok", "at <TIMESTAMP> ok"},
	{"2024-12-09 10:15:23,123 INFO started", "<TIMESTAMP> INFO started"},
	{"backup of 2024-12-09 done", "backup of <TIMESTAMP> done"},
	{"2024/12/09 10:15:23.123 listening", "<TIMESTAMP> listening"},
	{"Date: Mon, 09 Dec 2024 10:15:23 GMT", "Date: <TIMESTAMP>"},
	{`127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326`, "<IP> - - [<TIMESTAMP>] <QUOTED> <NUM> <NUM>"},
	{"Dec  9 10:15:23 web1 sshd[4321]: Accepted publickey", "<TIMESTAMP> web1 sshd[<NUM>]: Accepted publickey"},
	{"tick at 10:15:23.5", "tick at <TIMESTAMP>"},
	// IP addresses and ports.
	{"user42 logged in from 10.0.0.7:8080", "user42 logged in from <IP>:<NUM>"},
	{"listening on 0.0.0.0:4317", "listening on <IP>:<NUM>"},
	{"subnet 10.0.0.0/8 allowed", "subnet <IP>/<NUM> allowed"},
	{"not an address 256.1.1.1 or 999.1.2.3", "not an address <NUM> or <NUM>"},
	{"peer fe80::1%eth0 up", "peer <IP>%eth0 up"},
	{"loopback ::1 and [::1]:8080", "loopback <IP> and [<IP>]:<NUM>"},
	{"from 2001:db8:85a3::8a2e:370:7334 ok", "from <IP> ok"},
	{"from 2001:0db8:85a3:0000:0000:8a2e:0370:7334 ok", "from <IP> ok"},
	{"mapped ::ffff:192.168.1.1 here", "mapped <IP> here"},
	{"std::vector<int> and Foo::bar()", "std::vector<int> and Foo::bar()"},
	// UUIDs and hex ids.
	{"request 550e8400-e29b-41d4-a716-446655440000 done", "request <UUID> done"},
	{"REQUEST 550E8400-E29B-41D4-A716-446655440000", "REQUEST <UUID>"},
	{"trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7", "trace <HEX> span <HEX>"},
	{"pointer 0x7ffde000 code 0X1F flag 0x0", "pointer <HEX> code <HEX> flag <HEX>"},
	{"commit deadbeef vs cafe vs decade", "commit <HEX> vs cafe vs decade"},
	{"all digits 12345678 is a number", "all digits <NUM> is a number"},
	{"mac 00:1a:2b:3c:4d:5e and 00-1A-2B-3C-4D-5E", "mac <HEX> and <HEX>"},
	// E-mail addresses.
	{"mail to bob.smith+tag@example.co.uk sent", "mail to <EMAIL> sent"},
	{"from user_42@mail-1.example.com.", "from <EMAIL>."},
	{"not mail: @handle and a@b", "not mail: @handle and a@b"},
	// Quoted values.
	{`said 'hello world' and "bye"`, "said <QUOTED> and <QUOTED>"},
	{"can't connect, user's fault", "can't connect, user's fault"},
	{`{"user":"bob","id":42}`, "{<QUOTED>:<QUOTED>,<QUOTED>:<NUM>}"},
	{`key='' and ""`, "key=<QUOTED> and <QUOTED>"},
	{`path "C:\temp\x 2024-01-01"`, "path <QUOTED>"},
	{`unterminated "quote 42`, `unterminated "quote <NUM>`},
	// Numbers.
	{"http2 sha256 utf8 log4j user42", "http2 sha256 utf8 log4j user42"},
	{"version v1.2.3 and 1.2.3 released", "version v1.2.3 and <NUM> released"},
	{"temp -5 degrees, node-5 down, range 1-2", "temp <NUM> degrees, node-<NUM> down, range <NUM>-<NUM>"},
	{"took 10ms, 2.5s total, 3.5e10 ops, x=-1.5E-3", "took <NUM>ms, <NUM>s total, <NUM> ops, x=<NUM>"},
	{"retry 3/5 after 250 ms (42%)", "retry <NUM>/<NUM> after <NUM> ms (<NUM>%)"},
	{"count is 5.", "count is <NUM>."},
	{"1,2,3", "<NUM>,<NUM>,<NUM>"},
	{"epoch 1733739323", "epoch <NUM>"},
	{"item_7 and _8", "item_7 and _8"},
	// Unicode: only ASCII letters make words, so digits after other letters are numbers.
	{"café42 日本123 über 7 naïve", "café<NUM> 日本<NUM> über <NUM> naïve"},
	{"Ошибка 500 на сервере 10.1.1.1", "Ошибка <NUM> на сервере <IP>"},
	{"emoji 🚀 x3 🚀3", "emoji 🚀 x3 🚀<NUM>"},
	// Everything at once, and multi-line bodies.
	{"2024-12-09T10:15:23Z user 'alice' (alice@example.com) from 10.1.2.3 got 404 for 550e8400-e29b-41d4-a716-446655440000 in 12ms",
		"<TIMESTAMP> user <QUOTED> (<EMAIL>) from <IP> got <NUM> for <UUID> in <NUM>ms"},
	{"panic: boom\ngoroutine 1 [running]:\nmain.go:42 +0x1d", "panic: boom\ngoroutine <NUM> [running]:\nmain.go:<NUM> +<HEX>"},
}

// Generate returns n messages assembled at random from templates and values, including the
// variable parts Normalize replaces and near-misses, for differential tests. The same seed gives
// the same messages.
func Generate(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	words := []string{"error", "user42", "v1.2.3", "can't", "std::map", "http2", "node-", "café", "日本",
		"x", "=", ":", "(", ")", "[", "]", ",", ".", "-", "/", "@", "'", `"`, "0x", "::", "%", "_", " ", " ", " ", "\t"}
	gen := []func() string{
		func() string { return strconv.Itoa(r.IntN(100000)) },
		func() string { return "-" + strconv.Itoa(r.IntN(100)) },
		func() string { return strconv.FormatFloat(r.Float64()*1000, 'f', r.IntN(4), 64) },
		func() string {
			return strconv.Itoa(r.IntN(300)) + "." + strconv.Itoa(r.IntN(300)) + "." + strconv.Itoa(r.IntN(300)) + "." + strconv.Itoa(r.IntN(300))
		},
		func() string { return strconv.FormatUint(r.Uint64(), 16) },
		func() string { return strconv.FormatUint(r.Uint64()>>uint(r.IntN(60)), 16) },
		func() string {
			return "2024-" + pad2(r.IntN(12)+1) + "-" + pad2(r.IntN(28)+1) + "T" + pad2(r.IntN(24)) + ":" + pad2(r.IntN(60)) + ":" + pad2(r.IntN(60)) + []string{"Z", "", ".123Z", "+02:00"}[r.IntN(4)]
		},
		func() string { return pad2(r.IntN(24)) + ":" + pad2(r.IntN(60)) + ":" + pad2(r.IntN(60)) },
		func() string {
			return "550e8400-e29b-41d4-a716-" + strconv.FormatUint(0x100000000000+r.Uint64()%0xeffffffffff, 16)
		},
		func() string {
			return []string{"fe80::1", "::1", "2001:db8::" + strconv.Itoa(r.IntN(999)), "::ffff:10.0.0." + strconv.Itoa(r.IntN(256))}[r.IntN(4)]
		},
		func() string {
			return []string{"bob", "a.b+c", "x_1"}[r.IntN(3)] + "@" + []string{"example.com", "mail.co.uk", "h"}[r.IntN(3)]
		},
		func() string { return "'" + words[r.IntN(len(words))] + "'" },
		func() string { return `"` + words[r.IntN(len(words))] + strconv.Itoa(r.IntN(10)) + `"` },
		func() string { return words[r.IntN(len(words))] },
		func() string { return words[r.IntN(len(words))] },
		func() string { return words[r.IntN(len(words))] },
	}
	out := make([]string, n)
	var b strings.Builder
	for i := range out {
		b.Reset()
		for range 1 + r.IntN(14) {
			b.WriteString(gen[r.IntN(len(gen))]())
			if r.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		out[i] = b.String()
	}
	return out
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

package model

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValueKind is the type held by a Value, mirroring OTLP's AnyValue.
type ValueKind uint8

// The kinds of Value. KindEmpty is an AnyValue with no value set.
const (
	KindEmpty ValueKind = iota
	KindString
	KindBool
	KindInt
	KindDouble
	KindBytes
	KindArray
	KindMap
)

var kindNames = [...]string{"empty", "string", "bool", "int", "double", "bytes", "array", "kvlist"}

func (k ValueKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is an OTLP AnyValue. Only the field selected by Kind is meaningful.
type Value struct {
	Kind   ValueKind
	Str    string
	Int    int64
	Double float64
	Bool   bool
	Bytes  []byte
	Array  []Value
	Map    []KeyValue
}

// KeyValue is one attribute. Keys are unique within an attribute list (OTLP requires it; the
// converter keeps the last occurrence).
type KeyValue struct {
	Key   string
	Value Value
}

// Attributes is an ordered attribute list.
type Attributes []KeyValue

// StringValue and the other constructors build a Value of one kind.
func StringValue(s string) Value          { return Value{Kind: KindString, Str: s} }
func BoolValue(b bool) Value              { return Value{Kind: KindBool, Bool: b} }
func IntValue(i int64) Value              { return Value{Kind: KindInt, Int: i} }
func DoubleValue(f float64) Value         { return Value{Kind: KindDouble, Double: f} }
func BytesValue(b []byte) Value           { return Value{Kind: KindBytes, Bytes: b} }
func ArrayValue(vs ...Value) Value        { return Value{Kind: KindArray, Array: vs} }
func MapValue(kvs ...KeyValue) Value      { return Value{Kind: KindMap, Map: kvs} }
func KV(key string, v Value) KeyValue     { return KeyValue{Key: key, Value: v} }
func StringKV(key, value string) KeyValue { return KeyValue{Key: key, Value: StringValue(value)} }

// Get returns the value of key and whether it is present.
func (a Attributes) Get(key string) (Value, bool) {
	for i := range a {
		if a[i].Key == key {
			return a[i].Value, true
		}
	}
	return Value{}, false
}

// AsString renders the value as the string stored in attribute maps. This is the one rendering
// every store uses (it matches the OpenTelemetry Collector ClickHouse exporter): strings as they
// are, ints in decimal, doubles in the shortest form that round-trips, booleans as true/false,
// bytes in standard base64, arrays and kvlists as compact JSON, empty as "".
func (v Value) AsString() string {
	switch v.Kind {
	case KindString:
		return v.Str
	case KindBool:
		return strconv.FormatBool(v.Bool)
	case KindInt:
		return strconv.FormatInt(v.Int, 10)
	case KindDouble:
		return formatDouble(v.Double)
	case KindBytes:
		return base64.StdEncoding.EncodeToString(v.Bytes)
	case KindArray, KindMap:
		var b strings.Builder
		v.appendJSON(&b)
		return b.String()
	}
	return ""
}

func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func (v Value) appendJSON(b *strings.Builder) {
	switch v.Kind {
	case KindString:
		writeJSONString(b, v.Str)
	case KindBool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case KindInt:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case KindDouble:
		if math.IsNaN(v.Double) || math.IsInf(v.Double, 0) {
			writeJSONString(b, formatDouble(v.Double))
		} else {
			b.WriteString(formatDouble(v.Double))
		}
	case KindBytes:
		writeJSONString(b, base64.StdEncoding.EncodeToString(v.Bytes))
	case KindArray:
		b.WriteByte('[')
		for i, e := range v.Array {
			if i > 0 {
				b.WriteByte(',')
			}
			e.appendJSON(b)
		}
		b.WriteByte(']')
	case KindMap:
		b.WriteByte('{')
		for i, kv := range v.Map {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, kv.Key)
			b.WriteByte(':')
			kv.Value.appendJSON(b)
		}
		b.WriteByte('}')
	default:
		b.WriteString("null")
	}
}

func writeJSONString(b *strings.Builder, s string) {
	const hexdigits = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20:
				b.WriteString(`\u00`)
				b.WriteByte(hexdigits[c>>4])
				b.WriteByte(hexdigits[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\ufffd`)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// TraceID is a 16-byte trace id; all zero means absent.
type TraceID [16]byte

// SpanID is an 8-byte span id; all zero means absent.
type SpanID [8]byte

// IsZero reports whether the id is absent.
func (t TraceID) IsZero() bool { return t == TraceID{} }

// IsZero reports whether the id is absent.
func (s SpanID) IsZero() bool { return s == SpanID{} }

// String returns the lowercase hex form, or "" for the absent id (the form stored and queried).
func (t TraceID) String() string {
	if t.IsZero() {
		return ""
	}
	return hex.EncodeToString(t[:])
}

// String returns the lowercase hex form, or "" for the absent id.
func (s SpanID) String() string {
	if s.IsZero() {
		return ""
	}
	return hex.EncodeToString(s[:])
}

// ParseTraceID parses 32 hex digits (either case). The empty string is the absent id.
func ParseTraceID(s string) (TraceID, error) {
	var t TraceID
	if s == "" {
		return t, nil
	}
	if len(s) != 32 {
		return t, &IDError{Kind: "trace id", Value: s, Want: 32}
	}
	if _, err := hex.Decode(t[:], []byte(s)); err != nil {
		return t, &IDError{Kind: "trace id", Value: s, Want: 32}
	}
	return t, nil
}

// ParseSpanID parses 16 hex digits (either case). The empty string is the absent id.
func ParseSpanID(s string) (SpanID, error) {
	var id SpanID
	if s == "" {
		return id, nil
	}
	if len(s) != 16 {
		return id, &IDError{Kind: "span id", Value: s, Want: 16}
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, &IDError{Kind: "span id", Value: s, Want: 16}
	}
	return id, nil
}

// IDError reports a malformed trace or span id.
type IDError struct {
	Kind  string
	Value string
	Want  int
}

func (e *IDError) Error() string {
	v := e.Value
	if len(v) > 64 {
		v = v[:64] + "…"
	}
	return "invalid " + e.Kind + " " + strconv.Quote(v) + ": want " + strconv.Itoa(e.Want) + " hex digits"
}

package hql

// Type is the HQL type of a column or expression.
type Type uint8

// The HQL types. Timestamps are nanoseconds since the Unix epoch (UTC); durations are
// nanoseconds and reach SQL (and results) as 64-bit integers.
const (
	TypeNull Type = iota // the type of NULL; compatible with every type
	TypeBool
	TypeInt // 64-bit signed
	TypeFloat
	TypeString
	TypeTimestamp
	TypeDuration
	TypeMap  // map<string,string>; read with m['key']
	TypeList // list<...>: selectable, not comparable
	TypeStruct
)

var typeNames = [...]string{"null", "bool", "int", "float", "string", "timestamp", "duration", "map", "list", "struct"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// IsNumeric reports int or float.
func (t Type) IsNumeric() bool { return t == TypeInt || t == TypeFloat }

func (t Type) comparable() bool { return t != TypeMap && t != TypeList && t != TypeStruct }

// orderable types support < and >, min and max, ORDER BY.
func (t Type) orderable() bool {
	return t == TypeNull || t == TypeInt || t == TypeFloat || t == TypeString || t == TypeTimestamp ||
		t == TypeDuration || t == TypeBool
}

// unify returns the common type of a and b for comparisons, CASE arms and coalesce.
func unify(a, b Type) (Type, bool) {
	switch {
	case a == b:
		return a, true
	case a == TypeNull:
		return b, true
	case b == TypeNull:
		return a, true
	case a.IsNumeric() && b.IsNumeric():
		return TypeFloat, true
	}
	return 0, false
}

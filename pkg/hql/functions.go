package hql

import "sort"

// ArgClass constrains one function argument.
type ArgClass uint8

// The argument classes. Const classes must be literals (after macro resolution); they reach SQL
// through the dialect's audited literal rendering because the backends need constants there
// (quantile levels, bucket widths).
const (
	ArgAny ArgClass = iota
	ArgNumeric
	ArgString
	ArgBool
	ArgTimestamp
	ArgOrderable
	ArgConstNumeric
	ArgConstInt
	ArgConstDuration // a duration literal, a string such as '5m', or $__interval
	ArgScalar        // anything but map, list, struct
)

var argClassNames = [...]string{"any", "number", "string", "bool", "timestamp", "orderable value",
	"constant number", "constant integer", "constant duration", "scalar"}

func (a ArgClass) String() string { return argClassNames[a] }

// Func is one entry of the function table, the single description of a function that the
// planner (types), the emitters (rendering) and editors (autocomplete) read.
type Func struct {
	Name      string
	Aggregate bool
	// Args are the argument classes; the last Optional ones may be omitted (the planner fills in
	// Defaults); when Variadic, the last class repeats.
	Args     []ArgClass
	Optional int
	Defaults []Expr
	Variadic bool
	// Star allows f(*) (count); Distinct allows f(DISTINCT x).
	Star     bool
	Distinct bool
	// Result computes the result type from the argument types.
	Result func(args []Type) Type
	// Signature and Doc are for humans and autocomplete.
	Signature string
	Doc       string
	// Render maps a dialect name to a SQL template: {0}, {1}, ... are the rendered arguments,
	// {args} all of them comma-separated, {time} the table's time column. Variants are looked
	// up first: "<dialect>:star", "<dialect>:distinct", "<dialect>:int" (first argument int or
	// duration), "<dialect>:float" (first argument float).
	Render map[string]string
}

// Template returns the SQL template of f for a dialect and call shape.
func (f *Func) Template(dialect string, star, distinct bool, firstArg Type) (string, bool) {
	if star {
		if t, ok := f.Render[dialect+":star"]; ok {
			return t, true
		}
	}
	if distinct {
		t, ok := f.Render[dialect+":distinct"]
		return t, ok
	}
	if firstArg == TypeInt || firstArg == TypeDuration {
		if t, ok := f.Render[dialect+":int"]; ok {
			return t, true
		}
	}
	if firstArg == TypeFloat {
		if t, ok := f.Render[dialect+":float"]; ok {
			return t, true
		}
	}
	t, ok := f.Render[dialect]
	return t, ok
}

func fixed(t Type) func([]Type) Type    { return func([]Type) Type { return t } }
func sameAsArg(i int) func([]Type) Type { return func(a []Type) Type { return a[i] } }
func unifyAll(from int) func([]Type) Type {
	return func(a []Type) Type {
		t := TypeNull
		for _, x := range a[from:] {
			t, _ = unify(t, x)
		}
		return t
	}
}

func both(duck, ch string) map[string]string {
	return map[string]string{"duckdb": duck, "clickhouse": ch}
}

func pctl(name, level string) *Func {
	return &Func{Name: name, Aggregate: true, Args: []ArgClass{ArgNumeric}, Result: fixed(TypeFloat),
		Signature: name + "(x number) float", Doc: "the " + level + " quantile of x, linearly interpolated (exact)",
		Render: both("quantile_cont({0}, "+level+")", "quantileExactInclusiveOrNull("+level+")({0})")}
}

// funcs is the function table. Aggregates over an empty input return NULL on every backend
// (ClickHouse's -OrNull combinators), except count, which returns 0, so both backends agree.
var funcs = map[string]*Func{}

func init() {
	for _, f := range []*Func{
		{Name: "count", Aggregate: true, Args: []ArgClass{ArgAny}, Optional: 1, Star: true, Distinct: true,
			Result: fixed(TypeInt), Signature: "count(*) | count(x) | count(DISTINCT x) int",
			Doc: "number of rows, of non-NULL x, or of distinct non-NULL x",
			Render: map[string]string{"duckdb": "count({0})", "clickhouse": "count({0})",
				"duckdb:star": "count(*)", "clickhouse:star": "count()",
				"duckdb:distinct": "count(DISTINCT {0})", "clickhouse:distinct": "count(DISTINCT {0})"}},
		{Name: "count_if", Aggregate: true, Args: []ArgClass{ArgBool}, Result: fixed(TypeInt),
			Signature: "count_if(cond bool) int", Doc: "number of rows where cond is true",
			// DuckDB's count_if is NULL when every condition is NULL; count() of a CASE is 0,
			// as ClickHouse's countIf is.
			Render: both("count(CASE WHEN {0} THEN 1 END)", "countIf({0})")},
		{Name: "sum", Aggregate: true, Args: []ArgClass{ArgNumeric}, Result: sameAsArg(0),
			Signature: "sum(x number) number", Doc: "sum of x",
			// DuckDB sums BIGINT into HUGEINT; keep results 64-bit like ClickHouse.
			Render: map[string]string{"duckdb": "sum({0})", "duckdb:int": "CAST(sum({0}) AS BIGINT)", "clickhouse": "sumOrNull({0})"}},
		{Name: "avg", Aggregate: true, Args: []ArgClass{ArgNumeric}, Result: fixed(TypeFloat),
			Signature: "avg(x number) float", Doc: "mean of x", Render: both("avg({0})", "avgOrNull({0})")},
		{Name: "min", Aggregate: true, Args: []ArgClass{ArgOrderable}, Result: sameAsArg(0),
			Signature: "min(x) x", Doc: "smallest x", Render: both("min({0})", "minOrNull({0})")},
		{Name: "max", Aggregate: true, Args: []ArgClass{ArgOrderable}, Result: sameAsArg(0),
			Signature: "max(x) x", Doc: "largest x", Render: both("max({0})", "maxOrNull({0})")},
		{Name: "quantile", Aggregate: true, Args: []ArgClass{ArgConstNumeric, ArgNumeric}, Result: fixed(TypeFloat),
			Signature: "quantile(level number, x number) float",
			Doc:       "the level (0..1) quantile of x, linearly interpolated between the closest ranks (exact)",
			Render:    both("quantile_cont({1}, {0})", "quantileExactInclusiveOrNull({0})({1})")},
		pctl("median", "0.5"), pctl("p50", "0.5"), pctl("p75", "0.75"), pctl("p90", "0.9"),
		pctl("p95", "0.95"), pctl("p99", "0.99"), pctl("p999", "0.999"),
		{Name: "rate", Aggregate: true, Args: []ArgClass{ArgNumeric}, Result: fixed(TypeFloat),
			Signature: "rate(counter number) float",
			Doc:       "per-second increase of a cumulative counter over the group: (max - min) / seconds between the first and last sample; NULL for a single sample; counter resets are not detected",
			Render: both("(max({0}) - min({0})) / nullif((epoch_ns(max({time})) - epoch_ns(min({time}))) / 1e9, 0)",
				"(maxOrNull({0}) - minOrNull({0})) / nullIf((toUnixTimestamp64Nano(max({time})) - toUnixTimestamp64Nano(min({time}))) / 1e9, 0)")},

		{Name: "now", Result: fixed(TypeTimestamp), Signature: "now() timestamp",
			Doc: "the query's evaluation time (fixed for the whole query)"},
		{Name: "bucket", Args: []ArgClass{ArgTimestamp, ArgConstDuration}, Result: fixed(TypeTimestamp),
			Signature: "bucket(t timestamp, width duration) timestamp",
			Doc:       "start of the width-long interval (aligned to the Unix epoch) that contains t; bucket(timestamp, '1m') or bucket(timestamp, 5m)",
			Render: both("make_timestamp_ns((epoch_ns({0}) // {1}) * {1})",
				"fromUnixTimestamp64Nano(toInt64(intDiv(toUnixTimestamp64Nano({0}), {1}) * {1}), 'UTC')")},
		{Name: "to_unix_nano", Args: []ArgClass{ArgTimestamp}, Result: fixed(TypeInt),
			Signature: "to_unix_nano(t timestamp) int", Doc: "nanoseconds since the Unix epoch",
			Render: both("epoch_ns({0})", "toUnixTimestamp64Nano({0})")},
		{Name: "from_unix_nano", Args: []ArgClass{ArgNumeric}, Result: fixed(TypeTimestamp),
			Signature: "from_unix_nano(ns int) timestamp", Doc: "timestamp from nanoseconds since the Unix epoch",
			Render: both("make_timestamp_ns(CAST({0} AS BIGINT))", "fromUnixTimestamp64Nano(toInt64({0}), 'UTC')")},

		{Name: "lower", Args: []ArgClass{ArgString}, Result: fixed(TypeString), Signature: "lower(s string) string",
			Doc: "lower case (Unicode)", Render: both("lower({0})", "lowerUTF8({0})")},
		{Name: "upper", Args: []ArgClass{ArgString}, Result: fixed(TypeString), Signature: "upper(s string) string",
			Doc: "upper case (Unicode)", Render: both("upper({0})", "upperUTF8({0})")},
		{Name: "length", Args: []ArgClass{ArgString}, Result: fixed(TypeInt), Signature: "length(s string) int",
			Doc: "length in characters", Render: both("length({0})", "toInt64(lengthUTF8({0}))")},
		{Name: "trim", Args: []ArgClass{ArgString}, Result: fixed(TypeString), Signature: "trim(s string) string",
			Doc: "s without leading and trailing spaces", Render: both("trim({0})", "trimBoth({0})")},
		{Name: "substring", Args: []ArgClass{ArgString, ArgNumeric, ArgNumeric}, Result: fixed(TypeString),
			Signature: "substring(s string, start int, length int) string", Doc: "characters of s from start (1-based)",
			Render: both("substring({0}, {1}, {2})", "substringUTF8({0}, {1}, {2})")},
		{Name: "replace", Args: []ArgClass{ArgString, ArgString, ArgString}, Result: fixed(TypeString),
			Signature: "replace(s, from, to string) string", Doc: "s with every from replaced by to",
			Render: both("replace({0}, {1}, {2})", "replaceAll({0}, {1}, {2})")},
		{Name: "starts_with", Args: []ArgClass{ArgString, ArgString}, Result: fixed(TypeBool),
			Signature: "starts_with(s, prefix string) bool", Doc: "s begins with prefix",
			Render: both("starts_with({0}, {1})", "startsWith({0}, {1})")},
		{Name: "ends_with", Args: []ArgClass{ArgString, ArgString}, Result: fixed(TypeBool),
			Signature: "ends_with(s, suffix string) bool", Doc: "s ends with suffix",
			Render: both("ends_with({0}, {1})", "endsWith({0}, {1})")},
		{Name: "match", Args: []ArgClass{ArgString, ArgString}, Result: fixed(TypeBool),
			Signature: "match(s, regexp string) bool", Doc: "s contains a match of the RE2 regular expression (same as s =~ regexp)",
			Render: both("regexp_matches({0}, {1})", "match({0}, {1})")},
		{Name: "to_string", Args: []ArgClass{ArgScalar}, Result: fixed(TypeString),
			Signature: "to_string(x) string", Doc: "x as text",
			// DuckDB prints integral doubles as "10.0", ClickHouse as "10".
			Render: map[string]string{"duckdb": "CAST({0} AS VARCHAR)", "clickhouse": "toString({0})",
				"duckdb:float": `regexp_replace(CAST({0} AS VARCHAR), '\.0$', '')`}},
		{Name: "to_int", Args: []ArgClass{ArgScalar}, Result: fixed(TypeInt),
			Signature: "to_int(x) int", Doc: "x as an integer; NULL when it is not one",
			Render: both("TRY_CAST({0} AS BIGINT)", "toInt64OrNull(toString({0}))")},
		{Name: "to_float", Args: []ArgClass{ArgScalar}, Result: fixed(TypeFloat),
			Signature: "to_float(x) float", Doc: "x as a float; NULL when it is not a number",
			Render: both("TRY_CAST({0} AS DOUBLE)", "toFloat64OrNull(toString({0}))")},

		{Name: "abs", Args: []ArgClass{ArgNumeric}, Result: sameAsArg(0), Signature: "abs(x number) number",
			Doc: "absolute value", Render: both("abs({0})", "abs({0})")},
		{Name: "round", Args: []ArgClass{ArgNumeric, ArgConstInt}, Optional: 1, Defaults: []Expr{&IntLit{}},
			Result: fixed(TypeFloat), Signature: "round(x number[, digits int]) float",
			// ClickHouse rounds float halves to even; DuckDB's round_even does the same, so the
			// backends agree.
			Doc: "x rounded to digits decimal places, halves to even",
			// "+ 0" turns -0 (round(-0.4)) into 0: the backends disagree on when they return -0.
			Render: both("(round_even(CAST({0} AS DOUBLE), {1}) + 0)", "(round(toFloat64({0}), {1}) + 0)")},
		{Name: "floor", Args: []ArgClass{ArgNumeric}, Result: fixed(TypeFloat), Signature: "floor(x number) float",
			Doc: "largest integer <= x", Render: both("floor(CAST({0} AS DOUBLE))", "floor(toFloat64({0}))")},
		{Name: "ceil", Args: []ArgClass{ArgNumeric}, Result: fixed(TypeFloat), Signature: "ceil(x number) float",
			Doc: "smallest integer >= x", Render: both("(ceil(CAST({0} AS DOUBLE)) + 0)", "(ceil(toFloat64({0})) + 0)")},
		{Name: "sqrt", Args: []ArgClass{ArgNumeric}, Result: fixed(TypeFloat), Signature: "sqrt(x number) float",
			Doc: "square root", Render: both("sqrt({0})", "sqrt({0})")},
		{Name: "ln", Args: []ArgClass{ArgNumeric}, Result: fixed(TypeFloat), Signature: "ln(x number) float",
			Doc: "natural logarithm", Render: both("ln({0})", "log({0})")},
		{Name: "log10", Args: []ArgClass{ArgNumeric}, Result: fixed(TypeFloat), Signature: "log10(x number) float",
			Doc: "base-10 logarithm", Render: both("log10({0})", "log10({0})")},
		{Name: "exp", Args: []ArgClass{ArgNumeric}, Result: fixed(TypeFloat), Signature: "exp(x number) float",
			Doc: "e to the x", Render: both("exp({0})", "exp({0})")},
		{Name: "pow", Args: []ArgClass{ArgNumeric, ArgNumeric}, Result: fixed(TypeFloat), Signature: "pow(x, y number) float",
			Doc: "x to the y", Render: both("pow({0}, {1})", "pow({0}, {1})")},

		{Name: "coalesce", Args: []ArgClass{ArgScalar}, Variadic: true, Result: unifyAll(0),
			Signature: "coalesce(x, ...) x", Doc: "the first non-NULL argument",
			Render: both("coalesce({args})", "coalesce({args})")},
		{Name: "if", Args: []ArgClass{ArgBool, ArgScalar, ArgScalar}, Result: unifyAll(1),
			Signature: "if(cond bool, then, else) value", Doc: "then when cond is true, else otherwise (also when cond is NULL)",
			Render: both("CASE WHEN {0} THEN {1} ELSE {2} END", "CASE WHEN {0} THEN {1} ELSE {2} END")},
		{Name: "nullif", Args: []ArgClass{ArgScalar, ArgScalar}, Result: sameAsArg(0),
			Signature: "nullif(x, y) x", Doc: "NULL when x = y, else x",
			Render: both("nullif({0}, {1})", "nullIf({0}, {1})")},
	} {
		funcs[f.Name] = f
	}
}

// LookupFunc returns the function named name (case-insensitive).
func LookupFunc(name string) (*Func, bool) {
	f, ok := funcs[lower(name)]
	return f, ok
}

// Functions lists the function table sorted by name, for documentation and autocomplete.
func Functions() []*Func {
	out := make([]*Func, 0, len(funcs))
	for _, f := range funcs {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func funcNames() []string {
	out := make([]string, 0, len(funcs))
	for n := range funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

package rolluptest_test

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/heimsight/heimsight/pkg/rollup"
	"github.com/heimsight/heimsight/pkg/rollup/rolluptest"
	"github.com/heimsight/heimsight/pkg/store/clickhouse"
	"github.com/heimsight/heimsight/pkg/store/clickhouse/chdbtest"
)

// differentialMessages are the table's inputs and a few thousand generated messages.
func differentialMessages(t *testing.T) []string {
	var msgs []string
	for _, c := range rolluptest.Cases {
		msgs = append(msgs, c.In)
	}
	for _, m := range rolluptest.Generate(4000, 42) {
		if !utf8.ValidString(m) {
			t.Fatalf("generated invalid UTF-8: %q", m)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func chLiteral(s string) string {
	l, err := clickhouse.Literal(s)
	if err != nil {
		panic(err)
	}
	return l
}

// ClickHouse's replaceRegexpAll chain gives Normalize's output byte for byte.
func TestNormalizeClickHouseDifferential(t *testing.T) {
	e := chdbtest.Start(t, t.TempDir())
	expr, err := rollup.SQLExpr(rollup.ClickHouse, "unhex(h)", chLiteral)
	if err != nil {
		t.Fatal(err)
	}
	msgs := differentialMessages(t)
	var in bytes.Buffer
	for i, m := range msgs {
		fmt.Fprintf(&in, "%d\t%s\n", i, hex.EncodeToString([]byte(m)))
	}
	if err := e.Exec("CREATE TABLE msgs (i UInt32, h String) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	if err := e.QueryInput("INSERT INTO msgs SELECT * FROM file('{input}', 'TSV', 'i UInt32, h String')", in.Bytes()); err != nil {
		t.Fatal(err)
	}
	out, err := e.Query("SELECT i, hex("+expr+") FROM msgs ORDER BY i", "TSVRaw")
	if err != nil {
		t.Fatal(err)
	}
	compareOutputs(t, "ClickHouse "+e.Version, msgs, out)
}

// DuckDB's regexp_replace(..., 'g') chain gives Normalize's output byte for byte.
func TestNormalizeDuckDBDifferential(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	expr, err := rollup.SQLExpr(rollup.DuckDB, "m", lit)
	if err != nil {
		t.Fatal(err)
	}
	msgs := differentialMessages(t)
	if _, err := db.Exec("CREATE TABLE msgs (i INTEGER, m VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := tx.Prepare("INSERT INTO msgs VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if _, err := stmt.Exec(i, m); err != nil {
			t.Fatal(err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT i, hex(" + expr + ") FROM msgs ORDER BY i")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out bytes.Buffer
	for rows.Next() {
		var i int
		var h string
		if err := rows.Scan(&i, &h); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%d\t%s\n", i, h)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	compareOutputs(t, "DuckDB", msgs, out.Bytes())
}

// compareOutputs checks "index \t hex(pattern)" lines against Normalize.
func compareOutputs(t *testing.T, engine string, msgs []string, out []byte) {
	t.Helper()
	seen, bad := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		idx, h, ok := strings.Cut(sc.Text(), "\t")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil || i < 0 || i >= len(msgs) {
			t.Fatalf("%s: bad output line %q", engine, sc.Text())
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		seen++
		if want := rollup.Normalize(msgs[i]); string(b) != want {
			if bad++; bad <= 10 {
				t.Errorf("%s differs for %q:\n sql %q\n go  %q", engine, msgs[i], b, want)
			}
		}
	}
	if seen != len(msgs) {
		t.Fatalf("%s returned %d rows for %d messages", engine, seen, len(msgs))
	}
	t.Logf("%s: %d messages, %d differ", engine, seen, bad)
}

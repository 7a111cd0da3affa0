package hql

// Description is a JSON-friendly summary of the language for editors (autocomplete, hover
// docs): tables and columns of a catalog, the function table, keywords and macros.
type Description struct {
	Tables    []TableInfo    `json:"tables"`
	Functions []FunctionInfo `json:"functions"`
	Keywords  []string       `json:"keywords"`
	Macros    []string       `json:"macros"`
}

// TableInfo describes one table.
type TableInfo struct {
	Name       string       `json:"name"`
	Doc        string       `json:"doc,omitempty"`
	TimeColumn string       `json:"time_column"`
	Tier       bool         `json:"tier,omitempty"`
	Available  bool         `json:"available"` // false for tiers this server does not build
	Columns    []ColumnInfo `json:"columns"`
}

// ColumnInfo describes one column.
type ColumnInfo struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Doc     string `json:"doc,omitempty"`
	Derived bool   `json:"derived,omitempty"`
}

// FunctionInfo describes one function.
type FunctionInfo struct {
	Name      string `json:"name"`
	Signature string `json:"signature"`
	Doc       string `json:"doc"`
	Aggregate bool   `json:"aggregate,omitempty"`
}

// Describe summarises the catalog and the language.
func (c *Catalog) Describe() Description {
	var d Description
	for _, t := range c.Tables() {
		ti := TableInfo{Name: t.Name, Doc: t.Doc, TimeColumn: t.TimeColumn, Tier: t.Tier, Available: !t.Tier || t.Materialized}
		for _, col := range t.Columns {
			typ := col.Type.String()
			if col.Elem != "" {
				typ = col.Elem
			}
			ti.Columns = append(ti.Columns, ColumnInfo{Name: col.Name, Type: typ, Doc: col.Doc, Derived: col.Derived != nil})
		}
		d.Tables = append(d.Tables, ti)
	}
	for _, f := range Functions() {
		d.Functions = append(d.Functions, FunctionInfo{Name: f.Name, Signature: f.Signature, Doc: f.Doc, Aggregate: f.Aggregate})
	}
	d.Keywords = Keywords()
	d.Macros = append([]string(nil), macroNames...)
	return d
}

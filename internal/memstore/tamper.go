package memstore

import (
	"fmt"
	"reflect"
)

// Tamper sets column of one committed row of table to value, behind the
// stores' backs, as anyone with write access to a database could; the
// next read of any Store of d sees it. The names are the real schema's
// (migrations/sqlite/00001_log.sql), and so is the row's key: idx for
// records and tree_hashes, id for log_head (always 1) and signers, and kid
// for signer_keys.
//
// value must have the column's Go type, as in a STRICT table: int64 for
// INTEGER, string for TEXT, []byte for BLOB; nil sets a nullable column
// to NULL. A key column (idx, id, kid, nonce, signer_keys.signer) cannot
// be changed: the in-memory indexes hang on it.
func (d *DB) Tamper(table, column string, key, value any) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	row, err := d.row(table, key)
	if err != nil {
		return err
	}
	return setColumn(row, table, column, value)
}

// row returns a pointer to the committed row of table whose key is key.
func (d *DB) row(table string, key any) (any, error) {
	c := d.committed
	var row any
	switch k := key.(type) {
	case int64:
		switch table {
		case "records":
			if r := (view{c}).record(k); r != nil {
				row = r
			}
		case "tree_hashes":
			if h, ok := c.hashes[k]; ok {
				row = h
			}
		case "log_head":
			if k == 1 {
				row = c.head
			}
		}
	case string:
		switch table {
		case "signers":
			if s, ok := c.signers[k]; ok {
				row = s
			}
		case "signer_keys":
			if r, ok := c.keys[k]; ok {
				row = r
			}
		}
	}
	if row == nil {
		return nil, fmt.Errorf("memstore: tampering with %s: no row has the key %#v", table, key)
	}
	return row, nil
}

// setColumn sets the field of *row tagged col:column to value.
func setColumn(row any, table, column string, value any) error {
	rv := reflect.ValueOf(row).Elem()
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		if f.Tag.Get("col") != column {
			continue
		}
		if f.Tag.Get("key") != "" {
			return fmt.Errorf("memstore: tampering with %s.%s: a key column cannot be changed", table, column)
		}
		return setField(rv.Field(i), table+"."+column, value)
	}
	return fmt.Errorf("memstore: tampering with %s: no column %s", table, column)
}

// setField sets field, of type T or *T (nullable), to value, a T or nil.
func setField(field reflect.Value, name string, value any) error {
	nullable := field.Kind() == reflect.Pointer
	if value == nil {
		if !nullable {
			return fmt.Errorf("memstore: tampering with %s: the column is NOT NULL", name)
		}
		field.SetZero()
		return nil
	}
	v, want := reflect.ValueOf(value), field.Type()
	if nullable {
		want = want.Elem()
	}
	if v.Type() != want {
		return fmt.Errorf("memstore: tampering with %s: the column holds %s, not %T", name, want, value)
	}
	if v.Kind() == reflect.Slice {
		v = reflect.ValueOf(append([]byte(nil), value.([]byte)...)) // the caller keeps its slice
	}
	if nullable {
		p := reflect.New(want)
		p.Elem().Set(v)
		v = p
	}
	field.Set(v)
	return nil
}

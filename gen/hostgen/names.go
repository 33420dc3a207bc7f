package hostgen

import "strings"

// initialisms are written in capitals in Go names (Go style) and kept as
// words in camelCase for AssemblyScript.
var initialisms = map[string]string{"ok": "OK", "sha256": "SHA256", "sql": "SQL", "btc": "BTC", "id": "ID", "cid": "CID", "db": "DB", "utf8": "UTF8"}

// Camel turns snake_case into an exported Go name: sql_error -> SQLError.
func Camel(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		if up, ok := initialisms[w]; ok {
			b.WriteString(up)
		} else if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// lowerCamel turns snake_case into camelCase: block_height -> blockHeight.
// Go variables use it; guest names use asName, which keeps initialisms.
func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// asName is the AssemblyScript name of a snake_case name: initialisms after
// the first word are capitals (transfer_btc -> transferBTC).
func asName(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if up, ok := initialisms[parts[i]]; ok {
			parts[i] = up
		} else if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// wrap reflows prose into lines of at most 76 characters, keeping
// paragraphs.
func wrap(text string) []string {
	var out []string
	for i, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if i > 0 {
			out = append(out, "")
		}
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len(line)+1+len(w) > 76 {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// oneLine joins prose into one line (for tables).
func oneLine(text string) string { return strings.Join(strings.Fields(text), " ") }

// guestName is the snake_case name a guest library gives a function: the
// module's last part and the function for modules that group functions
// (db_execute, cache_get, log_info), the function alone otherwise
// (transfer_orama, caller, sha256).
func guestName(f *Function) string {
	switch f.Module {
	case "orama.db", "orama.cache", "orama.storage", "orama.state", "orama.log":
		return strings.TrimPrefix(f.Module, "orama.") + "_" + f.Name
	}
	return f.Name
}

// hostFuncName is the unexported Go function implementing f on the host.
func hostFuncName(f *Function) string {
	m := strings.TrimPrefix(strings.TrimPrefix(f.Module, "orama"), ".")
	if m == "" {
		return lowerCamel(f.Name)
	}
	return lowerCamel(strings.ReplaceAll(m, ".", "_") + "_" + f.Name)
}

package nsengine

import "fmt"

// MaxNamespaceNameBytes is the longest namespace name (spec/namespaces.md 1).
const MaxNamespaceNameBytes = 63

// CheckNamespaceName reports whether name is a namespace name: a DNS label of
// 3-63 bytes of [a-z0-9-], starting with a letter, not ending with '-',
// without "--". The engines use the name in DMap names and MFS paths, so they
// refuse anything else.
func CheckNamespaceName(name string) error {
	if len(name) < 3 || len(name) > MaxNamespaceNameBytes {
		return fmt.Errorf("nsengine: namespace name %q: length %d not in 3..%d", name, len(name), MaxNamespaceNameBytes)
	}
	if name[0] < 'a' || name[0] > 'z' {
		return fmt.Errorf("nsengine: namespace name %q: must start with a letter", name)
	}
	if name[len(name)-1] == '-' {
		return fmt.Errorf("nsengine: namespace name %q: must not end with '-'", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if name[i-1] == '-' {
				return fmt.Errorf("nsengine: namespace name %q: must not contain \"--\"", name)
			}
		default:
			return fmt.Errorf("nsengine: namespace name %q: byte %q not in [a-z0-9-]", name, c)
		}
	}
	return nil
}

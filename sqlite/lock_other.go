//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package sqlite

import "context"

// lockFile does nothing where there is no flock: servers that share a
// database file there must not start at once on a new schema.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	return func() {}, nil
}

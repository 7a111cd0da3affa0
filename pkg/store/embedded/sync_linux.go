//go:build duckdb_arrow && linux

package embedded

import (
	"os"
	"syscall"
)

// fdatasync makes a WAL append durable. The segment's size changes with every append, which
// fdatasync writes too; it skips only the timestamps that fsync would also flush.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}

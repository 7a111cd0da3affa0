//go:build duckdb_arrow && linux && cgo

package embedded

/*
#include <malloc.h>
*/
import "C"

// glibc raises its mmap threshold each time a large mmapped block is freed, after which the
// store's multi-megabyte Arrow buffers come from the heap arenas and stay resident after they
// are freed. A fixed threshold keeps them mmapped, so RSS follows the live buffers.
func tuneMalloc() {
	C.mallopt(C.M_MMAP_THRESHOLD, 256<<10)
}

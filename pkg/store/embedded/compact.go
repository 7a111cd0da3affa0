//go:build duckdb_arrow

package embedded

func (s *Store) compactLoop() {
	defer s.wg.Done()
	<-s.stop
}

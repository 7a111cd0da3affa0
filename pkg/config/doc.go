// Package config reads the heimsight process configuration once, from environment variables
// and the matching command-line flags (flags win), into an Options value with defaults and
// validation. It does no I/O beyond what the caller hands it and imports no Heimsight package.
package config

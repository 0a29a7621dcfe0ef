package signettest

import (
	"os"
	"testing"
)

// Tool returns the path of an external tool the suite runs, from the
// environment variable env that scripts/tools.sh exports (SIGNET_FSCK,
// SIGNET_OMNIWITNESS, SIGNET_LITEWITNESS, SIGNET_WITNESSCTL, SIGNET_CHROMIUM). Like the
// database, the tools are mandatory: without one the test fails.
func Tool(t testing.TB, env string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		t.Fatalf("%s is not set: run the tests with scripts/test.sh, which installs the external tools (scripts/tools.sh)", env)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	return p
}

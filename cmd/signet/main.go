// Command signet is the Signet command-line client: it makes keys, signs
// and submits journal entries, and checks what the server answers rather
// than trusting it; and it audits an exported log offline.
//
// Usage:
//
//	signet [global flags] COMMAND [flags] [args]
//
// Commands:
//
//	keygen      make an Ed25519 key (a JWK file, mode 0600) and print its kid
//	register    register a signer with a key (needs the admin token)
//	submit      sign and submit one JSON entry, or many with --ndjson
//	get         show one record
//	list        list records, optionally of one signer or kind
//	verify      ask the server to verify a record, then check it locally
//	checkpoint  fetch the latest checkpoint, verify it with the pinned log
//	            key and prove it consistent with the last one seen
//	rotate-key  add a new key to a signer, authorised by its current key
//	revoke-key  revoke a signer's key, by one of its keys or the operator
//	export      download the log as NDJSON, with the checkpoint it ends at
//	audit       verify an export offline: signatures, hashes, chain, tree
//	receipt     write a receipt of a record (c2sp.org/tlog-proof) that
//	            signet verify --receipt checks with no network
//	watch       follow the log, verify every new record, print those of one
//	            signer and flag those this machine did not make
//	witness     run a witness that audits and keeps a copy of the logs it cosigns
//
// Global flags, which may also follow the command's name:
//
//	--server URL        the server (env SIGNET_SERVER; default http://127.0.0.1:8080)
//	--key FILE          the private key that signs (env SIGNET_KEY; default STATE/key.jwk)
//	--state-dir DIR     pinned log keys and last checkpoints (default
//	                    $XDG_CONFIG_HOME/signet, or ~/.config/signet)
//	--admin-token-file FILE
//	                    read the admin token, for register and operator
//	                    revocations, from FILE (env SIGNET_ADMIN_TOKEN_FILE)
//	--token-file FILE   read the reader token for reads from FILE (env
//	                    SIGNET_TOKEN_FILE; default: the admin token)
//	--admin-token TOK   the admin token itself (env SIGNET_ADMIN_TOKEN)
//	--token TOK         the reader token itself (env SIGNET_TOKEN)
//	--json              machine-readable output: one JSON object per line
//
// A token on the command line shows in the process list to every local
// user: signet warns on stderr when given one, and prefers a file or the
// environment. A token file overrides the environment's token; a token
// flag and its file flag together are a usage error. Token files and
// key files must not be accessible by group or others (mode 0600, as ssh
// wants of its keys): signet refuses them, checking the mode before it
// reads the file, and says to run chmod 600 FILE.
//
// Run "signet help COMMAND" for a command's flags.
//
// # Trust
//
// signet trusts the log key it pinned, not the server. The first checkpoint
// it sees for a log (named by the checkpoint's origin) pins the log key
// served at /v1/log/key, unless --log-key gives it; later checkpoints must
// verify with that key and be consistent with the last one seen, which is
// kept per log under the state dir. A checkpoint that is not is a fork:
// both are printed and signet exits 3.
//
// # Witnesses
//
// checkpoint, verify, audit and receipt take --policy FILE (env
// SIGNET_POLICY), a c2sp.org/tlog-policy: every checkpoint they rely on
// must carry cosignatures meeting its quorum, and its log line, if any,
// must be the log key pinned or given; otherwise signet names the missing
// witnesses and exits 3. verify --receipt FILE checks a receipt with no
// network at all, against the policy or --log-key.
//
// # Watching a signer
//
// watch --signer S audits the records after its position (kept per log
// and signer in the state dir) with the rules of audit, resumed from that
// position, against a trusted checkpoint, and prints each record of S.
// submit, register, rotate-key and revoke-key append what they made to a
// journal in the state dir; watch --expect-local flags each record of S
// not in it, on stderr, and exits 3. --once checks up to the current
// checkpoint; without it watch follows until SIGINT or SIGTERM.
//
// Long operations draw a progress line on stderr when it is a terminal,
// and never with --json.
//
// # Exit codes
//
//	0  success
//	1  error: the server refused, could not be reached, a file could not be read
//	2  usage: unknown command or flag, missing argument or option
//	3  verification failed: a local check failed, the server and the local
//	   checks disagree, a fork, or an audit found damage
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], System{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}

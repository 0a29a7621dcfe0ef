package keys_test

import (
	"fmt"

	"github.com/signet-ledger/signet/keys"
)

func ExamplePublicKey_Thumbprint() {
	// The key of RFC 8037, Appendix A.2.
	k, err := keys.ParseJWK([]byte(`{"kty":"OKP","crv":"Ed25519",
		"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(k.Thumbprint())
	// Output:
	// kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k
}

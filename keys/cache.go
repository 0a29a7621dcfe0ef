package keys

import "sync"

// keyCacheSize bounds a [KeyCache]: a log with more keys than this in use
// at once checks some of them again.
const keyCacheSize = 1 << 16

// KeyCache remembers the keys [ParseJWK] accepted, by the exact bytes of
// their JWK, so that a store which reads the same signers' keys for every
// batch checks each key once. What ParseJWK returns depends on nothing but
// those bytes, so a cached answer is the answer: a key whose stored bytes
// change is a different entry, parsed and checked afresh. Refused JWKs are
// not remembered. When full it forgets everything.
//
// The zero value is ready to use. It is safe for concurrent use.
type KeyCache struct {
	mu   sync.Mutex
	keys map[string]PublicKey
}

// ParseJWK is [ParseJWK], answered from the cache when data was accepted
// before.
func (c *KeyCache) ParseJWK(data []byte) (PublicKey, error) {
	c.mu.Lock()
	k, ok := c.keys[string(data)]
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := ParseJWK(data)
	if err != nil {
		return PublicKey{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil || len(c.keys) >= keyCacheSize {
		c.keys = map[string]PublicKey{}
	}
	c.keys[string(data)] = k
	return k, nil
}

// BatchKeyCache remembers the [BatchKey] prepared for each kid, so that a
// key that signs batch after batch pays [NewBatchKey]'s subgroup test once.
// A kid names one key for good (it is the key's thumbprint), but the cache
// does not rely on it: an entry whose key is not the one asked for is
// prepared afresh. When full it forgets everything.
//
// The zero value is ready to use. It is safe for concurrent use.
type BatchKeyCache struct {
	mu   sync.Mutex
	keys map[string]*BatchKey
}

// Get returns a BatchKey for k, the key named kid, from the cache if it
// holds one for exactly k.
func (c *BatchKeyCache) Get(kid string, k PublicKey) *BatchKey {
	c.mu.Lock()
	b, ok := c.keys[kid]
	c.mu.Unlock()
	if ok && b.key == k {
		return b
	}
	b = NewBatchKey(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil || len(c.keys) >= keyCacheSize {
		c.keys = map[string]*BatchKey{}
	}
	c.keys[kid] = b
	return b
}

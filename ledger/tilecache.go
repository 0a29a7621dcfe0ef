package ledger

import (
	"container/list"
	"sync"
)

// DefaultTileCache is the default of [Config.TileCache]: 64 MiB, about
// 7,800 full tiles or entry bundles.
const DefaultTileCache = 64 << 20

// tileCache keeps the contents of full tiles and entry bundles, which
// never change, up to max bytes of contents in all, dropping the least
// recently used first. A cache with max <= 0 keeps nothing. It is safe
// for concurrent use.
type tileCache struct {
	mu     sync.Mutex
	max    int64
	bytes  int64
	recent *list.List // of *cachedTile, the most recently used first
	byTile map[Tile]*list.Element
}

type cachedTile struct {
	tile Tile
	data []byte
}

func newTileCache(max int64) *tileCache {
	return &tileCache{max: max, recent: list.New(), byTile: map[Tile]*list.Element{}}
}

// get returns t's contents if the cache holds them.
func (c *tileCache) get(t Tile) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byTile[t]
	if !ok {
		return nil, false
	}
	c.recent.MoveToFront(e)
	return e.Value.(*cachedTile).data, true
}

// add keeps data as t's contents, dropping the least recently used tiles
// until the cache is within its bound. Contents larger than the whole
// bound are not kept.
func (c *tileCache) add(t Tile, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byTile[t]; ok || int64(len(data)) > c.max {
		return
	}
	c.byTile[t] = c.recent.PushFront(&cachedTile{t, data})
	c.bytes += int64(len(data))
	for c.bytes > c.max {
		old := c.recent.Remove(c.recent.Back()).(*cachedTile)
		delete(c.byTile, old.tile)
		c.bytes -= int64(len(old.data))
	}
}

// size returns how many tiles and bytes of contents the cache holds.
func (c *tileCache) size() (tiles int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byTile), c.bytes
}

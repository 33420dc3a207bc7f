package nsengine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/olric-data/olric"
	"github.com/olric-data/olric/config"
)

// OlricConfig configures one embedded Olric member of a namespace's cluster.
type OlricConfig struct {
	// Namespace is the namespace name; the member serves DMap
	// "orama.ns.<Namespace>".
	Namespace string
	// BindAddr is the address both the Olric protocol and memberlist bind
	// and advertise (default 127.0.0.1).
	BindAddr string
	// BindPort is the Olric protocol port (slot port +2), MemberlistPort the
	// memberlist gossip port (+3). Both are required.
	BindPort       int
	MemberlistPort int
	// Peers are the memberlist addresses ("host:port") of the other members;
	// empty for the first member. A member that reaches none of them forms a
	// cluster of its own after about 10 s (Olric's join attempts).
	Peers []string
	// PartitionCount is Olric's partition count (default 271). Tests use 23.
	PartitionCount uint64
	// TableSize is the storage engine's table size in bytes (default 1 MiB,
	// Olric's). The defaults reserve about 538 MB of heap per member; tests
	// use 64 KiB. An entry (key, encoded value, 29 bytes of metadata) must fit
	// in one table.
	TableSize int
	// ReplicaCount is how many members hold each key (default 2, so a member
	// that leaves or restarts loses no key; Olric warns while the cluster has
	// fewer members). 1 is Olric's own default.
	ReplicaCount int
	// StartTimeout bounds the wait for the member to start and join (default
	// 30 s; the context given to NewOlricCache also bounds it).
	StartTimeout time.Duration
	// Logger receives Olric's and memberlist's warnings and errors (default
	// slog.Default()).
	Logger *slog.Logger
}

// OlricCache is the cluster Cache: an Olric v0.7.0 member embedded in this
// process and the namespace's DMap. Values are stored as EncodeCacheValue
// bytes with no Olric TTL and no eviction; expiry is the executor's job.
//
// Olric keys are at most 255 bytes and cache keys 256, so the Olric key of a
// cache key k is "k" ‖ k when k has at most 254 bytes, else "h" ‖
// SHA-256(k) (OlricKey). An Olric value of zero bytes is a tombstone and
// reads as absent (see Delete).
type OlricCache struct {
	db     *olric.Olric
	client *olric.EmbeddedClient
	dm     olric.DMap
	name   string
	log    *slog.Logger
	done   chan struct{} // closed when Start returns
	startE error         // Start's result, valid after done

	closeOnce sync.Once
	closeErr  error
	mu        sync.RWMutex
	closed    bool
}

var _ Cache = (*OlricCache)(nil)

// NewOlricCache starts an Olric member, joins Peers and returns when it has
// started (Olric's Started callback) and the DMap is open.
func NewOlricCache(ctx context.Context, cfg OlricConfig) (*OlricCache, error) {
	if err := CheckNamespaceName(cfg.Namespace); err != nil {
		return nil, err
	}
	if cfg.BindAddr == "" {
		cfg.BindAddr = "127.0.0.1"
	}
	if cfg.BindPort <= 0 || cfg.BindPort > 65535 || cfg.MemberlistPort <= 0 || cfg.MemberlistPort > 65535 {
		return nil, fmt.Errorf("nsengine: olric: bind port %d and memberlist port %d must be in 1..65535", cfg.BindPort, cfg.MemberlistPort)
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("engine", "olric", "namespace", cfg.Namespace,
		"addr", net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.BindPort)))

	c := config.New("local")
	c.BindAddr = cfg.BindAddr
	c.BindPort = cfg.BindPort
	c.MemberlistConfig.BindAddr = cfg.BindAddr
	c.MemberlistConfig.BindPort = cfg.MemberlistPort
	c.MemberlistConfig.AdvertiseAddr = cfg.BindAddr
	c.MemberlistConfig.AdvertisePort = cfg.MemberlistPort
	c.Peers = append([]string(nil), cfg.Peers...)
	if cfg.PartitionCount > 0 {
		c.PartitionCount = cfg.PartitionCount
	}
	c.ReplicaCount = 2
	if cfg.ReplicaCount > 0 {
		c.ReplicaCount = cfg.ReplicaCount
	}
	// A fresh engine so Sanitize builds it with our table size (config.New
	// already built one with the default).
	c.DMaps.Engine = config.NewEngine()
	if cfg.TableSize > 0 {
		c.DMaps.Engine.Config["tableSize"] = cfg.TableSize
	}
	// No TTL, no eviction: the zero values of DMaps (MaxKeys, MaxInuse,
	// TTLDuration, MaxIdleDuration) say so; set them explicitly anyway.
	c.DMaps.MaxKeys = 0
	c.DMaps.MaxInuse = 0
	c.DMaps.TTLDuration = 0
	c.DMaps.MaxIdleDuration = 0
	// Olric's level filter lets "[INFO]" through at any level (its level
	// list is out of order), so the writer maps levels itself.
	c.LogLevel = config.LogLevelWarn
	c.LogVerbosity = 1
	c.LogOutput = slogWriter{logger}
	c.Logger = log.New(c.LogOutput, "", 0)
	started := make(chan struct{})
	var startedOnce sync.Once
	c.Started = func() { startedOnce.Do(func() { close(started) }) }

	db, err := olric.New(c)
	if err != nil {
		return nil, fmt.Errorf("nsengine: olric: new member: %w", err)
	}
	oc := &OlricCache{db: db, name: "orama.ns." + cfg.Namespace, log: logger, done: make(chan struct{})}
	go func() {
		oc.startE = db.Start()
		close(oc.done)
	}()

	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	fail := func(err error) (*OlricCache, error) {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if serr := db.Shutdown(sctx); serr != nil {
			logger.Warn("olric shutdown after a failed start", "err", serr)
		}
		return nil, err
	}
	select {
	case <-started:
	case <-oc.done:
		return fail(fmt.Errorf("%w: olric: member did not start: %w", ErrUnavailable, oc.startE))
	case <-ctx.Done():
		return fail(fmt.Errorf("nsengine: olric: start: %w", ctx.Err()))
	case <-timer.C:
		return fail(fmt.Errorf("%w: olric: member not started after %s", ErrUnavailable, cfg.StartTimeout))
	}
	oc.client = db.NewEmbeddedClient()
	dm, err := oc.client.NewDMap(oc.name)
	if err != nil {
		return fail(fmt.Errorf("nsengine: olric: open DMap %s: %w", oc.name, err))
	}
	oc.dm = dm
	logger.Debug("olric member started", "dmap", oc.name, "peers", cfg.Peers)
	return oc, nil
}

// DMapName returns the namespace's DMap name, "orama.ns.<name>".
func (c *OlricCache) DMapName() string { return c.name }

// Members returns the addresses of the members this one knows.
func (c *OlricCache) Members(ctx context.Context) ([]string, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.mu.RUnlock()
	ms, err := c.client.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: olric members: %w", ErrUnavailable, err)
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out, nil
}

// enter read-locks c unless it is closed (then the caller must not unlock).
func (c *OlricCache) enter() error {
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// Get implements Cache.
func (c *OlricCache) Get(ctx context.Context, key []byte) (CacheValue, bool, error) {
	if err := checkCacheKey(key); err != nil {
		return CacheValue{}, false, err
	}
	if err := ctx.Err(); err != nil {
		return CacheValue{}, false, fmt.Errorf("olric get: %w", err)
	}
	if err := c.enter(); err != nil {
		return CacheValue{}, false, fmt.Errorf("olric get: %w", err)
	}
	defer c.mu.RUnlock()
	return c.get(ctx, key)
}

func (c *OlricCache) get(ctx context.Context, key []byte) (CacheValue, bool, error) {
	resp, err := c.dm.Get(ctx, OlricKey(key))
	if errors.Is(err, olric.ErrKeyNotFound) {
		return CacheValue{}, false, nil
	}
	if err != nil {
		return CacheValue{}, false, olricErr("get", key, err)
	}
	raw, err := resp.Byte()
	if err != nil {
		return CacheValue{}, false, fmt.Errorf("%w: olric get %x: value: %w", ErrMalformed, key, err)
	}
	if len(raw) == 0 {
		return CacheValue{}, false, nil // a tombstone
	}
	v, err := DecodeCacheValue(raw)
	if err != nil {
		return CacheValue{}, false, fmt.Errorf("olric get %x: %w", key, err)
	}
	return v, true, nil
}

// Set implements Cache.
func (c *OlricCache) Set(ctx context.Context, key []byte, v CacheValue) error {
	if err := checkCacheEntry(key, v); err != nil {
		return err
	}
	enc, err := EncodeCacheValue(v)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("olric set: %w", err)
	}
	if err := c.enter(); err != nil {
		return fmt.Errorf("olric set: %w", err)
	}
	defer c.mu.RUnlock()
	if err := c.dm.Put(ctx, OlricKey(key), enc); err != nil {
		return olricErr("set", key, err)
	}
	return nil
}

// Delete implements Cache, one key at a time and checked by reading the key
// back: Olric v0.7.0's multi-key Delete can leave keys behind, and a key
// whose partition owner left is still served from a replica that Delete does
// not touch. When the key is still there after the delete, Delete writes a
// tombstone (an empty Olric value, newer than any copy, so Olric's
// last-write-wins read returns it) and checks again.
func (c *OlricCache) Delete(ctx context.Context, key []byte) error {
	if err := checkCacheKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("olric delete: %w", err)
	}
	if err := c.enter(); err != nil {
		return fmt.Errorf("olric delete: %w", err)
	}
	defer c.mu.RUnlock()
	okey := OlricKey(key)
	if _, err := c.dm.Delete(ctx, okey); err != nil {
		return olricErr("delete", key, err)
	}
	gone, err := c.absent(ctx, okey)
	if err != nil || gone {
		return err
	}
	c.log.Debug("olric delete left the key; writing a tombstone", "key", fmt.Sprintf("%x", key))
	if err := c.dm.Put(ctx, okey, []byte{}); err != nil {
		return olricErr("delete (tombstone)", key, err)
	}
	gone, err = c.absent(ctx, okey)
	if err != nil {
		return err
	}
	if !gone {
		return fmt.Errorf("%w: olric delete %x: the key is still there after a delete and a tombstone", ErrUnavailable, key)
	}
	return nil
}

// absent reports whether Olric key okey reads as absent (missing or a
// tombstone).
func (c *OlricCache) absent(ctx context.Context, okey string) (bool, error) {
	resp, err := c.dm.Get(ctx, okey)
	if errors.Is(err, olric.ErrKeyNotFound) {
		return true, nil
	}
	if err != nil {
		return false, olricErr("delete check", []byte(okey), err)
	}
	raw, err := resp.Byte()
	if err != nil {
		return false, nil // present, whatever it is
	}
	return len(raw) == 0, nil
}

// OlricKey returns the Olric key of cache key k: "k" ‖ k when k has at most
// 254 bytes, else "h" ‖ SHA-256(k) (Olric refuses keys of 256 bytes or more).
func OlricKey(k []byte) string {
	if len(k) <= 254 {
		return "k" + string(k)
	}
	h := sha256.Sum256(k)
	return "h" + string(h[:])
}

// Close implements Cache: the member leaves the cluster and stops. Keys it
// held without replicas are lost.
func (c *OlricCache) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := c.db.Shutdown(ctx); err != nil {
			c.closeErr = fmt.Errorf("nsengine: olric shutdown: %w", err)
		}
		select {
		case <-c.done:
		case <-ctx.Done():
		}
	})
	return c.closeErr
}

func olricErr(op string, key []byte, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("olric %s %x: %w", op, key, err)
	}
	if errors.Is(err, olric.ErrEntryTooLarge) {
		return fmt.Errorf("%w: olric %s %x: %w (the member's table size is too small)", ErrTooLarge, op, key, err)
	}
	return fmt.Errorf("%w: olric %s %x: %w", ErrUnavailable, op, key, err)
}

// slogWriter turns the lines Olric and memberlist print ("[WARN] ...") into
// slog records; their INFO lines (start-up, routing table) become Debug.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	msg := string(bytes.TrimRight(p, "\n"))
	level := slog.LevelInfo
	switch {
	case bytes.Contains(p, []byte("[ERROR]")), bytes.Contains(p, []byte("[ERR]")):
		level = slog.LevelError
	case bytes.Contains(p, []byte("[WARN]")):
		level = slog.LevelWarn
	case bytes.Contains(p, []byte("[DEBUG]")), bytes.Contains(p, []byte("[INFO]")):
		level = slog.LevelDebug
	}
	w.l.Log(context.Background(), level, msg)
	return len(p), nil
}

package p2p

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	lcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/oramanetwork/orama-chain/generated/params"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// Config of a Host.
type Config struct {
	// Key is the node's secp256k1 key. It signs every envelope the host
	// publishes, and is the libp2p identity unless Identity is set.
	Key *crypto.PrivateKey
	// Identity, when non-nil, is the libp2p identity (the peer id) instead
	// of Key. A node's peer id and its validator address are then
	// unrelated: two processes may sign with one validator key and still
	// be two peers (a fault harness plays a Byzantine validator that way;
	// an operator may rotate the peer id without touching the key).
	Identity *crypto.PrivateKey
	ChainID  uint64
	// Listen lists multiaddrs to listen on, e.g. "/ip4/127.0.0.1/tcp/7700";
	// empty: do not listen.
	Listen []string
	// Bootstrap lists multiaddrs ending in /p2p/<peer id>. The host dials
	// them at start and re-dials any that is disconnected until Close.
	Bootstrap []string
	// Validators are the senders allowed on the blocks, votes and newview
	// topics; any sender may publish on the txs topic. SetValidators
	// replaces them.
	Validators []types.Address
	// Logger receives the host's logs; nil discards them.
	Logger *slog.Logger
	// Validate, when non-nil, is called for every message from another node
	// that passed the envelope checks, before it is delivered or relayed. It
	// runs on pubsub's validation goroutines, so it must be safe for
	// concurrent use. Return nil to accept, an error wrapping ErrIgnore to
	// drop without penalty (a duplicate transaction, say), any other error
	// to reject: gossipsub peer scoring then penalises the peer that sent
	// it.
	Validate func(m *Message) error
	// Deliver, when non-nil, is called once for every proposal, vote and
	// new view from another node that passed the checks; nil discards them.
	// The subscription readers call it, one goroutine per topic, so it must
	// be safe for concurrent use, and it must not block: a blocked reader
	// stalls its topic and pubsub then drops that topic's messages. The node
	// pushes into its one bounded queue, which alone decides what is
	// dropped. Transactions are never delivered: Validate admits them.
	Deliver func(m *Message)
	// Server answers the sync protocols; nil: the host does not serve them.
	Server Server
	// HeartbeatInterval is the gossipsub heartbeat; zero means gossipsub's
	// default (one second). Tests shorten it so meshes form quickly.
	HeartbeatInterval time.Duration
}

// Server answers block sync requests from peers. Implementations must be
// safe for concurrent use.
type Server interface {
	// SyncRange returns final blocks from height from on, at most max
	// (already capped at params.MaxSyncBlocks).
	SyncRange(from uint64, max int) (*types.SyncResponse, error)
	// BlockByHash returns the block whose header hash is h, final or not.
	BlockByHash(h types.Hash) (*types.Block, bool)
}

// PeerInfo describes a connected peer.
type PeerInfo struct {
	ID peer.ID
	// Addr is the remote multiaddr of a connection to the peer.
	Addr string
	// Score is the peer's gossipsub score as last sampled (every second);
	// zero before the first sample.
	Score float64
}

// Timings of the host's background work.
const (
	redialCheck   = time.Second
	redialMin     = 2 * time.Second
	redialMax     = 30 * time.Second
	dialTimeout   = 10 * time.Second
	subBufferSize = 1024
	// maxPubsubMessage leaves room around the largest envelope for the
	// pubsub RPC framing and piggybacked control messages.
	maxPubsubMessage = maxEnvelopeBytes + 64<<10
)

// Host is a libp2p node on the Orama gossip topics and sync protocols. Its
// methods are safe for concurrent use.
type Host struct {
	key        *crypto.PrivateKey
	chainID    uint64
	log        *slog.Logger
	validate   func(*Message) error
	deliver    func(*Message)
	server     Server
	validators atomic.Pointer[validatorSet]

	host   host.Host
	ps     *pubsub.PubSub
	topics map[types.MessageType]*pubsub.Topic
	subs   []*pubsub.Subscription

	mesh      *meshTracer
	penalties *penalties
	scoreMu   sync.Mutex
	scores    map[peer.ID]float64
	samples   atomic.Uint64 // score samples taken, for tests
	seenMu    sync.Mutex
	seen      map[peer.ID]struct{} // peers ever connected (PeerState)

	next atomic.Uint64 // rotates the peer a sync request starts with

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// libp2pKey converts k to a libp2p private key.
func libp2pKey(k *crypto.PrivateKey) (lcrypto.PrivKey, error) {
	if k == nil {
		return nil, fmt.Errorf("p2p: nil key: %w", crypto.ErrInvalidPrivateKey)
	}
	b := k.Bytes()
	defer clear(b[:])
	lk, err := lcrypto.UnmarshalSecp256k1PrivateKey(b[:])
	if err != nil {
		return nil, fmt.Errorf("p2p: libp2p key: %w", err)
	}
	return lk, nil
}

// PeerIDFromKey returns the peer id of the host whose Config.Key is k, so
// a devnet can write bootstrap lists before starting nodes.
func PeerIDFromKey(k *crypto.PrivateKey) (peer.ID, error) {
	lk, err := libp2pKey(k)
	if err != nil {
		return "", err
	}
	id, err := peer.IDFromPrivateKey(lk)
	if err != nil {
		return "", fmt.Errorf("p2p: peer id: %w", err)
	}
	return id, nil
}

// msgID is the pubsub message id: SHA-256 of the message data, so that
// identical envelopes deduplicate whoever relays them.
func msgID(m *pb.Message) string {
	sum := sha256.Sum256(m.Data)
	return string(sum[:])
}

// New starts a host: it listens, joins the four gossip topics, registers
// the sync protocols if cfg.Server is set and starts dialling the
// bootstrap peers. ctx bounds start-up only; the host runs until Close.
func New(ctx context.Context, cfg Config) (*Host, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("p2p: new host: %w", err)
	}
	if cfg.Key == nil {
		return nil, fmt.Errorf("p2p: nil signing key: %w", crypto.ErrInvalidPrivateKey)
	}
	idKey := cfg.Identity
	if idKey == nil {
		idKey = cfg.Key
	}
	lk, err := libp2pKey(idKey)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	boot := make([]peer.AddrInfo, 0, len(cfg.Bootstrap))
	for _, s := range cfg.Bootstrap {
		ai, err := peer.AddrInfoFromString(s)
		if err != nil {
			return nil, fmt.Errorf("p2p: bootstrap address %q: %w", s, err)
		}
		boot = append(boot, *ai)
	}

	opts := []libp2p.Option{
		libp2p.Identity(lk),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.DisableRelay(),
		libp2p.DisableMetrics(),
		libp2p.Ping(false),
		libp2p.UserAgent("orama-chain"),
	}
	if len(cfg.Listen) == 0 {
		opts = append(opts, libp2p.NoListenAddrs)
	} else {
		opts = append(opts, libp2p.ListenAddrStrings(cfg.Listen...))
	}
	lh, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("p2p: start libp2p: %w", err)
	}

	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h := &Host{
		key:       cfg.Key,
		chainID:   cfg.ChainID,
		log:       log.With("peer_id", lh.ID().String()),
		validate:  cfg.Validate,
		deliver:   cfg.Deliver,
		server:    cfg.Server,
		host:      lh,
		topics:    make(map[types.MessageType]*pubsub.Topic, 4),
		mesh:      newMeshTracer(),
		penalties: newPenalties(time.Now),
		scores:    map[peer.ID]float64{},
		seen:      map[peer.ID]struct{}{},
		ctx:       hctx,
		cancel:    cancel,
	}
	vs := newValidatorSet(cfg.Validators)
	h.validators.Store(&vs)
	if err := h.start(cfg, boot); err != nil {
		cancel()
		return nil, errors.Join(err, lh.Close())
	}
	h.log.Info("p2p: host started", "addrs", h.Addrs(), "bootstrap", len(boot))
	return h, nil
}

// start joins the topics and starts the background goroutines.
func (h *Host) start(cfg Config, boot []peer.AddrInfo) error {
	h.host.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) { h.noteConnected(c.RemotePeer()) },
	})
	gsp := pubsub.DefaultGossipSubParams()
	if cfg.HeartbeatInterval > 0 {
		gsp.HeartbeatInterval = cfg.HeartbeatInterval
	}
	names := make([]string, 0, 4)
	for _, mt := range messageTypes() {
		if t, _ := TopicOf(mt); !slices.Contains(names, t) {
			names = append(names, t)
		}
	}
	ps, err := pubsub.NewGossipSub(h.ctx, h.host,
		pubsub.WithGossipSubParams(gsp),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(msgID),
		pubsub.WithMaxMessageSize(maxPubsubMessage),
		pubsub.WithPeerExchange(false),
		pubsub.WithFloodPublish(true),
		pubsub.WithSubscriptionFilter(pubsub.NewAllowlistSubscriptionFilter(names...)),
		pubsub.WithPeerScore(peerScoreParams(h.penalties.score), peerScoreThresholds()),
		pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(h.setScores), scoreInspectPeriod),
		pubsub.WithRawTracer(h.mesh),
		pubsub.WithLogger(h.log.With("component", "pubsub")),
	)
	if err != nil {
		return fmt.Errorf("p2p: start gossipsub: %w", err)
	}
	h.ps = ps
	joined := map[string]*pubsub.Topic{}
	for _, mt := range messageTypes() {
		name, _ := TopicOf(mt)
		if t, ok := joined[name]; ok { // several types share the txs topic
			h.topics[mt] = t
			continue
		}
		if err := ps.RegisterTopicValidator(name, h.topicValidator(name)); err != nil {
			return fmt.Errorf("p2p: register validator for %s: %w", name, err)
		}
		t, err := ps.Join(name)
		if err != nil {
			return fmt.Errorf("p2p: join %s: %w", name, err)
		}
		sub, err := t.Subscribe(pubsub.WithBufferSize(subBufferSize))
		if err != nil {
			return fmt.Errorf("p2p: subscribe %s: %w", name, err)
		}
		h.topics[mt] = t
		joined[name] = t
		h.subs = append(h.subs, sub)
	}
	if h.server != nil {
		h.host.SetStreamHandler(protocol.ID(params.ProtocolSyncRange), h.serveSyncRange)
		h.host.SetStreamHandler(protocol.ID(params.ProtocolSyncBlock), h.serveSyncBlock)
	}

	for _, sub := range h.subs {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.readSubscription(sub)
		}()
	}
	for _, ai := range boot {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.keepConnected(ai)
		}()
	}
	return nil
}

// topicValidator returns the pubsub validator of topic: checkEnvelope, then
// Config.Validate. The host's own messages were checked by Publish.
func (h *Host) topicValidator(topic string) pubsub.ValidatorEx {
	return func(_ context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
		if from == h.host.ID() {
			return pubsub.ValidationAccept
		}
		m, err := checkEnvelope(msg.Data, topic, h.chainID, *h.validators.Load())
		if err != nil {
			h.log.Debug("p2p: rejected message", "topic", topic, "from", from, "err", err)
			return pubsub.ValidationReject
		}
		m.From = from
		if h.validate != nil {
			if err := h.validate(m); err != nil {
				if errors.Is(err, ErrIgnore) {
					return pubsub.ValidationIgnore
				}
				h.log.Debug("p2p: message rejected by Validate", "topic", topic, "from", from,
					"sender", m.Sender, "err", err)
				return pubsub.ValidationReject
			}
		}
		msg.ValidatorData = m
		return pubsub.ValidationAccept
	}
}

// readSubscription hands validated consensus messages from other nodes to
// Config.Deliver. It reads the transactions topic too, only so that pubsub's
// subscription buffer never fills: Validate has already admitted them.
func (h *Host) readSubscription(sub *pubsub.Subscription) {
	for {
		msg, err := sub.Next(h.ctx)
		if err != nil {
			return // the host is closing
		}
		if msg.ReceivedFrom == h.host.ID() || msg.Local {
			continue
		}
		m, ok := msg.ValidatorData.(*Message)
		if !ok || IsTransactions(m.Type) || h.deliver == nil {
			continue
		}
		h.deliver(m)
	}
}

// setScores is the gossipsub score inspector.
func (h *Host) setScores(scores map[peer.ID]float64) {
	h.scoreMu.Lock()
	h.scores = scores
	h.scoreMu.Unlock()
	h.samples.Add(1)
}

// keepConnected dials a bootstrap peer whenever it is disconnected, backing
// off while dials fail, until the host closes.
func (h *Host) keepConnected(ai peer.AddrInfo) {
	h.host.ConnManager().Protect(ai.ID, "bootstrap")
	backoff := redialMin
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-timer.C:
		}
		wait := redialCheck
		if !h.connected(ai.ID) {
			if err := h.dial(ai); err != nil {
				h.log.Debug("p2p: bootstrap dial failed", "peer", ai.ID, "retry_in", backoff, "err", err)
				wait = jitter(backoff)
				backoff = min(2*backoff, redialMax)
			} else {
				h.log.Info("p2p: connected to bootstrap peer", "peer", ai.ID)
				backoff = redialMin
			}
		} else {
			backoff = redialMin
		}
		timer.Reset(wait)
	}
}

// Close stops the host: it leaves the topics, stops the background
// goroutines and closes every connection. Deliver is not called once Close
// has returned.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		h.cancel()
		for _, sub := range h.subs {
			sub.Cancel()
		}
		h.wg.Wait()
		if err := h.host.Close(); err != nil {
			h.closeErr = fmt.Errorf("p2p: close libp2p host: %w", err)
		}
		h.log.Info("p2p: host closed")
	})
	return h.closeErr
}

// ID returns the host's peer id.
func (h *Host) ID() peer.ID { return h.host.ID() }

// Addrs returns the host's listen multiaddrs, each ending in /p2p/<id>.
func (h *Host) Addrs() []string {
	id := h.host.ID().String()
	var out []string
	for _, a := range h.host.Addrs() {
		out = append(out, a.String()+"/p2p/"+id)
	}
	return out
}

// SetValidators replaces the senders allowed on the blocks, votes and
// newview topics, e.g. at an epoch change.
func (h *Host) SetValidators(addrs []types.Address) {
	vs := newValidatorSet(addrs)
	h.validators.Store(&vs)
}

// Publish signs an Envelope of payload as message type mt and publishes it
// on mt's topic. It checks the envelope as peers will (so a non-validator
// cannot publish consensus messages) and returns nil when there is no peer
// to send it to.
func (h *Host) Publish(ctx context.Context, mt types.MessageType, payload []byte) error {
	if h.ctx.Err() != nil {
		return fmt.Errorf("p2p: publish %s: %w", mt, ErrClosed)
	}
	topic, ok := TopicOf(mt)
	if !ok {
		return fmt.Errorf("p2p: publish %s: %w", mt, ErrWrongTopic)
	}
	if len(payload) > params.MaxEnvelopePayloadBytes {
		return fmt.Errorf("p2p: publish %s: payload is %d bytes, max %d: %w",
			mt, len(payload), params.MaxEnvelopePayloadBytes, ErrBadPayload)
	}
	// The checks peers run that do not depend on the signature; the
	// encoding and signature are signEnvelope's own, so re-decoding them
	// and recovering the signature would only cost time.
	env := types.Envelope{Type: mt, Payload: payload, Sender: h.key.Address()}
	if _, err := checkContents(&env, topic, *h.validators.Load()); err != nil {
		return fmt.Errorf("p2p: publish %s: %w", mt, err)
	}
	data, err := signEnvelope(h.key, h.chainID, mt, payload)
	if err != nil {
		return fmt.Errorf("p2p: publish %s: %w", mt, err)
	}
	return h.publishRaw(ctx, mt, data)
}

// publishRaw publishes data on mt's topic as it is.
func (h *Host) publishRaw(ctx context.Context, mt types.MessageType, data []byte) error {
	t, ok := h.topics[mt]
	if !ok {
		return fmt.Errorf("p2p: publish %s: %w", mt, ErrWrongTopic)
	}
	if err := t.Publish(ctx, data); err != nil {
		return fmt.Errorf("p2p: publish %s: %w", mt, err)
	}
	return nil
}

// Penalize lowers p's application-specific gossipsub score, e.g. when the
// consensus core rejects a message that passed the envelope checks. The
// penalty decays over time; see the package doc for the numbers.
func (h *Host) Penalize(p peer.ID, reason string) {
	v := h.penalties.add(p)
	h.log.Debug("p2p: penalised peer", "peer", p, "reason", reason, "app_score", v)
}

// Peers returns the connected peers, sorted by id.
func (h *Host) Peers() []PeerInfo {
	h.scoreMu.Lock()
	scores := h.scores
	h.scoreMu.Unlock()
	ids := h.host.Network().Peers()
	slices.Sort(ids)
	out := make([]PeerInfo, 0, len(ids))
	for _, id := range ids {
		pi := PeerInfo{ID: id, Score: scores[id]}
		if conns := h.host.Network().ConnsToPeer(id); len(conns) > 0 {
			pi.Addr = conns[0].RemoteMultiaddr().String()
		}
		out = append(out, pi)
	}
	return out
}

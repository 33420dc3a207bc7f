package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/oramanetwork/orama-chain/generated/api"
	"github.com/oramanetwork/orama-chain/generated/types"
	"github.com/oramanetwork/orama-chain/runtime/crypto"
)

// nodeClient is the generated REST client plus the URL, for messages.
type nodeClient struct {
	url string
	api *api.ClientWithResponses
}

// client returns a client of the node at --node.
func (a *app) client() (*nodeClient, error) {
	raw := strings.TrimSpace(a.nodeURL)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--node %q: want an http:// or https:// URL such as %s", a.nodeURL, defaultNodeURL)
	}
	c, err := api.NewClientWithResponses(raw, api.WithHTTPClient(a.httpClient))
	if err != nil {
		return nil, fmt.Errorf("--node %q: %w", a.nodeURL, err)
	}
	return &nodeClient{url: raw, api: c}, nil
}

// apiError is a failure the node reported: {"error":{"code","message"}}.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// connError is a request that got no HTTP response from the node.
type connError struct {
	URL string
	Err error
}

func (e *connError) Error() string {
	return fmt.Sprintf("cannot reach the node at %s: %v", e.URL, e.Err)
}
func (e *connError) Unwrap() error { return e.Err }

// response is what every generated response type has.
type response interface {
	StatusCode() int
	ContentType() string
	GetBody() []byte
}

// result turns a generated client call into its success value or an error:
// the node's error body as an apiError, a transport failure as a connError
// naming the URL, anything else (a proxy's HTML page, say) described.
func result[T any](c *nodeClient, what string, resp response, err error, ok *T, apiErr *api.Error) (*T, error) {
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// Drop the method and URL from the message: connError names the URL.
			return nil, &connError{URL: c.url, Err: ue.Err}
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, &connError{URL: c.url, Err: err}
		}
		return nil, fmt.Errorf("%s: node %s sent a response that is not the API's JSON: %w", what, c.url, err)
	}
	if ok != nil {
		return ok, nil
	}
	if apiErr != nil && apiErr.Error.Code != "" {
		return nil, &apiError{Status: resp.StatusCode(), Code: apiErr.Error.Code, Message: apiErr.Error.Message}
	}
	body := strings.TrimSpace(string(resp.GetBody()))
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	return nil, fmt.Errorf("%s: node %s answered HTTP %d (%s) without an API body: %q",
		what, c.url, resp.StatusCode(), resp.ContentType(), body)
}

func (c *nodeClient) account(ctx context.Context, id string, params *api.GetAccountParams) (*api.AccountResponse, error) {
	r, err := c.api.GetAccountWithResponse(ctx, id, params)
	if err != nil {
		return result[api.AccountResponse](c, "get account", nil, err, nil, nil)
	}
	return result(c, "get account", r, nil, r.JSON200, r.JSONDefault)
}

func (c *nodeClient) status(ctx context.Context) (*api.ChainStatus, error) {
	r, err := c.api.GetChainStatusWithResponse(ctx)
	if err != nil {
		return result[api.ChainStatus](c, "chain status", nil, err, nil, nil)
	}
	return result(c, "chain status", r, nil, r.JSON200, r.JSONDefault)
}

func (c *nodeClient) transaction(ctx context.Context, hash string) (*api.TransactionStatus, error) {
	r, err := c.api.GetTransactionWithResponse(ctx, hash)
	if err != nil {
		return result[api.TransactionStatus](c, "get transaction", nil, err, nil, nil)
	}
	return result(c, "get transaction", r, nil, r.JSON200, r.JSONDefault)
}

func (c *nodeClient) block(ctx context.Context, id string) (*api.Block, error) {
	if id == "latest" {
		r, err := c.api.GetLatestBlockWithResponse(ctx)
		if err != nil {
			return result[api.Block](c, "get block", nil, err, nil, nil)
		}
		return result(c, "get block", r, nil, r.JSON200, r.JSONDefault)
	}
	r, err := c.api.GetBlockWithResponse(ctx, id)
	if err != nil {
		return result[api.Block](c, "get block", nil, err, nil, nil)
	}
	return result(c, "get block", r, nil, r.JSON200, r.JSONDefault)
}

func (c *nodeClient) send(ctx context.Context, txHex string) (*api.SendResponse, error) {
	r, err := c.api.SendTransactionWithResponse(ctx, api.SendRequest{Transaction: txHex})
	if err != nil {
		return result[api.SendResponse](c, "send transaction", nil, err, nil, nil)
	}
	return result(c, "send transaction", r, nil, r.JSON202, r.JSONDefault)
}

// resolve returns the address ref names, asking the node for a username's.
func (c *nodeClient) resolve(ctx context.Context, ref crypto.AccountRef) (types.Address, error) {
	if !ref.IsUsername {
		return ref.Address, nil
	}
	acct, err := c.account(ctx, ref.String(), nil)
	if err != nil {
		return types.Address{}, fmt.Errorf("resolving %s: %w", ref, err)
	}
	addr, err := crypto.ParseAddress(acct.Account.Address)
	if err != nil {
		return types.Address{}, fmt.Errorf("resolving %s: node sent address %q: %w", ref, acct.Account.Address, err)
	}
	return addr, nil
}

package client

import (
	"context"
	"iter"
	"strconv"
)

// Records yields every record q selects, in index order, following the
// server's pages until its next is null. It checks that the pages
// advance: each record's index is above the last one's (and above
// q.After, if that is an index), and a page that names a next has
// records. A server whose pages do not advance would otherwise be paged
// forever; that is yielded as an error wrapping [ErrVerification], and
// ends the sequence, as does any error.
func (c *Client) Records(ctx context.Context, q Query) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		last := int64(-1)
		if i, err := strconv.ParseInt(q.After, 10, 64); err == nil {
			last = i
		}
		for {
			page, err := c.Entries(ctx, q)
			if err == nil {
				err = checkAdvance(page, q.After, &last)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range page.Entries {
				if !yield(&page.Entries[i], nil) {
					return
				}
			}
			if page.Next == nil {
				return
			}
			q.After = *page.Next
		}
	}
}

// checkAdvance checks that page, asked for after the cursor after, moves
// on from the record at index *last, which it then sets to its own last.
func checkAdvance(page *Page, after string, last *int64) error {
	for i := range page.Entries {
		if r := &page.Entries[i]; r.Index <= *last {
			return verifyFailed("the server's pages do not advance: record %d came after record %d", r.Index, *last)
		}
		*last = page.Entries[i].Index
	}
	switch {
	case page.Next != nil && len(page.Entries) == 0:
		return verifyFailed("the server's pages do not advance: a page with no records names a next page")
	case page.Next != nil && *page.Next == after:
		return verifyFailed("the server's pages do not advance: the next page is the page asked for (after %q)", after)
	}
	return nil
}

// Signers yields every signer of the directory in id order, following the
// server's pages, pageSize (0: the server's default) at a time. As
// [Client.Records], it checks that the pages advance (each id sorts after
// the last), yielding an error wrapping [ErrVerification] if not.
func (c *Client) Signers(ctx context.Context, pageSize int) iter.Seq2[*SignerSummary, error] {
	return func(yield func(*SignerSummary, error) bool) {
		after := ""
		for {
			page, err := c.SignersPage(ctx, after, pageSize)
			if err == nil {
				err = checkSignersAdvance(page, after)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range page.Signers {
				if !yield(&page.Signers[i], nil) {
					return
				}
			}
			if page.Next == nil {
				return
			}
			after = *page.Next
		}
	}
}

func checkSignersAdvance(page *SignerPage, after string) error {
	last := after
	for _, s := range page.Signers {
		if s.Signer <= last {
			return verifyFailed("the server's signer pages do not advance: %q came after %q", s.Signer, last)
		}
		last = s.Signer
	}
	if page.Next != nil && (len(page.Signers) == 0 || *page.Next <= after) {
		return verifyFailed("the server's signer pages do not advance: next %q after %q", *page.Next, after)
	}
	return nil
}

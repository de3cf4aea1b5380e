/*
Copyright 2026 The Berth Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package gc

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"
	"github.com/redis/go-redis/v9"
)

// DescriptorCache is a cache of blob descriptors the registry answers from instead of the
// store; the collector makes it forget what it removes, or a removed layer would still be
// "present" (HEAD 200) and mountable into another repository, whose manifest would then
// reference data that is gone.
type DescriptorCache interface {
	// Forget drops digest d from the cache: everywhere when the blob itself was removed
	// (blobRemoved), else from the repositories whose links to it were removed.
	Forget(ctx context.Context, d digest.Digest, blobRemoved bool, repositories []string) error
}

// RedisDescriptorCache is distribution's redis blob-descriptor cache (storage.cache.
// blobdescriptor: redis), shared by the replicas. Its layout, as distribution's
// registry/storage/cache/redis writes it: a hash "blobs::<digest>" per blob (digest, size,
// media type), a set "repository::<name>::blobs" of each repository's digests and a hash
// "repository::<name>::blobs::<digest>" of its media type. A repository's answer needs the
// digest in its set and the blob's hash, so removing the blob's hash forgets it in every
// repository at once.
type RedisDescriptorCache struct {
	Client redis.UniversalClient
}

// Forget drops d as DescriptorCache says.
func (c RedisDescriptorCache) Forget(ctx context.Context, d digest.Digest, blobRemoved bool, repositories []string) error {
	pipe := c.Client.TxPipeline()
	if blobRemoved {
		pipe.Del(ctx, "blobs::"+d.String())
	}
	for _, repo := range repositories {
		pipe.SRem(ctx, "repository::"+repo+"::blobs", d.String())
		pipe.Del(ctx, "repository::"+repo+"::blobs::"+d.String())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("removing %s from the redis blob-descriptor cache: %w", d, err)
	}
	return nil
}

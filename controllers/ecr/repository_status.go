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

package ecr

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecrv1alpha1 "github.com/berth-dev/berth/api/ecr/v1alpha1"
	"github.com/berth-dev/berth/internal/conditions"
	"github.com/berth-dev/berth/internal/lifecycle"
	"github.com/berth-dev/berth/registry/imageapi"
)

// lifecycleStampInterval is how often status.lifecycle.lastEvaluatedAt moves forward when an
// evaluation changes nothing (each move is a status write).
const lifecycleStampInterval = time.Hour

// Bounds of Repository status, from the API's validation.
const (
	statusMaxImages = 20
	statusMaxTags   = 100
)

// computeRepositoryStatus writes the status the pass's findings imply. What the pass could not
// read (the registry was unavailable) keeps its previous value: status never forgets images
// because the registry did not answer.
func computeRepositoryStatus(s *repositoryScope, host string) {
	st := &s.repo.Status
	st.RepositoryURI = host + "/" + s.repo.Namespace + "/" + s.repo.Name
	if s.listed {
		summarizeImages(st, s.images)
		if s.storageBytes >= 0 {
			st.StorageBytes = s.storageBytes
		}
		computeLifecycleStatus(s)
	}
	gen := s.repo.Generation
	reconciling, stalled := "", ""
	switch {
	case s.registryErr != nil:
		reconciling = ecrv1alpha1.RegistryUnavailableReason
		conditions.False(&st.Conditions, gen, ecrv1alpha1.ReadyCondition, reconciling,
			conditions.Truncate(fmt.Sprintf("cannot read or change the repository in the registry, retrying: %v", s.registryErr), 1024))
	case s.notEmpty:
		// Only a change (spec.forceDelete, or deleting the images) lets the delete proceed.
		stalled = ecrv1alpha1.RepositoryNotEmptyReason
		conditions.False(&st.Conditions, gen, ecrv1alpha1.ReadyCondition, stalled,
			fmt.Sprintf("deletion is waiting: the repository holds %d images; set spec.forceDelete: true to delete them with the Repository, or delete the images first", len(s.images)))
	case s.unknown != nil:
		// The registry's answer says which server answered (its NAME_UNKNOWN, or another's 404).
		reconciling = ecrv1alpha1.RegistryPendingReason
		conditions.False(&st.Conditions, gen, ecrv1alpha1.ReadyCondition, reconciling,
			conditions.Truncate(fmt.Sprintf("the registry has not seen this Repository yet; retrying: %v", s.unknown), 1024))
	case !s.listed:
		// Nothing was read and nothing failed (a delete whose finalizer is already gone).
	case !s.repo.DeletionTimestamp.IsZero():
		reconciling = ecrv1alpha1.DeletingReason
		conditions.False(&st.Conditions, gen, ecrv1alpha1.ReadyCondition, reconciling, "the repository is empty and is being deleted")
	default:
		conditions.True(&st.Conditions, gen, ecrv1alpha1.ReadyCondition, ecrv1alpha1.ReconciledReason,
			fmt.Sprintf("%d images; push to %s", len(s.images), st.RepositoryURI))
		st.ObservedGeneration = gen
	}
	conditions.SetAbnormal(&st.Conditions, gen, ecrv1alpha1.ReconcilingCondition, reconciling != "", reconciling, readyMessage(st))
	conditions.SetAbnormal(&st.Conditions, gen, ecrv1alpha1.StalledCondition, stalled != "", stalled, readyMessage(st))
}

// readyMessage is the Ready condition's message, repeated on Reconciling or Stalled.
func readyMessage(st *ecrv1alpha1.RepositoryStatus) string {
	if c := meta.FindStatusCondition(st.Conditions, ecrv1alpha1.ReadyCondition); c != nil {
		return c.Message
	}
	return ""
}

// summarizeImages fills the image summary: counts and sizes over every manifest, details of
// the most recently pushed.
func summarizeImages(st *ecrv1alpha1.RepositoryStatus, images []imageapi.Image) {
	st.ImageCount = int32(min(len(images), int(^uint32(0)>>1))) //nolint:gosec // bounded above
	st.SizeBytes = 0
	st.LastPushedAt = nil
	var last metav1.Time
	for _, img := range images {
		// An index's size is its largest child's, which is counted on its own.
		if len(img.Children) == 0 {
			st.SizeBytes += img.SizeBytes
		}
		if img.PushedAt.After(last.Time) {
			last = metav1.NewTime(img.PushedAt)
		}
	}
	if !last.IsZero() {
		st.LastPushedAt = &last
	}
	sorted := slices.Clone(images)
	slices.SortFunc(sorted, func(a, b imageapi.Image) int {
		if c := b.PushedAt.Compare(a.PushedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Digest, b.Digest)
	})
	st.Images = nil
	for _, img := range sorted[:min(len(sorted), statusMaxImages)] {
		d := ecrv1alpha1.ImageDetail{
			Digest:    img.Digest,
			Tags:      img.Tags[:min(len(img.Tags), statusMaxTags)],
			SizeBytes: img.SizeBytes,
			MediaType: img.MediaType,
			Subject:   img.Subject,
			// An image's config media type is no artifact type.
			ArtifactType: artifactType(img),
		}
		if !img.PushedAt.IsZero() {
			d.PushedAt = &metav1.Time{Time: img.PushedAt}
		}
		if !img.LastPulledAt.IsZero() {
			d.LastPulledAt = &metav1.Time{Time: img.LastPulledAt}
		}
		st.Images = append(st.Images, d)
	}
}

// computeLifecycleStatus reports the evaluation: when, how many images expired so far, and
// what the rules would still expire (normally nothing right after an expiry; a failed
// deletion leaves its images here).
func computeLifecycleStatus(s *repositoryScope) {
	st := &s.repo.Status
	expired := int64(s.expired)
	if st.Lifecycle != nil {
		expired += st.Lifecycle.ExpiredImages
	}
	p := s.repo.Spec.LifecyclePolicy
	if p == nil {
		if expired == 0 {
			st.Lifecycle = nil
		} else {
			st.Lifecycle = &ecrv1alpha1.LifecycleStatus{ExpiredImages: expired}
		}
		return
	}
	next := &ecrv1alpha1.LifecycleStatus{
		LastEvaluatedAt: &metav1.Time{Time: s.now},
		ExpiredImages:   expired,
		Preview:         lifecycle.Preview(p, lifecycleImages(s.images), s.now),
	}
	// An evaluation that changed nothing keeps the previous time for up to
	// lifecycleStampInterval, so a quiet repository is not rewritten on every resync.
	if prev := st.Lifecycle; prev != nil && prev.LastEvaluatedAt != nil && s.expired == 0 &&
		s.repo.Status.ObservedGeneration == s.repo.Generation &&
		s.now.Sub(prev.LastEvaluatedAt.Time) < lifecycleStampInterval &&
		equality.Semantic.DeepEqual(prev.Preview, next.Preview) {
		next.LastEvaluatedAt = prev.LastEvaluatedAt
	}
	st.Lifecycle = next
}

// artifactType is img's artifact type when it is an attached artifact.
func artifactType(img imageapi.Image) string {
	if img.Subject == "" {
		return ""
	}
	return img.ArtifactType
}

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

package rollout

import (
	"cmp"
	"slices"
	"time"

	ecsv1alpha1 "github.com/berth-dev/berth/api/ecs/v1alpha1"
)

// ledger holds the deployment records of one pass: the input's, changed in place, plus the
// ones the pass creates.
type ledger struct {
	now     time.Time
	recs    map[string]*Deployment
	before  map[string]Deployment // input records, to stamp UpdatedAt on change only
	primary string                // ID of the PRIMARY; "" when there is none
}

func newLedger(in []Deployment, now time.Time) *ledger {
	l := &ledger{now: now, recs: map[string]*Deployment{}, before: map[string]Deployment{}}
	for _, d := range in {
		if d.ID == "" {
			continue
		}
		if _, dup := l.recs[d.ID]; dup {
			continue // the API keys deployments by id; the first one wins
		}
		l.recs[d.ID] = &d
		l.before[d.ID] = d
	}
	return l
}

func (l *ledger) get(id string) *Deployment { return l.recs[id] }

// resolvePrimary makes the Target the only PRIMARY: a new ID starts a deployment, an older
// deployment asked for again becomes PRIMARY again (a revert), and a FAILED one is not
// retried while another PRIMARY exists, so a rollback stands. Without a Target the newest
// PRIMARY stays.
func (l *ledger) resolvePrimary(t Target) {
	current := l.newestPrimary()
	switch rec := l.recs[t.ID]; {
	case t.ID == "":
		l.primary = current
	case rec == nil:
		l.recs[t.ID] = &Deployment{ID: t.ID, TaskDefinition: t.TaskDefinition, CreatedAt: l.now}
		l.promote(t.ID)
	case rec.Status == ecsv1alpha1.DeploymentPrimary:
		l.primary = t.ID
	case rec.RolloutState == ecsv1alpha1.RolloutFailed && current != "":
		l.primary = current
	default:
		if t.TaskDefinition != "" {
			rec.TaskDefinition = t.TaskDefinition
		}
		l.promote(t.ID)
	}
	for id, rec := range l.recs {
		if id != l.primary && rec.Status == ecsv1alpha1.DeploymentPrimary {
			rec.Status = ecsv1alpha1.DeploymentActive
			if rec.RolloutState == ecsv1alpha1.RolloutInProgress && l.primary != "" {
				rec.RolloutStateReason = reasonSuperseded(id, l.primary)
			}
		}
	}
}

// promote makes id the PRIMARY with a fresh rollout, as ECS does for a new deployment.
func (l *ledger) promote(id string) {
	rec := l.recs[id]
	rec.Status = ecsv1alpha1.DeploymentPrimary
	rec.RolloutState = ecsv1alpha1.RolloutInProgress
	rec.RolloutStateReason = reasonInProgress(id)
	rec.FailedTasks = 0
	rec.CreatedAt = l.now
	l.primary = id
}

func (l *ledger) newestPrimary() string {
	best := ""
	for id, rec := range l.recs {
		if rec.Status != ecsv1alpha1.DeploymentPrimary {
			continue
		}
		if best == "" || newer(rec, l.recs[best]) {
			best = id
		}
	}
	return best
}

// adopt makes a record for tasks of a deployment the status does not know (a lost status,
// a foreign label), so they are drained and reported like an ACTIVE deployment's.
func (l *ledger) adopt(live []Task) {
	adopted := map[string]bool{}
	for _, t := range live {
		rec := l.recs[t.Deployment]
		switch {
		case t.Deployment == "":
		case rec == nil:
			l.recs[t.Deployment] = &Deployment{ID: t.Deployment, Status: ecsv1alpha1.DeploymentActive,
				TaskDefinition: t.TaskDefinition, RolloutStateReason: reasonAdopted, CreatedAt: t.CreatedAt}
			adopted[t.Deployment] = true
		case adopted[t.Deployment]:
			if t.CreatedAt.Before(rec.CreatedAt) {
				rec.CreatedAt = t.CreatedAt
			}
			if rec.TaskDefinition == "" {
				rec.TaskDefinition = t.TaskDefinition
			}
		}
	}
}

// lastCompleted is the rollback target: the newest COMPLETED deployment other than the
// PRIMARY.
func (l *ledger) lastCompleted() *Deployment {
	var best *Deployment
	for id, rec := range l.recs {
		if id == l.primary || rec.RolloutState != ecsv1alpha1.RolloutCompleted {
			continue
		}
		if best == nil || newer(rec, best) {
			best = rec
		}
	}
	return best
}

// taskCounts are the observed live tasks of one deployment and how many the plan stops.
type taskCounts struct {
	running, pending, stopped int32
}

// finish fills counts and statuses, stamps UpdatedAt on records that changed, and returns
// them PRIMARY first, then ACTIVE and INACTIVE newest first, with at most
// MaxInactiveDeployments INACTIVE ones (the Target's record is always kept, so a FAILED
// deployment is not retried by forgetting it).
func (l *ledger) finish(counts map[string]taskCounts, desired int32, keep string) []Deployment {
	out := make([]Deployment, 0, len(l.recs))
	for id, rec := range l.recs {
		c := counts[id]
		rec.RunningCount, rec.PendingCount = c.running, c.pending
		switch {
		case id == l.primary:
			rec.DesiredCount = desired
		case c.running+c.pending > 0:
			rec.Status = ecsv1alpha1.DeploymentActive
			rec.DesiredCount = c.running + c.pending - c.stopped
		default:
			rec.Status = ecsv1alpha1.DeploymentInactive
			rec.DesiredCount = 0
		}
		if old, ok := l.before[id]; !ok || !sameRecord(old, *rec) {
			rec.UpdatedAt = l.now
		}
		out = append(out, *rec)
	}
	slices.SortFunc(out, func(a, b Deployment) int {
		return cmp.Or(cmp.Compare(statusRank(a.Status), statusRank(b.Status)), compareNewest(&a, &b))
	})
	inactive := 0
	return slices.DeleteFunc(out, func(d Deployment) bool {
		if d.Status != ecsv1alpha1.DeploymentInactive || d.ID == keep {
			return false
		}
		inactive++
		return inactive > MaxInactiveDeployments
	})
}

func statusRank(s ecsv1alpha1.DeploymentStatus) int {
	switch s {
	case ecsv1alpha1.DeploymentPrimary:
		return 0
	case ecsv1alpha1.DeploymentActive:
		return 1
	default:
		return 2
	}
}

// compareNewest orders newest first: later CreatedAt, then ID for a stable order.
func compareNewest(a, b *Deployment) int {
	return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID))
}

func newer(a, b *Deployment) bool { return compareNewest(a, b) < 0 }

func sameRecord(a, b Deployment) bool {
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	return a.ID == b.ID && a.Status == b.Status && a.TaskDefinition == b.TaskDefinition &&
		a.DesiredCount == b.DesiredCount && a.RunningCount == b.RunningCount &&
		a.PendingCount == b.PendingCount && a.FailedTasks == b.FailedTasks &&
		a.RolloutState == b.RolloutState && a.RolloutStateReason == b.RolloutStateReason &&
		a.CreatedAt.Equal(b.CreatedAt)
}

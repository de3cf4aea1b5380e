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

package ecs

import (
	"encoding/base64"
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pullUsername is the user name of the pull Secret's credentials. The registry ignores it (the
// token says who the caller is), as ECR ignores "AWS".
const pullUsername = "berth"

// dockerConfig is the .dockerconfigjson format kubelets read.
type dockerConfig struct {
	Auths map[string]dockerAuth `json:"auths"`
}

type dockerAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Auth     string `json:"auth"`
}

// pullSecret is the pull Secret of sa holding token for registryHost.
func pullSecret(sa *corev1.ServiceAccount, name, registryHost, token string, refresh, expiry time.Time) *corev1.Secret {
	cfg := dockerConfig{Auths: map[string]dockerAuth{registryHost: {
		Username: pullUsername,
		Password: token,
		Auth:     base64.StdEncoding.EncodeToString([]byte(pullUsername + ":" + token)),
	}}}
	data, _ := json.Marshal(cfg) //nolint:errchkjson // strings only: cannot fail
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: sa.Namespace,
			Name:      name,
			Labels:    map[string]string{PullCredentialsLabel: sa.Name},
			Annotations: map[string]string{
				pullTokenRefreshAnnotation: refresh.UTC().Format(time.RFC3339),
				pullTokenExpiryAnnotation:  expiry.UTC().Format(time.RFC3339),
				pullTokenSAUIDAnnotation:   string(sa.UID),
				pullTokenHostAnnotation:    registryHost,
			},
		},
		Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: data},
	}
}

// pullTokenDue says whether a pull Secret must get a new token now (ok true), or else when it
// will (due): when it is not Berth's format, was issued for another ServiceAccount UID or
// registry host, or its half-life has passed.
func pullTokenDue(s *corev1.Secret, saUID, registryHost string, now time.Time) (due time.Time, ok bool) {
	a := s.Annotations
	if s.Type != corev1.SecretTypeDockerConfigJson || len(s.Data[corev1.DockerConfigJsonKey]) == 0 ||
		a[pullTokenSAUIDAnnotation] != saUID || a[pullTokenHostAnnotation] != registryHost {
		return now, true
	}
	refresh, err := time.Parse(time.RFC3339, a[pullTokenRefreshAnnotation])
	if err != nil || !now.Before(refresh) {
		return now, true
	}
	return refresh, false
}

//go:build tools

// Package tools pins the Kubernetes control-plane binaries and kubectl;
// ci/tools/build.sh builds them from this module so that go.sum pins their
// content. Regenerate go.mod with gen-replaces.sh when the version changes.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

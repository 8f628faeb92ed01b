//go:build tools

// Package tools pins the kustomize CLI version; ci/tools/build.sh builds it
// from this module so that go.sum pins its content.
package tools

import _ "sigs.k8s.io/kustomize/kustomize/v5"

//go:build tools

// Package tools pins the helm CLI version (kustomize runs it for helmCharts: with
// build.enableHelm); ci/tools/build.sh builds it from this module so that go.sum
// pins its content.
package tools

import _ "helm.sh/helm/v3/cmd/helm"

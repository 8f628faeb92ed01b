//go:build tools

// Package tools pins kwok; ci/tools/build.sh builds it from this module so
// that go.sum pins its content.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"

//go:build tools

// Package tools pins the etcd server; ci/tools/build.sh builds it from this
// module (the main package go.etcd.io/etcd/server/v3) so that go.sum pins its
// content.
package tools

import _ "go.etcd.io/etcd/server/v3"

#!/usr/bin/env bash
# Gradescope's setup script: runs once when the autograder image is built.
# The autograder zip holds this file, run_autograder, tests/ and a copy of
# the mmsim source tree (go.mod, cmd/, internal/, ...); Gradescope unpacks
# it into /autograder/source.
set -euo pipefail

GO_VERSION=1.26.0

apt-get update
apt-get install -y --no-install-recommends ca-certificates curl
curl -fsSL "https://go.dev/dl/go${GO_VERSION}.linux-amd64.tar.gz" | tar -C /usr/local -xz
export PATH="/usr/local/go/bin:$PATH"

cd /autograder/source
go build -o /usr/local/bin/mmsim ./cmd/mmsim
mmsim version

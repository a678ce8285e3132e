#!/usr/bin/env bash
# Installs what is missing, builds the module and runs the whole test
# suite: the C unit tests and the Test::Nginx suites in t/, each against a
# PostgreSQL cluster of its own; then the database files again over SSL,
# the suite under ASan and UBSan, the fuzzers and a short soak ("make
# check").

set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
make
make check

#!/bin/sh
# /usr/bin/stalela, installed by the stalela package: the CLI on the package's own Node runtime, with
# the settings of /etc/stalela/daemon.env (the service reads the same file), docs/INSTALL.md.
: "${STALELA_ENV_FILE=/etc/stalela/daemon.env}"
export STALELA_ENV_FILE
exec /usr/lib/stalela/node/bin/node /usr/lib/stalela/app/dist/cli/main.js "$@"

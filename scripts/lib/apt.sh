# Shared by scripts/install_*.sh: install Debian packages for a test dependency, idempotently.
# Source it, then call apt_ensure (or apt_install for the packages alone):
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
#   #          name    present when this succeeds      its version, for the log   packages
#   apt_ensure janus   "test -x /usr/bin/janus"        "/usr/bin/janus --version" janus
#
# apt_ensure does nothing (and says what is there) when the check succeeds; otherwise it runs
# apt-get update and apt-get install --no-install-recommends as root, through sudo when not
# root, and fails with "<script>: run as root (or install sudo)" when neither is possible.
# After installing it runs the check again and fails if the package did not provide it.
# The check and the version are shell snippets (run with eval), so they may use || and pipes.

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "$(basename "$0"): run as root (or install sudo)" >&2
      return 1
    fi
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

apt_ensure() {
  local name=$1 check=$2 version=$3
  shift 3
  if eval "$check" >/dev/null 2>&1; then
    echo "$name already installed: $(eval "$version" 2>&1)"
    return 0
  fi
  apt_install "$@" || return 1
  if ! eval "$check" >/dev/null 2>&1; then
    echo "$(basename "$0"): installed $* but $name is still missing ($check failed)" >&2
    return 1
  fi
  echo "installed $name: $(eval "$version" 2>&1)"
}

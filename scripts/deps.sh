#!/usr/bin/env bash
# Installs what building and testing ward needs on Debian/Ubuntu, when it is
# missing. Safe to run again: it only calls apt-get for absent tools.
set -euo pipefail
need=()
command -v cc >/dev/null || need+=(gcc)
command -v c++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v cmake >/dev/null || need+=(cmake)
command -v python3 >/dev/null || need+=(python3)
command -v git >/dev/null || need+=(git)
command -v pkg-config >/dev/null || need+=(pkg-config)
# The sanitizer runtimes ship with gcc on Debian (libasan8, libtsan2, libubsan1).
if command -v gcc >/dev/null; then
  for lib in libasan.so libtsan.so libubsan.so; do
    [ -n "$(gcc -print-file-name=$lib | grep /)" ] && [ -e "$(gcc -print-file-name=$lib)" ] || need+=(gcc)
  done
fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "deps: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

#!/bin/sh
# Shell completion as people get it: an interactive bash (without and with bash-completion) or zsh
# on a real terminal (tmux), the completion script loaded, keys typed, TAB pressed, and the line
# the shell shows afterwards compared with the one expected.
# usage: completion_test.sh bash|bash-completion|zsh SOURCE_DIR BINARY_DIR   (exit 77: skipped, reason printed)
set -eu
mode=$1
source=$2
bin=$3
shell=${mode%%-*}
for tool in "$shell" tmux; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 77
    fi
done
if [ "$mode" = bash-completion ] && [ ! -f /usr/share/bash-completion/bash_completion ]; then
    echo "SKIP: bash-completion is not installed"
    exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d /tmp/volumecli-completion-XXXXXX)
session=volumecli-completion-$$
cleanup() {
    tmux -L "$session" kill-server 2>/dev/null || true
    sleep 0.2
    rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

# A host to complete against: a spec file names a plugin, the local driver holds a volume, and
# there are files and directories to complete.
mkdir -p "$work/specs" "$work/sockets" "$work/local" "$work/run" "$work/certs/sub"
echo "unix://$work/sockets/none.sock" >"$work/specs/myplugin.spec"
: >"$work/certs/ca.pem"
export DVDCLI_SOCKET_DIR="$work/sockets" DVDCLI_SPEC_DIRS="$work/specs" DVDCLI_LOCAL_ROOT="$work/local" \
    DVDCLI_RUN_DIR="$work/run" PATH="$bin:$PATH"
dvdcli create --volumedriver=local --volumename=alpha >/dev/null || fail "cannot create a local volume"

case $mode in
    bash)
        start="env -i PATH=$PATH HOME=$work HISTFILE=/dev/null TERM=xterm DVDCLI_SOCKET_DIR=$DVDCLI_SOCKET_DIR DVDCLI_SPEC_DIRS=$DVDCLI_SPEC_DIRS DVDCLI_LOCAL_ROOT=$DVDCLI_LOCAL_ROOT DVDCLI_RUN_DIR=$DVDCLI_RUN_DIR bash --norc --noprofile -i"
        load="PS1='$ '; . $source/cli/completions/dvdcli.bash"
        ;;
    bash-completion)
        start="env -i PATH=$PATH HOME=$work HISTFILE=/dev/null TERM=xterm DVDCLI_SOCKET_DIR=$DVDCLI_SOCKET_DIR DVDCLI_SPEC_DIRS=$DVDCLI_SPEC_DIRS DVDCLI_LOCAL_ROOT=$DVDCLI_LOCAL_ROOT DVDCLI_RUN_DIR=$DVDCLI_RUN_DIR bash --norc --noprofile -i"
        load="PS1='$ '; . /usr/share/bash-completion/bash_completion; . $source/cli/completions/dvdcli.bash"
        ;;
    zsh)
        start="env -i PATH=$PATH HOME=$work HISTFILE=/dev/null TERM=xterm DVDCLI_SOCKET_DIR=$DVDCLI_SOCKET_DIR DVDCLI_SPEC_DIRS=$DVDCLI_SPEC_DIRS DVDCLI_LOCAL_ROOT=$DVDCLI_LOCAL_ROOT DVDCLI_RUN_DIR=$DVDCLI_RUN_DIR zsh -f -i"
        load="PS1='$ '; fpath=($source/cli/completions \$fpath); autoload -Uz compinit; compinit -u -D; bindkey -e"
        ;;
    *) fail "unknown mode $mode" ;;
esac

tmux -L "$session" new-session -d -x 200 -y 40 "$start"
# The line the cursor is on, as the terminal shows it.
current_line() {
    tmux -L "$session" capture-pane -p | awk 'NF { last = $0 } END { print last }'
}

# Waits (up to 10 s) for an empty prompt: keys typed before the shell is ready would be echoed
# and drawn again.
wait_for_prompt() {
    tries=0
    until [ "$(current_line | sed 's/[[:blank:]]*$//')" = '$' ]; do
        tries=$((tries + 1))
        [ $tries -lt 100 ] || fail "$mode: no prompt; the terminal shows '$(current_line)'"
        sleep 0.1
    done
}

tmux -L "$session" send-keys "$load; clear" Enter
wait_for_prompt

# check TYPED EXPECTED: types TYPED, presses TAB, and waits up to 10 s for the line to read
# "$ EXPECTED" (trailing blanks ignored); then clears the line.
check() {
    typed=$1
    expected=$2
    tmux -L "$session" send-keys -l "$typed"
    tmux -L "$session" send-keys Tab
    tries=0
    while :; do
        shown=$(current_line | sed 's/[[:blank:]]*$//')
        [ "$shown" = "\$ $expected" ] && break
        tries=$((tries + 1))
        if [ $tries -ge 100 ]; then
            tmux -L "$session" send-keys C-c
            fail "$mode: '$typed<TAB>' shows '$shown', expected '\$ $expected'"
        fi
        sleep 0.1
    done
    tmux -L "$session" send-keys C-c
    tmux -L "$session" send-keys "clear" Enter
    wait_for_prompt
}

check "dvdcli mou" "dvdcli mount"
check "dvdcli --volumedriver=local un" "dvdcli --volumedriver=local unmount"
check "dvdcli --log-level=de" "dvdcli --log-level=debug"
check "dvdcli list --log-level de" "dvdcli list --log-level debug"
check "dvdcli mount --volumen" "dvdcli mount --volumename="
check "dvdcli mount --fo" "dvdcli mount --format="
check "dvdcli list --format=j" "dvdcli list --format=json"
check "dvdcli mount --volumedriver=myp" "dvdcli mount --volumedriver=myplugin"
check "dvdcli mount --volumedriver=local --volumename=al" "dvdcli mount --volumedriver=local --volumename=alpha"
check "dvdcli mount --cacert=$work/certs/ca" "dvdcli mount --cacert=$work/certs/ca.pem"
check "dvdcli exec -- tmu" "dvdcli exec -- tmux"
check "flockercli --log-level=cr" "flockercli --log-level=critical"
echo "PASS ($mode)"

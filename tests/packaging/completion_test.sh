#!/bin/sh
# The shell completions load and complete commands, flags and flag values.
# usage: completion_test.sh bash|zsh SOURCE_DIR   (exit 77: skipped, reason printed)
set -eu
shell=$1
source=$2
if ! command -v "$shell" >/dev/null 2>&1; then
    echo "SKIP: $shell is not installed"
    exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ "$shell" = zsh ]; then
    zsh -n "$source/cli/completions/_dvdcli" || fail "_dvdcli has syntax errors"
    out=$(zsh -f -c "fpath=($source/cli/completions \$fpath); autoload -Uz compinit; compinit -u -D; \
        print -r -- \$_comps[dvdcli] \$_comps[flockercli]") || fail "compinit"
    [ "$out" = "_dvdcli _dvdcli" ] || fail "zsh does not map dvdcli and flockercli to _dvdcli: $out"
    echo "PASS"
    exit 0
fi

# complete LINE: prints COMPREPLY, one per line, for the last word of LINE.
complete_line() {
    bash --norc --noprofile -c '
        . "$1"
        read -r -a COMP_WORDS <<<"$2"
        case "$2" in *" ") COMP_WORDS+=("");; esac
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _dvdcli
        printf "%s\n" "${COMPREPLY[@]}"' sh "$source/cli/completions/dvdcli.bash" "$1"
}

[ "$(complete_line 'dvdcli mou')" = mount ] || fail "command: $(complete_line 'dvdcli mou')"
[ "$(complete_line 'dvdcli --volumedriver=x un')" = unmount ] || fail "command after a flag"
[ -z "$(complete_line 'dvdcli mount ')" ] || fail "commands offered after the command"
[ "$(complete_line 'dvdcli list --volumen')" = "--volumename=" ] || fail "flag"
[ "$(complete_line 'dvdcli list --format=j')" = "--format=json" ] || fail "--format value"
[ "$(complete_line 'flockercli --log-level=de')" = "--log-level=debug" ] || fail "--log-level value"
bash --norc --noprofile -c '. "$1"; complete -p dvdcli flockercli' sh "$source/cli/completions/dvdcli.bash" \
    >/dev/null || fail "complete -F not registered for dvdcli and flockercli"
echo "PASS"

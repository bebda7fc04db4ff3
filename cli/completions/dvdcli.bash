# bash completion for dvdcli and flockercli (volumecli).

_dvdcli()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n = || return
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
        prev="${COMP_WORDS[COMP_CWORD-1]}"
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local commands="mount unmount path create remove get list capabilities version exec check"
    local flags="--volumedriver= --volumename= --volumeopts= --volumeopt= --explicitcreate --mountid=
        --plugin-addr= --cacert= --cert= --key= --timeout= --retry-timeout= --log-level= --format=
        --managed-plugins --docker-root= --control-host= --control-port= --node-uuid= --name-key=
        --wait-timeout= --run-dir= --volume= --help --version"

    case "$cur" in
        --log-level=*)
            COMPREPLY=($(compgen -P "--log-level=" -W "trace debug info warn error critical off" -- "${cur#*=}"))
            return ;;
        --format=*)
            COMPREPLY=($(compgen -P "--format=" -W "text json" -- "${cur#*=}"))
            return ;;
        --explicitcreate=* | --explicitCreate=*)
            COMPREPLY=($(compgen -P "${cur%%=*}=" -W "true false" -- "${cur#*=}"))
            return ;;
        --cacert=* | --cert=* | --key=* | --docker-root=* | --run-dir=*)
            local flag="${cur%%=*}="
            COMPREPLY=($(compgen -P "$flag" -f -- "${cur#*=}"))
            return ;;
        --volumedriver=*)
            local dir="${DVDCLI_SOCKET_DIR:-/run/docker/plugins}"
            local names=""
            local socket
            for socket in "$dir"/*.sock; do
                [[ -S $socket ]] && names+=" $(basename "$socket" .sock)"
            done
            COMPREPLY=($(compgen -P "--volumedriver=" -W "local flocker$names" -- "${cur#*=}"))
            return ;;
        -*)
            COMPREPLY=($(compgen -W "$flags" -- "$cur"))
            [[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
            return ;;
    esac

    # Offer the commands until one is given (flags may come before it).
    local word
    for word in "${words[@]:1:cword-1}"; do
        if [[ " $commands " == *" $word "* ]]; then
            return
        fi
    done
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
}

complete -F _dvdcli dvdcli flockercli

#pragma once

#include <volumecli/endpoint.hpp>
#include <volumecli/retry.hpp>

#include <optional>
#include <string>
#include <vector>

namespace volumecli::discovery {

// Where plugins are looked for; defaults are Docker's on Linux.
struct SearchPaths {
    std::string socket_dir = "/run/docker/plugins";
    std::vector<std::string> spec_dirs = {"/etc/docker/plugins", "/usr/lib/docker/plugins"};
};

// Throws UsageError for an empty name or one containing "..", a leading '/' or NUL.
void validate_plugin_name(const std::string& name);

// The files looked at for `name`, in Docker's order: <socket_dir>/N.sock, N/N.sock, then per spec
// dir N.spec, N/N.spec, N.json, N/N.json.
std::vector<std::string> candidate_paths(const std::string& name, const SearchPaths& paths);

// One lookup. Returns nullopt when no candidate exists. A socket candidate must be a socket
// (symlinks followed); a spec candidate need only exist. Throws UnreachableError for a spec file
// that cannot be read or parsed, or a .json naming certificate files that are missing.
std::optional<Endpoint> find_plugin(const std::string& name, const SearchPaths& paths);

// The names of the plugins found now, as Docker's plugin scan lists them: <socket_dir>/N.sock and
// N/N.sock sockets, then N.spec and N.json files (and N/N.spec, N/N.json) in each spec dir; sorted,
// each once. Unreadable directories are skipped. For shell completion.
std::vector<std::string> plugin_names(const SearchPaths& paths);

// find_plugin, retried under `retry` while nothing is found (plugins may start after us).
// Throws UnreachableError "plugin not found" (listing the places searched) when the window ends.
Endpoint resolve_plugin(const std::string& name, const SearchPaths& paths, const RetryPolicy& retry);

// Reads a .spec file: one URL, surrounding white space ignored.
Endpoint parse_spec_file(const std::string& path);
// Parses the text of a .spec file; `origin` names it in errors. Throws UnreachableError for an
// empty text or an invalid URL.
Endpoint parse_spec(const std::string& text, const std::string& origin);
// Reads a .json file: {"Addr": URL, "TLSConfig": {"CAFile","CertFile","KeyFile","InsecureSkipVerify"}}.
Endpoint parse_json_spec_file(const std::string& path);
// Parses the text of a .json spec; `origin` names it in errors.
Endpoint parse_json_spec(const std::string& text, const std::string& origin);

}  // namespace volumecli::discovery

#pragma once

// Reading agent.yml, the Flocker agents' configuration, for the one value the driver takes from
// it: the control service's host.

#include <optional>
#include <string>

namespace volumecli::flocker {

// control-service.hostname from the text of agent.yml (a YAML subset: block and flow mappings,
// quoted or plain scalars, comments). nullopt when absent. Throws std::invalid_argument for a
// malformed value on the way to it (e.g. an unterminated quote).
std::optional<std::string> agent_yml_hostname(const std::string& text);

}  // namespace volumecli::flocker

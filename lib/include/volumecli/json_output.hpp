#pragma once

#include <volumecli/operations.hpp>
#include <volumecli/volume.hpp>

#include <string>
#include <vector>

namespace volumecli {

struct CheckReport;
struct CheckInfo;

// Machine-readable renderings for --format=json; each is one line of compact JSON, no newline,
// with UTF-8 as it is, control characters escaped and any byte that is not UTF-8 as U+FFFD.

// {"Name","Mountpoint","CreatedAt","Status"}, the last two only when the driver gave them.
std::string to_json(const Volume& volume);
std::string to_json(const std::vector<Volume>& volumes);
// {"Name","Mountpoint"}
std::string to_json(const MountResult& result);
// {"Scope"}
std::string to_json(const Capabilities& capabilities);
// {"Name"}
std::string name_to_json(const std::string& name);
// {"Driver","Volumes","Passed","Interrupted","Counts":{"pass","warn","fail","skipped"},
// "Checks":[{"ID","Title","Mandatory","Status","Milliseconds","Microseconds","Notes"}],
// "Calls":[{"Call","Microseconds"}],"Cleanup"};
// Status is "pass", "warn", "fail" or "skipped".
std::string to_json(const CheckReport& report);
// The catalogue: [{"ID","Title","Mandatory","Rule","ReliedOnBy","DependsOn"}].
std::string to_json(const std::vector<CheckInfo>& checks);

}  // namespace volumecli
